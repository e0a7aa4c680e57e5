"""Held batches: a furnisher's rows of a batch held for review, released or rejected once.

The rows themselves wait in the record store; the ledger keeps the fact of the hold and who
resolved it, each with its audit entry in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from sqlalchemy import select, update

from trustscore.exceptions import LedgerError, NotFoundError, SchemaError
from trustscore.ledger._audit import append_entry
from trustscore.ledger._checks import check_choice, check_text, moment
from trustscore.ledger._commitments import commitments, register_committed_table
from trustscore.ledger._tables import HeldBatchRow

if TYPE_CHECKING:
    from trustscore.ledger._db import Ledger

# A hold decides which rows reach the store: an edit behind the ledger fails `audit verify`.
register_committed_table(HeldBatchRow)

__all__ = [
    "HOLD_OUTCOMES",
    "HOLD_STATUSES",
    "HeldBatch",
    "held_batches",
    "record_hold",
    "resolve_hold",
]

HOLD_STATUSES: Final = ("held", "released", "rejected")
#: How an operator resolves a hold.
HOLD_OUTCOMES: Final = ("released", "rejected")


@dataclass(frozen=True)
class HeldBatch:
    """A furnisher's rows of a batch held for review (``status``: held, released, rejected)."""

    hold_id: str
    batch_id: str
    kind: str
    furnisher: str
    rows: int
    reason: str
    status: str
    held_at: dt.datetime
    resolved_at: dt.datetime | None
    resolver: str | None
    release_batch_id: str | None


def _held(row: HeldBatchRow) -> HeldBatch:
    return HeldBatch(
        row.hold_id, row.batch_id, row.kind, row.furnisher, row.rows, row.reason, row.status,
        row.held_at, row.resolved_at, row.resolver, row.release_batch_id,
    )  # fmt: skip


def record_hold(
    ledger: Ledger,
    *,
    hold_id: str,
    batch_id: str,
    kind: str,
    furnisher: str,
    rows: int,
    reason: str,
    held_at: dt.datetime,
    actor: str = "system",
) -> HeldBatch:
    """Record a hold; recording the same hold again is a no-op that returns it as it stands.

    Examples
    --------
    >>> import datetime as dt
    >>> from trustscore.ledger import Ledger
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> h = record_hold(ledger, hold_id="b1.hold-1", batch_id="b1", kind="obligation",
    ...     furnisher="power", rows=40, reason="60% quarantined",
    ...     held_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    >>> (h.status, [x.hold_id for x in held_batches(ledger, "held")])
    ('held', ['b1.hold-1'])
    """
    check_text(hold_id, "hold_id", max_length=160)
    check_text(furnisher, "furnisher", max_length=256)
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        msg = f"Hold {hold_id!r}: rows must be a whole number of at least 1; got {rows!r}."
        raise SchemaError(msg, field="rows", value=rows)
    at = moment(held_at, name="held_at")
    with ledger.transaction() as session:
        existing = session.get(HeldBatchRow, hold_id)
        if existing is not None:
            return _held(existing)
        row = HeldBatchRow(
            hold_id=hold_id, batch_id=batch_id, kind=kind, furnisher=furnisher, rows=rows,
            reason=reason, status="held", held_at=at,
        )  # fmt: skip
        session.add(row)
        session.flush()
        append_entry(
            session, actor, "hold.record",
            {"hold_id": hold_id, "batch_id": batch_id, "kind": kind, "furnisher": furnisher,
             "rows": rows, "reason": reason},
            at, state=commitments(session, row),
        )  # fmt: skip
        return _held(row)


def resolve_hold(
    ledger: Ledger,
    hold_id: str,
    outcome: str,
    resolver: str,
    *,
    release_batch_id: str | None = None,
    now: dt.datetime | None = None,
) -> HeldBatch:
    """Mark a hold ``released`` (with the batch that stored its rows) or ``rejected``.

    Raises :class:`~trustscore.exceptions.NotFoundError` for an unknown hold and
    :class:`~trustscore.exceptions.LedgerError` for one already resolved; nothing is written then.

    Examples
    --------
    >>> import datetime as dt
    >>> from trustscore.ledger import Ledger, audit_entries
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> _ = record_hold(ledger, hold_id="b1.hold-1", batch_id="b1", kind="obligation",
    ...     furnisher="power", rows=40, reason="60% quarantined",
    ...     held_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    >>> resolve_hold(ledger, "b1.hold-1", "rejected", "op-1").status
    'rejected'
    >>> [e.action for e in audit_entries(ledger)]
    ['hold.record', 'hold.reject']
    """
    check_choice(outcome, "outcome", HOLD_OUTCOMES)
    check_text(resolver, "resolver", max_length=128)
    at = moment(now)
    with ledger.transaction() as session:
        current = session.get(HeldBatchRow, hold_id)
        if current is None:
            msg = (
                f"There is no held batch {hold_id!r} in the ledger. List the holds to find its id."
            )
            raise NotFoundError(msg, hold_id=hold_id)
        result = session.execute(
            update(HeldBatchRow)
            .where(HeldBatchRow.hold_id == hold_id, HeldBatchRow.status == "held")
            .values(
                status=outcome,
                resolved_at=at,
                resolver=resolver,
                release_batch_id=release_batch_id,
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            msg = f"Held batch {hold_id!r} is already {current.status}; a hold is resolved once."
            raise LedgerError(msg, hold_id=hold_id, status=current.status)
        row = session.get(HeldBatchRow, hold_id, populate_existing=True)
        if row is None:  # pragma: no cover - updated in this transaction
            msg = f"Held batch {hold_id!r} vanished while it was resolved."
            raise LedgerError(msg, hold_id=hold_id)
        append_entry(
            session, resolver, "hold.release" if outcome == "released" else "hold.reject",
            {"hold_id": hold_id, "batch_id": row.batch_id, "furnisher": row.furnisher,
             "rows": row.rows, "outcome": outcome, "release_batch_id": release_batch_id},
            at, state=commitments(session, row),
        )  # fmt: skip
        return _held(row)


def held_batches(ledger: Ledger, status: str | None = None) -> list[HeldBatch]:
    """Holds, oldest first (only those with ``status``, if given)."""
    stmt = select(HeldBatchRow).order_by(HeldBatchRow.held_at, HeldBatchRow.hold_id)
    if status is not None:
        check_choice(status, "status", HOLD_STATUSES)
        stmt = stmt.where(HeldBatchRow.status == status)
    with ledger.reading() as session:
        return [_held(row) for row in session.scalars(stmt)]
