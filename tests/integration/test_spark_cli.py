"""``trustscore features|score --engine spark`` as users run them: Spark jobs whose executors
write folders of Parquet part files, in local mode and on a standalone cluster (a master and a
worker on loopback, :func:`spark_cluster`), exactly equal to DuckDB's features and the kernel's
scores, sub-scores and reasons.

One small store serves every case: 80 subjects with late and unpaid bills, re-sent versions,
deletions, suppressions and consent events (``random_stores``), so features take NULL and
repeated values; the scorecard cuts its bins exactly at values the features take, so rows sit
on bin edges.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from random_stores import write_random_store
from scoring_strategies import artifact_of
from trustscore.cli import app
from trustscore.pipeline import read_table
from trustscore.settings import get_settings

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    # pyspark 4.3's toPandas uses options and keywords that pandas 3 deprecates
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option"),
]

AS_OF = "2024-12-31"


@dataclass(frozen=True)
class Case:
    store: Path
    model: Path
    features: Path  # DuckDB's, one file
    scores: Path  # the kernel's from DuckDB's features, one file
    edges: dict[str, list[float]]


def _cli(*args: str | Path) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def _edge_artifact(features: pa.Table) -> tuple[Any, dict[str, list[float]]]:
    """Bins cut at values the features take (a value on an edge goes above it), a missing bin,
    and a criterion so that some subjects are NS."""
    chars, edges = [], {}
    for j, name in enumerate(c for c in features.column_names if c != "subject_id"):
        values = sorted({v for v in features[name].to_pylist() if v is not None})
        edges[name] = values[1::2][:6]
        chars.append(
            {"name": name, "dimension": "dpr"[j % 3], "type": "numeric",
             "reason_code": f"R{j:02d}", "reason": name,
             "bins": [*({"upper": e, "points": 3 * k + j % 5} for k, e in enumerate(edges[name])),
                      {"upper": None, "points": 3 * len(edges[name]) + 7}],
             "missing": {"points": 1}}
        )  # fmt: skip
    criteria = [{"column": "months_history", "op": ">=", "value": 12, "text": "a year of history"}]
    return artifact_of(chars, criteria), edges


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    root = tmp_path_factory.mktemp("spark-cli")
    store = write_random_store(root / "store", 80, seed=13)
    features, scores, model = root / "features.parquet", root / "scores.parquet", root / "m.json"
    _cli("features", "--as-of", AS_OF, "--store", store, "--out", features)
    art, edges = _edge_artifact(pq.read_table(features))
    art.to_json(model)
    _cli("score", "--model", model, "--data", features, "--out", scores, "--carry", "subject_id")
    return Case(store, model, features, scores, edges)


def _assert_equal(got_dir: Path, want_file: Path) -> pa.Table:
    """The folder Spark wrote holds exactly the rows of ``want_file``: same columns, types and
    values (==, no tolerance), compared by subject."""
    assert got_dir.is_dir()
    assert sorted(got_dir.glob("part-*.parquet")), f"no part files in {got_dir}"
    got = pq.read_table(got_dir).sort_by("subject_id")
    want = pq.read_table(want_file).sort_by("subject_id")
    assert got.schema == want.schema  # names, types and nullability
    for name in want.column_names:
        assert got[name].to_pylist() == want[name].to_pylist(), name
    return want


def test_the_reference_exercises_edges_nulls_and_ns(case: Case) -> None:
    features = pq.read_table(case.features)
    on_edge = sum(
        v in set(case.edges[name])
        for name in case.edges
        for v in features[name].to_pylist()
    )  # fmt: skip
    assert features.num_rows > 50
    assert on_edge > 50
    assert sum(features[name].null_count for name in case.edges) > 20
    scores = pq.read_table(case.scores)
    statuses = scores["status"].to_pylist()
    assert 0 < statuses.count("NS") < len(statuses)
    assert scores["reason_1"].null_count < len(statuses)
    assert len(set(scores["score"].to_pylist())) > 10


def test_features_and_scores_in_local_mode_equal_duckdb(
    spark: Any, case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the settings' default master, local[*]: the session the suite already runs
    monkeypatch.delenv("TRUSTSCORE_SPARK_MASTER", raising=False)
    monkeypatch.delenv("TRUSTSCORE_SPARK_CONF", raising=False)
    get_settings.cache_clear()
    try:
        features, scores = tmp_path / "features.parquet", tmp_path / "scores.parquet"
        said = _cli("features", "--as-of", AS_OF, "--store", case.store, "--out", features,
                    "--engine", "spark")  # fmt: skip
        want = _assert_equal(features, case.features)
        assert f"wrote features of {want.num_rows:,} subjects" in said
        said = _cli("score", "--model", case.model, "--data", features, "--out", scores,
                    "--carry", "subject_id", "--engine", "spark")  # fmt: skip
        _assert_equal(scores, case.scores)
        assert f"scored {want.num_rows:,} rows" in said
        # the folders are read by the rest of the pipeline (train, decide and monitor read
        # through read_table); decide itself now takes only a registered champion's scores
        got = read_table(scores).sort_by("subject_id")
        assert got.equals(pq.read_table(case.scores).sort_by("subject_id"))
    finally:
        get_settings.cache_clear()


#: The CLI as a user runs it, in a process of its own with its own Spark driver: the commands
#: of argv[1] one after the other, as ``trustscore ...`` runs them (one driver and one executor
#: for both, which halves the test's time against a process per command).
_COMMANDS = """
import json, sys
from trustscore.cli import app
for args in json.loads(sys.argv[1]):
    try:
        app(args, prog_name="trustscore")
    except SystemExit as exc:
        if exc.code:
            raise
"""


def _cli_process(*commands: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", _COMMANDS, json.dumps(commands)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_features_and_scores_on_a_standalone_cluster_equal_duckdb(
    spark_cluster: Any, case: Case, tmp_path: Path
) -> None:
    master = spark_cluster.master_url
    env = {
        # the driver stays on loopback, where the worker's executor reaches it; the executor
        # gets half the worker's memory; a shuffle is cut into as many parts as the cluster
        # has cores (Spark's default of 200 is for clusters of hundreds of cores)
        "TRUSTSCORE_SPARK_CONF": json.dumps(
            {
                "spark.driver.host": "127.0.0.1",
                "spark.driver.bindAddress": "127.0.0.1",
                "spark.executor.memory": "512m",
                "spark.sql.shuffle.partitions": "2",
            }
        ),
        "PYSPARK_PYTHON": sys.executable,
    }
    features, scores = tmp_path / "features.parquet", tmp_path / "scores.parquet"
    # the master from the settings (for both), and from the option
    said = _cli_process(
        ["features", "--as-of", AS_OF, "--store", str(case.store), "--out", str(features),
         "--engine", "spark"],
        ["score", "--model", str(case.model), "--data", str(features), "--out", str(scores),
         "--carry", "subject_id", "--engine", "spark", "--spark-master", master],
        env={**env, "TRUSTSCORE_SPARK_MASTER": master},
    )  # fmt: skip
    want = _assert_equal(features, case.features)
    _assert_equal(scores, case.scores)
    assert f"wrote features of {want.num_rows:,} subjects" in said
    assert f"scored {want.num_rows:,} rows" in said
    # the work ran on the cluster: the worker started an executor for the application
    apps = sorted(p.name for p in spark_cluster.work_dir.iterdir())
    assert len(apps) == 1, apps
