"""``trustscore ingest --hold-above`` and ``trustscore furnishers [hold ...]`` end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trustscore.cli import app
from trustscore.settings import get_settings

runner = CliRunner()

HEADER = "record_id,subject_id,furnisher,category,account,due_date,amount_due,paid_date,amount_paid"


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "ws"
    monkeypatch.setenv("TRUSTSCORE_WORKSPACE", str(root))
    monkeypatch.delenv("TRUSTSCORE_DATABASE_URL", raising=False)
    monkeypatch.delenv("TRUSTSCORE_HOLD_ABOVE", raising=False)
    get_settings.cache_clear()
    (tmp_path / "subject.csv").write_text("subject_id,kind,created_date\ns1,person,2020-01-01\n")
    rows = [
        "o1,s1,power,utility,A,2024-01-10,80,,", "o2,s1,power,utility,A,2024-01-10,-1,,",
        "o3,s1,power,utility,A,2024-01-10,80,,", "w1,s1,water,utility,W,2024-01-10,12,,",
    ]  # fmt: skip
    (tmp_path / "obligation.csv").write_text("\n".join([HEADER, *rows]) + "\n")
    yield root
    get_settings.cache_clear()


def _report(ws: Path) -> dict[str, dict[str, object]]:
    code, out = _run("furnishers", "--workspace", str(ws), "--format", "json")
    assert code == 0, out
    body = json.loads(out)
    total = body["total"]
    parts = ("new", "versions", "unchanged", "quarantined", "held")
    assert total["received"] == sum(total[p] for p in parts)
    return {r["furnisher"]: r for r in body["furnishers"]}


def test_ingest_holds_then_an_operator_rejects(ws: Path) -> None:
    folder = ws.parent
    code, out = _run(
        "ingest", str(folder / "subject.csv"), str(folder / "obligation.csv"),
        "--store", str(ws / "store"), "--hold-above", "0.25",
    )  # fmt: skip
    assert code == 0, out
    assert (
        "4 rows in = 1 new + 0 versions (0 deletions) + 0 unchanged + 1 quarantined + 2 held" in out
    )
    assert "held for review: 2 rows as obligation-" in out
    power = _report(ws)["power"]
    assert (power["received"], power["quarantined"], power["held"]) == (3, 1, 2)
    code, listed = _run("furnishers", "hold", "list")
    assert code == 0
    hold_id = listed.split()[0]
    assert hold_id.startswith("obligation-")
    assert "1 of 3 rows" in listed
    code, table = _run("furnishers")
    assert code == 0
    assert "(all furnishers)" in table
    assert f"held: {hold_id}" in table
    code, out = _run("furnishers", "hold", "reject", hold_id, "--operator", "alice")
    assert code == 0, out
    assert out.strip() == f"rejected {hold_id}: 2 rows by alice"
    power = _report(ws)["power"]
    assert (power["held"], power["quarantined"], power["new"]) == (0, 3, 0)
    assert power["quarantine_reasons"]["batch rejected by operator alice"] == 2
    code, out = _run("furnishers", "hold", "release", hold_id, "--operator", "bob")
    assert code == 1
    assert out.startswith("error:")
    assert "already rejected" in out
    code, out = _run("furnishers", "hold", "list", "--status", "rejected", "--format", "json")
    assert [(h["hold_id"], h["resolver"]) for h in json.loads(out)] == [(hold_id, "alice")]
    code, out = _run("audit", "verify")
    assert code == 0
    assert "audit chain verified: 2 entries" in out


def test_a_release_stores_the_held_rows(ws: Path) -> None:
    # another workspace than TRUSTSCORE_WORKSPACE: ingest records the hold in the ledger of the
    # store's workspace, where --workspace finds it
    folder, other = ws.parent, ws.parent / "other"
    _run("ingest", str(folder / "subject.csv"), "--store", str(other / "store"))
    code, out = _run(
        "ingest", str(folder / "obligation.csv"), "--store", str(other / "store"),
        "--hold-above", "0.25",
    )  # fmt: skip
    hold_id = out.split("held for review: 2 rows as ")[1].split()[0]
    assert (other / "ledger.sqlite").is_file()
    assert not ws.exists()
    code, out = _run(
        "furnishers", "hold", "release", hold_id, "--operator", "alice", "--workspace", str(other)
    )
    assert code == 0, out
    assert out.startswith(f"released {hold_id}: 2 rows = 2 new + 0 versions")
    power = _report(other)["power"]
    assert (power["held"], power["new"], power["received"]) == (0, 2, 3)
    # the same file again: already ingested, nothing held or stored twice
    code, out = _run(
        "ingest", str(folder / "obligation.csv"), "--store", str(other / "store"),
        "--hold-above", "0.25",
    )  # fmt: skip
    assert "already ingested" in out
    assert _report(other)["power"]["new"] == 2


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("furnishers", "--format", "xml"), "--format must be table or json"),
        (("furnishers", "hold", "release", "nope", "--operator", "a"), "no held batch 'nope'"),
        (("furnishers", "hold", "list", "--status", "lost"), "--status must be one of"),
        (("furnishers", "--workspace", "/nonexistent/ws"), "there is no workspace"),
    ],
)
def test_bad_input_is_one_clear_line(ws: Path, args: tuple[str, ...], needle: str) -> None:
    (ws / "store").mkdir(parents=True)
    code, out = _run(*args)
    assert code != 0
    assert "Traceback" not in out
    assert needle in out, out


def test_a_hold_threshold_out_of_range_is_refused(ws: Path) -> None:
    code, out = _run("ingest", str(ws.parent / "obligation.csv"), "--hold-above", "1.5")
    assert code != 0
    assert "Traceback" not in out
    assert "--hold-above" in out
