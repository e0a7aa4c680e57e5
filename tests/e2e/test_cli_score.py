"""``trustscore score`` over Parquet: every engine writes the same scores, with progress."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner, Result

from trustscore.cli import app
from trustscore.scoring import ScorecardArtifact, score
from trustscore.scoring._artifact import example_artifact_dict

runner = CliRunner()


def features(n: int) -> pa.Table:
    rng = np.random.default_rng(11)
    rate = rng.uniform(-0.2, 1.2, size=n)
    rate[rng.random(n) < 0.05] = np.nan
    return pa.table(
        {
            "subject_id": [f"S{i:06d}" for i in range(n)],
            "on_time_rate": pa.array(rate, type=pa.float32(), mask=rng.random(n) < 0.05),
            "card_kind": pa.array(rng.choice(["none", "card", "loan", "other"], size=n)),
            "months_history": rng.integers(0, 24, size=n).astype(np.float64),
        }
    )


def _score(model: Path, data: Path, out: Path, *args: str) -> Result:
    cmd = ["score", "--model", str(model), "--data", str(data), "--out", str(out), *args]
    return runner.invoke(app, cmd)


@pytest.fixture
def model(tmp_path: Path) -> tuple[Path, ScorecardArtifact]:
    art = ScorecardArtifact.from_dict(example_artifact_dict())
    path = tmp_path / "model.json"
    path.write_text(art.to_json())
    return path, art


@pytest.mark.parametrize("engine", ["kernel", "duckdb"])
def test_score_a_folder_of_parquet(
    engine: str, model: tuple[Path, ScorecardArtifact], tmp_path: Path
) -> None:
    path, art = model
    table = features(3_000)
    folder = tmp_path / "features"
    folder.mkdir()
    pq.write_table(table.slice(0, 1_200), folder / "a.parquet", row_group_size=500)
    pq.write_table(table.slice(1_200), folder / "b.parquet", row_group_size=500)
    out = tmp_path / "scores.parquet"
    result = _score(path, folder, out, "--engine", engine, "--carry", "subject_id")
    assert result.exit_code == 0, result.output
    assert "scored 3,000 rows into" in result.output
    assert "score        done (3,000)" in result.output  # progress, as a line without a terminal
    assert pq.read_table(out).equals(score(art, table, carry=["subject_id"]))


@pytest.mark.parametrize("engine", ["kernel", "duckdb"])
def test_score_refuses_text_in_a_numeric_column(
    engine: str, model: tuple[Path, ScorecardArtifact], tmp_path: Path
) -> None:
    path, _ = model
    data = tmp_path / "features.parquet"
    table = features(10).set_column(1, "on_time_rate", pa.array(["0.5"] * 9 + ["high"]))
    pq.write_table(table, data)
    out = tmp_path / "scores.parquet"
    result = _score(path, data, out, "--engine", engine)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert result.output.startswith("error:")
    assert "'on_time_rate' must be numeric, got string" in result.output
    assert not out.exists()
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_score_for_a_purpose_takes_the_spark_master_only_with_spark(tmp_path: Path) -> None:
    """``--spark-master`` reaches the champion's run too: with another engine it is refused."""
    got = runner.invoke(app, ["score", "--purpose", "credit_pricing", "--data",
                              str(tmp_path / "f.parquet"), "--out", str(tmp_path / "s.parquet"),
                              "--spark-master", "local[1]"])  # fmt: skip
    assert got.exit_code == 1
    assert "--spark-master applies only with --engine spark (got --engine kernel)" in got.output
