"""Identity changes: who owns which records, changed by a dispute or an operator, as facts.

A change is ``unlink`` (a ``not_mine`` dispute resolved for the subject: the record goes to a
new subject of its own), ``merge`` (an operator finds two files are one subject's: every record
of ``other_subject_id`` moves to ``subject_id``) or ``split`` (an operator finds one file mixes
two subjects: some records of ``subject_id`` move to a new ``other_subject_id``). Each change
lists its record moves and, for merges and splits, the identity profiles it re-links; the
change, its moves, its profile links and its audit entry are written in one transaction. The
ledger is the system of record: the record store learns a change as new versions of the moved
records from ``changed_at`` (:mod:`trustscore.pipeline._identity_changes`), so a score given
before the change replays with the links in force then.

Examples
--------
>>> from trustscore.ledger import Ledger
>>> ledger = Ledger("sqlite://"); ledger.upgrade()
>>> at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
>>> c = record_identity_change(ledger, "merge", "s1", "s2", "ops-1",
...                            [IdentityMove("obligation", "ob-9", "s2", "s1")], at=at)
>>> c.action, [(m.record_id, m.to_subject) for m in c.moves]
('merge', [('ob-9', 's1')])
>>> [x.change_id for x in identity_changes(ledger, subject_id="s2")] == [c.change_id]
True
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from trustscore.exceptions import NotFoundError, SchemaError
from trustscore.ledger._audit import append_entry
from trustscore.ledger._checks import check_choice, check_json, check_text, moment
from trustscore.ledger._commitments import (
    commitments,
    register_committed_table,
    stored_commitments,
)
from trustscore.ledger._identity import IdentityLink, IdentityReviewItem, open_identity_reviews
from trustscore.ledger._salts import personal
from trustscore.ledger._tables import IdentityChangeRow, IdentityLinkRow, IdentityMoveRow

if TYPE_CHECKING:
    from trustscore.ledger._db import Ledger

__all__ = [
    "IDENTITY_CHANGE_ACTIONS",
    "IdentityChange",
    "IdentityMove",
    "add_identity_change",
    "identity_change",
    "identity_changes",
    "record_identity_change",
    "report_split_file",
    "unlink_change_id",
    "unlinked_subject_id",
]

#: What an identity change does (see the module docstring).
IDENTITY_CHANGE_ACTIONS: Final = ("unlink", "merge", "split")

# Changes and moves decide whose file a record is in: an edit behind the ledger's back must
# fail `audit verify`, as for suppressions.
register_committed_table(IdentityChangeRow, subject="subject_id")
register_committed_table(IdentityMoveRow, subject="from_subject")


@dataclass(frozen=True)
class IdentityMove:
    """One record moved from one subject to another."""

    record_kind: str
    record_id: str
    from_subject: str
    to_subject: str


@dataclass(frozen=True)
class IdentityChange:
    """A change of who owns which records, with its moves (see the module docstring)."""

    change_id: str
    action: str
    subject_id: str
    other_subject_id: str
    decided_by: str
    dispute_id: str | None
    evidence: dict[str, Any]
    changed_at: dt.datetime
    moves: tuple[IdentityMove, ...] = field(default_factory=tuple)


def unlink_change_id(dispute_id: str) -> str:
    """The id of the change that unlinks the record of a ``not_mine`` dispute."""
    return f"unlink-{dispute_id}"


def unlinked_subject_id(dispute_id: str) -> str:
    """The new subject a ``not_mine`` dispute's record goes to: its own, known to nobody.

    Examples
    --------
    >>> unlinked_subject_id("dsp_1") == unlinked_subject_id("dsp_1") != unlinked_subject_id("x")
    True
    """
    return "subj-u" + hashlib.sha256(f"unlink:{dispute_id}".encode()).hexdigest()[:15]


def _change_id(action: str, subject_id: str, other: str, at: dt.datetime) -> str:
    text = f"{action}:{subject_id}:{other}:{at.isoformat()}"
    return f"{action}-" + hashlib.sha256(text.encode()).hexdigest()[:20]


def _change(row: IdentityChangeRow, moves: Sequence[IdentityMoveRow]) -> IdentityChange:
    return IdentityChange(
        row.change_id, row.action, row.subject_id, row.other_subject_id, row.decided_by,
        row.dispute_id, dict(row.evidence), row.changed_at,
        tuple(IdentityMove(m.record_kind, m.record_id, m.from_subject, m.to_subject)
              for m in moves),
    )  # fmt: skip


def add_identity_change(
    session: Session,
    action: str,
    subject_id: str,
    other_subject_id: str,
    decided_by: str,
    moves: Sequence[IdentityMove],
    *,
    at: dt.datetime,
    change_id: str | None = None,
    dispute_id: str | None = None,
    evidence: Mapping[str, Any] | None = None,
    profiles: Sequence[IdentityLink] = (),
) -> IdentityChange:
    """Write a change, its moves, its profile links and its audit entry in ``session``."""
    check_choice(action, "action", IDENTITY_CHANGE_ACTIONS)
    for name, value in (("subject_id", subject_id), ("other_subject_id", other_subject_id)):
        check_text(value, name, max_length=128)
    check_text(decided_by, "decided_by", max_length=128)
    if subject_id == other_subject_id:
        msg = f"An identity change needs two different subjects; got {subject_id!r} twice."
        raise SchemaError(msg, field="other_subject_id", value=other_subject_id)
    data = dict(evidence or {})
    check_json(data, "evidence")
    cid = change_id or _change_id(action, subject_id, other_subject_id, at)
    row = IdentityChangeRow(
        change_id=cid, action=action, subject_id=subject_id, other_subject_id=other_subject_id,
        decided_by=decided_by, dispute_id=dispute_id, evidence=data, changed_at=at,
    )  # fmt: skip
    session.add(row)
    move_rows = [
        IdentityMoveRow(change_id=cid, record_kind=m.record_kind, record_id=m.record_id,
                        from_subject=m.from_subject, to_subject=m.to_subject, moved_at=at)
        for m in moves
    ]  # fmt: skip
    session.add_all(move_rows)
    link_rows = [
        IdentityLinkRow(profile_id=x.profile_id, subject_id=x.subject_id, match_weight=None,
                        decided_by=x.decided_by, evidence=dict(x.evidence), linked_at=at)
        for x in profiles
    ]  # fmt: skip
    session.add_all(link_rows)
    session.flush()
    append_entry(
        session, decided_by, f"identity.{action}",
        {"change_id": cid, "dispute_id": dispute_id,
         "subject_id": personal(session, subject_id, subject_id, at),
         "other_subject_id": personal(session, other_subject_id, other_subject_id, at),
         "records": [[m.record_kind, m.record_id] for m in moves],
         "profiles": [x.profile_id for x in profiles]},
        at, state=[*commitments(session, row, *move_rows),
                   *stored_commitments(session.connection(), IdentityLinkRow,
                                       [x.link_id for x in link_rows], at)],
    )  # fmt: skip
    return _change(row, move_rows)


def record_identity_change(
    ledger: Ledger,
    action: str,
    subject_id: str,
    other_subject_id: str,
    decided_by: str,
    moves: Sequence[IdentityMove],
    *,
    at: dt.datetime,
    evidence: Mapping[str, Any] | None = None,
    profiles: Sequence[IdentityLink] = (),
) -> IdentityChange:
    """Record an operator's merge or split (or an unlink) in one transaction; return it."""
    at = moment(at, name="at")
    with ledger.transaction() as session:
        return add_identity_change(
            session, action, subject_id, other_subject_id, decided_by, moves, at=at,
            evidence=evidence, profiles=profiles,
        )  # fmt: skip


