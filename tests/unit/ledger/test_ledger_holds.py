"""Held batches in the ledger, on SQLite and PostgreSQL: recorded once, resolved once, audited."""

from __future__ import annotations

import datetime as dt

import pytest

import trustscore.ledger as lg
from trustscore.exceptions import LedgerError, NotFoundError, SchemaError

T0 = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)


def _hold(ledger: lg.Ledger, hold_id: str = "b1.hold-1", rows: int = 7) -> lg.HeldBatch:
    return lg.record_hold(
        ledger, hold_id=hold_id, batch_id="b1", kind="obligation", furnisher="power", rows=rows,
        reason="furnisher 'power': 6 of 10 rows quarantined (60.0%)", held_at=T0,
    )  # fmt: skip


def test_a_hold_is_recorded_once_with_its_audit_entry(ledger: lg.Ledger) -> None:
    first = _hold(ledger)
    again = _hold(ledger, rows=99)  # a second record of the same hold changes nothing
    assert first == again
    assert (first.status, first.rows, first.held_at, first.resolver) == ("held", 7, T0, None)
    entries = lg.audit_entries(ledger)
    assert [e.action for e in entries] == ["hold.record"]
    assert entries[0].payload["rows"] == 7
    assert lg.audit_verify(ledger).ok


@pytest.mark.parametrize("outcome", ["released", "rejected"])
def test_a_hold_is_resolved_once(ledger: lg.Ledger, outcome: str) -> None:
    _hold(ledger)
    _hold(ledger, "b1.hold-2")
    later = T0 + dt.timedelta(hours=2)
    batch = "b2" if outcome == "released" else None
    done = lg.resolve_hold(ledger, "b1.hold-1", outcome, "op-1", release_batch_id=batch, now=later)
    assert (done.status, done.resolver, done.resolved_at, done.release_batch_id) == (
        outcome, "op-1", later, batch,
    )  # fmt: skip
    with pytest.raises(LedgerError, match=f"already {outcome}"):
        lg.resolve_hold(ledger, "b1.hold-1", "rejected", "op-2")
    assert [h.hold_id for h in lg.held_batches(ledger, "held")] == ["b1.hold-2"]
    assert [h.hold_id for h in lg.held_batches(ledger, outcome)] == ["b1.hold-1"]
    actions = [e.action for e in lg.audit_entries(ledger)]
    expected = "hold.release" if outcome == "released" else "hold.reject"
    assert actions == ["hold.record", "hold.record", expected]
    assert lg.audit_verify(ledger).ok


def test_bad_resolutions_write_nothing(ledger: lg.Ledger) -> None:
    _hold(ledger)
    with pytest.raises(NotFoundError, match="no held batch 'nope'"):
        lg.resolve_hold(ledger, "nope", "released", "op-1")
    with pytest.raises(SchemaError, match="outcome"):
        lg.resolve_hold(ledger, "b1.hold-1", "stored", "op-1")
    with pytest.raises(SchemaError, match="rows"):
        _hold(ledger, "b1.hold-3", rows=0)
    with pytest.raises(SchemaError, match="status"):
        lg.held_batches(ledger, "lost")
    assert [h.status for h in lg.held_batches(ledger)] == ["held"]
    assert len(lg.audit_entries(ledger)) == 1
