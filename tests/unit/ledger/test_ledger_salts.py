"""Entries hold salted commitments of personal data; erasing a subject leaves the log verifiable."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

import trustscore.ledger as lg
from trustscore.exceptions import LedgerError
from trustscore.ledger._audit import append_entry
from trustscore.ledger._tables import DisputeRow, SuppressionRow


def _written(ledger: lg.Ledger) -> str:
    with ledger.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT actor, payload, state FROM audit_log")).all()
    return "\n".join(" ".join(str(v) for v in row) for row in rows)


def test_entries_hold_commitments_never_the_personal_data(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    lg.create_client(ledger, "subject", subject_id="subj-Alice-77", name="Alice Example", now=t0)
    d = lg.open_dispute(ledger, "subj-Alice-77", "obligation", "ob-1", "I paid it", t0,
                        actor="op")  # fmt: skip
    lg.resolve_dispute(ledger, d.dispute_id, "corrected", "op", t0, note="Alice called us",
                       correction={"amount_paid": 123.45})  # fmt: skip
    text = _written(ledger)
    for secret in ("Alice", "subj-Alice-77", "123.45", "I paid it"):
        assert secret not in text
    entries = lg.audit_entries(ledger)
    opened = entries[1].payload
    assert lg.personal_matches(ledger, "subj-Alice-77", "subj-Alice-77", opened["subject_id"])
    assert not lg.personal_matches(ledger, "subj-Bob", "subj-Bob", opened["subject_id"])
    assert lg.personal_matches(
        ledger, "subj-Alice-77", "Alice called us", entries[2].payload["note"]
    )
    assert lg.audit_verify(ledger).ok


def test_erasure_removes_the_rows_then_the_salt_and_the_log_still_verifies(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    d = lg.open_dispute(ledger, "s1", "obligation", "ob-1", "paid", t0)
    lg.resolve_dispute(ledger, d.dispute_id, "unverifiable", "op", t0)
    held = lg.audit_entries(ledger)[0].payload["subject_id"]
    with pytest.raises(LedgerError, match="still has rows in disputes, suppressions"):
        lg.erase_salt(ledger, "s1")
    with ledger.transaction() as session:  # what an erasure does with the subject's rows
        rows = session.scalars(sa.select(SuppressionRow)).all()
        gone = [lg.removal(SuppressionRow, [r.suppression_id]) for r in rows]
        gone.append(lg.removal(DisputeRow, [d.dispute_id]))
        for r in rows:
            session.delete(r)
        session.delete(session.get(DisputeRow, d.dispute_id))
        session.flush()
        append_entry(session, "dpo", "subject.erase", {"subject_id": held}, t0, state=gone)
    assert lg.erase_salt(ledger, "s1", now=t0)
    assert not lg.erase_salt(ledger, "s1")
    assert not lg.personal_matches(ledger, "s1", "s1", held)
    result = lg.audit_verify(ledger)
    assert result.ok, result.reason
    assert lg.audit_entries(ledger)[-1].action == "salt.erase"


def test_a_salt_deleted_behind_the_log_leaves_rows_that_fail(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    lg.open_dispute(ledger, "s1", "obligation", "ob-1", "paid", t0)
    with ledger.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_salts"))
    result = lg.audit_verify(ledger)
    assert not result.ok
    assert "disputes row" in str(result.reason)
