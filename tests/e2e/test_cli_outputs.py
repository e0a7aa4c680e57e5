"""Every CLI output is written beside ``--out`` and renamed into place (issue 15).

``features``, ``score`` from CSV and ``decide`` wrote straight to ``--out``, so a crash left a
0-4 byte file where the previous output was; ``score`` from Parquet left temporary files. A
writer that fails half way, and a process killed with SIGKILL half way, must leave the previous
output whole and, once the next command has run, no temporary file.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from trustscore import ledger as lg
from trustscore.cli import app
from trustscore.pipeline import Workspace, registry_moved, store_and_register
from trustscore.scoring import ScorecardArtifact
from trustscore.scoring._artifact import example_artifact_dict
from trustscore.settings import get_settings

runner = CliRunner()


def features(n: int) -> pa.Table:
    """Rows the example artifact scores."""
    return pa.table(
        {
            "subject_id": [f"S{i:06d}" for i in range(n)],
            "on_time_rate": [i / n for i in range(n)],
            "card_kind": [("none", "card", "loan", "other")[i % 4] for i in range(n)],
            "months_history": [float(i % 24) for i in range(n)],
        }
    )


def _half_written(table: Any, where: Any, *args: Any, **kwargs: Any) -> None:
    """``pq.write_table`` failing half way: a file's first bytes, then an error."""
    Path(where).write_bytes(b"PAR1")
    raise OSError("the disk went away half way")


def _half_written_by_duckdb(con: Any, expr: Any, where: Path) -> int:
    """DuckDB's streaming writer (``engines.duckdb_write_parquet``) failing the same way."""
    Path(where).write_bytes(b"PAR1")
    raise OSError("the disk went away half way")


def _half_written_batches(where: Path, *args: Any, **kwargs: Any) -> int:
    """The batch scorer's writer (``_write(path, schema, ...)``) failing the same way."""
    Path(where).write_bytes(b"PAR1")
    raise OSError("the disk went away half way")


