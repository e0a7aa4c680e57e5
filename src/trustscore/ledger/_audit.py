"""The append-only, hash-chained audit log.

Entry ``n`` stores ``hash_n = sha256(hash_{n-1} + canonical_json(entry_n))`` where the entry is
``{"seq", "at", "actor", "action", "payload"}`` and ``hash_0`` is 64 zeros. A one-row table, the
chain head, holds the last sequence number and hash: appending locks it, so concurrent writers
append one after the other, and verifying compares the last row with it, so a deleted tail shows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from trustscore.exceptions import AuditChainError, SchemaError
from trustscore.ledger._rows import RowWriter
from trustscore.ledger._tables import AuditHeadRow, AuditRow

if TYPE_CHECKING:
    from trustscore.ledger._db import Ledger

__all__ = [
    "GENESIS_HASH",
    "AuditEntry",
    "AuditVerification",
    "append_entries",
    "audit_append",
    "audit_entries",
    "audit_verify",
    "canonical_json",
    "entry_hash",
]

GENESIS_HASH: Final = "0" * 64
_HEAD_ID: Final = 1


def canonical_json(value: Any) -> str:
    """Serialise ``value`` the one way the chain hashes it: sorted keys, no spaces, UTF-8.

    Examples
    --------
    >>> canonical_json({"b": 1, "a": [True, None, "é"]})
    '{"a":[true,null,"é"],"b":1}'
    """
    try:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        msg = (
            f"An audit payload must be plain JSON (str, int, float, bool, None, lists and dicts "
            f"with string keys, no NaN or infinity); {exc}. Convert the value before writing."
        )
        raise SchemaError(msg) from exc


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def entry_hash(
    prev_hash: str, seq: int, at: dt.datetime, actor: str, action: str, payload_json: str
) -> str:
    """The hash of one audit entry, chained to the hash of the entry before it.

    Examples
    --------
    >>> at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    >>> h = entry_hash(GENESIS_HASH, 1, at, "admin", "client.create", '{"id":"c1"}')
    >>> entry = {"seq": 1, "at": "2026-01-01T00:00:00.000000+00:00", "actor": "admin",
    ...          "action": "client.create", "payload": {"id": "c1"}}
    >>> h == hashlib.sha256((GENESIS_HASH + canonical_json(entry)).encode()).hexdigest()
    True
    """
    entry = (
        f'{{"action":{json.dumps(action, ensure_ascii=False)},'
        f'"actor":{json.dumps(actor, ensure_ascii=False)},'
        f'"at":"{_iso(at)}","payload":{payload_json},"seq":{seq}}}'
    )
    return hashlib.sha256((prev_hash + entry).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the audit log."""

    seq: int
    at: dt.datetime
    actor: str
    action: str
    payload: Any
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class AuditVerification:
    """The result of :func:`audit_verify`.

    ``ok`` is True when every entry hashes to its stored hash, each carries its predecessor's
    hash, the sequence has no gap and the last entry matches the chain head. Otherwise
    ``first_bad_seq`` names the first entry that fails and ``reason`` says how.
    """

    ok: bool
    n_entries: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    reason: str | None = None

    def raise_for_status(self) -> None:
        """Raise :class:`~trustscore.exceptions.AuditChainError` unless the chain verified."""
        if not self.ok:
            msg = (
                f"The audit chain does not verify at entry {self.first_bad_seq}: {self.reason}. "
                "The ledger was changed outside trustscore; restore it from a backup and "
                "investigate who had write access to the database."
            )
            raise AuditChainError(msg, seq=self.first_bad_seq)


def append_entry(
    session: Session, actor: str, action: str, payload: Any, at: dt.datetime
) -> AuditEntry:
    """Append one entry inside the caller's transaction (locks the chain head)."""
    payload_json = canonical_json(payload)
    head = session.scalars(
        select(AuditHeadRow).where(AuditHeadRow.head_id == _HEAD_ID).with_for_update()
    ).one_or_none()
    if head is None:
        msg = "The ledger has no audit chain head: run Ledger.upgrade() (or create_all()) first."
        raise AuditChainError(msg)
    seq = head.seq + 1
    digest = entry_hash(head.hash, seq, at, actor, action, payload_json)
    session.add(
        AuditRow(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            payload=payload_json,
            prev_hash=head.hash,
            hash=digest,
        )
    )
    prev = head.hash
    head.seq = seq
    head.hash = digest
    session.flush()
    return AuditEntry(seq, at, actor, action, json.loads(payload_json), prev, digest)


