"""Monitoring end to end: the demo's monthly runs (one with injected drift, flagged),
``trustscore monitor`` on the demo workspace, and the auditors' API over the runs."""

from __future__ import annotations

import json
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner, Result

from trustscore import ledger as lg
from trustscore.cli import app
from trustscore.pipeline import DEFAULT_AS_OF, Workspace, workspace_champion
from trustscore.pipeline._demo_monitoring import DRIFT_FEATURE, demo_months
from trustscore.service import create_app
from trustscore.settings import Settings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

runner = CliRunner()
DEMO_MONTHS = demo_months(DEFAULT_AS_OF)


def _runs(ws: Path) -> dict[str, dict]:
    folder = Workspace(ws).monitoring_dir / "runs"
    return {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


def test_the_demo_keeps_three_monthly_runs_and_flags_the_drifted_one(small_demo: Path) -> None:
    runs = _runs(small_demo)
    assert tuple(runs) == DEMO_MONTHS
    stability = {
        month: {(f["metric"], f["name"], f["level"]) for f in r["flags"]
                if f["metric"] in ("psi", "csi")}
        for month, r in runs.items()
    }  # fmt: skip
    assert stability["2026-01"] == set()
    assert stability["2026-02"] == set()
    assert ("csi", DRIFT_FEATURE, "act") in stability["2026-03"]
    drifted = runs["2026-03"]["csi"][DRIFT_FEATURE]
    assert drifted["psi"] >= 0.25
    assert runs["2026-02"]["csi"][DRIFT_FEATURE]["psi"] < 0.10
    # the first month's outcomes are known (back-testing); later months only have the estimate
    assert runs["2026-01"]["backtest"]["n"] > 0
    assert runs["2026-03"]["backtest"] is None
    assert runs["2026-03"]["estimate"]["expected_auc"] is not None
    assert runs["2026-03"]["fairness"]["groups"]


def test_the_demo_report_renders_the_trend_over_the_runs(small_demo: Path) -> None:
    html = (Workspace(small_demo).monitoring_dir / "monitor.html").read_text(encoding="utf-8")
    for month in DEMO_MONTHS:
        assert f"<td>{month}</td>" in html
    assert html.count("<polyline") >= 4  # PSI, CSI, rates, mean score, performance
    assert "flag-act" in html
    assert f"csi {DRIFT_FEATURE}" in html
    assert "<script" not in html
    assert "https://" not in html


@pytest.fixture(scope="module")
def ws(small_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("monitor") / "ws"
    shutil.copytree(small_demo, root)
    return root


def _model(ws: Path) -> Path:
    """The demo's champion, as the registry stores it."""
    workspace = Workspace(ws)
    return workspace.model_path_for(workspace_champion(workspace).model_version)


def _monitor(ws: Path, *args: str) -> Result:
    cmd = ["monitor", "--model", str(_model(ws)), "--workspace", str(ws), *args]
    return runner.invoke(app, cmd)


def test_cli_monitor_defaults_to_the_development_sample(ws: Path, tmp_path: Path) -> None:
    features = pq.read_table(ws / "features.parquet")
    current = tmp_path / "june.parquet"
    pq.write_table(features.slice(0, 200), current)
    out = tmp_path / "mon"
    result = _monitor(ws, "--current", str(current), "--out", str(out), "--run-id", "2026-06")
    assert result.exit_code == 0, result.output
    # the baseline is the demo's development sample: its persons (organisations have their own)
    assert f"monitoring run 2026-06: 200 rows against {features.num_rows}" in result.output
    run = json.loads((out / "monitor.json").read_text())
    assert run["baseline"]["source"] == str(ws / "features.parquet")
    assert set(run["csi"]) == {c["name"] for c in json.loads(_model(ws).read_text())
                               ["characteristics"]}  # fmt: skip
    assert 0.0 <= run["psi"]["psi"] < 0.10  # a subset of the development sample itself
    # a second run accumulates beside the first; the page shows both
    again = _monitor(ws, "--current", str(current), "--out", str(out), "--run-id", "2026-07",
                     "--baseline", str(current))  # fmt: skip
    assert again.exit_code == 0, again.output
    assert sorted(p.stem for p in (out / "runs").iterdir()) == ["2026-06", "2026-07"]
    assert json.loads((out / "monitor.json").read_text())["psi"]["psi"] == 0.0
    html = (out / "monitor.html").read_text()
    assert "2026-06" in html
    assert "2026-07" in html


def test_cli_monitor_reads_groups_and_outcomes_files(ws: Path, tmp_path: Path) -> None:
    current = tmp_path / "cur.parquet"
    pq.write_table(pq.read_table(ws / "features.parquet"), current)
    out = tmp_path / "mon"
    result = _monitor(
        ws, "--current", str(current), "--out", str(out), "--run-id", "m1",
        "--groups", str(ws / "synth" / "protected.parquet"),
        "--outcomes", str(ws / "synth" / "outcomes.parquet"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    run = json.loads((out / "monitor.json").read_text())
    assert run["fairness"]["groups"]
    assert run["backtest"]["n"] > 0
    assert run["backtest"]["development"]["auc"] is not None


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing_column", "no column(s) "),
        ("no_baseline", "No baseline"),
        ("bad_run_id", "A run id is"),
        ("bad_outcome", "row 2 holds 7"),
        ("no_group_column", "there is no column 'sex'"),
        ("no_file", "No such file"),
    ],
)
def test_cli_monitor_bad_inputs_are_one_clear_line(
    ws: Path, tmp_path: Path, case: str, message: str
) -> None:
    features = pq.read_table(ws / "features.parquet").slice(0, 20)
    current = tmp_path / "cur.parquet"
    out = tmp_path / "mon"
    args = ["--current", str(current), "--out", str(out)]
    if case == "missing_column":
        features = features.drop([features.column_names[1]])
    elif case == "no_baseline":
        args = [*args, "--workspace", str(tmp_path / "empty")]
    elif case == "bad_run_id":
        args = [*args, "--run-id", "../x"]
    elif case == "bad_outcome":
        ids = features.column("subject_id").to_pylist()[:2]
        pq.write_table(pa.table({"subject_id": ids, "target": [0, 7]}), tmp_path / "y.parquet")
        args = [*args, "--outcomes", str(tmp_path / "y.parquet")]
    elif case == "no_group_column":
        args = [*args, "--groups", str(ws / "synth" / "protected.parquet"), "--group-column",
                "sex"]  # fmt: skip
    elif case == "no_file":
        args = ["--current", str(tmp_path / "nope.parquet"), "--out", str(out)]
    pq.write_table(features, current)
    result = _monitor(ws, *args)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (out / "monitor.json").exists()


@pytest.fixture(scope="module")
def api(ws: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    ledger = lg.Ledger(f"sqlite:///{ws / 'ledger.sqlite'}")
    ledger.upgrade()
    tokens = {
        role: lg.create_client(ledger, role, purposes, subject, name=role)[1]
        for role, purposes, subject in [
            ("auditor", [], None), ("admin", [], None), ("lender", ["credit_pricing"], None),
            ("subject", [], "S000001"), ("operator", [], None),
        ]
    }  # fmt: skip
    settings = Settings(workspace=ws, _env_file=None)  # type: ignore[call-arg]
    yield TestClient(create_app(settings, ledger=ledger)), tokens
    ledger.dispose()


def _get(api: tuple[TestClient, dict[str, str]], role: str | None, path: str) -> object:
    client, tokens = api
    headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
    return client.get(path, headers=headers)


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditors_and_admins_list_the_runs(
    api: tuple[TestClient, dict[str, str]], role: str
) -> None:
    r = _get(api, role, "/v1/monitoring/runs")
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    runs = r.json()  # type: ignore[attr-defined]
    assert [x["run_id"] for x in runs] == list(DEMO_MONTHS)
    assert runs[-1]["level"] == "act"
    assert runs[-1]["top_csi"][0][0] == DRIFT_FEATURE
    one = _get(api, role, "/v1/monitoring/runs/2026-03").json()  # type: ignore[attr-defined]
    assert one["csi"][DRIFT_FEATURE]["flag"] == "act"
    assert one["psi"]["psi"] == runs[-1]["psi"]


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("lender", 403), ("subject", 403),
                                              ("operator", 403)])  # fmt: skip
def test_others_may_not_read_the_runs(
    api: tuple[TestClient, dict[str, str]], role: str | None, status: int
) -> None:
    for path in ("/v1/monitoring/runs", "/v1/monitoring/runs/2026-03"):
        assert _get(api, role, path).status_code == status  # type: ignore[attr-defined]


def test_an_unknown_run_is_404(api: tuple[TestClient, dict[str, str]]) -> None:
    r = _get(api, "auditor", "/v1/monitoring/runs/2030-01")
    assert r.status_code == 404  # type: ignore[attr-defined]
    assert r.json()["error"]["code"] == "not_found"  # type: ignore[attr-defined]
    # the answer names the run, never the server's folders (issue 15: a 404 discloses no path)
    text = r.text  # type: ignore[attr-defined]
    assert "2030-01" in text
    assert "/monitoring" not in text
    assert "runs/" not in text
