"""The human-review queue: cases, the reviewer's decision, escalation past the deadline.

A decision marked for review (near a cut-off, unscorable, flagged inputs) or one the subject asks
a person to look at (GDPR Art. 22(3)) becomes one case, opened once per decision: its
``referral_key`` (or the decision it is about) is unique, so opening it again returns the case
that exists. A reviewer decides within the options the policy gave the case; the final decision
is recorded as a decision of its own, and every step appends its audit entry in the same
transaction, with the commitment of the case as it left it (``review_cases`` is a committed
table: a case edited behind the ledger fails ``audit verify``). Modelled on
:mod:`trustscore.ledger._disputes` (a deadline, a job for overdue ones).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trustscore.exceptions import NotFoundError, SchemaError
from trustscore.ledger._audit import append_entries, append_entry
from trustscore.ledger._checks import check_choice, check_json, check_text, moment
from trustscore.ledger._commitments import register_committed_table, stored_commitments
from trustscore.ledger._review_types import (
    REFERRAL_KINDS,
    REVIEW_STATES,
    ReviewCase,
    ReviewOpening,
)
from trustscore.ledger._salts import personal
from trustscore.ledger._tables import ReviewCaseRow

if TYPE_CHECKING:
    from trustscore.ledger._db import Ledger

__all__ = [
    "add_business_days",
    "get_review_case",
    "open_review_cases",
    "pending_review_case",
    "review_cases",
    "run_review_deadlines",
]

logger = logging.getLogger(__name__)

# A case holds a decision back until a person decides it: each is committed in the log.
register_committed_table(ReviewCaseRow, subject="subject_id")

#: The actor named on cases the deadline job escalated.
ESCALATION_ACTOR = "review-deadline"
#: Keys looked up per query (SQLite allows up to 32 766 parameters; PostgreSQL more).
_CHUNK = 500


def add_business_days(at: dt.datetime, days: int) -> dt.datetime:
    """``at`` plus ``days`` working days (Monday to Friday), at the same time of day.

    Examples
    --------
    >>> friday = dt.datetime(2026, 3, 6, 9, 0, tzinfo=dt.UTC)
    >>> add_business_days(friday, 5).date().isoformat()
    '2026-03-13'
    >>> add_business_days(friday, 1).strftime("%A")
    'Monday'
    """
    out = at
    left = days
    while left > 0:
        out += dt.timedelta(days=1)
        if out.weekday() < 5:
            left -= 1
    return out


def _case(row: ReviewCaseRow) -> ReviewCase:
    return ReviewCase(
        row.case_id, row.referral_key, row.kind, tuple(row.kinds), row.subject_id, row.purpose,
        row.policy, row.decision_id, row.score, row.score_status,
        tuple(dict(r) for r in row.reasons), tuple(row.quality), row.proposed_outcome,
        tuple(dict(o) for o in row.options), dict(row.basis), row.state, row.opened_at,
        row.opened_by, row.deadline, row.statement, tuple(dict(d) for d in row.documents),
        row.escalated_at, row.final_outcome, row.final_adverse,
        None if row.final_notice is None else dict(row.final_notice), row.final_decision_id,
        row.reason, row.note, row.reviewer, row.decided_at,
    )  # fmt: skip


def _check_opening(op: ReviewOpening) -> None:
    check_text(op.referral_key, "referral_key", max_length=512)
    check_choice(op.kind, "kind", REFERRAL_KINDS)
    for kind in op.kinds:
        check_choice(kind, "kinds", REFERRAL_KINDS)
    check_text(op.subject_id, "subject_id", max_length=128)
    check_text(op.purpose, "purpose", max_length=64)
    check_text(op.policy, "policy", max_length=128)
    check_text(op.proposed_outcome, "proposed_outcome", max_length=128)
    outcomes = [o.get("outcome") for o in op.options]
    if op.proposed_outcome not in outcomes and op.proposed_outcome != "refer":
        msg = (
            f"Review case {op.referral_key!r}: the proposed outcome {op.proposed_outcome!r} is "
            f"not among its options {outcomes}; pass the policy's bounded options."
        )
        raise SchemaError(msg, field="options", value=op.proposed_outcome)
    if not outcomes or any(not isinstance(o, str) or not o for o in outcomes):
        msg = f"Review case {op.referral_key!r}: options must name at least one outcome each."
        raise SchemaError(msg, field="options")
    if isinstance(op.review_days, bool) or not isinstance(op.review_days, int):
        msg = f"review_days must be an int >= 1; got {op.review_days!r}."
        raise SchemaError(msg, field="review_days", value=repr(op.review_days))
    if op.review_days < 1:
        msg = f"review_days must be an int >= 1; got {op.review_days!r}."
        raise SchemaError(msg, field="review_days", value=op.review_days)
    for name, value in (("options", [dict(o) for o in op.options]),
                        ("reasons", [dict(r) for r in op.reasons]), ("basis", dict(op.basis)),
                        ("quality", list(op.quality)),
                        ("documents", [dict(d) for d in op.documents])):  # fmt: skip
        check_json(value, name)
    if any(not isinstance(q, str) for q in op.quality):
        msg = f"Review case {op.referral_key!r}: quality flags must be strings; got {op.quality}."
        raise SchemaError(msg, field="quality")


def _existing(session: Session, ops: Sequence[ReviewOpening]) -> dict[str, ReviewCaseRow]:
    """The cases that already exist for ``ops``, by referral key (found by key or decision)."""
    found: dict[str, ReviewCaseRow] = {}
    keys = list(dict.fromkeys(op.referral_key for op in ops))
    ids = list(dict.fromkeys(op.decision_id for op in ops if op.decision_id is not None))
    by_decision: dict[int, ReviewCaseRow] = {}
    for i in range(0, len(keys), _CHUNK):
        stmt = select(ReviewCaseRow).where(ReviewCaseRow.referral_key.in_(keys[i : i + _CHUNK]))
        found.update((row.referral_key, row) for row in session.scalars(stmt))
    for i in range(0, len(ids), _CHUNK):
        stmt = select(ReviewCaseRow).where(ReviewCaseRow.decision_id.in_(ids[i : i + _CHUNK]))
        by_decision.update((int(row.decision_id or 0), row) for row in session.scalars(stmt))
    for op in ops:
        if op.referral_key not in found and op.decision_id in by_decision:
            found[op.referral_key] = by_decision[op.decision_id]
    return found


def _row(op: ReviewOpening, at: dt.datetime, actor: str) -> ReviewCaseRow:
    return ReviewCaseRow(
        case_id=f"rev_{uuid.uuid4().hex}", referral_key=op.referral_key, kind=op.kind,
        kinds=list(dict.fromkeys([op.kind, *op.kinds])), subject_id=op.subject_id,
        purpose=op.purpose, policy=op.policy, decision_id=op.decision_id, score=op.score,
        score_status=op.score_status, reasons=[dict(r) for r in op.reasons],
        quality=list(op.quality), proposed_outcome=op.proposed_outcome,
        options=[dict(o) for o in op.options], basis=dict(op.basis), state="open",
        opened_at=at, opened_by=actor, deadline=add_business_days(at, op.review_days),
        statement=op.statement, documents=[dict(d) for d in op.documents],
    )  # fmt: skip


def _opened(session: Session, row: ReviewCaseRow, at: dt.datetime) -> dict[str, Any]:
    """The ``review.open`` audit entry's payload: the subject, and the referral key (which
    may name them), by salted commitments."""
    return {
        "case_id": row.case_id,
        "referral_key": personal(session, row.subject_id, row.referral_key, at), "kind": row.kind,
        "kinds": row.kinds, "subject_id": personal(session, row.subject_id, row.subject_id, at),
        "purpose": row.purpose,
        "policy": row.policy, "decision_id": row.decision_id, "score": row.score,
        "proposed_outcome": row.proposed_outcome, "quality": row.quality,
        "deadline": row.deadline.isoformat(),
    }  # fmt: skip


def _insert(session: Session, op: ReviewOpening, at: dt.datetime, actor: str) -> ReviewCaseRow:
    row = _row(op, at, actor)
    session.add(row)
    session.flush()
    append_entry(
        session, actor, "review.open", _opened(session, row, at), at,
        state=case_state(session, row.case_id, at),
    )  # fmt: skip
    return row


def case_state(session: Session, case_id: str, at: dt.datetime) -> list[list[str]]:
    """The commitment of the case as stored now, for the entry of a write of it."""
    return stored_commitments(session.connection(), ReviewCaseRow, [case_id], at)


def open_review_cases(
    ledger: Ledger,
    openings: Sequence[ReviewOpening],
    now: dt.datetime | None = None,
    *,
    actor: str = "system",
) -> list[ReviewCase]:
    """Open a case for each referral, in one transaction; an existing case is returned as is.

    A case exists already when one has the same ``referral_key`` or is about the same
    ``decision_id``: re-running a batch, or a lender asking again, opens nothing new. The
    deadline is ``review_days`` working days after opening (:func:`add_business_days`).

    Examples
    --------
    >>> from trustscore.ledger import Ledger, ReviewOpening
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> op = ReviewOpening("demo|s1|credit_pricing", "near_cutoff", "s1", "credit_pricing",
    ...     "tiers", "C", [{"outcome": "B"}, {"outcome": "C"}], review_days=5, score=641)
    >>> [first] = open_review_cases(ledger, [op])
    >>> [again] = open_review_cases(ledger, [op])
    >>> (first.case_id == again.case_id, first.state, len(review_cases(ledger)))
    (True, 'open', 1)
    """
    for op in openings:
        _check_opening(op)
    check_text(actor, "actor", max_length=128)
    at = moment(now)
    try:
        return _open(ledger, openings, at, actor)
    except IntegrityError:
        # two requests for the same decision raced to open its case: the unique referral key
        # let one through; this one now finds that case (and writes nothing of its own)
        return _open(ledger, openings, at, actor)


def _open(
    ledger: Ledger, openings: Sequence[ReviewOpening], at: dt.datetime, actor: str
) -> list[ReviewCase]:
    with ledger.transaction() as session:
        rows = _existing(session, openings)
        fresh: list[ReviewCaseRow] = []
        for op in openings:
            if op.referral_key not in rows:
                row = _row(op, at, actor)
                rows[op.referral_key] = row
                fresh.append(row)
        session.add_all(fresh)
        session.flush()
        # one lock of the chain head for the whole batch (a demo opens thousands of cases)
        states = stored_commitments(
            session.connection(), ReviewCaseRow, [r.case_id for r in fresh], at
        )
        append_entries(
            session,
            [(actor, "review.open", _opened(session, r, at), at, [state])
             for r, state in zip(fresh, states, strict=True)],
        )  # fmt: skip
        return [_case(rows[op.referral_key]) for op in openings]


def get_review_case(ledger: Ledger, case_id: str) -> ReviewCase:
    """The case with this id; :class:`~trustscore.exceptions.NotFoundError` if none."""
    with ledger.reading() as session:
        row = session.get(ReviewCaseRow, case_id)
        if row is None:
            msg = f"There is no review case {case_id!r}. List the review queue to find its id."
            raise NotFoundError(msg, case_id=case_id)
        return _case(row)


def review_cases(
    ledger: Ledger,
    state: str | None = None,
    *,
    subject_id: str | None = None,
    decision_id: int | None = None,
) -> list[ReviewCase]:
    """Cases, the earliest deadline first; ``state="pending"`` gives open and escalated ones."""
    stmt = select(ReviewCaseRow).order_by(ReviewCaseRow.deadline, ReviewCaseRow.case_id)
    if state == "pending":
        stmt = stmt.where(ReviewCaseRow.state != "decided")
    elif state is not None:
        check_choice(state, "state", (*REVIEW_STATES, "pending"))
        stmt = stmt.where(ReviewCaseRow.state == state)
    if subject_id is not None:
        stmt = stmt.where(ReviewCaseRow.subject_id == subject_id)
    if decision_id is not None:
        stmt = stmt.where(ReviewCaseRow.decision_id == decision_id)
    with ledger.reading() as session:
        return [_case(row) for row in session.scalars(stmt)]


def pending_review_case(
    ledger: Ledger, subject_id: str, purpose: str, referral_key: str | None = None
) -> ReviewCase | None:
    """The case that governs a new decision for ``subject_id`` and ``purpose``, if any.

    The case with ``referral_key`` (the same decision asked again: pending or decided), else any
    case of this subject and purpose still waiting for a person. None when no case applies.
    """
    waiting = (
        (ReviewCaseRow.subject_id == subject_id)
        & (ReviewCaseRow.purpose == purpose)
        & (ReviewCaseRow.state != "decided")
    )
    where = (
        waiting if referral_key is None else (ReviewCaseRow.referral_key == referral_key) | waiting
    )
    # one query on the lender's hot path: the case of this very decision first, if any
    with ledger.reading() as session:
        rows = list(session.scalars(select(ReviewCaseRow).where(where).order_by(
            ReviewCaseRow.opened_at, ReviewCaseRow.case_id)))  # fmt: skip
        same = [r for r in rows if referral_key is not None and r.referral_key == referral_key]
        pick = same[0] if same else next((r for r in rows if r.state != "decided"), None)
        return None if pick is None else _case(pick)


def run_review_deadlines(ledger: Ledger, now: dt.datetime | None = None) -> list[ReviewCase]:
    """Escalate every open case past its deadline; the decision stays pending, never adverse.

    An escalated case stays in the queue (first, as its deadline is earliest) until a reviewer
    decides it; running the job again escalates nothing twice.

    Examples
    --------
    >>> import datetime as dt
    >>> from trustscore.ledger import Ledger, ReviewOpening
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> t0 = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)  # a Monday
    >>> _ = open_review_cases(ledger, [ReviewOpening("k1", "unscorable", "s1", "credit_limit",
    ...     "limits", "refer", [{"outcome": "limit_1000"}], review_days=5)], t0)
    >>> run_review_deadlines(ledger, t0 + dt.timedelta(days=6))
    []
    >>> [c.state for c in run_review_deadlines(ledger, t0 + dt.timedelta(days=7, hours=1))]
    ['escalated']
    """
    at = moment(now)
    done: list[ReviewCase] = []
    with ledger.reading() as session:
        due = list(
            session.scalars(
                select(ReviewCaseRow.case_id)
                .where(ReviewCaseRow.state == "open", ReviewCaseRow.deadline < at)
                .order_by(ReviewCaseRow.deadline, ReviewCaseRow.case_id)
            )
        )
    for case_id in due:
        with ledger.transaction() as session:
            result = session.execute(
                update(ReviewCaseRow)
                .where(ReviewCaseRow.case_id == case_id, ReviewCaseRow.state == "open")
                .values(state="escalated", escalated_at=at)
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) != 1:
                continue  # decided meanwhile
            row = session.get(ReviewCaseRow, case_id, populate_existing=True)
            if row is None:  # pragma: no cover - the row was just updated
                continue
            append_entry(
                session, ESCALATION_ACTOR, "review.escalate",
                {"case_id": case_id,
                 "subject_id": personal(session, row.subject_id, row.subject_id, at),
                 "deadline": row.deadline.isoformat()},
                at, state=case_state(session, case_id, at),
            )  # fmt: skip
            done.append(_case(row))
        logger.info("Review case %s passed its deadline: escalated", case_id)
    return done