def append_entries(
    session: Session | Connection, entries: Sequence[tuple[str, str, Any, dt.datetime]]
) -> list[AuditEntry]:
    """Append many ``(actor, action, payload, at)`` entries in order, locking the head once.

    The chain is the same as appending them one by one with :func:`append_entry`; the rows go
    in with one multi-row insert, which is what makes a group of requests cheap to record. The
    entries returned carry each payload as given (checked to be plain JSON), not re-parsed.
    Takes the transaction's session or connection; not for a session that has loaded the head
    with :func:`append_entry`, since it writes the head row directly.
    """
    if not entries:
        return []
    writer = RowWriter(session.connection() if isinstance(session, Session) else session)
    seq, prev = writer.audit_head()
    rows: list[dict[str, Any]] = []
    out: list[AuditEntry] = []
    for actor, action, payload, at in entries:
        payload_json = canonical_json(payload)
        seq += 1
        digest = entry_hash(prev, seq, at, actor, action, payload_json)
        rows.append(
            {"seq": seq, "at": at, "actor": actor, "action": action, "payload": payload_json,
             "prev_hash": prev, "hash": digest}
        )  # fmt: skip
        out.append(AuditEntry(seq, at, actor, action, payload, prev, digest))
        prev = digest
    writer.insert_audit_rows(rows)
    writer.move_audit_head(seq, prev)
    return out


def audit_append(
    ledger: Ledger, actor: str, action: str, payload: Any, *, now: dt.datetime | None = None
) -> AuditEntry:
    """Append an entry to the audit log in its own transaction.

    Every write of the ledger's other functions already appends its own entry; use this for
    events that have no table of their own (a login refused, an export, a model deployed).

    Examples
    --------
    >>> from trustscore.ledger import Ledger
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> audit_append(ledger, "ops", "model.deploy", {"model_version": "1.0"}).seq
    1
    >>> audit_verify(ledger).ok
    True
    """
    at = now or dt.datetime.now(dt.UTC)
    with ledger.transaction() as session:
        return append_entry(session, actor, action, payload, at)


def _to_entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        row.seq, row.at, row.actor, row.action, json.loads(row.payload), row.prev_hash, row.hash
    )


def audit_entries(ledger: Ledger, *, after: int = 0, limit: int | None = None) -> list[AuditEntry]:
    """Audit entries with ``seq > after``, in order."""
    stmt = select(AuditRow).where(AuditRow.seq > after).order_by(AuditRow.seq)
    if limit is not None:
        stmt = stmt.limit(limit)
    with ledger.reading() as session:
        return [_to_entry(row) for row in session.scalars(stmt)]


def audit_verify(ledger: Ledger, *, batch_size: int = 1000) -> AuditVerification:
    """Recompute the chain and name the first entry that was edited, deleted or reordered.

    Examples
    --------
    >>> from trustscore.ledger import Ledger
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> for i in range(3):
    ...     _ = audit_append(ledger, "ops", "note", {"i": i})
    >>> result = audit_verify(ledger)
    >>> (result.ok, result.n_entries, result.first_bad_seq)
    (True, 3, None)
    """
    with ledger.reading() as session:
        head = session.get(AuditHeadRow, _HEAD_ID)
        head_seq, head_hash = (head.seq, head.hash) if head is not None else (0, GENESIS_HASH)

        def bad(seq: int, n: int, reason: str) -> AuditVerification:
            return AuditVerification(False, n, head_seq, head_hash, seq, reason)

        prev_hash, expected, n = GENESIS_HASH, 1, 0
        last = 0
        while True:
            rows = session.scalars(
                select(AuditRow).where(AuditRow.seq > last).order_by(AuditRow.seq).limit(batch_size)
            ).all()
            if not rows:
                break
            for row in rows:
                n += 1
                if row.seq != expected:
                    return bad(expected, n, f"entry {expected} is missing (next is {row.seq})")
                if row.prev_hash != prev_hash:
                    return bad(row.seq, n, "its prev_hash is not the hash of the entry before")
                recomputed = entry_hash(
                    row.prev_hash, row.seq, row.at, row.actor, row.action, row.payload
                )
                if recomputed != row.hash:
                    return bad(row.seq, n, "its content does not match its hash")
                prev_hash, expected, last = row.hash, expected + 1, row.seq
        if last != head_seq or prev_hash != head_hash:
            where = min(last, head_seq) + 1
            return bad(where, n, f"the chain ends at {last} but its head says {head_seq}")
        return AuditVerification(True, n, head_seq, head_hash)
