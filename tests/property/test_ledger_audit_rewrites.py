"""Property: an insider who rewrites the audit log and recomputes every hash (chain, leaves,
head) passes the chain check, but fails against any earlier checkpoint whose entries they
touched, and only those; a log that merely grew stays consistent with every checkpoint."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import trustscore.ledger as lg
from trustscore.ledger._audit import encode_frontier, entry_hash, entry_leaf_hash
from trustscore.ledger._merkle import append_leaf

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
_STATE: dict[str, object] = {}


def _ledger(tmp: Path) -> tuple[lg.Ledger, lg.SigningKey]:
    # One in-memory ledger and key for every example (building them costs more than the test).
    if not _STATE:
        ledger = lg.Ledger("sqlite://")
        ledger.create_all()
        _STATE["ledger"] = ledger
        _STATE["key"] = lg.generate_signing_key(tmp / "audit.key")
    ledger = _STATE["ledger"]
    assert isinstance(ledger, lg.Ledger)
    with ledger.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log"))
        conn.execute(sa.text("DELETE FROM audit_checkpoints"))
        conn.execute(sa.text("UPDATE audit_head SET seq = 0, hash = :h, frontier = ''"),
                     {"h": "0" * 64})  # fmt: skip
    key = _STATE["key"]
    assert isinstance(key, lg.SigningKey)
    return ledger, key


def _recompute_from(ledger: lg.Ledger, edited: int, keep: int) -> None:
    """Keep the first ``keep`` entries, edit entry ``edited`` (if kept), recompute everything."""
    entries = lg.audit_entries(ledger)[:keep]
    prev, frontier = "0" * 64, []
    with ledger.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log WHERE seq > :k"), {"k": keep})
        for e in entries:
            payload = lg.canonical_json({"forged": True} if e.seq == edited else e.payload)
            digest = entry_hash(prev, e.seq, e.at, e.actor, e.action, payload)
            leaf = entry_leaf_hash(e.seq, e.at, e.actor, e.action, payload)
            conn.execute(
                sa.text("UPDATE audit_log SET payload = :p, prev_hash = :prev, hash = :h, "
                        "leaf_hash = :l WHERE seq = :s"),
                {"p": payload, "prev": prev, "h": digest, "l": leaf, "s": e.seq},
            )  # fmt: skip
            frontier = append_leaf(frontier, e.seq - 1, bytes.fromhex(leaf))
            prev = digest
        conn.execute(sa.text("UPDATE audit_head SET seq = :s, hash = :h, frontier = :f"),
                     {"s": len(entries), "h": prev, "f": encode_frontier(frontier)})  # fmt: skip


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(n=st.integers(2, 24), data=st.data())
def test_rewrites_fail_exactly_against_the_checkpoints_they_touch(
    tmp_path: Path, n: int, data: st.DataObject
) -> None:
    ledger, key = _ledger(tmp_path)
    sizes = sorted(data.draw(st.sets(st.integers(1, n), min_size=1, max_size=4), label="sizes"))
    witnessed = []
    for i in range(n):
        lg.audit_append(ledger, "ops", "note", {"i": i}, now=T0 + dt.timedelta(seconds=i))
        if i + 1 in sizes:
            witnessed.append(lg.sign_checkpoint(ledger, key, now=T0 + dt.timedelta(seconds=i)))
    assert lg.audit_verify(ledger, witnesses=witnessed).ok  # grown, never rewritten
    edited = data.draw(st.integers(1, n), label="edited entry")
    keep = data.draw(st.integers(edited, n), label="entries kept")
    _recompute_from(ledger, edited, keep)
    with ledger.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_checkpoints"))
    assert lg.audit_verify(ledger).ok  # the chain alone cannot tell
    for cp in witnessed:
        touched = cp.tree_size >= edited or cp.tree_size > keep
        assert lg.audit_verify(ledger, witnesses=[cp]).ok is not touched, (cp.tree_size, edited)
