"""Identity links and the clerical review queue of uncertain pairs.

A *link* says that an identity profile (one spelling of a subject's identity fields, as a
furnisher sent it) belongs to a subject, with the evidence: the fields compared, the match weight,
and who or what decided (``deterministic:national_id``, ``splink``, ``new_subject``,
``operator:<name>``). Links are facts: a later link of the same profile supersedes an earlier one
and both stay. Each link and each review decision appends its audit entry in the same transaction,
with the commitment of its row: links and reviews decide whose records a subject's file holds, so
a row edited behind the ledger fails ``audit verify``.

Examples
--------
>>> import datetime as dt
>>> from trustscore.ledger import Ledger
>>> ledger = Ledger("sqlite://"); ledger.upgrade()
>>> at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
>>> record_links(ledger, [IdentityLink("p1", "s1", 14.2, "splink", {"fields": ["birth_date"]})],
...              at=at)
1
>>> [x.subject_id for x in identity_links(ledger)]
['s1']
>>> r = open_identity_reviews(ledger, [IdentityReviewItem("p2", "p1", "s1", 3.0, {})], at=at)[0]
>>> decide_identity_review(ledger, r, "match", "ops", at=at).status
'match'
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select

from trustscore.exceptions import NotFoundError, SchemaError
from trustscore.ledger._audit import append_entries, append_entry
from trustscore.ledger._checks import check_choice, moment
from trustscore.ledger._commitments import register_committed_table, stored_commitments
from trustscore.ledger._rows import RowWriter
from trustscore.ledger._salts import subject_refs
from trustscore.ledger._tables import IdentityLinkRow, IdentityReviewRow

if TYPE_CHECKING:
    from trustscore.ledger._db import Ledger

__all__ = [
    "IDENTITY_REVIEW_OUTCOMES",
    "IdentityLink",
    "IdentityReview",
    "IdentityReviewItem",
    "decide_identity_review",
    "identity_links",
    "identity_reviews",
    "open_identity_reviews",
    "record_links",
]

register_committed_table(IdentityLinkRow, subject="subject_id")
register_committed_table(IdentityReviewRow, subject="candidate_subject_id")

#: What an operator may decide about a pair: the same subject, or two different ones.
IDENTITY_REVIEW_OUTCOMES: Final = ("match", "distinct")


@dataclass(frozen=True)
class IdentityLink:
    """A profile assigned to a subject, and why."""

    profile_id: str
    subject_id: str
    match_weight: float | None
    decided_by: str
    evidence: dict[str, Any]
    linked_at: dt.datetime | None = None


@dataclass(frozen=True)
class IdentityReviewItem:
    """A pair to put before an operator."""

    profile_id: str
    candidate_profile_id: str
    candidate_subject_id: str | None
    match_weight: float
    evidence: dict[str, Any]


@dataclass(frozen=True)
class IdentityReview:
    """A pair in the review queue and its state (``open``, ``match`` or ``distinct``)."""

    review_id: str
    profile_id: str
    candidate_profile_id: str
    candidate_subject_id: str | None
    match_weight: float
    evidence: dict[str, Any]
    status: str
    opened_at: dt.datetime
    decided_at: dt.datetime | None
    decider: str | None


def _review(row: IdentityReviewRow) -> IdentityReview:
    return IdentityReview(
        row.review_id, row.profile_id, row.candidate_profile_id, row.candidate_subject_id,
        row.match_weight, dict(row.evidence), row.status, row.opened_at, row.decided_at,
        row.decider,
    )  # fmt: skip


def record_links(ledger: Ledger, links: Sequence[IdentityLink], *, at: dt.datetime) -> int:
    """Store links and their audit entries in one transaction; return how many."""
    at = moment(at, name="at")
    if not links:
        return 0
    rows = [
        {"profile_id": x.profile_id, "subject_id": x.subject_id, "match_weight": x.match_weight,
         "decided_by": x.decided_by, "evidence": x.evidence, "linked_at": at}
        for x in links
    ]  # fmt: skip
    with ledger.writing() as conn:
        ids = RowWriter(conn).insert_returning_ids(IdentityLinkRow, "link_id", rows)
        states = stored_commitments(conn, IdentityLinkRow, ids, at)
        refs = subject_refs(RowWriter(conn), [x.subject_id for x in links], at)
        append_entries(
            conn,
            [
                ("linkage", "identity.link",
                 {**{k: v for k, v in r.items() if k != "linked_at"},
                  "subject_id": refs[x.subject_id]}, at, [state])
                for r, x, state in zip(rows, links, states, strict=True)
            ],
        )  # fmt: skip
    return len(rows)


def identity_links(ledger: Ledger, *, subject_id: str | None = None) -> list[IdentityLink]:
    """Every link, oldest first (optionally of one subject)."""
    query = select(IdentityLinkRow).order_by(IdentityLinkRow.link_id)
    if subject_id is not None:
        query = query.where(IdentityLinkRow.subject_id == subject_id)
    with ledger.reading() as session:
        return [
            IdentityLink(r.profile_id, r.subject_id, r.match_weight, r.decided_by,
                         dict(r.evidence), r.linked_at)
            for r in session.scalars(query)
        ]  # fmt: skip


def _review_id(item: IdentityReviewItem) -> str:
    pair = "|".join(sorted((item.profile_id, item.candidate_profile_id)))
    return "rev-" + hashlib.sha256(pair.encode()).hexdigest()[:20]


def open_identity_reviews(
    ledger: Ledger, items: Sequence[IdentityReviewItem], *, at: dt.datetime
) -> list[str]:
    """Queue pairs for clerical review; a pair already queued (either order) is not queued twice.

    Returns the review ids of all ``items``, new or already queued.
    """
    at = moment(at, name="at")
    ids = [_review_id(i) for i in items]
    if not items:
        return ids
    # one bulk insert, as record_links: a linkage run opens thousands of reviews
    with ledger.writing() as conn:
        writer = RowWriter(conn)
        known = set(writer.lookup(IdentityReviewRow, "review_id", "review_id", ids))
        opened: list[dict[str, Any]] = []
        for review_id, item in zip(ids, items, strict=True):
            if review_id in known:
                continue
            known.add(review_id)
            opened.append(
                {"review_id": review_id, "profile_id": item.profile_id,
                 "candidate_profile_id": item.candidate_profile_id,
                 "candidate_subject_id": item.candidate_subject_id,
                 "match_weight": item.match_weight, "evidence": item.evidence, "status": "open",
                 "opened_at": at, "decided_at": None, "decider": None}
            )  # fmt: skip
        writer.insert_many(IdentityReviewRow, opened)
        states = stored_commitments(conn, IdentityReviewRow,
                                    [row["review_id"] for row in opened], at)  # fmt: skip
        entries: list[tuple[str, str, Any, dt.datetime, list[list[str]]]] = [
            ("linkage", "identity.review_open",
             {"review_id": row["review_id"], "profile_id": row["profile_id"],
              "candidate_profile_id": row["candidate_profile_id"],
              "match_weight": row["match_weight"]},
             at, [state])
            for row, state in zip(opened, states, strict=True)
        ]  # fmt: skip
        append_entries(conn, entries)
    return ids


def identity_reviews(ledger: Ledger, *, status: str | None = None) -> list[IdentityReview]:
    """The review queue, oldest first; ``status`` filters (``open``, ``match``, ``distinct``)."""
    query = select(IdentityReviewRow).order_by(
        IdentityReviewRow.opened_at, IdentityReviewRow.review_id
    )
    if status is not None:
        query = query.where(IdentityReviewRow.status == status)
    with ledger.reading() as session:
        return [_review(r) for r in session.scalars(query)]


def decide_identity_review(
    ledger: Ledger,
    review_id: str,
    outcome: str,
    decider: str,
    *,
    at: dt.datetime,
    note: str | None = None,
) -> IdentityReview:
    """An operator's decision on a queued pair; the next linkage run applies it.

    ``note``, the operator's why, is kept in the decision's audit entry.
    """
    check_choice(outcome, "outcome", IDENTITY_REVIEW_OUTCOMES)
    if not decider.strip():
        msg = "decider must name the operator who decided; got an empty string."
        raise SchemaError(msg, field="decider")
    at = moment(at, name="at")
    with ledger.transaction() as session:
        row = session.get(IdentityReviewRow, review_id, with_for_update=True)
        if row is None:
            msg = (
                f"No identity review {review_id!r}; list the open ones with GET /identity/reviews."
            )
            raise NotFoundError(msg, review_id=review_id)
        if row.status != "open":
            msg = f"Identity review {review_id!r} was decided already ({row.status})."
            raise SchemaError(msg, field="review_id", value=review_id)
        row.status, row.decided_at, row.decider = outcome, at, decider
        payload = {"review_id": review_id, "outcome": outcome}
        if note:
            payload["note"] = note
        session.flush()
        append_entry(
            session, decider, "identity.review_decide", payload, at,
            state=stored_commitments(session.connection(), IdentityReviewRow, [review_id], at),
        )  # fmt: skip
        return _review(row)
