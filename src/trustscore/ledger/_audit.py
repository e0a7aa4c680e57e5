"""The append-only audit log: a hash chain and, over the same entries, a Merkle tree.

Entry ``n`` is ``canonical_json({"seq", "at", "actor", "action", "payload"[, "state"]})``. It
stores ``hash_n = sha256(hash_{n-1} + entry_n)`` (``hash_0`` is 64 zeros), the chain that names
the first edited entry, and its RFC 9162 leaf hash ``sha256(0x00 || entry_n)``: entry ``n`` is
leaf ``n - 1`` of a Merkle tree whose signed roots (checkpoints, :mod:`._audit_checkpoints`)
let parties outside the database prove that nothing they once saw was rewritten. ``state``
holds the content hashes of the rows the write left behind (:mod:`._commitments`).

A one-row table, the head, holds the last sequence number, its hash and the tree's right edge
(its frontier): appending locks it, so concurrent writers append one after the other, and an
append costs O(log n) hashes.
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
from trustscore.ledger._merkle import append_leaf, leaf_hash
from trustscore.ledger._rows import RowWriter
from trustscore.ledger._tables import AuditHeadRow, AuditRow

if TYPE_CHECKING:
    from trustscore.ledger._db import Ledger

__all__ = [
    "GENESIS_HASH",
    "AuditEntry",
    "append_entries",
    "audit_append",
    "audit_entries",
    "canonical_json",
    "decode_frontier",
    "encode_frontier",
    "entry_hash",
    "entry_leaf_hash",
    "entry_text",
]

GENESIS_HASH: Final = "0" * 64
_HEAD_ID: Final = 1


# built once: json.dumps with options builds an encoder on every call, and a group commit
# serialises a dozen values per request
_CANONICAL: Final = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
_TEXT: Final = json.JSONEncoder(ensure_ascii=False)


def canonical_json(value: Any) -> str:
    """Serialise ``value`` the one way the chain hashes it: sorted keys, no spaces, UTF-8.

    Examples
    --------
    >>> canonical_json({"b": 1, "a": [True, None, "é"]})
    '{"a":[true,null,"é"],"b":1}'
    """
    try:
        return _CANONICAL.encode(value)
    except (TypeError, ValueError) as exc:
        msg = (
            f"An audit payload must be plain JSON (str, int, float, bool, None, lists and dicts "
            f"with string keys, no NaN or infinity); {exc}. Convert the value before writing."
        )
        raise SchemaError(msg) from exc


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def entry_text(
    seq: int,
    at: dt.datetime,
    actor: str,
    action: str,
    payload_json: str,
    state_json: str | None = None,
) -> str:
    """The canonical JSON of one entry: what the chain and the tree hash.

    ``state`` appears only when the entry carries row commitments, so entries written before
    there were any hash as they always did.
    """
    state = "" if state_json is None else f',"state":{state_json}'
    return (
        f'{{"action":{_TEXT.encode(action)},'
        f'"actor":{_TEXT.encode(actor)},'
        f'"at":"{_iso(at)}","payload":{payload_json},"seq":{seq}{state}}}'
    )


def entry_hash(
    prev_hash: str,
    seq: int,
    at: dt.datetime,
    actor: str,
    action: str,
    payload_json: str,
    state_json: str | None = None,
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
    text = entry_text(seq, at, actor, action, payload_json, state_json)
    return hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest()


def entry_leaf_hash(
    seq: int,
    at: dt.datetime,
    actor: str,
    action: str,
    payload_json: str,
    state_json: str | None = None,
) -> str:
    """The entry's RFC 9162 leaf hash, ``sha256(0x00 || entry)``, in hex.

    Examples
    --------
    >>> at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    >>> text = entry_text(1, at, "admin", "note", "{}")
    >>> entry_leaf_hash(1, at, "admin", "note", "{}") == hashlib.sha256(
    ...     b"\\x00" + text.encode()).hexdigest()
    True
    """
    text = entry_text(seq, at, actor, action, payload_json, state_json)
    return leaf_hash(text.encode("utf-8")).hex()


def encode_frontier(frontier: Sequence[bytes]) -> str:
    """The frontier as the head stores it: hex hashes, concatenated, largest subtree first."""
    return "".join(node.hex() for node in frontier)


def decode_frontier(text: str) -> list[bytes]:
    """The frontier stored in the head (see :func:`encode_frontier`)."""
    return [bytes.fromhex(text[i : i + 64]) for i in range(0, len(text), 64)]


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
    leaf_hash: str = ""
    state: Any = None


def append_entry(
    session: Session,
    actor: str,
    action: str,
    payload: Any,
    at: dt.datetime,
    *,
    state: Sequence[Sequence[str]] | None = None,
) -> AuditEntry:
    """Append one entry inside the caller's transaction (locks the head).

    ``state`` is the commitments of the rows this write left behind, ``[table, key, content
    hash]`` each, made by :func:`trustscore.ledger._commitments.commitments` (registered
    tables only): ``audit_verify`` then checks those rows still hash to the latest commitment.
    """
    payload_json = canonical_json(payload)
    state_json = None if state is None else canonical_json([list(item) for item in state])
    head = session.scalars(
        select(AuditHeadRow).where(AuditHeadRow.head_id == _HEAD_ID).with_for_update()
    ).one_or_none()
    if head is None:
        msg = "The ledger has no audit chain head: run Ledger.upgrade() (or create_all()) first."
        raise AuditChainError(msg)
    seq = head.seq + 1
    digest = entry_hash(head.hash, seq, at, actor, action, payload_json, state_json)
    leaf = entry_leaf_hash(seq, at, actor, action, payload_json, state_json)
    frontier = append_leaf(decode_frontier(head.frontier or ""), seq - 1, bytes.fromhex(leaf))
    session.add(
        AuditRow(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            payload=payload_json,
            prev_hash=head.hash,
            hash=digest,
            leaf_hash=leaf,
            state=state_json,
        )
    )
    prev = head.hash
    head.seq = seq
    head.hash = digest
    head.frontier = encode_frontier(frontier)
    session.flush()
    return AuditEntry(
        seq, at, actor, action, json.loads(payload_json), prev, digest, leaf,
        None if state_json is None else json.loads(state_json),
    )  # fmt: skip


def append_entries(
    session: Session | Connection,
    entries: Sequence[
        tuple[str, str, Any, dt.datetime]
        | tuple[str, str, Any, dt.datetime, Sequence[Sequence[str]] | None]
    ],
) -> list[AuditEntry]:
    """Append many ``(actor, action, payload, at[, state])`` entries in order, locking the head
    once (``state``: row commitments, as for :func:`append_entry`).

    The chain and tree are the same as appending them one by one with :func:`append_entry`;
    the rows go in with one multi-row insert, which is what makes a group of requests cheap to
    record. The entries returned carry each payload as given (checked to be plain JSON), not
    re-parsed. Takes the transaction's session or connection; not for a session that has
    loaded the head with :func:`append_entry`, since it writes the head row directly.
    """
    if not entries:
        return []
    writer = RowWriter(session.connection() if isinstance(session, Session) else session)
    seq, prev, frontier_text = writer.audit_head()
    frontier = decode_frontier(frontier_text)
    rows: list[dict[str, Any]] = []
    out: list[AuditEntry] = []
    for actor, action, payload, at, *rest in entries:
        payload_json = canonical_json(payload)
        state = rest[0] if rest else None
        state_json = None if state is None else canonical_json([list(item) for item in state])
        seq += 1
        text = entry_text(seq, at, actor, action, payload_json, state_json)
        digest = hashlib.sha256((prev + text).encode("utf-8")).hexdigest()
        leaf_bytes = leaf_hash(text.encode("utf-8"))
        frontier = append_leaf(frontier, seq - 1, leaf_bytes)
        leaf = leaf_bytes.hex()
        rows.append(
            {"seq": seq, "at": at, "actor": actor, "action": action, "payload": payload_json,
             "prev_hash": prev, "hash": digest, "leaf_hash": leaf, "state": state_json}
        )  # fmt: skip
        committed = None if state_json is None else json.loads(state_json)
        out.append(AuditEntry(seq, at, actor, action, payload, prev, digest, leaf, committed))
        prev = digest
    writer.insert_audit_rows(rows)
    writer.move_audit_head(seq, prev, encode_frontier(frontier))
    return out


def audit_append(
    ledger: Ledger, actor: str, action: str, payload: Any, *, now: dt.datetime | None = None
) -> AuditEntry:
    """Append an entry to the audit log in its own transaction.

    Every write of the ledger's other functions already appends its own entry; use this for
    events that have no table of their own (a login refused, an export, a model deployed).

    Examples
    --------
    >>> from trustscore.ledger import Ledger, audit_verify
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
        row.seq, row.at, row.actor, row.action, json.loads(row.payload), row.prev_hash, row.hash,
        row.leaf_hash, None if row.state is None else json.loads(row.state),
    )  # fmt: skip


def audit_entries(ledger: Ledger, *, after: int = 0, limit: int | None = None) -> list[AuditEntry]:
    """Audit entries with ``seq > after``, in order."""
    stmt = select(AuditRow).where(AuditRow.seq > after).order_by(AuditRow.seq)
    if limit is not None:
        stmt = stmt.limit(limit)
    with ledger.reading() as session:
        return [_to_entry(row) for row in session.scalars(stmt)]
