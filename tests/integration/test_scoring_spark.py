"""The Ibis form of a scorecard run on Spark equals the reference scorer, in input order.

The artifacts are drawn with and without interactions (pairs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring_strategies import artifacts_and_data
from trustscore.scoring import ScorecardArtifact, score, score_parquet
from trustscore.scoring._reference_table import reference_table

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _reference_with_ids(art: ScorecardArtifact, data: pa.Table) -> pa.Table:
    """What ``score(art, data, carry=["subject_id"])`` gives: the reference's columns after the
    ids, in the engines' schema."""
    want = reference_table(art, data.drop_columns(["subject_id"]))
    got = want.add_column(0, "subject_id", data["subject_id"])
    return got.cast(score(art, data.slice(0, 0), carry=["subject_id"]).schema)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    case=st.one_of(
        artifacts_and_data(max_rows=25), artifacts_and_data(max_rows=25, interactions=True)
    )
)
def test_spark_engine_equals_reference(
    spark: Any, case: tuple[ScorecardArtifact, pa.Table]
) -> None:
    art, data = case
    got = score(art, data, engine="spark")
    want = reference_table(art, data)
    assert got.schema == want.schema
    for name in want.column_names:
        assert got[name].to_pylist() == want[name].to_pylist(), name


def test_spark_keeps_order_and_ids(spark: Any) -> None:
    from trustscore.scoring._artifact import example_artifact_dict

    art = ScorecardArtifact.from_dict(example_artifact_dict())
    n = 300
    data = pa.table(
        {
            "subject_id": [f"s{(i * 37) % n:03d}" for i in range(n)],
            "on_time_rate": [None if i % 11 == 0 else (i % 13) / 10 for i in range(n)],
            "card_kind": [["none", "card", "loan", "zz", None][i % 5] for i in range(n)],
            "months_history": [float(i % 9) for i in range(n)],
        }
    )
    got = score(art, data, engine="spark", carry=["subject_id"])
    assert got.equals(_reference_with_ids(art, data))


def test_score_parquet_on_spark_keeps_file_and_row_order(spark: Any, tmp_path: Path) -> None:
    # two files of several row groups each: Spark reads their splits in no promised order, and
    # the written file must still hold the source's rows in order, scored as the reference does
    from trustscore.scoring._artifact import example_artifact_dict

    art = ScorecardArtifact.from_dict(example_artifact_dict())
    rng = np.random.default_rng(5)
    n = 5_000
    rate = rng.uniform(-0.2, 1.2, size=n)
    rate[rng.random(n) < 0.05] = np.nan  # NaN in Parquet is missing, as NULL is
    table = pa.table(
        {
            "subject_id": [f"s{i:05d}" for i in range(n)],
            "on_time_rate": pa.array(rate, mask=rng.random(n) < 0.05),
            "card_kind": pa.array(rng.choice(["none", "card", "loan", "x"], size=n)),
            "months_history": rng.integers(0, 24, size=n).astype(np.float32),
        }
    )
    folder = tmp_path / "features"
    folder.mkdir()
    pq.write_table(table.slice(0, 1_000), folder / "part-0.parquet", row_group_size=300)
    pq.write_table(table.slice(1_000), folder / "part-1.parquet", row_group_size=700)
    dest = tmp_path / "scores.parquet"
    calls: list[tuple[int, int]] = []
    got_n = score_parquet(
        art,
        folder,
        dest,
        engine="spark",
        batch_rows=800,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert got_n == n
    assert calls[-1] == (n, n)
    want = _reference_with_ids(art, table)
    got = pq.read_table(dest)
    assert got.schema == want.schema
    assert got.equals(want)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["features", "scores.parquet"]
    # and from the command line, as a user runs it
    from typer.testing import CliRunner

    from trustscore.cli import app

    model = tmp_path / "model.json"
    model.write_text(art.to_json())
    out = tmp_path / "cli.parquet"
    cmd = ["score", "--model", str(model), "--data", str(folder), "--out", str(out)]
    result = CliRunner().invoke(app, [*cmd, "--engine", "spark", "--carry", "subject_id"])
    assert result.exit_code == 0, result.output
    assert f"scored {n:,} rows" in result.output
    assert pq.read_table(out).equals(want)


def test_spark_engine_gives_the_kernels_quality_flags(spark: Any) -> None:
    from trustscore.scoring._artifact import example_artifact_dict

    art = ScorecardArtifact.from_dict(example_artifact_dict())
    data = pa.table(
        {
            "on_time_rate": pa.array([0.5, 3.5, None, -1.0, float("nan"), -0.5], pa.float32()),
            "card_kind": ["card", "gold", None, "none", "loan", "x"],
            "months_history": [12.0, 12.0, 1.0, 12.0, 12.0, 12.0],
        }
    )
    got = score(art, data, engine="spark", quality=True)
    want = score(art, data, quality=True)
    assert got.equals(want)
    assert want["quality"].to_pylist() == [
        None,
        "impossible:on_time_rate;unseen_level:card_kind",
        None,
        None,
        None,
        "impossible:on_time_rate;unseen_level:card_kind",
    ]