@pytest.fixture
def model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    spec = example_artifact_dict()
    # decide places cut-offs on the score-to-odds line, which a fitted model's scaling carries
    spec["scaling"].update(score_factor=40 / math.log(2), score_offset=600 - 40 * math.log2(20))
    path = tmp_path / "model.json"
    path.write_text(ScorecardArtifact.from_dict(spec).to_json())
    # decide takes only the purpose's champion: register, approve and promote the model
    ws = Workspace(tmp_path / "ws").create()
    ledger = lg.Ledger(ws.ledger_url)
    ledger.upgrade()
    dev = lg.create_client(ledger, "operator")[0].client_id
    val = lg.create_client(ledger, "validator")[0].client_id
    m = store_and_register(ledger, ws, path, registered_by=dev)
    lg.approve_model(ledger, m.model_hash, ["credit_pricing"], validator=val, report_hash="r")
    lg.promote_model(ledger, m.model_hash, "credit_pricing", actor=val)
    registry_moved(ledger, ws)
    ledger.dispose()
    monkeypatch.setenv("TRUSTSCORE_WORKSPACE", str(ws.root))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def _inputs(tmp_path: Path) -> dict[str, Path]:
    table = features(500)
    csv, parquet = tmp_path / "features.csv", tmp_path / "features.parquet"
    pa.csv.write_csv(table, csv)
    pq.write_table(table, parquet)
    return {"csv": csv, "parquet": parquet}


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _commands(model: Path, tmp_path: Path) -> dict[str, list[str]]:
    data = _inputs(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    return {
        "score-csv": ["score", "--model", str(model), "--data", str(data["csv"]),
                      "--out", str(out / "scores.parquet"), "--carry", "subject_id"],
        "score-parquet": ["score", "--model", str(model), "--data", str(data["parquet"]),
                          "--out", str(out / "scores.parquet"), "--carry", "subject_id"],
        "decide": ["decide", "--purpose", "credit_pricing", "--model", str(model),
                   "--scores", str(tmp_path / "scored.parquet"),
                   "--out", str(out / "decisions.parquet")],
    }  # fmt: skip


def _prepare(model: Path, tmp_path: Path) -> dict[str, list[str]]:
    commands = _commands(model, tmp_path)
    scored = str(tmp_path / "scored.parquet")
    first = runner.invoke(app, [*commands["score-parquet"][:-4], "--out", scored])
    assert first.exit_code == 0, first.output
    return commands


@pytest.mark.parametrize("name", ["score-csv", "score-parquet", "decide"])
def test_a_writer_failing_half_way_leaves_the_previous_output(
    name: str, model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = _prepare(model, tmp_path)[name]
    out = Path(command[command.index("--out") + 1])
    assert runner.invoke(app, command).exit_code == 0
    before = pq.read_table(out)
    listing = _listing(out.parent)

    monkeypatch.setattr(pq, "write_table", _half_written)
    monkeypatch.setattr("trustscore.scoring._batch._write", _half_written_batches)
    failed = runner.invoke(app, command)
    assert failed.exit_code != 0
    assert pq.read_table(out).equals(before)
    assert _listing(out.parent) == listing  # no temporary file, no temporary folder


def test_features_failing_half_way_leaves_the_previous_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "obligation.csv").write_text(
        "record_id,subject_id,furnisher,category,account,due_date,amount_due,paid_date,amount_paid\n"
        "o1,s1,power,utility,A1,2024-01-10,80.25,,\n"
        "o2,s1,power,utility,A1,2024-02-10,80.25,2024-02-09,80.25\n"
    )
    (tmp_path / "subject.csv").write_text("subject_id,kind,created_date\ns1,person,2020-01-01\n")
    store = tmp_path / "store"
    for name in ("subject.csv", "obligation.csv"):
        ingested = runner.invoke(app, ["ingest", str(tmp_path / name), "--store", str(store),
                                       "--ingested-at", "2024-03-01T00:00"])  # fmt: skip
        assert ingested.exit_code == 0, ingested.output
    out = tmp_path / "out" / "features.parquet"
    command = ["features", "--as-of", "2024-03-31", "--store", str(store), "--out", str(out)]
    assert runner.invoke(app, command).exit_code == 0
    before = pq.read_table(out)
    # DuckDB streams the table into the file (COPY ... TO): fail it half way
    monkeypatch.setattr("trustscore.engines.duckdb_write_parquet", _half_written_by_duckdb)
    assert runner.invoke(app, command).exit_code != 0
    assert pq.read_table(out).equals(before)
    assert _listing(out.parent) == ["features.parquet"]


#: A ``trustscore`` run that SIGKILLs itself half way through writing its output.
_KILLED = """
import json, os, signal, sys
from pathlib import Path
import pyarrow.parquet as pq
import trustscore.scoring._batch as batch

def killed(where):
    Path(where).write_bytes(b"PAR1")
    os.kill(os.getpid(), signal.SIGKILL)

pq.write_table = lambda table, where, *args, **kwargs: killed(where)
batch._write = lambda where, *args, **kwargs: killed(where)
from trustscore import ledger as lg
from trustscore.cli import app
from trustscore.pipeline import Workspace, registry_moved, store_and_register
app(json.loads(sys.argv[1]))
"""


@pytest.mark.parametrize("name", ["score-csv", "score-parquet", "decide"])
def test_a_process_killed_half_way_leaves_the_previous_output(
    name: str, model: Path, tmp_path: Path
) -> None:
    command = _prepare(model, tmp_path)[name]
    out = Path(command[command.index("--out") + 1])
    assert runner.invoke(app, command).exit_code == 0
    before = pq.read_table(out)
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED, json.dumps(command)],
        capture_output=True, text=True, check=False, timeout=600,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert pq.read_table(out).equals(before)
    # the killed process could not clean up; the next command writing this output does
    assert len(_listing(out.parent)) == 2
    again = runner.invoke(app, command)
    assert again.exit_code == 0, again.output
    assert _listing(out.parent) == [out.name]
    assert pq.read_table(out).num_rows == before.num_rows
