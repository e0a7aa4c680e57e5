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
        "deterministic:national_id", "deterministic:registration_code", "splink", "new_subject",
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


def test_operators_merge_and_split_from_a_terminal(env: Path) -> None:
    from trustscore.identity import IdentityStore
    from trustscore.pipeline import Workspace
    from trustscore.records import RecordStore

    runner = CliRunner()
    out = env / "synth"
    made = runner.invoke(
        app, ["synth", "--out", str(out), "--subjects", "40", "--seed", "5", "--identities"]
    )
    assert made.exit_code == 0, made.output
    linked = runner.invoke(
        app, ["identity", "link", str(out / "identified" / "obligation.parquet")]
    )
    assert linked.exit_code == 0, linked.output
    runner.invoke(app, ["identity", "export", "--out", str(env / "before.parquet")])
    before = pq.read_table(env / "before.parquet").to_pylist()
    keep, other = sorted({str(r["subject_id"]) for r in before})[:2]
    theirs = {r["record_id"] for r in before if r["subject_id"] == other}
    ids = IdentityStore(RecordStore(Workspace(env / "ws").store_dir))
    their_profiles = [str(p["profile_id"]) for p in ids.identity_of(other)]

    merged = runner.invoke(app, ["identity", "merge", keep, other, "--operator", "ops"])
    assert merged.exit_code == 0, merged.output
    assert f"merge {keep} / {other}, {len(theirs)} record(s) moved" in merged.output
    runner.invoke(app, ["identity", "export", "--out", str(env / "merged.parquet")])
    after = {r["record_id"]: r for r in pq.read_table(env / "merged.parquet").to_pylist()}
    assert {after[r]["subject_id"] for r in theirs} == {keep}
    assert {after[r]["decided_by"] for r in theirs} == {"merge:ops"}
    # the identity store follows: the merged subject's profiles are the kept one's now
    assert ids.identity_of(other) == []
    assert set(their_profiles) <= {str(p["profile_id"]) for p in ids.identity_of(keep)}

    split = runner.invoke(
        app, ["identity", "split", keep, "--operator", "ops", "--profile", their_profiles[0]]
    )
    assert split.exit_code == 0, split.output
    new = split.output.split(" / ")[1].split(",")[0]
    assert [str(p["profile_id"]) for p in ids.identity_of(new)] == [their_profiles[0]]
    bad = runner.invoke(app, ["identity", "split", keep, "--operator", "ops", "--record", "x"])
    assert bad.exit_code == 1
    assert bad.output.startswith("error: --record must be kind:record_id")
    report = runner.invoke(
        app, ["identity", "report-split", keep, "--details", "I was Ann Lee before 2019"]
    )
    assert report.exit_code == 0, report.output
    assert "split-file report" in report.output
