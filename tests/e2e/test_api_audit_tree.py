"""The audit tree over HTTP: signed checkpoints, inclusion and consistency proofs, checked by a
witness with nothing but the RFC 9162 verification functions and the public key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import trustscore.ledger as lg
from trustscore.exceptions import LedgerError
from trustscore.ledger._merkle import verify_consistency, verify_inclusion
from trustscore.service import create_app
from trustscore.settings import Settings


def _b(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


def test_a_witness_checks_the_service_log_with_proofs(tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "audit.pem"
    key = lg.generate_signing_key(key_file)
    ledger = lg.Ledger(f"sqlite:///{tmp_path / 'l.sqlite'}")
    ledger.create_all()
    _, token = lg.create_client(ledger, "auditor")
    auth = {"Authorization": f"Bearer {token}"}
    settings = Settings(workspace=tmp_path / "ws", audit_key_file=key_file,
                        audit_checkpoint_interval_s=0.02, _env_file=None)  # fmt: skip
    with TestClient(create_app(settings, ledger=ledger)):
        for i in range(6):
            lg.audit_append(ledger, "ops", "note", {"i": i})
    # the service's signer signs the tree once more as it stops: no wait on its thread's timing
    found = lg.latest_checkpoint(ledger)
    assert found is not None, "the service signed no checkpoint"
    assert found.tree_size >= 7
    with TestClient(create_app(settings, ledger=ledger)) as api:
        first = api.get("/v1/audit/checkpoint", headers=auth).json()
        assert first["tree_size"] >= found.tree_size
        assert first["public_key"] == key.public_key
        held = lg.Checkpoint.from_json(first)
        assert held.signature_ok()
        for i in range(5):
            lg.audit_append(ledger, "ops", "note", {"i": 10 + i})
        size = held.tree_size + 5
        proof = api.get(f"/v1/audit/proof?entry=3&tree_size={size}", headers=auth).json()
        leaf = lg.audit_entries(ledger, after=2, limit=1)[0].leaf_hash
        assert proof["leaf_hash"] == leaf
        assert verify_inclusion(2, size, bytes.fromhex(leaf), _b(proof["path"]),
                                bytes.fromhex(proof["root_hash"]))  # fmt: skip
        step = api.get(f"/v1/audit/consistency?from={held.tree_size}&to={size}",
                       headers=auth).json()  # fmt: skip
        assert step["root1"] == held.root_hash
        assert step["root2"] == proof["root_hash"]
        assert verify_consistency(held.tree_size, size, bytes.fromhex(held.root_hash),
                                  bytes.fromhex(step["root2"]), _b(step["path"]))  # fmt: skip
        bad = api.get("/v1/audit/proof?entry=99", headers=auth)
        assert bad.status_code == 404
        assert bad.json()["error"]["code"] == "not_found"
        assert api.get("/v1/audit/consistency?from=-1", headers=auth).status_code == 422
        verified = api.get("/v1/audit/verify", headers=auth).json()
        assert verified["ok"]
        assert verified["checkpoints_checked"] >= 1
    ledger.dispose()


def test_no_checkpoint_yet_is_a_404_and_a_missing_key_stops_the_start(tmp_path: Path) -> None:
    ledger = lg.Ledger(f"sqlite:///{tmp_path / 'l.sqlite'}")
    ledger.create_all()
    _, token = lg.create_client(ledger, "admin", now=dt.datetime.now(dt.UTC))
    api = TestClient(create_app(ledger=ledger))
    response = api.get("/v1/audit/checkpoint", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404
    assert "trustscore audit checkpoint" in response.json()["error"]["message"]
    settings = Settings(workspace=tmp_path, audit_checkpoint_interval_s=1, _env_file=None)
    with pytest.raises(LedgerError, match="trustscore audit keygen"):
        create_app(settings, ledger=ledger)
    ledger.dispose()
