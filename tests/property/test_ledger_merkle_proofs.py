"""Properties of the RFC 9162 Merkle tree: proofs verify for random trees, and any altered
leaf, proof element, root, index or size makes them fail."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from trustscore.ledger._merkle import (
    EMPTY_ROOT,
    append_leaf,
    consistency_proof,
    frontier_root,
    inclusion_proof,
    leaf_hash,
    node_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
)


def _reference_root(leaves: list[bytes]) -> bytes:
    """MTH written as RFC 9162 §2.1.1 states it, recursively (the independent oracle)."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(_reference_root(leaves[:k]), _reference_root(leaves[k:]))


trees = st.lists(st.binary(max_size=8), min_size=1, max_size=70).map(
    lambda data: [leaf_hash(d) for d in data]
)


def _flip(value: bytes, bit: int) -> bytes:
    i = bit % (8 * len(value))
    out = bytearray(value)
    out[i // 8] ^= 1 << (i % 8)
    return bytes(out)


@settings(max_examples=150, deadline=None)
@given(leaves=trees)
def test_root_and_frontier_match_the_recursive_definition(leaves: list[bytes]) -> None:
    frontier: list[bytes] = []
    for size, leaf in enumerate(leaves):
        frontier = append_leaf(frontier, size, leaf)
        assert frontier_root(frontier) == _reference_root(leaves[: size + 1])
        assert len(frontier) == bin(size + 1).count("1")
    assert tree_root(leaves) == _reference_root(leaves)
    assert tree_root([]) == EMPTY_ROOT


@settings(max_examples=200, deadline=None)
@given(leaves=trees, data=st.data())
def test_inclusion_proofs_verify_and_alterations_fail(
    leaves: list[bytes], data: st.DataObject
) -> None:
    n = len(leaves)
    index = data.draw(st.integers(0, n - 1), label="index")
    root = tree_root(leaves)
    proof = inclusion_proof(leaves, index)
    assert verify_inclusion(index, n, leaves[index], proof, root)
    bit = data.draw(st.integers(0, 255), label="bit")
    assert not verify_inclusion(index, n, _flip(leaves[index], bit), proof, root)
    assert not verify_inclusion(index, n, leaves[index], proof, _flip(root, bit))
    if proof:
        j = data.draw(st.integers(0, len(proof) - 1), label="element")
        altered = [*proof[:j], _flip(proof[j], bit), *proof[j + 1 :]]
        assert not verify_inclusion(index, n, leaves[index], altered, root)
        assert not verify_inclusion(index, n, leaves[index], proof[:-1], root)
    assert not verify_inclusion(index, n, leaves[index], [*proof, root], root)
    other = data.draw(st.integers(0, n), label="other index")
    if other != index and (other >= n or leaves[other] != leaves[index]):
        assert not verify_inclusion(other, n, leaves[index], proof, root)


@settings(max_examples=200, deadline=None)
@given(leaves=trees, data=st.data())
def test_consistency_proofs_verify_and_alterations_fail(
    leaves: list[bytes], data: st.DataObject
) -> None:
    n = len(leaves)
    m = data.draw(st.integers(1, n), label="size1")
    root1, root2 = tree_root(leaves[:m]), tree_root(leaves)
    proof = consistency_proof(leaves, m)
    assert verify_consistency(m, n, root1, root2, proof)
    assert verify_consistency(0, n, EMPTY_ROOT, root2, [])
    bit = data.draw(st.integers(0, 255), label="bit")
    assert not verify_consistency(m, n, _flip(root1, bit), root2, proof)
    assert not verify_consistency(m, n, root1, _flip(root2, bit), proof)
    if proof:
        j = data.draw(st.integers(0, len(proof) - 1), label="element")
        altered = [*proof[:j], _flip(proof[j], bit), *proof[j + 1 :]]
        assert not verify_consistency(m, n, root1, root2, altered)
        assert not verify_consistency(m, n, root1, root2, proof[:-1])
    # a log that rewrote any of the first m leaves cannot prove itself consistent with root1
    k = data.draw(st.integers(0, m - 1), label="rewritten leaf")
    rewritten = [*leaves[:k], _flip(leaves[k], bit), *leaves[k + 1 :]]
    assert not verify_consistency(
        m, n, root1, tree_root(rewritten), consistency_proof(rewritten, m)
    )
    # nor can a log that dropped its tail and grew again from there
    if m < n:
        assert not verify_consistency(n, m, root2, root1, proof)
