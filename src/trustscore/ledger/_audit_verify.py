"""Verifying the audit log: the chain, the tree, the signed checkpoints and the state.

One pass over the entries recomputes each entry's chain hash and leaf hash, the tree's root at
the size of every checkpoint to check, and the latest commitment of every registered row. Then
it compares: the head with the last entry, each stored checkpoint and each witnessed one with
the root recomputed at its size (and, for a witness, with a consistency proof built from the
stored leaves), and every current row of a registered table with its latest commitment.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from sqlalchemy import select

from trustscore.exceptions import AuditChainError
from trustscore.ledger._audit import (
    _HEAD_ID,
    GENESIS_HASH,
    decode_frontier,
    entry_hash,
    entry_leaf_hash,
)
from trustscore.ledger._audit_checkpoints import Checkpoint, audit_checkpoints
from trustscore.ledger._audit_tree import audit_consistency
from trustscore.ledger._commitments import REMOVED, current_commitments
from trustscore.ledger._merkle import append_leaf, frontier_root
from trustscore.ledger._tables import AuditHeadRow, AuditRow

if TYPE_CHECKING:
    from trustscore.ledger._db import Ledger

__all__ = ["AuditVerification", "audit_verify"]

_MISSING: Final = "missing"


@dataclass(frozen=True)
class AuditVerification:
    """The result of :func:`audit_verify`.

    ``ok`` is True when every entry hashes to its stored chain and leaf hashes, the sequence
    has no gap, the head matches the last entry and the tree, every checkpoint (stored, and
    witnessed) is validly signed and has the root the entries give at its size, and every row
    of a registered table matches its latest commitment. Otherwise ``first_bad_seq`` names the
    first entry that fails (None when no one entry can be named, e.g. a rewritten log that no
    longer matches a checkpoint, or a row edited behind the log) and ``reason`` says how.
    """

    ok: bool
    n_entries: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    reason: str | None = None
    root_hash: str = ""
    checkpoints_checked: int = 0
    witnessed_checked: int = 0
    rows_checked: int = 0

    def raise_for_status(self) -> None:
        """Raise :class:`~trustscore.exceptions.AuditChainError` unless the log verified."""
        if not self.ok:
            where = "" if self.first_bad_seq is None else f" at entry {self.first_bad_seq}"
            msg = (
                f"The audit log does not verify{where}: {self.reason}. "
                "The ledger was changed outside trustscore; restore it from a backup and "
                "investigate who had write access to the database."
            )
            raise AuditChainError(msg, seq=self.first_bad_seq)


def _stamp(cp: Checkpoint) -> str:
    return f"the checkpoint of {cp.tree_size} entries signed at {cp.at.isoformat()}"


def audit_verify(
    ledger: Ledger,
    *,
    witnesses: Sequence[Checkpoint] = (),
    trusted_keys: Sequence[str] | None = None,
    batch_size: int = 1000,
) -> AuditVerification:
    """Recompute the log and check it against its checkpoints, witnesses and tables.

    ``witnesses`` are checkpoints kept outside the database (see :func:`read_witness`);
    ``trusted_keys`` (hex public keys), when given, are the only keys a checkpoint may be
    signed with.

    Examples
    --------
    >>> from trustscore.ledger import Ledger, audit_append
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> for i in range(3):
    ...     _ = audit_append(ledger, "ops", "note", {"i": i})
    >>> result = audit_verify(ledger)
    >>> (result.ok, result.n_entries, result.first_bad_seq)
    (True, 3, None)
    """
    stored = audit_checkpoints(ledger)
    wanted = {cp.tree_size for cp in (*stored, *witnesses)}
    with ledger.reading() as session:
        head = session.get(AuditHeadRow, _HEAD_ID)
        head_seq, head_hash = (head.seq, head.hash) if head is not None else (0, GENESIS_HASH)
        head_frontier = "" if head is None else head.frontier or ""
        roots: dict[int, bytes] = {0: frontier_root([])}
        latest: dict[tuple[str, str], tuple[str, int]] = {}

        def bad(seq: int | None, n: int, reason: str) -> AuditVerification:
            return AuditVerification(False, n, head_seq, head_hash, seq, reason)

        prev_hash, expected, n, last = GENESIS_HASH, 1, 0, 0
        frontier: list[bytes] = []
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
                fields = (row.seq, row.at, row.actor, row.action, row.payload, row.state)
                if entry_hash(row.prev_hash, *fields) != row.hash:
                    return bad(row.seq, n, "its content does not match its hash")
                leaf = entry_leaf_hash(*fields)
                if leaf != row.leaf_hash:
                    return bad(row.seq, n, "its leaf hash does not match its content")
                frontier = append_leaf(frontier, row.seq - 1, bytes.fromhex(leaf))
                if row.seq in wanted:
                    roots[row.seq] = frontier_root(frontier)
                if row.state is not None:
                    for table, key, digest in json.loads(row.state):
                        latest[(table, key)] = (digest, row.seq)
                prev_hash, expected, last = row.hash, expected + 1, row.seq
        if last != head_seq or prev_hash != head_hash:
            where = min(last, head_seq) + 1
            return bad(where, n, f"the chain ends at {last} but its head says {head_seq}")
        root = frontier_root(frontier)
        if decode_frontier(head_frontier) != frontier:
            return bad(None, n, "the tree's right edge in the head is not the entries' tree")

        n_rows = 0
        for table, key, digest in current_commitments(session):
            n_rows += 1
            committed, seq = latest.pop((table, key), (_MISSING, None))
            if committed == _MISSING:
                return bad(None, n, f"{table} row {key} is in no audit entry: added behind the log")
            if committed != digest:
                return bad(
                    None, n, f"{table} row {key} differs from its commitment in entry {seq}: "
                    "edited behind the log",
                )  # fmt: skip
        for (table, key), (digest, seq) in sorted(latest.items()):
            if digest != REMOVED:
                return bad(None, n, f"{table} row {key}, committed in entry {seq}, is gone")

    keys = None if trusted_keys is None else set(trusted_keys)
    for label, group in (("stored", stored), ("witnessed", witnesses)):
        for cp in group:
            if not cp.signature_ok():
                return bad(None, n, f"the signature of {label} {_stamp(cp)} is not valid")
            if keys is not None and cp.public_key not in keys:
                return bad(None, n, f"{label} {_stamp(cp)} is signed by unknown key {cp.key_id}")
            if cp.tree_size > n:
                return bad(
                    None, n, f"the log has {n} entries, fewer than {label} {_stamp(cp)}: "
                    "entries were dropped",
                )  # fmt: skip
            if roots[cp.tree_size].hex() != cp.root_hash:
                return bad(
                    None, n, f"the first {cp.tree_size} entries no longer have the root of "
                    f"{label} {_stamp(cp)}: the log was rewritten",
                )  # fmt: skip
    for cp in witnesses:
        proof = audit_consistency(ledger, cp.tree_size, n)
        if proof.root1 != cp.root_hash or proof.root2 != root.hex() or not proof.verify():
            return bad(None, n, f"the stored tree is not consistent with witnessed {_stamp(cp)}")
    return AuditVerification(
        True, n, head_seq, head_hash, root_hash=root.hex(), checkpoints_checked=len(stored),
        witnessed_checked=len(witnesses), rows_checked=n_rows,
    )  # fmt: skip
