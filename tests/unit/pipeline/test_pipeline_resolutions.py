"""Dispute outcomes recorded in the ledger reach the record store, once, even after a failure."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from trustscore import ledger as lg
from trustscore.pipeline._resolutions import apply_resolution, pending_resolutions
from trustscore.records import RecordStore

AT = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)  # when bills_store ingested its bills
LATER = AT + dt.timedelta(days=3)


@pytest.fixture
def store(bills_store: RecordStore) -> RecordStore:
    return bills_store


@pytest.fixture
def ledger() -> lg.Ledger:
    ledger = lg.Ledger("sqlite://")
    ledger.create_all()
    return ledger


def _resolve(ledger: lg.Ledger, record_id: str, outcome: str, **kwargs: Any) -> lg.Dispute:
    dispute = lg.open_dispute(ledger, "s1", "obligation", record_id, "wrong", AT)
    done, _ = lg.resolve_dispute(ledger, dispute.dispute_id, outcome, "op", LATER, **kwargs)
    return done


def test_every_resolution_reaches_the_store_once(ledger: lg.Ledger, store: RecordStore) -> None:
    corrected = _resolve(ledger, "o1", "corrected", correction={"paid_date": "2024-01-08"})
    _resolve(ledger, "o3", "unverifiable")
    _resolve(ledger, "o2", "verified")  # suppresses nothing
    pending = pending_resolutions(ledger, store)
    assert [(s.record_id, bool(s.correction)) for s in pending] == [("o1", True), ("o3", False)]

    new_ids = [apply_resolution(store, s, at=LATER) for s in pending]
    assert new_ids == [f"o1~c{corrected.dispute_id}", None]
    assert pending_resolutions(ledger, store) == []
    assert store.record("obligation", new_ids[0])["paid_date"] == dt.date(2024, 1, 8)
    held = sorted(store.suppressions().column("record_id").to_pylist())
    assert held == ["o1", "o3"]
    # again: nothing more is stored or suppressed
    for s in pending:
        apply_resolution(store, s, at=LATER)
    assert store.count("obligation") == 4
    assert store.suppressions().num_rows == 2


def test_a_correction_cut_off_half_way_stays_pending_until_applied(
    ledger: lg.Ledger, store: RecordStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _resolve(ledger, "o2", "corrected", correction={"amount_paid": 40.0})
    [pending] = pending_resolutions(ledger, store)

    def crash(*args: object, **kwargs: object) -> int:
        raise OSError("killed")

    monkeypatch.setattr(store, "suppress", crash)
    with pytest.raises(OSError, match="killed"):
        apply_resolution(store, pending, at=LATER)
    monkeypatch.undo()
    # the corrected record is stored but the original is not suppressed yet: still pending
    assert store.count("obligation") == 4
    assert [s.record_id for s in pending_resolutions(ledger, store)] == ["o2"]
    apply_resolution(store, pending, at=LATER)
    assert pending_resolutions(ledger, store) == []
    assert store.count("obligation") == 4


def test_a_suppressed_original_without_its_corrected_record_is_pending(
    ledger: lg.Ledger, store: RecordStore
) -> None:
    _resolve(ledger, "o1", "corrected", correction={"amount_due": 70.0})
    store.suppress("obligation", ["o1"], reason="by hand", at=LATER)
    [pending] = pending_resolutions(ledger, store)
    assert pending.record_id == "o1"
    new_id = apply_resolution(store, pending, at=LATER)
    assert store.record("obligation", str(new_id))["amount_due"] == 70.0
    assert pending_resolutions(ledger, store) == []
    assert store.suppressions().num_rows == 1


def test_a_correction_the_store_refuses_is_suppressed_once_and_then_done(
    ledger: lg.Ledger, store: RecordStore
) -> None:
    """An older ledger accepted corrected values with ``unverifiable`` unchecked (issue 15): the
    repair suppresses the record, names why, and never fails on it again."""
    dispute = lg.open_dispute(ledger, "s1", "obligation", "o1", "wrong", AT)
    lg.record_suppression(
        ledger, "obligation", "o1", "dispute unverifiable", subject_id="s1",
        dispute_id=dispute.dispute_id, correction={"amount_paid": -5}, now=LATER,
    )  # fmt: skip
    _resolve(ledger, "o3", "unverifiable")
    pending = pending_resolutions(ledger, store)
    assert [s.record_id for s in pending] == ["o1", "o3"]
    assert [apply_resolution(store, s, at=LATER) for s in pending] == [None, None]
    assert pending_resolutions(ledger, store) == []
    [held] = [r for r in store.suppressions().to_pylist() if r["record_id"] == "o1"]
    assert f"dispute {dispute.dispute_id}: its correction was not applied" in held["reason"]
    assert "amount_paid is below the minimum 0" in held["reason"]
    assert store.count("obligation") == 3  # no corrected record was stored
    apply_resolution(store, pending[0], at=LATER)
    assert store.suppressions().num_rows == 2


def test_a_record_corrected_twice_has_one_live_correction(
    ledger: lg.Ledger, store: RecordStore
) -> None:
    first = _resolve(ledger, "o1", "corrected", correction={"paid_date": "2024-01-08"})
    second = _resolve(ledger, "o1", "corrected", correction={"paid_date": "2024-01-09"})
    pending = pending_resolutions(ledger, store)
    assert [s.dispute_id for s in pending] == [first.dispute_id, second.dispute_id]
    for i, s in enumerate(pending):
        apply_resolution(store, s, at=LATER + dt.timedelta(hours=i))
    assert pending_resolutions(ledger, store) == []
    held = set(store.suppressions().column("record_id").to_pylist())
    live = set(store.read("obligation").column("record_id").to_pylist()) - held
    assert live == {"o2", "o3", f"o1~c{second.dispute_id}"}


def test_a_repair_never_revives_a_correction_the_ledger_superseded(
    ledger: lg.Ledger, store: RecordStore
) -> None:
    """The first correction's store step was lost; the second was applied. The repair must not
    store the first now, where it would be the latest in the store and supersede the second."""
    _resolve(ledger, "o1", "corrected", correction={"paid_date": "2024-01-08"})
    second = _resolve(ledger, "o1", "corrected", correction={"paid_date": "2024-01-09"})
    [_, latest] = pending_resolutions(ledger, store)
    apply_resolution(store, latest, at=LATER)
    assert pending_resolutions(ledger, store) == []
    held = set(store.suppressions().column("record_id").to_pylist())
    live = set(store.read("obligation").column("record_id").to_pylist()) - held
    assert live == {"o2", "o3", f"o1~c{second.dispute_id}"}
