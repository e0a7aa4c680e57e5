"""SQLite checkpoints in the background: commits never run one, a thread of the ledger does."""

from __future__ import annotations

import datetime as dt
import itertools
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from trustscore.exceptions import LedgerError
from trustscore.ledger import Ledger, ScoreAccess, audit_verify, record_score_accesses
from trustscore.ledger._db import RESTART_PAGES

T0 = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


def _item(i: int) -> ScoreAccess:
    return ScoreAccess(
        subject_id=f"s{i}", as_of=dt.date(2026, 2, 28), model_version="1.0.0",
        model_hash="m" * 64, score=600, status="OK", subscores={"payment": 300},
        reasons=[{"code": "R01", "text": "late bills " * 20, "improve": "pay on time"}],
        feature_hash="f" * 64, client_id="cl_bank", purpose="credit_limit", at=T0,
    )  # fmt: skip


def _items(n: int) -> list[ScoreAccess]:
    return [_item(i) for i in range(n)]


def _autocheckpoint(ledger: Ledger) -> int:
    with ledger.engine.connect() as conn:
        return int(conn.execute(text("PRAGMA wal_autocheckpoint")).scalar_one())


def _wal_index(path: Path) -> tuple[int, int]:
    """(frames in the WAL, frames of it already copied into the database file).

    Read from the shared-memory WAL index (``mxFrame`` of its header, ``nBackfill`` of the
    checkpoint info after the header's two copies), so looking takes no lock and runs nothing.
    """
    shm = Path(f"{path}-shm").read_bytes()
    return int.from_bytes(shm[16:20], sys.byteorder), int.from_bytes(shm[96:100], sys.byteorder)


def test_commits_checkpoint_by_default(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.sqlite'}", sqlite_synchronous="NORMAL")
    ledger.create_all()
    assert _autocheckpoint(ledger) == 1000
    record_score_accesses(ledger, _items(10))
    assert ledger.checkpoints() == 0
    ledger.dispose()


def test_background_mode_commits_do_not_checkpoint_the_first_pages(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    ledger = Ledger(
        f"sqlite:///{path}", sqlite_synchronous="NORMAL", sqlite_checkpoints="background",
        checkpoint_interval_s=60,  # the thread waits this long before its first checkpoint
    )  # fmt: skip
    ledger.create_all()
    assert _autocheckpoint(ledger) == RESTART_PAGES
    for _ in range(40):
        record_score_accesses(ledger, _items(25))
    frames, copied = _wal_index(path)
    assert 1000 < frames < RESTART_PAGES  # past SQLite's default checkpoint, and none ran
    assert copied == 0
    ledger.dispose()  # does not wait out the interval: it checkpoints and stops
    assert ledger.checkpoints() == 1


def test_background_checkpoints_copy_the_wal_while_writes_go_on(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    ledger = Ledger(
        f"sqlite:///{path}", sqlite_synchronous="NORMAL", sqlite_checkpoints="background",
        checkpoint_interval_s=0.01,
    )  # fmt: skip
    ledger.create_all()
    for _ in range(40):
        record_score_accesses(ledger, _items(25))
    # waits for the thread (a generous limit for a busy machine, not a timing property)
    deadline = time.monotonic() + 120
    while _wal_index(path)[1] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ledger.checkpoints() > 0
    record_score_accesses(ledger, _items(1))
    deadline = time.monotonic() + 120
    while (index := _wal_index(path))[0] != index[1] and time.monotonic() < deadline:
        time.sleep(0.01)
    frames, copied = _wal_index(path)
    assert copied == frames  # every committed page is in the database file
    ledger.dispose()
    reopened = Ledger(f"sqlite:///{path}")
    verified = audit_verify(reopened)
    assert (verified.ok, verified.n_entries) == (True, 2 * (40 * 25 + 1))
    reopened.dispose()


def test_the_wal_restarts_under_continuous_writes(tmp_path: Path) -> None:
    """The commit that grows the WAL past RESTART_PAGES checkpoints it, the next one restarts it.

    Deterministic: the background thread is held off for the whole test (its interval is an
    hour), so no checkpoint of its own races the commits' and the bound below is exact. How
    often the thread's checkpoints restart the WAL under load is timing, measured by the
    service benchmark's ``--trace`` (group commits that restarted the WAL), not asserted here.
    """
    path = tmp_path / "l.sqlite"
    ledger = Ledger(
        f"sqlite:///{path}", sqlite_synchronous="NORMAL", sqlite_checkpoints="background",
        checkpoint_interval_s=3600,
    )  # fmt: skip
    ledger.create_all()
    frames_seen = []
    for _ in range(160):  # well past RESTART_PAGES of WAL, commit after commit
        record_score_accesses(ledger, _items(25))
        frames_seen.append(_wal_index(path)[0])
    assert ledger.checkpoints() == 0  # every checkpoint so far was a commit's own
    grown = [b - a for a, b in itertools.pairwise(frames_seen) if b > a]
    restarts = sum(1 for a, b in itertools.pairwise(frames_seen) if b < a)
    assert restarts >= 1
    # bounded: never more than one commit's pages past RESTART_PAGES, so the file stops growing
    assert max(frames_seen) <= RESTART_PAGES + max(grown)
    page = 4096
    assert Path(f"{path}-wal").stat().st_size <= (max(frames_seen)) * (page + 24) + 32
    ledger.dispose()


def test_dispose_stops_the_checkpoint_thread(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.sqlite'}", sqlite_checkpoints="background")
    ledger.create_all()
    record_score_accesses(ledger, _items(2))
    checkpointer = ledger._checkpointer
    assert checkpointer is not None
    assert checkpointer._thread is not None
    ledger.dispose()
    assert not checkpointer._thread.is_alive()


def test_an_unknown_checkpoint_mode_is_refused() -> None:
    with pytest.raises(LedgerError, match="sqlite_checkpoints must be 'commit' or 'background'"):
        Ledger("sqlite://", sqlite_checkpoints="never")  # type: ignore[arg-type]
