"""A subject's request for human review, their point of view, and the auditors' report."""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from trustscore.exceptions import LedgerError, NotFoundError, SchemaError
from trustscore.ledger._audit import append_entry
from trustscore.ledger._checks import check_json, check_text, moment
from trustscore.ledger._review_types import REVIEW_REQUEST_DAYS, ReviewCase, ReviewOpening
from trustscore.ledger._reviews import _case, _insert, case_state, review_cases
from trustscore.ledger._salts import personal
from trustscore.ledger._tables import AccessRow, AuditRow, DecisionRow, ReviewCaseRow, SnapshotRow

if TYPE_CHECKING:
    from trustscore.ledger._db import Ledger

__all__ = ["record_review_view", "request_review", "review_report"]

#: Most documents a subject attaches to one request, and the longest document text.
MAX_DOCUMENTS = 10
MAX_DOCUMENT_CHARS = 20_000


def _check_documents(documents: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    if len(documents) > MAX_DOCUMENTS:
        msg = f"At most {MAX_DOCUMENTS} documents go with one request; got {len(documents)}."
        raise SchemaError(msg, field="documents")
    out = []
    for i, doc in enumerate(documents):
        name = check_text(doc.get("name"), f"documents[{i}].name", max_length=256)
        text = check_text(doc.get("text"), f"documents[{i}].text", max_length=MAX_DOCUMENT_CHARS)
        out.append({"name": name, "text": text})
    return out


def request_review(
    ledger: Ledger,
    subject_id: str,
    decision_id: int,
    statement: str,
    *,
    options: Sequence[Mapping[str, Any]],
    review_days: int,
    documents: Sequence[Mapping[str, Any]] = (),
    now: dt.datetime | None = None,
    actor: str | None = None,
) -> ReviewCase:
    """The subject asks a person to review one of their decisions, with their point of view.

    Within :data:`REVIEW_REQUEST_DAYS` days of the decision. A decision that already has a case
    waiting for a person gets the statement and documents added to it (one case per decision);
    one already reviewed is refused. Otherwise a ``subject_request`` case opens with the
    decision's outcome proposed and ``options`` (the policy's bounds) to choose from.

    Raises :class:`~trustscore.exceptions.NotFoundError` for a decision that is not the
    subject's, :class:`~trustscore.exceptions.LedgerError` past the period or for a decision
    already reviewed.
    """
    check_text(subject_id, "subject_id", max_length=128)
    check_text(statement, "statement", max_length=4000)
    docs = _check_documents(documents)
    check_json([dict(o) for o in options], "options")
    at = moment(now)
    who = actor or subject_id
    with ledger.transaction() as session:
        decision = session.get(DecisionRow, decision_id)
        if decision is None or decision.subject_id != subject_id:
            msg = f"Subject {subject_id!r} has no decision {decision_id}; see their file's list."
            raise NotFoundError(msg, decision_id=decision_id)
        if at - decision.decided_at > dt.timedelta(days=REVIEW_REQUEST_DAYS):
            msg = (
                f"Decision {decision_id} was made on {decision.decided_at.date()}, more than "
                f"{REVIEW_REQUEST_DAYS} days ago: the period to ask for human review has passed. "
                "You can still dispute any record in your file."
            )
            raise LedgerError(msg, decision_id=decision_id)
        row = session.scalars(
            select(ReviewCaseRow).where(
                (ReviewCaseRow.decision_id == decision_id)
                | (ReviewCaseRow.final_decision_id == decision_id)
            )
        ).first()
        if row is not None and row.state == "decided":
            msg = (
                f"Decision {decision_id} was already reviewed by a person (case {row.case_id}: "
                f"{row.final_outcome}). You can dispute any record in your file."
            )
            raise LedgerError(msg, case_id=row.case_id, decision_id=decision_id)
        if row is not None:
            row.statement = statement if not row.statement else f"{row.statement}\n\n{statement}"
            row.documents = [*row.documents, *docs]
            session.flush()
            append_entry(
                session, who, "review.statement",
                {"case_id": row.case_id,
                 "subject_id": personal(session, subject_id, subject_id, at),
                 "decision_id": decision_id,
                 "documents": [d["name"] for d in docs]},
                at, state=case_state(session, row.case_id, at),
            )  # fmt: skip
            return _case(row)
        snap = None
        if decision.snapshot_id is not None:
            snap = session.get(SnapshotRow, decision.snapshot_id)
        opts = [dict(o) for o in options]
        if decision.outcome not in [o.get("outcome") for o in opts]:
            opts.insert(0, {"outcome": decision.outcome, "label": decision.outcome,
                            "adverse": decision.adverse})  # fmt: skip
        opening = ReviewOpening(
            referral_key=f"decision:{decision_id}", kind="subject_request",
            subject_id=subject_id, purpose=decision.purpose, policy=decision.policy,
            proposed_outcome=decision.outcome, options=opts, review_days=review_days,
            score=None if snap is None else snap.score,
            score_status="OK" if snap is None else snap.status,
            reasons=[] if snap is None else [
                r if isinstance(r, dict) else {"code": str(r)} for r in snap.reasons],
            decision_id=decision_id,
            basis={} if snap is None else {"model_version": snap.model_version,
                                           "subscores": dict(snap.subscores)},
            statement=statement, documents=docs,
        )  # fmt: skip
        return _case(_insert(session, opening, at, who))


def record_review_view(
    ledger: Ledger, case: ReviewCase, reviewer: str, now: dt.datetime | None = None
) -> None:
    """A reviewer opened a case: the subject sees who looked, the auditors how long they took.

    Logs the access (purpose ``human_review``, action ``review``) and a ``review.view`` audit
    entry in one transaction; :func:`review_report` measures a decision from the deciding
    reviewer's first view.
    """
    check_text(reviewer, "reviewer", max_length=128)
    at = moment(now)
    with ledger.transaction() as session:
        row = AccessRow(client_id=reviewer, subject_id=case.subject_id, purpose="human_review",
                        action="review", at=at)  # fmt: skip
        session.add(row)
        session.flush()
        subject = personal(session, case.subject_id, case.subject_id, at)
        append_entry(
            session, reviewer, "access.log",
            {"access_id": row.access_id, "subject_id": subject,
             "purpose": "human_review", "action": "review"},
            at,
        )  # fmt: skip
        append_entry(session, reviewer, "review.view",
                     {"case_id": case.case_id, "subject_id": subject}, at)  # fmt: skip


def _first_views(ledger: Ledger) -> dict[tuple[str, str], dt.datetime]:
    """When each reviewer first opened each case, from the audit chain's ``review.view``."""
    first: dict[tuple[str, str], dt.datetime] = {}
    with ledger.reading() as session:
        rows = session.execute(
            select(AuditRow.actor, AuditRow.payload, AuditRow.at)
            .where(AuditRow.action == "review.view")
            .order_by(AuditRow.seq)
        ).all()
    for actor, payload, at in rows:
        key = (str(json.loads(payload)["case_id"]), str(actor))
        first.setdefault(key, at)
    return first


def review_report(ledger: Ledger, groups: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What auditors see of the review queue: no subject identifier, only counts.

    Per reviewer: cases decided, confirmed and overridden, by final outcome, and the median
    seconds from the reviewer's first view of a case (:func:`record_review_view`) to their
    decision; a decision without any view counts 0 seconds and as ``decided_unseen`` (a reviewer
    confirming everything within seconds shows here). By referral kind and state. With
    ``groups`` (subject id to protected group, held apart from the features), the override rate
    per group, and how many overrides made the outcome adverse or lifted an adverse one.

    Examples
    --------
    >>> from trustscore.ledger import Ledger
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> review_report(ledger)["by_kind"]
    {}
    """
    cases = review_cases(ledger)
    views = _first_views(ledger)
    by_kind: dict[str, dict[str, int]] = {}
    for c in cases:
        counts = by_kind.setdefault(c.kind, {"open": 0, "escalated": 0, "decided": 0})
        counts[c.state] += 1
    reviewers: dict[str, dict[str, Any]] = {}
    seconds: dict[str, list[float]] = {}
    decided = [c for c in cases if c.state == "decided" and c.reviewer is not None]
    for c in decided:
        reviewer = str(c.reviewer)
        entry = reviewers.setdefault(
            reviewer, {"reviewer": reviewer, "decided": 0, "confirmed": 0, "overridden": 0,
                       "no_proposal": 0, "decided_unseen": 0, "by_outcome": {}},
        )  # fmt: skip
        entry["decided"] += 1
        key = {True: "overridden", False: "confirmed", None: "no_proposal"}[c.overridden]
        entry[key] += 1
        per = entry["by_outcome"].setdefault(
            str(c.final_outcome), {"confirmed": 0, "overridden": 0, "no_proposal": 0}
        )
        per[key] += 1
        seen = views.get((c.case_id, reviewer))
        if seen is None:
            entry["decided_unseen"] += 1  # decided without opening the case: no time spent
        if c.decided_at is not None:
            spent = 0.0 if seen is None else (c.decided_at - seen).total_seconds()
            seconds.setdefault(reviewer, []).append(max(spent, 0.0))
    for reviewer, entry in reviewers.items():
        times = seconds.get(reviewer, [])
        entry["median_seconds_to_decide"] = statistics.median(times) if times else None
        entry["override_rate"] = entry["overridden"] / entry["decided"]
    by_group: list[dict[str, Any]] | None = None
    if groups is not None:
        tally: dict[str, dict[str, Any]] = {}
        for c in decided:
            group = groups.get(c.subject_id, "unknown")
            t = tally.setdefault(
                group,
                {
                    "group": group,
                    "decided": 0,
                    "overridden": 0,
                    "made_adverse": 0,
                    "lifted_adverse": 0,
                },
            )
            t["decided"] += 1
            if c.overridden:
                t["overridden"] += 1
                was = bool((c.option(c.proposed_outcome) or {}).get("adverse", False))
                if c.final_adverse and not was:
                    t["made_adverse"] += 1
                elif was and not c.final_adverse:
                    t["lifted_adverse"] += 1
        by_group = []
        for group in sorted(tally):
            t = tally[group]
            t["override_rate"] = t["overridden"] / t["decided"]
            by_group.append(t)
    return {
        "n_cases": len(cases),
        "by_kind": dict(sorted(by_kind.items())),
        "reviewers": [reviewers[r] for r in sorted(reviewers)],
        "override_rate_by_group": by_group,
    }
