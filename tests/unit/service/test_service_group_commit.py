"""GroupCommit: concurrent requests' ledger writes share transactions, each waits for its own."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import event

from trustscore.exceptions import SchemaError
from trustscore.ledger import (
    Access,
    Ledger,
    ScoreAccess,
    Snapshot,
    audit_verify,
    snapshots,
)
from trustscore.service._group_commit import GroupCommit

T0 = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


def _item(subject: str, score: int | None = 640, status: str = "OK") -> ScoreAccess:
    return ScoreAccess(
        subject_id=subject, as_of=dt.date(2026, 2, 28), model_version="1.0.0",
        model_hash="m" * 64, score=score, status=status, subscores={"payment": 320},
        reasons=["R01"], feature_hash="f" * 64, client_id="cl_bank", purpose="credit_limit",
        at=T0,
    )  # fmt: skip


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    ledger.create_all()
    return ledger


def test_concurrent_records_are_all_committed_and_chained(ledger: Ledger) -> None:
    commits_seen = []
    event.listen(ledger.engine, "commit", lambda _conn: commits_seen.append(1))
    group = GroupCommit(ledger)
    n = 60
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda i: group.record(_item(f"s{i % 20}")), range(n)))
    group.close()
    assert len({s.snapshot_id for s, _ in results}) == n
    assert len({a.access_id for _, a in results}) == n
    assert sum(len(snapshots(ledger, f"s{i}")) for i in range(20)) == n
    verified = audit_verify(ledger)
    assert verified.ok, verified.reason
    assert verified.n_entries == 2 * n
    assert len(commits_seen) <= n  # never more than one transaction per request


def test_a_bad_item_fails_alone(ledger: Ledger) -> None:
    group = GroupCommit(ledger)
    futures: list[Future[tuple[Snapshot, Access]]] = [Future() for _ in range(3)]
    items = [_item("s1"), _item("s2", score=None, status="OK"), _item("s3")]
    group._write(list(zip(items, futures, strict=True)))  # one group, as the writer gathers it
    assert futures[0].result()[0].subject_id == "s1"
    with pytest.raises(SchemaError, match="integer score"):
        futures[1].result()
    assert futures[2].result()[0].subject_id == "s3"
    assert [len(snapshots(ledger, s)) for s in ("s1", "s2", "s3")] == [1, 0, 1]
    assert audit_verify(ledger).ok


def test_close_writes_what_is_queued_and_later_records_still_commit(ledger: Ledger) -> None:
    group = GroupCommit(ledger)
    done = threading.Event()

    def record() -> None:
        group.record(_item("s1"))
        done.set()

    worker = threading.Thread(target=record)
    worker.start()
    worker.join()
    group.close()
    assert done.is_set()
    snapshot, access = group.record(_item("s2"))  # after close: written directly
    assert (snapshot.subject_id, access.subject_id) == ("s2", "s2")
    assert len(snapshots(ledger, "s1")) == 1
