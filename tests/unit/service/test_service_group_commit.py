"""GroupCommit: concurrent requests' ledger writes share transactions, each waits for its own."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from trustscore.exceptions import SchemaError
from trustscore.ledger import (
    DecisionTaken,
    Ledger,
    RecordedAccess,
    ScoreAccess,
    audit_entries,
    audit_verify,
    decisions,
    snapshots,
)
from trustscore.service._group_commit import GroupCommit, _deliver

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
    assert len({r.snapshot.snapshot_id for r in results}) == n
    assert len({r.access.access_id for r in results}) == n
    assert sum(len(snapshots(ledger, f"s{i}")) for i in range(20)) == n
    verified = audit_verify(ledger)
    assert verified.ok, verified.reason
    assert verified.n_entries == 2 * n
    assert len(commits_seen) <= n  # never more than one transaction per request


def test_a_bad_item_fails_alone(ledger: Ledger) -> None:
    group = GroupCommit(ledger)
    futures: list[Future[RecordedAccess]] = [Future() for _ in range(3)]
    items = [_item("s1"), _item("s2", score=None, status="OK"), _item("s3")]
    _deliver(group._write(list(zip(items, futures, strict=True))))  # one group, as gathered
    assert futures[0].result().snapshot.subject_id == "s1"
    with pytest.raises(SchemaError, match="integer score"):
        futures[1].result()
    assert futures[2].result().snapshot.subject_id == "s3"
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
    recorded = group.record(_item("s2"))  # after close: written directly
    assert (recorded.snapshot.subject_id, recorded.access.subject_id) == ("s2", "s2")
    assert len(snapshots(ledger, "s1")) == 1


def test_awaited_records_are_committed_in_shared_transactions(ledger: Ledger) -> None:
    commits_seen = []
    event.listen(ledger.engine, "commit", lambda _conn: commits_seen.append(1))
    group = GroupCommit(ledger)

    async def main() -> list[RecordedAccess]:
        return await asyncio.gather(*(group.submit(_item(f"s{i}")) for i in range(50)))

    results = asyncio.run(main())
    group.close()
    assert [r.snapshot.subject_id for r in results] == [f"s{i}" for i in range(50)]
    assert len({r.access.access_id for r in results}) == 50
    assert len(commits_seen) < 50  # the requests that waited together shared a commit
    verified = audit_verify(ledger)
    assert (verified.ok, verified.n_entries) == (True, 100)


def test_an_awaited_bad_item_raises_in_its_own_request_only(ledger: Ledger) -> None:
    group = GroupCommit(ledger)

    async def main() -> list[RecordedAccess | BaseException]:
        items = [_item("s1"), _item("s2", score=None, status="OK"), _item("s3")]
        return await asyncio.gather(*(group.submit(i) for i in items), return_exceptions=True)

    good, bad, other = asyncio.run(main())
    group.close()
    assert isinstance(bad, SchemaError)
    assert isinstance(good, RecordedAccess)
    assert isinstance(other, RecordedAccess)
    assert [len(snapshots(ledger, s)) for s in ("s1", "s2", "s3")] == [1, 0, 1]


def test_a_cancelled_request_still_has_its_access_recorded(ledger: Ledger) -> None:
    group = GroupCommit(ledger)
    gate = threading.Event()
    real_write = group._write

    def slow_write(batch: Any) -> Any:
        gate.wait(5)
        return real_write(batch)

    group._write = slow_write  # type: ignore[method-assign]

    async def main() -> RecordedAccess:
        waiting = asyncio.ensure_future(group.submit(_item("gone")))
        await asyncio.sleep(0.05)
        waiting.cancel()  # the client hung up while its write was queued
        gate.set()
        return await group.submit(_item("stays"))

    stays = asyncio.run(main())
    group.close()
    assert stays.snapshot.subject_id == "stays"
    assert len(snapshots(ledger, "gone")) == 1
    assert audit_verify(ledger).ok


def test_submit_after_close_writes_directly(ledger: Ledger) -> None:
    group = GroupCommit(ledger)
    group.close()
    recorded = asyncio.run(group.submit(_item("late")))
    assert recorded.snapshot.subject_id == "late"
    assert len(snapshots(ledger, "late")) == 1


def test_a_decision_goes_through_the_group_with_its_snapshot(ledger: Ledger) -> None:
    group = GroupCommit(ledger)
    item = replace(
        _item("s1", score=420), action="decision",
        decision=DecisionTaken("limit-v1", "decline", adverse=True, notice={"reasons": ["R01"]}),
    )  # fmt: skip
    recorded = asyncio.run(group.submit(item))
    group.close()
    assert recorded.decision is not None
    assert recorded.decision.snapshot_id == recorded.snapshot.snapshot_id
    assert decisions(ledger, "s1") == [recorded.decision]
    assert [e.action for e in audit_entries(ledger)] == [
        "snapshot.record", "decision.record", "access.log",
    ]  # fmt: skip
