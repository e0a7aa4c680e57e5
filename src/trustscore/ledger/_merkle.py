"""A Merkle tree log as RFC 9162 (Certificate Transparency 2.0) §2.1 defines it.

The tree over entries ``d[0:n]`` has leaf hashes ``SHA-256(0x00 || d[i])`` and interior nodes
``SHA-256(0x01 || left || right)``, the left subtree always the largest power of two smaller
than ``n``. An inclusion proof shows one leaf is in a tree of a given root; a consistency proof
shows a tree of ``m`` leaves is the first ``m`` leaves of a tree of ``n``, so a log that rewrote
or dropped anything the earlier root covered cannot prove itself consistent with it.

Pure functions over bytes, no database: :mod:`trustscore.ledger._audit_tree` applies them to the
audit log. The right edge of a tree (its *frontier*: the roots of the perfect subtrees that
the binary digits of ``n`` name, largest first) is enough to append a leaf and to compute the
root, in O(log n).

Examples
--------
>>> leaves = [leaf_hash(bytes([i])) for i in range(7)]
>>> root = tree_root(leaves)
>>> verify_inclusion(3, 7, leaves[3], inclusion_proof(leaves, 3), root)
True
>>> old = tree_root(leaves[:4])
>>> verify_consistency(4, 7, old, root, consistency_proof(leaves, 4))
True
>>> frontier_root(frontier_of(leaves)) == root
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Final

__all__ = [
    "EMPTY_ROOT",
    "append_leaf",
    "consistency_proof",
    "consistency_ranges",
    "frontier_of",
    "frontier_root",
    "inclusion_proof",
    "inclusion_ranges",
    "leaf_hash",
    "node_hash",
    "tree_root",
    "verify_consistency",
    "verify_inclusion",
]

#: The root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1).
EMPTY_ROOT: Final = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``: the hash of one entry as a leaf."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``: the hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (for ``n > 1``)."""
    return 1 << ((n - 1).bit_length() - 1)


def append_leaf(frontier: Sequence[bytes], size: int, leaf: bytes) -> list[bytes]:
    """The frontier of the tree of ``size + 1`` leaves, from that of ``size`` leaves.

    The frontier holds one hash per set bit of ``size``, largest subtree first; appending
    merges the trailing subtrees of equal size, as adding one carries through binary digits.
    """
    out = list(frontier)
    node, carry = leaf, size
    while carry & 1:
        node = node_hash(out.pop(), node)
        carry >>= 1
    out.append(node)
    return out


def frontier_root(frontier: Sequence[bytes]) -> bytes:
    """The root of the tree whose frontier this is (folded from its smallest subtree)."""
    if not frontier:
        return EMPTY_ROOT
    root = frontier[-1]
    for left in reversed(frontier[:-1]):
        root = node_hash(left, root)
    return root


def frontier_of(leaves: Sequence[bytes]) -> list[bytes]:
    """The frontier of the tree over ``leaves`` (leaf hashes)."""
    frontier: list[bytes] = []
    for size, leaf in enumerate(leaves):
        frontier = append_leaf(frontier, size, leaf)
    return frontier


def tree_root(leaves: Sequence[bytes]) -> bytes:
    """The Merkle tree hash ``MTH(D[n])`` over leaf hashes (RFC 9162 §2.1.1)."""
    return frontier_root(frontier_of(leaves))


def inclusion_ranges(size: int, index: int) -> list[tuple[int, int]]:
    """The leaf ranges ``[lo, hi)`` whose roots make the audit path of leaf ``index``.

    The path ``PATH(index, D[n])`` of RFC 9162 §2.1.3.1, lowest node first, as ranges, so a
    store can compute each root from its own leaves (see :func:`inclusion_proof`).
    """
    if not 0 <= index < size:
        msg = f"Leaf index {index} is outside a tree of {size} leaves."
        raise ValueError(msg)
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index - lo < k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    return ranges[::-1]


def consistency_ranges(size2: int, size1: int) -> list[tuple[int, int]]:
    """The leaf ranges whose roots make ``PROOF(size1, D[size2])`` (RFC 9162 §2.1.4.1).

    Empty when ``size1`` is 0 or ``size2``.
    """
    if not 0 <= size1 <= size2:
        msg = f"A tree of {size1} leaves cannot be a prefix of a tree of {size2} leaves."
        raise ValueError(msg)
    if size1 in (0, size2):
        return []
    ranges: list[tuple[int, int]] = []
    lo, hi, whole = 0, size2, True
    while size1 - lo != hi - lo:
        k = _split(hi - lo)
        if size1 - lo <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, whole = lo + k, False
    if not whole:
        ranges.append((lo, hi))
    return ranges[::-1]


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path ``PATH(index, D[n])`` of one leaf (RFC 9162 §2.1.3.1)."""
    return [tree_root(leaves[lo:hi]) for lo, hi in inclusion_ranges(len(leaves), index)]


def consistency_proof(leaves: Sequence[bytes], size1: int) -> list[bytes]:
    """The proof ``PROOF(m, D[n])`` that the first ``size1`` leaves are a prefix (§2.1.4.1).

    Empty when ``size1`` is 0 or the whole tree.
    """
    return [tree_root(leaves[lo:hi]) for lo, hi in consistency_ranges(len(leaves), size1)]


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows leaf ``index`` with hash ``leaf`` is in the tree (§2.1.3.2)."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree ``(size1, root1)`` is a prefix of ``(size2, root2)``.

    RFC 9162 §2.1.4.2; a tree of size 0 is a prefix of every tree (its root must be
    :data:`EMPTY_ROOT`), and a tree is consistent with itself when the roots are equal.
    """
    if not 0 <= size1 <= size2:
        return False
    if size1 == 0:
        return not proof and root1 == EMPTY_ROOT
    if size1 == size2:
        return not proof and root1 == root2
    if not proof:
        return False
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # a power of two: the old root is a node of the new tree
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == root1 and sr == root2
