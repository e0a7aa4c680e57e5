"""A reviewer's decision of a review case: within the case's bounds, never about themselves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from trustscore.exceptions import LedgerError, NotFoundError, SchemaError
from trustscore.ledger._audit import append_entry
from trustscore.ledger._checks import check_choice, check_json, check_text, moment
from trustscore.ledger._review_types import REVIEW_REASONS, ReviewCase
from trustscore.ledger._reviews import _case, case_state
from trustscore.ledger._salts import personal
from trustscore.ledger._tables import ClientRow, DecisionRow, ReviewCaseRow

if TYPE_CHECKING:
    from trustscore.ledger._db import Ledger

__all__ = ["decide_review_case"]


def _check_reviewer(session: Session, row: ReviewCaseRow, reviewer: str) -> None:
    client = session.get(ClientRow, reviewer)
    if client is None or client.revoked_at is not None or client.role != "reviewer":
        msg = (
            f"Client {reviewer!r} is not an active reviewer; only a client with the role "
            "'reviewer' decides review cases."
        )
        raise LedgerError(msg, case_id=row.case_id, reviewer=reviewer)
    if client.subject_id is not None and client.subject_id == row.subject_id:
        msg = (
            f"Review case {row.case_id} is about subject {row.subject_id!r}, who is reviewer "
            f"{reviewer!r} themselves: another reviewer must decide it."
        )
        raise LedgerError(msg, case_id=row.case_id, reviewer=reviewer, conflict="own_subject")
    if row.opened_by == reviewer:
        msg = (
            f"Review case {row.case_id} was opened by {reviewer!r}: a reviewer does not decide "
            "a case they created; another reviewer must decide it."
        )
        raise LedgerError(msg, case_id=row.case_id, reviewer=reviewer, conflict="own_case")


def decide_review_case(
    ledger: Ledger,
    case_id: str,
    reviewer: str,
    outcome: str,
    reason: str,
    *,
    note: str | None = None,
    notice: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> ReviewCase:
    """A reviewer's final decision: within the case's options, with a documented reason.

    ``reason`` is one of :data:`REVIEW_REASONS`: ``confirmed`` keeps the proposed outcome, any
    other reason may keep it or choose another of the case's options (an override). An adverse
    final outcome must carry its notice. The final decision is recorded as a decision (the
    reviewer its client) and the case closed, each with its audit entry, in one transaction.

    Raises :class:`~trustscore.exceptions.LedgerError` for a reviewer who is the case's subject
    or opened it, or who is not an active reviewer, and for a case already decided;
    :class:`~trustscore.exceptions.SchemaError` for an outcome outside the options, an unknown
    reason, or an adverse outcome without a notice. A refused decision writes nothing.
    """
    check_text(reviewer, "reviewer", max_length=128)
    check_choice(reason, "reason", REVIEW_REASONS)
    if note is not None:
        check_text(note, "note", max_length=4000)
    check_json(None if notice is None else dict(notice), "notice")
    at = moment(now)
    with ledger.transaction() as session:
        row = session.get(ReviewCaseRow, case_id)
        if row is None:
            msg = f"There is no review case {case_id!r}. List the review queue to find its id."
            raise NotFoundError(msg, case_id=case_id)
        _check_reviewer(session, row, reviewer)
        case = _case(row)
        option = case.option(outcome)
        if option is None:
            allowed = [o["outcome"] for o in case.options]
            msg = (
                f"Review case {case_id}: the outcome {outcome!r} is outside the policy's bounds "
                f"for this case; choose one of {allowed}."
            )
            raise SchemaError(msg, field="outcome", value=outcome, allowed=allowed)
        if reason == "confirmed" and outcome != case.proposed_outcome:
            msg = (
                f"Review case {case_id}: the reason 'confirmed' keeps the proposed outcome "
                f"{case.proposed_outcome!r}; an override to {outcome!r} needs another reason."
            )
            raise SchemaError(msg, field="reason", value=reason)
        adverse = bool(option.get("adverse", False))
        if adverse and not notice:
            msg = (
                f"Review case {case_id}: the adverse outcome {outcome!r} must carry its "
                "adverse-action notice (reasons and how to dispute); got none."
            )
            raise SchemaError(msg, field="notice", case_id=case_id)
        if row.state == "decided":
            msg = (
                f"Review case {case_id} was already decided ({row.final_outcome} by "
                f"{row.reviewer}); a review's decision is final. The subject may dispute records "
                "or ask again about a new decision."
            )
            raise LedgerError(msg, case_id=case_id, state=row.state)
        snapshot_id = None
        if row.decision_id is not None:
            first = session.get(DecisionRow, row.decision_id)
            snapshot_id = None if first is None else first.snapshot_id
        final = DecisionRow(
            subject_id=row.subject_id, purpose=row.purpose, policy=row.policy, outcome=outcome,
            adverse=adverse, notice=None if notice is None else dict(notice),
            snapshot_id=snapshot_id, client_id=reviewer, decided_at=at,
        )  # fmt: skip
        session.add(final)
        session.flush()
        done = session.execute(
            update(ReviewCaseRow)
            .where(ReviewCaseRow.case_id == case_id, ReviewCaseRow.state != "decided")
            .values(
                state="decided", final_outcome=outcome, final_adverse=adverse,
                final_notice=None if notice is None else dict(notice),
                final_decision_id=final.decision_id, reason=reason, note=note,
                reviewer=reviewer, decided_at=at,
            )
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        if getattr(done, "rowcount", 0) != 1:  # pragma: no cover - decided by a racing reviewer
            msg = f"Review case {case_id} was decided meanwhile by another reviewer."
            raise LedgerError(msg, case_id=case_id)
        subject = personal(session, row.subject_id, row.subject_id, at)
        append_entry(
            session, reviewer, "decision.record",
            {"decision_id": final.decision_id, "subject_id": subject,
             "purpose": row.purpose, "policy": row.policy, "outcome": outcome,
             "adverse": adverse, "snapshot_id": snapshot_id, "client_id": reviewer},
            at,
        )  # fmt: skip
        append_entry(
            session, reviewer, "review.decide",
            {"case_id": case_id, "subject_id": subject, "proposed": row.proposed_outcome,
             "outcome": outcome, "overridden": outcome != row.proposed_outcome,
             "adverse": adverse, "reason": reason,
             "note": personal(session, row.subject_id, note, at),
             "decision_id": final.decision_id},
            at, state=case_state(session, case_id, at),
        )  # fmt: skip
        fresh = session.get(ReviewCaseRow, case_id, populate_existing=True)
        if fresh is None:  # pragma: no cover - the row was just updated in this transaction
            raise NotFoundError(f"Review case {case_id} vanished.", case_id=case_id)
        return _case(fresh)