def report_split_file(
    ledger: Ledger,
    subject_id: str,
    details: str,
    *,
    reported_by: str,
    other_subject_id: str | None = None,
    at: dt.datetime | None = None,
) -> str:
    """Queue a subject's report that another file is also theirs; return the review's id.

    The report waits in the identity review queue (``evidence.kind == "split_file"``, the
    subject and the details in the evidence); an operator who agrees merges the two files. The
    pair's two "profile" ids name the report, never the subject: the review's audit entry holds
    them, and a subject id there would be personal data in the clear.

    Examples
    --------
    >>> from trustscore.ledger import Ledger, identity_reviews
    >>> ledger = Ledger("sqlite://"); ledger.upgrade()
    >>> rid = report_split_file(ledger, "s1", "my maiden name was Li", reported_by="s1")
    >>> [(r.review_id == rid, r.evidence["kind"]) for r in identity_reviews(ledger)]
    [(True, 'split_file')]
    """
    check_text(subject_id, "subject_id", max_length=128)
    check_text(details, "details", max_length=4000)
    when = moment(at, name="at")
    digest = hashlib.sha256(f"{subject_id}:{details}:{when.isoformat()}".encode()).hexdigest()
    evidence = {"kind": "split_file", "reported_by": reported_by, "subject_id": subject_id,
                "details": details}  # fmt: skip
    item = IdentityReviewItem(
        f"report:{digest[:24]}", f"report:{digest[24:48]}", other_subject_id, 0.0, evidence
    )
    return open_identity_reviews(ledger, [item], at=when)[0]


def _with_moves(session: Session, rows: Sequence[IdentityChangeRow]) -> list[IdentityChange]:
    ids = [r.change_id for r in rows]
    moves: dict[str, list[IdentityMoveRow]] = {}
    if ids:
        query = (
            select(IdentityMoveRow)
            .where(IdentityMoveRow.change_id.in_(ids))
            .order_by(IdentityMoveRow.move_id)
        )
        for m in session.scalars(query):
            moves.setdefault(m.change_id, []).append(m)
    return [_change(r, moves.get(r.change_id, [])) for r in rows]


def identity_changes(ledger: Ledger, *, subject_id: str | None = None) -> list[IdentityChange]:
    """Every identity change, oldest first (optionally those naming ``subject_id``)."""
    query = select(IdentityChangeRow).order_by(
        IdentityChangeRow.changed_at, IdentityChangeRow.change_id
    )
    if subject_id is not None:
        query = query.where(
            or_(
                IdentityChangeRow.subject_id == subject_id,
                IdentityChangeRow.other_subject_id == subject_id,
            )
        )
    with ledger.reading() as session:
        return _with_moves(session, list(session.scalars(query)))


def identity_change(ledger: Ledger, change_id: str) -> IdentityChange:
    """One change by id; :class:`~trustscore.exceptions.NotFoundError` if there is none."""
    with ledger.reading() as session:
        row = session.get(IdentityChangeRow, change_id)
        if row is None:
            msg = f"There is no identity change {change_id!r}."
            raise NotFoundError(msg, change_id=change_id)
        return _with_moves(session, [row])[0]
