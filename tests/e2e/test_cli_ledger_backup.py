"""`trustscore ledger backup | restore`: a consistent copy taken while writes go on, restored
whole, verified by `trustscore audit verify`, which still catches a tamper in the copy."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import trustscore.ledger as lg
from trustscore.cli import app
from trustscore.settings import get_settings

runner = CliRunner()


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.setenv("TRUSTSCORE_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("TRUSTSCORE_AUDIT_KEY_FILE", str(tmp_path / "keys" / "audit.pem"))
    monkeypatch.setenv("TRUSTSCORE_DATABASE_URL", f"sqlite:///{tmp_path}/ws/ledger.sqlite")
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def _use(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setenv("TRUSTSCORE_DATABASE_URL", f"sqlite:///{path}")
    get_settings.cache_clear()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_backup_while_writing_restore_and_verify(
    settings: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ledger = lg.Ledger(f"sqlite:///{tmp_path}/ws/ledger.sqlite")
    ledger.upgrade()
    lg.create_client(ledger, "operator", name="ops")
    stop, written = threading.Event(), []

    def write() -> None:  # another process's writes, as the service's would be
        while not stop.is_set() or len(written) < 20:
            written.append(lg.audit_append(ledger, "ops", "note", {"n": len(written)}).seq)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        backups = []
        for i in range(3):
            code, out = _run("ledger", "backup", "--out", str(tmp_path / f"backup-{i}.sqlite"))
            assert code == 0, out
            backups.append(tmp_path / f"backup-{i}.sqlite")
    finally:
        stop.set()
        writer.join()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    entries = []
    for backup in backups:
        with sqlite3.connect(backup) as db:
            entries.append(db.execute("SELECT seq FROM audit_head").fetchone()[0])
            assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == entries[-1]
    assert entries == sorted(entries)
    assert entries[-1] <= written[-1] + 1

    # restored into an empty place: the chain verifies, with every committed row
    target = tmp_path / "restored" / "ledger.sqlite"
    _use(settings, target)
    code, out = _run("ledger", "restore", str(backups[-1]))
    assert code == 0, out
    assert f"restored {entries[-1]:,} audit entries" in out
    code, out = _run("audit", "verify")
    assert code == 0, out
    assert f"audit chain verified: {entries[-1]:,} entries" in out
    assert "1 committed row(s) checked" in out

    # over a ledger that holds entries: refused without --force, nothing changed
    code, out = _run("ledger", "restore", str(backups[0]))
    assert code == 1
    assert f"holds {entries[-1]:,} audit entries" in out
    assert "--force" in out
    code, out = _run("ledger", "restore", str(backups[0]), "--force")
    assert code == 0, out
    code, out = _run("audit", "verify")
    assert code == 0, out

    assert f"verified: {entries[0]:,} entries" in out, out

    # a tamper in the restored ledger is caught: an entry, then a committed row
    with sqlite3.connect(target) as db:
        db.execute("UPDATE audit_log SET payload = '{\"n\":-1}' WHERE seq = 3")
    code, out = _run("audit", "verify")
    assert code == 1, out

    assert "at entry 3" in out, out
    code, out = _run("ledger", "restore", str(backups[0]), "--force")
    assert code == 0, out
    with sqlite3.connect(target) as db:
        db.execute("UPDATE api_clients SET role = 'admin'")
    code, out = _run("audit", "verify")
    assert code == 1, out

    assert "api_clients" in out, out


def test_restore_refuses_what_is_not_a_ledger(settings: pytest.MonkeyPatch, tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    code, out = _run("ledger", "restore", str(junk))
    assert code == 1, out

    assert "is not a SQLite database" in out, out

    assert "nothing was changed" in out, out
    with sqlite3.connect(tmp_path / "other.sqlite") as db:
        db.execute("CREATE TABLE t (x)")
    code, out = _run("ledger", "restore", str(tmp_path / "other.sqlite"))
    assert code == 1, out

    assert "is not a trustscore ledger" in out, out
    code, out = _run("ledger", "restore", str(tmp_path / "missing.sqlite"))
    assert code == 1, out

    assert "There is no backup file" in out, out
    assert not (tmp_path / "ws" / "ledger.sqlite").exists()


def test_backup_of_a_postgresql_ledger_points_to_pg_dump(settings: pytest.MonkeyPatch) -> None:
    settings.setenv("TRUSTSCORE_DATABASE_URL", "postgresql+psycopg://u:secret@db.invalid/ledger")
    get_settings.cache_clear()
    code, out = _run("ledger", "backup", "--out", "x.sqlite")
    assert code == 1
    assert "pg_dump" in out
    assert "docs/operations.md" in out
    assert "secret" not in out
    assert "Traceback" not in out
