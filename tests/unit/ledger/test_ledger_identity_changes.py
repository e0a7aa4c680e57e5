"""not_mine disputes and identity changes in the ledger: facts with their moves, audited."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

import trustscore.ledger as lg
from trustscore.exceptions import LedgerError, SchemaError

AT = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def test_a_not_mine_dispute_resolved_for_the_subject_unlinks_instead_of_suppressing(
    ledger: lg.Ledger,
) -> None:
    d = lg.open_dispute(ledger, "s1", "tradeline", "tl-1", "not my card", AT, kind="not_mine")
    assert (d.kind, lg.get_dispute(ledger, d.dispute_id).kind) == ("not_mine", "not_mine")
    with pytest.raises(SchemaError, match="nothing to correct"):
        lg.resolve_dispute(ledger, d.dispute_id, "corrected", "ops", correction={"balance": 1})
    assert lg.get_dispute(ledger, d.dispute_id).status == "open"
    done, suppression = lg.resolve_dispute(ledger, d.dispute_id, "unverifiable", "ops", AT)
    assert (done.status, suppression, lg.suppressions(ledger)) == ("unverifiable", None, [])
    change = lg.identity_change(ledger, lg.unlink_change_id(d.dispute_id))
    new = lg.unlinked_subject_id(d.dispute_id)
    assert (change.action, change.subject_id, change.other_subject_id, change.dispute_id) == (
        "unlink", "s1", new, d.dispute_id,
    )  # fmt: skip
    assert change.moves == (lg.IdentityMove("tradeline", "tl-1", "s1", new),)
    assert [e.action for e in lg.audit_entries(ledger)][-2:] == [
        "dispute.resolve",
        "identity.unlink",
    ]
    assert lg.audit_verify(ledger).ok


def test_verified_keeps_the_record_and_other_disputes_still_suppress(ledger: lg.Ledger) -> None:
    mine = lg.open_dispute(ledger, "s1", "obligation", "ob-1", "not mine", AT, kind="not_mine")
    lg.resolve_dispute(ledger, mine.dispute_id, "verified", "ops", AT)
    plain = lg.open_dispute(ledger, "s1", "obligation", "ob-2", "wrong amount", AT)
    assert plain.kind == "inaccurate"
    _, suppression = lg.resolve_dispute(ledger, plain.dispute_id, "suppressed", "ops", AT)
    assert suppression is not None
    assert suppression.record_id == "ob-2"
    assert lg.identity_changes(ledger) == []
    # both opened at AT: the ledger orders them by their (random) ids
    assert sorted((d.record_id, d.kind) for d in lg.disputes(ledger)) == [
        ("ob-1", "not_mine"), ("ob-2", "inaccurate"),
    ]  # fmt: skip
    with pytest.raises(SchemaError, match="kind"):
        lg.open_dispute(ledger, "s1", "obligation", "ob-3", "?", AT, kind="mixed")
    with pytest.raises(LedgerError):
        lg.resolve_dispute(ledger, mine.dispute_id, "unverifiable", "ops", AT)


def test_the_deadline_unlinks_a_not_mine_dispute(ledger: lg.Ledger) -> None:
    d = lg.open_dispute(ledger, "s1", "inquiry", "iq-1", "never asked", AT, kind="not_mine")
    late = AT + dt.timedelta(days=lg.DISPUTE_DAYS + 1)
    assert [x.kind for x in lg.run_deadline_job(ledger, late)] == ["not_mine"]
    assert lg.suppressions(ledger) == []
    change = lg.identity_change(ledger, lg.unlink_change_id(d.dispute_id))
    assert (change.decided_by, change.changed_at) == ("deadline", late)


def test_merges_and_splits_are_listed_by_either_subject_and_refuse_one_subject_twice(
    ledger: lg.Ledger,
) -> None:
    link = lg.IdentityLink("p9", "s1", None, "operator:ops", {"merged_from": "s2"})
    merge = lg.record_identity_change(
        ledger, "merge", "s1", "s2", "ops", [lg.IdentityMove("obligation", "ob-9", "s2", "s1")],
        at=AT, profiles=[link],
    )  # fmt: skip
    later = AT + dt.timedelta(hours=1)
    split = lg.record_identity_change(
        ledger, "split", "s1", "s3", "ops", [lg.IdentityMove("obligation", "ob-9", "s1", "s3")],
        at=later,
    )  # fmt: skip
    assert [c.change_id for c in lg.identity_changes(ledger, subject_id="s1")] == [
        merge.change_id,
        split.change_id,
    ]
    assert [c.action for c in lg.identity_changes(ledger, subject_id="s2")] == ["merge"]
    # the re-linked profile is a later link of that profile, with who decided it
    assert [(x.profile_id, x.subject_id, x.decided_by) for x in lg.identity_links(ledger)] == [
        ("p9", "s1", "operator:ops")
    ]
    with pytest.raises(SchemaError, match="two different subjects"):
        lg.record_identity_change(ledger, "merge", "s1", "s1", "ops", [], at=later)
    with pytest.raises(SchemaError, match="action"):
        lg.record_identity_change(ledger, "swap", "s1", "s2", "ops", [], at=later)
    assert len(lg.identity_changes(ledger)) == 2


def test_a_move_edited_behind_the_ledgers_back_fails_the_audit(ledger: lg.Ledger) -> None:
    lg.record_identity_change(
        ledger, "merge", "s1", "s2", "ops", [lg.IdentityMove("obligation", "ob-9", "s2", "s1")],
        at=AT,
    )  # fmt: skip
    assert lg.audit_verify(ledger).ok
    with ledger.engine.begin() as conn:
        conn.execute(sa.text("UPDATE identity_moves SET to_subject = 's666'"))
    assert not lg.audit_verify(ledger).ok


def test_a_subject_reports_a_split_file_into_the_identity_review_queue(
    ledger: lg.Ledger,
) -> None:
    rid = lg.report_split_file(ledger, "s1", "I was Mia Li", reported_by="cl_1", at=AT)
    (review,) = lg.identity_reviews(ledger, status="open")
    assert review.review_id == rid
    assert review.evidence == {
        "kind": "split_file", "reported_by": "cl_1", "subject_id": "s1", "details": "I was Mia Li"
    }  # fmt: skip
    assert "s1" not in str(lg.audit_entries(ledger)[-1].payload)
