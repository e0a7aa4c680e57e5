"""The audit log as a Merkle tree: checkpoints, witnesses, rewrites, state commitments."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

import trustscore.ledger as lg
from trustscore.exceptions import AuditChainError, LedgerError, NotFoundError
from trustscore.ledger._audit import entry_hash, entry_leaf_hash
from trustscore.ledger._merkle import (
    inclusion_proof,
    leaf_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
)


@pytest.fixture
def key(tmp_path: Path) -> lg.SigningKey:
    return lg.generate_signing_key(tmp_path / "keys" / "audit.key")


def _fill(ledger: lg.Ledger, n: int, t0: dt.datetime, start: int = 0) -> None:
    for i in range(start, start + n):
        lg.audit_append(ledger, f"actor-{i}", "note", {"i": i}, now=t0 + dt.timedelta(seconds=i))


def _rewrite(ledger: lg.Ledger, *, drop_from: int | None = None, forge: int | None = None) -> None:
    """What an insider with write access does: edit an entry (or drop the tail) and recompute
    every later chain hash, leaf hash and the head, so the chain alone verifies again."""
    entries = lg.audit_entries(ledger)
    with ledger.engine.begin() as conn:
        if drop_from is not None:
            conn.execute(sa.text("DELETE FROM audit_log WHERE seq >= :s"), {"s": drop_from})
            entries = entries[: drop_from - 1]
        prev = "0" * 64
        from trustscore.ledger._audit import encode_frontier
        from trustscore.ledger._merkle import append_leaf

        frontier: list[bytes] = []
        for e in entries:
            payload = {"i": -1} if e.seq == forge else e.payload
            text = lg.canonical_json(payload)
            state = None if e.state is None else lg.canonical_json(e.state)
            digest = entry_hash(prev, e.seq, e.at, e.actor, e.action, text, state)
            leaf = entry_leaf_hash(e.seq, e.at, e.actor, e.action, text, state)
            conn.execute(
                sa.text("UPDATE audit_log SET payload = :p, prev_hash = :prev, hash = :h, "
                        "leaf_hash = :leaf WHERE seq = :s"),
                {"p": text, "prev": prev, "h": digest, "leaf": leaf, "s": e.seq},
            )  # fmt: skip
            frontier = append_leaf(frontier, e.seq - 1, bytes.fromhex(leaf))
            prev = digest
        conn.execute(
            sa.text("UPDATE audit_head SET seq = :s, hash = :h, frontier = :f"),
            {"s": len(entries), "h": prev, "f": encode_frontier(frontier)},
        )


def test_the_tree_is_the_rfc_tree_of_the_entries_and_proofs_verify(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    _fill(ledger, 11, t0)
    entries = lg.audit_entries(ledger)
    leaves = [
        leaf_hash(
            json.dumps(
                {"action": e.action, "actor": e.actor,
                 "at": e.at.isoformat(timespec="microseconds"), "payload": e.payload,
                 "seq": e.seq},
                sort_keys=True, separators=(",", ":"),
            ).encode()
        )
        for e in entries
    ]  # fmt: skip
    assert [bytes.fromhex(e.leaf_hash) for e in entries] == leaves
    size, root = lg.tree_head(ledger)
    assert (size, root) == (11, tree_root(leaves).hex())
    proof = lg.audit_inclusion(ledger, 6)
    assert [bytes.fromhex(p) for p in proof.path] == inclusion_proof(leaves, 5)
    assert verify_inclusion(5, 11, leaves[5], [bytes.fromhex(p) for p in proof.path],
                            bytes.fromhex(root))  # fmt: skip
    old = lg.audit_consistency(ledger, 4, 9)
    assert old.root1 == tree_root(leaves[:4]).hex()
    assert old.root2 == tree_root(leaves[:9]).hex()
    assert verify_consistency(4, 9, bytes.fromhex(old.root1), bytes.fromhex(old.root2),
                              [bytes.fromhex(p) for p in old.path])  # fmt: skip
    with pytest.raises(NotFoundError, match="Entry 12 is not in a tree of 11"):
        lg.audit_inclusion(ledger, 12)
    with pytest.raises(ValueError, match="'from' tree size"):
        lg.audit_consistency(ledger, 10, 9)


def test_checkpoints_are_signed_stored_and_witnessed(
    ledger: lg.Ledger, t0: dt.datetime, key: lg.SigningKey, tmp_path: Path
) -> None:
    _fill(ledger, 3, t0)
    first = lg.sign_checkpoint(ledger, key, now=t0)
    assert (first.tree_size, first.root_hash) == lg.tree_head(ledger)
    assert first.signature_ok()
    assert first.key_id == key.key_id
    assert lg.sign_checkpoint(ledger, key) == first  # nothing new to sign
    _fill(ledger, 4, t0, start=3)
    second = lg.sign_checkpoint(ledger, key, now=t0 + dt.timedelta(hours=1))
    assert lg.audit_checkpoints(ledger) == [first, second]
    assert lg.latest_checkpoint(ledger) == second
    witness = tmp_path / "ngo" / "witness.jsonl"
    assert lg.write_witness(witness, first)
    assert lg.write_witness(witness, second)
    assert not lg.write_witness(witness, second)
    assert lg.read_witness(witness) == [first, second]
    result = lg.audit_verify(ledger, witnesses=lg.read_witness(witness),
                             trusted_keys=[key.public_key])  # fmt: skip
    assert (result.ok, result.checkpoints_checked, result.witnessed_checked) == (True, 2, 2)
    forged = json.loads(witness.read_text().splitlines()[0]) | {"tree_size": 2}
    assert not lg.Checkpoint.from_json(forged).signature_ok()
    other = lg.generate_signing_key(tmp_path / "other.key")
    assert "unknown key" in str(lg.audit_verify(ledger, trusted_keys=[other.public_key]).reason)


@pytest.mark.parametrize("how", ["edit", "drop-tail"])
def test_a_full_rewrite_with_recomputed_hashes_fails_against_an_earlier_checkpoint(
    ledger: lg.Ledger, t0: dt.datetime, key: lg.SigningKey, how: str
) -> None:
    _fill(ledger, 9, t0)
    witnessed = lg.sign_checkpoint(ledger, key, now=t0)
    if how == "edit":
        _rewrite(ledger, forge=4)
    else:
        _rewrite(ledger, drop_from=9)
    with ledger.engine.begin() as conn:  # the insider also removes the stored checkpoints
        conn.execute(sa.text("DELETE FROM audit_checkpoints"))
    assert lg.audit_verify(ledger).ok  # the chain alone cannot tell
    result = lg.audit_verify(ledger, witnesses=[witnessed])
    assert not result.ok
    expected = "no longer have the root" if how == "edit" else "entries were dropped"
    assert expected in str(result.reason)
    with pytest.raises(AuditChainError, match=r"the log was rewritten|entries were dropped"):
        result.raise_for_status()


def test_a_rewrite_that_keeps_the_stored_checkpoints_fails_too(
    ledger: lg.Ledger, t0: dt.datetime, key: lg.SigningKey
) -> None:
    _fill(ledger, 6, t0)
    lg.sign_checkpoint(ledger, key, now=t0)
    _rewrite(ledger, forge=2)
    result = lg.audit_verify(ledger)
    assert not result.ok
    assert "stored the checkpoint of 6 entries" in str(result.reason)


def test_a_witnessed_checkpoint_signed_by_someone_else_is_refused(
    ledger: lg.Ledger, t0: dt.datetime, key: lg.SigningKey
) -> None:
    _fill(ledger, 2, t0)
    cp = lg.sign_checkpoint(ledger, key, now=t0)
    tampered = lg.Checkpoint(cp.tree_size, "ab" * 32, cp.at, cp.key_id, cp.public_key,
                             cp.signature)  # fmt: skip
    result = lg.audit_verify(ledger, witnesses=[tampered])
    assert not result.ok
    assert "signature of witnessed" in str(result.reason)


@pytest.mark.parametrize(
    ("statement", "found"),
    [
        ("UPDATE api_clients SET role = 'admin'", "api_clients row"),
        ("UPDATE api_clients SET purposes = '[\"credit_limit\", \"insurance\"]'",
         "api_clients row"),
        ("UPDATE api_clients SET revoked_at = NULL", "api_clients row"),
        ("UPDATE disputes SET status = 'verified'", "disputes row"),
        ("UPDATE suppressions SET correction = '{\"amount\": 0}'", "suppressions row"),
        ("DELETE FROM suppressions", "is gone"),
        ("INSERT INTO api_clients SELECT 'cl_evil', name, 'admin', purposes, NULL, token_hash, "
         "created_at, NULL FROM api_clients WHERE role = 'subject'", "added behind the log"),
    ],
)  # fmt: skip
def test_an_edit_of_the_state_the_log_describes_is_found(
    ledger: lg.Ledger, t0: dt.datetime, statement: str, found: str
) -> None:
    client, _ = lg.create_client(ledger, "subject", subject_id="s1", now=t0)
    lender, _ = lg.create_client(ledger, "lender", ["credit_limit"], now=t0)
    lg.revoke_client(ledger, lender.client_id, now=t0)
    d = lg.open_dispute(ledger, "s1", "obligation", "ob-1", "paid", t0)
    lg.resolve_dispute(ledger, d.dispute_id, "corrected", "op", t0,
                       correction={"amount": 10.5})  # fmt: skip
    before = lg.audit_verify(ledger)
    assert before.ok
    assert before.rows_checked == 4
    where = {"api_clients": "client_id", "disputes": "dispute_id"}
    table = statement.split()[1]
    if statement.startswith("UPDATE") and table in where:
        target = (
            lender.client_id
            if "revoked_at" in statement or "purposes" in statement
            else (client.client_id if table == "api_clients" else d.dispute_id)
        )
        statement += f" WHERE {where[table]} = '{target}'"
    with ledger.engine.begin() as conn:
        conn.execute(sa.text(statement))
    result = lg.audit_verify(ledger)
    assert not result.ok
    assert found in str(result.reason)


def test_migration_0002_turns_an_existing_chain_into_the_first_leaves(
    ledger_url: str, t0: dt.datetime, key: lg.SigningKey
) -> None:
    old = lg.Ledger(ledger_url)
    old.upgrade("0001")
    with old.engine.begin() as conn:  # what a 0001 ledger holds: chain entries and a client
        prev = "0" * 64
        for i in range(5):
            at = t0 + dt.timedelta(seconds=i)
            digest = entry_hash(prev, i + 1, at, "ops", "note", f'{{"i":{i}}}')
            conn.execute(
                sa.text("INSERT INTO audit_log (seq, at, actor, action, payload, prev_hash, "
                        "hash) VALUES (:s, :at, 'ops', 'note', :p, :prev, :h)"),
                {"s": i + 1, "at": at.replace(tzinfo=None) if old.backend == "sqlite" else at,
                 "p": f'{{"i":{i}}}', "prev": prev, "h": digest},
            )  # fmt: skip
            prev = digest
        conn.execute(
            sa.text("INSERT INTO api_clients VALUES ('cl_1', 'old', 'subject', '[]', 's1', "
                    "'ab', :at, NULL)"),
            {"at": t0.replace(tzinfo=None) if old.backend == "sqlite" else t0},
        )  # fmt: skip
        conn.execute(sa.text("UPDATE audit_head SET seq = 5, hash = :h"), {"h": prev})
    old.upgrade()
    assert old.revision() == "0013"
    entries = lg.audit_entries(old)
    assert [e.action for e in entries] == ["note"] * 5 + ["audit.baseline"]
    assert entries[5].state[0][0] == "api_clients"
    leaves = [
        bytes.fromhex(entry_leaf_hash(e.seq, e.at, e.actor, e.action, lg.canonical_json(e.payload)))
        for e in entries[:5]
    ]
    assert lg.audit_consistency(old, 5).root1 == tree_root(leaves).hex()
    cp = lg.sign_checkpoint(old, key)
    assert lg.audit_verify(old, witnesses=[cp]).ok
    with old.engine.begin() as conn:
        conn.execute(sa.text("UPDATE api_clients SET role = 'admin'"))
    assert "api_clients row" in str(lg.audit_verify(old).reason)
    old.dispose()


def test_keys_and_witness_files_fail_clearly(tmp_path: Path, key: lg.SigningKey) -> None:
    with pytest.raises(LedgerError, match="exists already"):
        lg.generate_signing_key(tmp_path / "keys" / "audit.key")
    assert lg.load_signing_key(tmp_path / "keys" / "audit.key").public_key == key.public_key
    with pytest.raises(LedgerError, match="trustscore audit keygen"):
        lg.load_signing_key(tmp_path / "nope.key")
    bad = tmp_path / "w.jsonl"
    bad.write_text('{"tree_size": 1}\n')
    with pytest.raises(LedgerError, match=r"w.jsonl, line 1 is not a trustscore checkpoint"):
        lg.read_witness(bad)
    bad.write_text("\nnot json\n")
    with pytest.raises(LedgerError, match="line 2 is not JSON"):
        lg.read_witness(bad)
