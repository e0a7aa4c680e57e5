"""Disputes, their 30-day deadline, and the suppressions and corrections they lead to."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from trustscore.exceptions import LedgerError, NotFoundError, SchemaError
from trustscore.ledger._audit import append_entry
from trustscore.ledger._checks import check_choice, check_json, check_text, moment
from trustscore.ledger._commitments import commitments, register_committed_table
from trustscore.ledger._identity_changes import (
    IdentityMove,
    add_identity_change,
    unlink_change_id,
    unlinked_subject_id,
)
from trustscore.ledger._salts import personal
from trustscore.ledger._tables import DisputeKindRow, DisputeRow, SnapshotRow, SuppressionRow
from trustscore.ledger._types import (
    DISPUTE_DAYS,
    DISPUTE_KINDS,
    DISPUTE_OUTCOMES,
    DISPUTE_STATUSES,
    Dispute,
    Suppression,
)

if TYPE_CHECKING:
    from trustscore.ledger._db import Ledger

__all__ = [
    "disputes",
    "due_disputes",
    "get_dispute",
    "open_dispute",
    "record_suppression",
    "resolve_dispute",
    "run_deadline_job",
    "suppressions",
    "unrescored_subjects",
]

logger = logging.getLogger(__name__)

# Disputes, suppressions and corrections decide what is scored: each row is committed in the
# audit entry that wrote it, so an edit behind the ledger's back fails `audit verify`.
register_committed_table(DisputeRow, subject="subject_id")
register_committed_table(SuppressionRow, subject="subject_id")
register_committed_table(DisputeKindRow)

#: The resolver named on disputes that the deadline job closed.
DEADLINE_RESOLVER = "deadline"


def _dispute(session: Session, row: DisputeRow, kind: str | None = None) -> Dispute:
    if kind is None:
        found = session.get(DisputeKindRow, row.dispute_id)
        kind = "inaccurate" if found is None else found.kind
    return Dispute(
        row.dispute_id, row.subject_id, row.record_kind, row.record_id, row.grounds, row.status,
        row.opened_at, row.deadline, row.resolved_at, row.resolver, row.note, kind,
    )  # fmt: skip


def _disputes(session: Session, rows: list[DisputeRow]) -> list[Dispute]:
    """Many disputes with their kinds, read in one query (most have none: ``inaccurate``)."""
    kinds: dict[str, str] = {}
    ids = [r.dispute_id for r in rows]
    for start in range(0, len(ids), 500):  # keep the IN list within every backend's limits
        chunk = ids[start : start + 500]
        query = select(DisputeKindRow).where(DisputeKindRow.dispute_id.in_(chunk))
        kinds.update((k.dispute_id, k.kind) for k in session.scalars(query))
    return [_dispute(session, r, kinds.get(r.dispute_id, "inaccurate")) for r in rows]


def _unlink(session: Session, row: DisputeRow, resolver: str, at: dt.datetime) -> None:
    """A ``not_mine`` dispute resolved for the subject: the record moves to a new subject."""
    new = unlinked_subject_id(row.dispute_id)
    move = IdentityMove(row.record_kind, row.record_id, row.subject_id, new)
    add_identity_change(
        session, "unlink", row.subject_id, new, resolver, [move], at=at,
        change_id=unlink_change_id(row.dispute_id), dispute_id=row.dispute_id,
        evidence={"dispute": row.dispute_id, "outcome": row.status},
    )  # fmt: skip


def _suppression(row: SuppressionRow) -> Suppression:
    return Suppression(
        row.suppression_id, row.record_kind, row.record_id, row.subject_id, row.reason,
        row.dispute_id, row.suppressed_at, None if row.correction is None else dict(row.correction),
    )  # fmt: skip


def open_dispute(
    ledger: Ledger,
    subject_id: str,
    record_kind: str,
    record_id: str,
    grounds: str,
    now: dt.datetime | None = None,
    *,
    actor: str | None = None,
    kind: str = "inaccurate",
) -> Dispute:
    """Open a dispute of one record; it must be resolved within :data:`DISPUTE_DAYS` days.

    ``kind`` is ``inaccurate`` (the record is wrong) or ``not_mine`` (it is someone else's:
    resolved for the subject, or at the deadline, the record is unlinked from them and goes to
    a new subject of its own, instead of being suppressed).

    Examples
    --------
    >>> import datetime as dt
    >>> from trustscore.ledger import Ledger
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> d = open_dispute(ledger, "s1", "obligation", "ob-7", "I paid this bill on time",
    ...                  dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    >>> (d.status, d.deadline.date().isoformat())
    ('open', '2026-03-31')
    """
    check_text(subject_id, "subject_id", max_length=128)
    check_text(record_kind, "record_kind", max_length=64)
    check_text(record_id, "record_id", max_length=256)
    check_text(grounds, "grounds", max_length=4000)
    check_choice(kind, "kind", DISPUTE_KINDS)
    at = moment(now)
    with ledger.transaction() as session:
        row = DisputeRow(
            dispute_id=f"dsp_{uuid.uuid4().hex}", subject_id=subject_id, record_kind=record_kind,
            record_id=record_id, grounds=grounds, status="open", opened_at=at,
            deadline=at + dt.timedelta(days=DISPUTE_DAYS),
        )  # fmt: skip
        session.add(row)
        kinds = (
            [] if kind == "inaccurate" else [DisputeKindRow(dispute_id=row.dispute_id, kind=kind)]
        )
        session.add_all(kinds)
        session.flush()
        append_entry(
            session, actor or subject_id, "dispute.open",
            {"dispute_id": row.dispute_id,
             "subject_id": personal(session, subject_id, subject_id, at),
             "record_kind": record_kind, "record_id": record_id,
             "deadline": row.deadline.isoformat(), **({"kind": kind} if kinds else {})},
            at, state=commitments(session, row, *kinds),
        )  # fmt: skip
        return _dispute(session, row)


def get_dispute(ledger: Ledger, dispute_id: str) -> Dispute:
    """The dispute with this id; :class:`~trustscore.exceptions.NotFoundError` if none."""
    with ledger.reading() as session:
        row = session.get(DisputeRow, dispute_id)
        if row is None:
            msg = f"There is no dispute {dispute_id!r}. List disputes to find its id."
            raise NotFoundError(msg, dispute_id=dispute_id)
        return _dispute(session, row)


def _add_suppression(
    session: Session,
    *,
    record_kind: str,
    record_id: str,
    subject_id: str | None,
    reason: str,
    dispute_id: str | None,
    correction: Mapping[str, Any] | None,
    at: dt.datetime,
    actor: str,
) -> Suppression:
    row = SuppressionRow(
        record_kind=record_kind, record_id=record_id, subject_id=subject_id, reason=reason,
        dispute_id=dispute_id, suppressed_at=at,
        correction=None if correction is None else dict(correction),
    )  # fmt: skip
    session.add(row)
    session.flush()
    append_entry(
        session, actor, "suppression.record",
        {"suppression_id": row.suppression_id, "record_kind": record_kind,
         "record_id": record_id, "subject_id": personal(session, subject_id, subject_id, at),
         "reason": personal(session, subject_id, reason, at), "dispute_id": dispute_id,
         "correction": personal(session, subject_id, row.correction, at)},
        at, state=commitments(session, row),
    )  # fmt: skip
    return _suppression(row)


def _close(
    session: Session, dispute_id: str, outcome: str, resolver: str, note: str | None,
    at: dt.datetime,
) -> DisputeRow | None:  # fmt: skip
    """Close an open dispute; None if it is not open any more (someone else closed it)."""
    result = session.execute(
        update(DisputeRow)
        .where(DisputeRow.dispute_id == dispute_id, DisputeRow.status == "open")
        .values(status=outcome, resolved_at=at, resolver=resolver, note=note)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return None
    row = session.get(DisputeRow, dispute_id, populate_existing=True)
    if row is None:  # pragma: no cover - the row was just updated in this transaction
        return None
    append_entry(
        session, resolver, "dispute.resolve",
        {"dispute_id": dispute_id,
         "subject_id": personal(session, row.subject_id, row.subject_id, at),
         "outcome": outcome, "note": personal(session, row.subject_id, note, at)},
        at, state=commitments(session, row),
    )  # fmt: skip
    return row


def resolve_dispute(
    ledger: Ledger,
    dispute_id: str,
    outcome: str,
    resolver: str,
    now: dt.datetime | None = None,
    *,
    note: str | None = None,
    correction: Mapping[str, Any] | None = None,
) -> tuple[Dispute, Suppression | None]:
    """Resolve an open dispute; every outcome but ``verified`` suppresses the record, or, for a
    ``not_mine`` dispute, unlinks it (an ``unlink`` identity change, see
    :func:`~trustscore.ledger.identity_change`; the suppression returned is then None).

    ``corrected`` carries the corrected values in ``correction``; the suppression fact that
    supersedes the record is written in the same transaction. The caller applies it to the record
    store and rescores the subject. Returns the dispute and the suppression (None if verified).

    Raises :class:`~trustscore.exceptions.NotFoundError` for an unknown dispute,
    :class:`~trustscore.exceptions.LedgerError` for one that is no longer open and
    :class:`~trustscore.exceptions.SchemaError` for a ``correction`` missing from ``corrected``
    or given with any other outcome; a refused resolution writes nothing.

    Examples
    --------
    >>> from trustscore.ledger import Ledger
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> d = open_dispute(ledger, "s1", "tradeline", "tl-1", "Not my account")
    >>> d, s = resolve_dispute(ledger, d.dispute_id, "unverifiable", "op-1")
    >>> (d.status, s.record_id)
    ('unverifiable', 'tl-1')
    """
    check_choice(outcome, "outcome", DISPUTE_OUTCOMES)
    check_text(resolver, "resolver", max_length=128)
    if outcome == "corrected" and not correction:
        msg = (
            f"Dispute {dispute_id!r}: the outcome 'corrected' needs the corrected values "
            "(correction={field: value, ...})."
        )
        raise SchemaError(msg, field="correction", dispute_id=dispute_id)
    if outcome != "corrected" and correction is not None:
        # A suppression carrying corrected values that nobody checked would reach the store
        # as a correction the outcome never made; refuse it before anything is written.
        msg = (
            f"Dispute {dispute_id!r}: corrected values are given only with the outcome "
            f"'corrected', not {outcome!r}; leave correction out."
        )
        raise SchemaError(msg, field="correction", dispute_id=dispute_id)
    check_json(None if correction is None else dict(correction), "correction")
    at = moment(now)
    with ledger.transaction() as session:
        current = session.get(DisputeRow, dispute_id)
        if current is None:
            msg = f"There is no dispute {dispute_id!r}. List disputes to find its id."
            raise NotFoundError(msg, dispute_id=dispute_id)
        not_mine = _dispute(session, current).kind == "not_mine"
        if not_mine and outcome == "corrected":
            msg = (
                f"Dispute {dispute_id!r} says the record is not the subject's: there is nothing "
                "to correct. Resolve it as verified (it is theirs) or unverifiable/suppressed "
                "(it is unlinked from them)."
            )
            raise SchemaError(msg, field="outcome", value=outcome, dispute_id=dispute_id)
        row = _close(session, dispute_id, outcome, resolver, note, at)
        if row is None:
            msg = (
                f"Dispute {dispute_id!r} is already resolved ({current.status}); a resolution is "
                "final. Open a new dispute if the record is still wrong."
            )
            raise LedgerError(msg, dispute_id=dispute_id, status=current.status)
        suppression = None
        if outcome != "verified" and not_mine:
            _unlink(session, row, resolver, at)
        elif outcome != "verified":
            suppression = _add_suppression(
                session, record_kind=row.record_kind, record_id=row.record_id,
                subject_id=row.subject_id, reason=f"dispute {outcome}", dispute_id=dispute_id,
                correction=correction, at=at, actor=resolver,
            )  # fmt: skip
        return _dispute(session, row), suppression


def disputes(
    ledger: Ledger, status: str | None = None, subject_id: str | None = None
) -> list[Dispute]:
    """Disputes, oldest first, optionally only those with ``status`` or of ``subject_id``."""
    if status is not None:
        check_choice(status, "status", DISPUTE_STATUSES)
    stmt = select(DisputeRow).order_by(DisputeRow.opened_at, DisputeRow.dispute_id)
    if status is not None:
        stmt = stmt.where(DisputeRow.status == status)
    if subject_id is not None:
        stmt = stmt.where(DisputeRow.subject_id == subject_id)
    with ledger.reading() as session:
        return _disputes(session, list(session.scalars(stmt)))


def due_disputes(ledger: Ledger, now: dt.datetime | None = None) -> list[Dispute]:
    """Open disputes whose deadline has passed at ``now``, earliest deadline first."""
    at = moment(now)
    with ledger.reading() as session:
        rows = session.scalars(
            select(DisputeRow)
            .where(DisputeRow.status == "open", DisputeRow.deadline < at)
            .order_by(DisputeRow.deadline, DisputeRow.dispute_id)
        )
        return _disputes(session, list(rows))


def run_deadline_job(
    ledger: Ledger,
    now: dt.datetime | None = None,
    on_suppress: Callable[[Dispute], None] | None = None,
) -> list[Dispute]:
    """Resolve every dispute still open past its deadline as ``unverifiable``, suppressing it
    (unlinking it, for a ``not_mine`` dispute).

    Each overdue dispute is closed and its suppression recorded in one transaction; then
    ``on_suppress(dispute)`` is called (outside the transaction, so it may write to the ledger)
    for the caller to suppress the record in the record store and rescore the subject. Running
    the job again, or two jobs at once, suppresses each dispute once: a dispute is closed only if
    it is still open. If ``on_suppress`` raises, the error propagates; the ledger already holds
    the suppression (see :func:`suppressions`), so the caller can re-apply it.

    Examples
    --------
    >>> import datetime as dt
    >>> from trustscore.ledger import Ledger
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    >>> d = open_dispute(ledger, "s1", "obligation", "ob-1", "never billed", t0)
    >>> run_deadline_job(ledger, t0 + dt.timedelta(days=29))
    []
    >>> [x.status for x in run_deadline_job(ledger, t0 + dt.timedelta(days=31))]
    ['unverifiable']
    >>> run_deadline_job(ledger, t0 + dt.timedelta(days=32))
    []
    """
    at = moment(now)
    done: list[Dispute] = []
    for due in due_disputes(ledger, at):
        with ledger.transaction() as session:
            row = _close(
                session, due.dispute_id, "unverifiable", DEADLINE_RESOLVER,
                f"not verified within {DISPUTE_DAYS} days", at,
            )  # fmt: skip
            if row is None:
                continue  # resolved meanwhile, by an operator or another job
            if due.kind == "not_mine":
                _unlink(session, row, DEADLINE_RESOLVER, at)
            else:
                _add_suppression(
                    session, record_kind=row.record_kind, record_id=row.record_id,
                    subject_id=row.subject_id, reason="dispute unverifiable: deadline passed",
                    dispute_id=row.dispute_id, correction=None, at=at, actor=DEADLINE_RESOLVER,
                )  # fmt: skip
            dispute = _dispute(session, row)
        logger.info("Dispute %s passed its deadline: record suppressed", dispute.dispute_id)
        done.append(dispute)
        if on_suppress is not None:
            on_suppress(dispute)
    return done


def record_suppression(
    ledger: Ledger,
    record_kind: str,
    record_id: str,
    reason: str,
    *,
    subject_id: str | None = None,
    dispute_id: str | None = None,
    correction: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
    actor: str = "system",
) -> Suppression:
    """Record a fact that supersedes a record (suppressed; or corrected, with ``correction``).

    Examples
    --------
    >>> from trustscore.ledger import Ledger
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> _ = record_suppression(ledger, "public_record", "pr-3", "court order")
    >>> [(s.record_id, s.reason) for s in suppressions(ledger)]
    [('pr-3', 'court order')]
    """
    check_text(record_kind, "record_kind", max_length=64)
    check_text(record_id, "record_id", max_length=256)
    check_text(reason, "reason", max_length=4000)
    check_json(None if correction is None else dict(correction), "correction")
    at = moment(now)
    with ledger.transaction() as session:
        return _add_suppression(
            session, record_kind=record_kind, record_id=record_id, subject_id=subject_id,
            reason=reason, dispute_id=dispute_id, correction=correction, at=at, actor=actor,
        )  # fmt: skip


def suppressions(ledger: Ledger, *, subject_id: str | None = None) -> list[Suppression]:
    """Every suppression or correction, oldest first (optionally of one subject)."""
    stmt = select(SuppressionRow).order_by(SuppressionRow.suppression_id)
    if subject_id is not None:
        stmt = stmt.where(SuppressionRow.subject_id == subject_id)
    with ledger.reading() as session:
        return [_suppression(row) for row in session.scalars(stmt)]


def unrescored_subjects(ledger: Ledger) -> list[str]:
    """Subjects with a suppression or correction newer than their latest score snapshot.

    Resolving a dispute records the outcome, applies it to the record store, then rescores the
    subject and records the snapshot. A crash between the ledger's write and the snapshot leaves
    the subject's history without the score that followed the resolution; these are the
    subjects whose rescore is still owed (``trustscore disputes run-deadlines`` records it).

    Examples
    --------
    >>> import datetime as dt
    >>> from trustscore.ledger import Ledger, record_snapshot
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    >>> d = open_dispute(ledger, "s1", "obligation", "ob-1", "never billed", t0)
    >>> _ = run_deadline_job(ledger, t0 + dt.timedelta(days=31))
    >>> unrescored_subjects(ledger)
    ['s1']
    >>> _ = record_snapshot(ledger, subject_id="s1", as_of=t0.date(), model_version="m",
    ...     model_hash="h", score=500, status="OK", subscores={}, reasons=[], feature_hash="f",
    ...     now=t0 + dt.timedelta(days=32))
    >>> unrescored_subjects(ledger)
    []
    """
    resolved = (
        select(SuppressionRow.subject_id, func.max(SuppressionRow.suppressed_at).label("at"))
        .where(SuppressionRow.subject_id.is_not(None))
        .group_by(SuppressionRow.subject_id)
        .subquery()
    )
    scored = (
        select(SnapshotRow.subject_id, func.max(SnapshotRow.created_at).label("at"))
        .group_by(SnapshotRow.subject_id)
        .subquery()
    )
    stmt = (
        select(resolved.c.subject_id, resolved.c.at, scored.c.at)
        .outerjoin(scored, scored.c.subject_id == resolved.c.subject_id)
        .order_by(resolved.c.subject_id)
    )
    with ledger.reading() as session:
        rows = session.execute(stmt).all()
    # compared in Python: SQLite hands MAX() of a timestamp back as text
    return [
        str(subject) for subject, suppressed, snapshot in rows
        if snapshot is None or _instant(snapshot) < _instant(suppressed)
    ]  # fmt: skip


def _instant(value: Any) -> dt.datetime:
    moment_ = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment_.replace(tzinfo=dt.UTC) if moment_.tzinfo is None else moment_
