"""``trustscore synth --identities``, ``identity link`` and ``identity export`` from a terminal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from trustscore.cli import app
from trustscore.settings import get_settings


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("TRUSTSCORE_WORKSPACE", str(tmp_path / "ws"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_synth_link_export(env: Path) -> None:
    runner = CliRunner()
    out = env / "synth"
    made = runner.invoke(
        app, ["synth", "--out", str(out), "--subjects", "120", "--seed", "3", "--identities"]
    )
    assert made.exit_code == 0, made.output
    assert "truth.parquet" in made.output
    files = [str(out / "identified" / f"{k}.parquet") for k in ("obligation", "tradeline")]
    linked = runner.invoke(app, ["identity", "link", *files])
    assert linked.exit_code == 0, linked.output
    assert "linked" in linked.output
    export = runner.invoke(app, ["identity", "export", "--out", str(env / "links.parquet")])
    assert export.exit_code == 0, export.output
    table = pq.read_table(env / "links.parquet")
    assert table.num_rows > 0
    assert set(table.column("decided_by").to_pylist()) <= {
        "deterministic:national_id", "splink", "new_subject",
    }  # fmt: skip


def test_bad_input_is_one_line(env: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["identity", "link", str(env / "obligation.csv")])
    assert missing.exit_code == 1
    assert missing.output.startswith("error: ")
    assert "Traceback" not in missing.output
    wrong = runner.invoke(app, ["identity", "export", "--out", str(env / "links.csv")])
    assert wrong.exit_code == 1
    assert "--out must name a .parquet file" in wrong.output
