"""`trustscore audit keygen | checkpoint | verify`: a witness file held elsewhere catches a
rewritten log, and verify catches a client's role edited in the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import trustscore.ledger as lg
from trustscore.cli import app
from trustscore.ledger._audit import encode_frontier
from trustscore.ledger._merkle import frontier_of
from trustscore.settings import get_settings

runner = CliRunner()


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("TRUSTSCORE_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("TRUSTSCORE_AUDIT_KEY_FILE", str(tmp_path / "keys" / "audit.pem"))
    get_settings.cache_clear()
    yield tmp_path / "ws"
    get_settings.cache_clear()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_checkpoints_for_witnesses_and_verification(workspace: Path, tmp_path: Path) -> None:
    code, out = _run("audit", "checkpoint")
    assert code == 1
    assert "trustscore audit keygen" in out
    assert "Traceback" not in out
    code, out = _run("audit", "keygen")
    assert code == 0, out
    assert "public key" in out
    code, out = _run("audit", "keygen")
    assert code == 1
    assert "exists already" in out
    for subject in ("s1", "s2"):
        code, out = _run("client", "create", "--role", "subject", "--subject", subject)
        assert code == 0, out
    witness = tmp_path / "ombudsman" / "witness.jsonl"
    code, out = _run("audit", "checkpoint", "--out", str(witness))
    assert code == 0, out
    assert f"appended to {witness}" in out
    assert len(lg.read_witness(witness)) == 1
    code, out = _run("audit", "verify", "--witness", str(witness))
    assert code == 0, out
    assert "1 witnessed checkpoint(s), 2 committed row(s) checked" in out

    ledger = lg.Ledger(get_settings().database_url.get_secret_value())
    with ledger.engine.begin() as conn:
        conn.execute(sa.text("UPDATE api_clients SET role = 'admin' WHERE subject_id = 's1'"))
    code, out = _run("audit", "verify", "--witness", str(witness))
    assert code == 1
    assert "api_clients row" in out
    assert "edited behind the log" in out
    with ledger.engine.begin() as conn:
        conn.execute(sa.text("UPDATE api_clients SET role = 'subject' WHERE subject_id = 's1'"))
    # an insider drops the last entry and moves the head back, its tree edge recomputed: the
    # log verifies on its own, not against the witness
    kept = lg.audit_entries(ledger)[:-1]
    edge = encode_frontier(frontier_of([bytes.fromhex(e.leaf_hash) for e in kept]))
    with ledger.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log WHERE seq > :s"), {"s": len(kept)})
        conn.execute(sa.text("DELETE FROM audit_checkpoints"))
        conn.execute(sa.text("DELETE FROM api_clients WHERE subject_id = 's2'"))
        conn.execute(sa.text("UPDATE audit_head SET seq = :s, hash = :h, frontier = :f"),
                     {"s": len(kept), "h": kept[-1].hash, "f": edge})  # fmt: skip
    ledger.dispose()
    code, out = _run("audit", "verify")
    assert code == 0, out
    code, out = _run("audit", "verify", "--witness", str(witness))
    assert code == 1
    assert "entries were dropped" in out
    code, out = _run("audit", "verify", "--witness", str(tmp_path / "missing.jsonl"))
    assert code == 1
    assert "Cannot read the witness file" in out
