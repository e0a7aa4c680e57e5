"""Disputes, the 30-day deadline job and suppressions, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

import trustscore.ledger as lg
from trustscore.exceptions import LedgerError, NotFoundError, SchemaError

DAY = dt.timedelta(days=1)


def test_open_dispute_sets_a_30_day_deadline(ledger: lg.Ledger, t0: dt.datetime) -> None:
    d = lg.open_dispute(ledger, "s1", "tradeline", "tl-9", "Not my account", t0)
    assert d.dispute_id.startswith("dsp_")
    assert (d.status, d.outcome, d.opened_at, d.deadline) == ("open", None, t0, t0 + 30 * DAY)
    assert lg.get_dispute(ledger, d.dispute_id) == d
    with pytest.raises(NotFoundError, match="no dispute 'dsp_nope'"):
        lg.get_dispute(ledger, "dsp_nope")


@pytest.mark.parametrize("outcome", ["unverifiable", "suppressed", "corrected"])
def test_every_outcome_but_verified_suppresses_the_record(
    ledger: lg.Ledger, t0: dt.datetime, outcome: str
) -> None:
    d = lg.open_dispute(ledger, "s1", "obligation", "ob-3", "Paid on time", t0)
    correction = {"paid_date": "2026-01-05"} if outcome == "corrected" else None
    resolved, sup = lg.resolve_dispute(
        ledger, d.dispute_id, outcome, "op-1", t0 + DAY, note="checked", correction=correction
    )
    assert (resolved.status, resolved.outcome, resolved.resolver) == (outcome, outcome, "op-1")
    assert (resolved.resolved_at, resolved.note) == (t0 + DAY, "checked")
    assert sup is not None
    assert (sup.record_kind, sup.record_id, sup.subject_id) == ("obligation", "ob-3", "s1")
    assert (sup.dispute_id, sup.correction) == (d.dispute_id, correction)
    assert lg.suppressions(ledger) == [sup]
    assert lg.suppressions(ledger, subject_id="other") == []


def test_verified_keeps_the_record_and_a_resolution_is_final(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    d = lg.open_dispute(ledger, "s1", "obligation", "ob-3", "Paid on time", t0)
    resolved, sup = lg.resolve_dispute(ledger, d.dispute_id, "verified", "op-1", t0)
    assert (resolved.status, sup) == ("verified", None)
    with pytest.raises(LedgerError, match="already resolved"):
        lg.resolve_dispute(ledger, d.dispute_id, "unverifiable", "op-2", t0)
    assert lg.get_dispute(ledger, d.dispute_id).resolver == "op-1"
    assert lg.suppressions(ledger) == []


def test_resolution_arguments_are_checked(ledger: lg.Ledger, t0: dt.datetime) -> None:
    d = lg.open_dispute(ledger, "s1", "obligation", "ob-3", "Paid on time", t0)
    with pytest.raises(SchemaError, match="needs the corrected values"):
        lg.resolve_dispute(ledger, d.dispute_id, "corrected", "op", t0)
    with pytest.raises(SchemaError, match="must be one of verified"):
        lg.resolve_dispute(ledger, d.dispute_id, "deleted", "op", t0)
    with pytest.raises(NotFoundError):
        lg.resolve_dispute(ledger, "dsp_missing", "verified", "op", t0)
    assert lg.get_dispute(ledger, d.dispute_id).status == "open"


@pytest.mark.parametrize("outcome", ["unverifiable", "verified", "suppressed"])
def test_a_correction_with_another_outcome_is_refused_and_writes_nothing(
    ledger: lg.Ledger, t0: dt.datetime, outcome: str
) -> None:
    # issue 15: "unverifiable" with corrected values was recorded with a suppression carrying
    # them, though the service answered 422 and the store never applied it
    d = lg.open_dispute(ledger, "s1", "obligation", "ob-3", "Paid on time", t0)
    entries = len(lg.audit_entries(ledger))
    with pytest.raises(SchemaError, match="only with the outcome 'corrected'"):
        lg.resolve_dispute(
            ledger, d.dispute_id, outcome, "op", t0 + DAY, correction={"amount_paid": -5}
        )
    assert lg.get_dispute(ledger, d.dispute_id).status == "open"
    assert lg.suppressions(ledger) == []
    assert len(lg.audit_entries(ledger)) == entries


def test_disputes_filter_by_status_and_subject(ledger: lg.Ledger, t0: dt.datetime) -> None:
    a = lg.open_dispute(ledger, "s1", "obligation", "ob-1", "x", t0)
    b = lg.open_dispute(ledger, "s1", "obligation", "ob-2", "x", t0 + DAY)
    c = lg.open_dispute(ledger, "s2", "inquiry", "in-1", "x", t0 + 2 * DAY)
    lg.resolve_dispute(ledger, b.dispute_id, "verified", "op", t0 + 3 * DAY)
    ids = lambda ds: [d.dispute_id for d in ds]  # noqa: E731
    assert ids(lg.disputes(ledger)) == [a.dispute_id, b.dispute_id, c.dispute_id]
    assert ids(lg.disputes(ledger, "open")) == [a.dispute_id, c.dispute_id]
    assert ids(lg.disputes(ledger, "open", "s1")) == [a.dispute_id]
    assert ids(lg.disputes(ledger, subject_id="s1")) == [a.dispute_id, b.dispute_id]
    with pytest.raises(SchemaError, match="status"):
        lg.disputes(ledger, "pending")


def test_due_disputes_are_open_ones_strictly_past_their_deadline(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    d = lg.open_dispute(ledger, "s1", "obligation", "ob-1", "x", t0)
    assert lg.due_disputes(ledger, t0 + 30 * DAY) == []
    assert [x.dispute_id for x in lg.due_disputes(ledger, t0 + 30 * DAY + dt.timedelta(
        microseconds=1))] == [d.dispute_id]  # fmt: skip


def test_deadline_job_suppresses_exactly_the_unverified_overdue_ones_once(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    overdue = [lg.open_dispute(ledger, f"s{i}", "obligation", f"ob-{i}", "x", t0) for i in range(3)]
    verified = lg.open_dispute(ledger, "s7", "obligation", "ob-7", "x", t0)
    corrected = lg.open_dispute(ledger, "s8", "tradeline", "tl-8", "x", t0)
    recent = lg.open_dispute(ledger, "s9", "obligation", "ob-9", "x", t0 + 20 * DAY)
    lg.resolve_dispute(ledger, verified.dispute_id, "verified", "op", t0 + DAY)
    lg.resolve_dispute(ledger, corrected.dispute_id, "corrected", "op", t0 + DAY,
                       correction={"balance": 0})  # fmt: skip
    seen: list[str] = []

    def on_suppress(d: lg.Dispute) -> None:
        # The callback may write to the ledger (a rescore records a snapshot): no deadlock.
        lg.record_snapshot(
            ledger, subject_id=d.subject_id, as_of=dt.date(2026, 4, 1), model_version="1",
            model_hash="m", score=700, status="OK", subscores={}, reasons=[], feature_hash="f",
        )  # fmt: skip
        seen.append(d.record_id)

    now = t0 + 31 * DAY
    done = lg.run_deadline_job(ledger, now, on_suppress)
    assert sorted(d.dispute_id for d in done) == sorted(d.dispute_id for d in overdue)
    assert all(d.status == "unverifiable" and d.resolver == "deadline" for d in done)
    assert sorted(seen) == ["ob-0", "ob-1", "ob-2"]
    by_dispute = {s.dispute_id: s for s in lg.suppressions(ledger)}
    assert set(by_dispute) == {d.dispute_id for d in overdue} | {corrected.dispute_id}
    assert all(by_dispute[d.dispute_id].suppressed_at == now for d in overdue)
    assert lg.run_deadline_job(ledger, now + DAY, on_suppress) == []
    assert len(seen) == 3
    assert lg.get_dispute(ledger, recent.dispute_id).status == "open"
    assert lg.get_dispute(ledger, verified.dispute_id).status == "verified"
    assert lg.audit_verify(ledger).ok


def test_two_deadline_jobs_at_once_suppress_each_dispute_once(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    for i in range(12):
        lg.open_dispute(ledger, f"s{i}", "obligation", f"ob-{i}", "x", t0)
    calls: list[str] = []
    lock = threading.Lock()

    def on_suppress(d: lg.Dispute) -> None:
        with lock:
            calls.append(d.dispute_id)

    barrier = threading.Barrier(2)
    results: list[list[lg.Dispute]] = []

    def job() -> None:
        barrier.wait()
        results.append(lg.run_deadline_job(ledger, t0 + 40 * DAY, on_suppress))

    threads = [threading.Thread(target=job) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == len(set(calls)) == 12
    assert sum(len(r) for r in results) == 12
    assert len(lg.suppressions(ledger)) == 12
    assert lg.audit_verify(ledger).ok


def test_a_failing_callback_leaves_the_suppression_recorded(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    d = lg.open_dispute(ledger, "s1", "obligation", "ob-1", "x", t0)

    def broken(_: lg.Dispute) -> None:
        raise RuntimeError("record store offline")

    with pytest.raises(RuntimeError, match="offline"):
        lg.run_deadline_job(ledger, t0 + 31 * DAY, broken)
    assert [s.dispute_id for s in lg.suppressions(ledger)] == [d.dispute_id]
    assert lg.run_deadline_job(ledger, t0 + 32 * DAY, broken) == []


def test_record_suppression_outside_a_dispute(ledger: lg.Ledger, t0: dt.datetime) -> None:
    s = lg.record_suppression(
        ledger, "public_record", "pr-1", "court order", subject_id="s1",
        correction={"amount": 0.0}, now=t0,
    )  # fmt: skip
    assert (s.dispute_id, s.correction, s.suppressed_at) == (None, {"amount": 0.0}, t0)
    with pytest.raises(SchemaError, match="plain JSON"):
        lg.record_suppression(ledger, "public_record", "pr-2", "x", correction={"a": float("nan")})
    # The failed write left nothing behind: neither the row nor an audit entry.
    assert [x.record_id for x in lg.suppressions(ledger)] == ["pr-1"]
    assert lg.audit_verify(ledger).n_entries == 1
