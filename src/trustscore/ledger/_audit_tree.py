"""Inclusion and consistency proofs over the stored audit tree (RFC 9162 §2.1.3, §2.1.4).

Each proof element is the root of a range of leaves, computed from the leaf hashes stored with
the entries; a proof reads each leaf at most once. The proofs verify with the pure functions of
:mod:`trustscore.ledger._merkle`, which is what a witness runs on its side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustscore.exceptions import NotFoundError, SchemaError
from trustscore.ledger._audit import _HEAD_ID, decode_frontier
from trustscore.ledger._merkle import (
    append_leaf,
    consistency_ranges,
    frontier_root,
    inclusion_ranges,
    verify_consistency,
    verify_inclusion,
)
from trustscore.ledger._tables import AuditHeadRow, AuditRow

if TYPE_CHECKING:
    from trustscore.ledger._db import Ledger

__all__ = [
    "ConsistencyProof",
    "InclusionProof",
    "audit_consistency",
    "audit_inclusion",
    "tree_head",
]


@dataclass(frozen=True)
class InclusionProof:
    """Entry ``seq`` (leaf ``seq - 1``) with ``leaf_hash`` is in the tree of ``tree_size``."""

    seq: int
    tree_size: int
    leaf_hash: str
    path: tuple[str, ...]
    root_hash: str

    def verify(self) -> bool:
        """Whether the path leads from the leaf to the root (RFC 9162 §2.1.3.2)."""
        return verify_inclusion(
            self.seq - 1, self.tree_size, bytes.fromhex(self.leaf_hash),
            [bytes.fromhex(p) for p in self.path], bytes.fromhex(self.root_hash),
        )  # fmt: skip


@dataclass(frozen=True)
class ConsistencyProof:
    """The tree of ``size1`` leaves (``root1``) is a prefix of that of ``size2`` (``root2``)."""

    size1: int
    size2: int
    root1: str
    root2: str
    path: tuple[str, ...]

    def verify(self) -> bool:
        """Whether the proof holds (RFC 9162 §2.1.4.2)."""
        return verify_consistency(
            self.size1, self.size2, bytes.fromhex(self.root1), bytes.fromhex(self.root2),
            [bytes.fromhex(p) for p in self.path],
        )  # fmt: skip


def tree_head(ledger: Ledger) -> tuple[int, str]:
    """The tree's size and root (hex) as the head holds them now."""
    with ledger.reading() as session:
        return _head(session)


def _head(session: Session) -> tuple[int, str]:
    head = session.get(AuditHeadRow, _HEAD_ID)
    if head is None:
        return 0, frontier_root([]).hex()
    return head.seq, frontier_root(decode_frontier(head.frontier or "")).hex()


def _range_root(session: Session, lo: int, hi: int) -> bytes:
    """The root of leaves ``[lo, hi)``, i.e. of entries ``lo + 1`` to ``hi``."""
    frontier: list[bytes] = []
    size = 0
    rows = session.execute(
        select(AuditRow.seq, AuditRow.leaf_hash)
        .where(AuditRow.seq > lo, AuditRow.seq <= hi)
        .order_by(AuditRow.seq)
        .execution_options(yield_per=4096)
    )
    for seq, leaf in rows:
        if seq != lo + size + 1:
            break
        frontier = append_leaf(frontier, size, bytes.fromhex(leaf))
        size += 1
    if size != hi - lo:
        msg = (
            f"The audit log lacks entry {lo + size + 1} of the tree of {hi} leaves: entries "
            "were deleted. Run `trustscore audit verify`."
        )
        raise NotFoundError(msg, seq=lo + size + 1)
    return frontier_root(frontier)


def _size(session: Session, tree_size: int | None, name: str) -> int:
    current, _ = _head(session)
    size = current if tree_size is None else tree_size
    if not 0 <= size <= current:
        msg = f"The {name!r} tree size must be in 0..{current} (the log's size); got {size}."
        raise SchemaError(msg, field=name, value=size)
    return size


def audit_inclusion(ledger: Ledger, seq: int, tree_size: int | None = None) -> InclusionProof:
    """The proof that entry ``seq`` is in the tree of ``tree_size`` leaves (default: now).

    Examples
    --------
    >>> from trustscore.ledger import Ledger, audit_append
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> for i in range(5):
    ...     _ = audit_append(ledger, "ops", "note", {"i": i})
    >>> proof = audit_inclusion(ledger, 3)
    >>> (proof.tree_size, len(proof.path), proof.verify())
    (5, 3, True)
    """
    with ledger.reading() as session:
        size = _size(session, tree_size, "tree_size")
        if not 1 <= seq <= size:
            msg = f"Entry {seq} is not in a tree of {size} entries; entries are 1..{size}."
            raise NotFoundError(msg, seq=seq)
        leaf = session.scalar(select(AuditRow.leaf_hash).where(AuditRow.seq == seq))
        if leaf is None:
            msg = (
                f"The audit log has no entry {seq}: it was deleted. Run `trustscore audit verify`."
            )
            raise NotFoundError(msg, seq=seq)
        path = tuple(
            _range_root(session, lo, hi).hex() for lo, hi in inclusion_ranges(size, seq - 1)
        )
        root = _range_root(session, 0, size).hex()
        return InclusionProof(seq, size, leaf, path, root)


def audit_consistency(ledger: Ledger, size1: int, size2: int | None = None) -> ConsistencyProof:
    """The proof that the tree of ``size1`` leaves is a prefix of that of ``size2`` (default: now).

    Examples
    --------
    >>> from trustscore.ledger import Ledger, audit_append
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> for i in range(6):
    ...     _ = audit_append(ledger, "ops", "note", {"i": i})
    >>> proof = audit_consistency(ledger, 3)
    >>> (proof.size2, proof.verify())
    (6, True)
    """
    with ledger.reading() as session:
        to = _size(session, size2, "to")
        if not 0 <= size1 <= to:
            msg = f"The 'from' tree size must be in 0..{to}; got {size1}."
            raise SchemaError(msg, field="from", value=size1)
        path = tuple(_range_root(session, lo, hi).hex() for lo, hi in consistency_ranges(to, size1))
        return ConsistencyProof(
            size1, to, _range_root(session, 0, size1).hex(), _range_root(session, 0, to).hex(), path
        )
