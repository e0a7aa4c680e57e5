"""score_parquet: streaming batch scoring equals score(), in input order, ids carried."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from trustscore.exceptions import EngineError, SchemaError
from trustscore.scoring import ScorecardArtifact, score, score_parquet
from trustscore.scoring._artifact import example_artifact_dict


@pytest.fixture(scope="module")
def art() -> ScorecardArtifact:
    return ScorecardArtifact.from_dict(example_artifact_dict())


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pa.Table]:
    rng = np.random.default_rng(3)
    n = 10_000
    rate = rng.uniform(-0.2, 1.2, size=n)
    rate[rng.random(n) < 0.05] = -1.0
    table = pa.table(
        {
            "subject_id": [f"s{i:05d}" for i in range(n)],
            "on_time_rate": pa.array(rate, mask=rng.random(n) < 0.05),
            "card_kind": pa.array(rng.choice(["none", "card", "loan", "x"], size=n)),
            "months_history": rng.integers(0, 24, size=n).astype(np.float64),
        }
    )
    path = tmp_path_factory.mktemp("batch") / "features.parquet"
    pq.write_table(table, path, row_group_size=3000)
    return path, table


def test_kernel_streams_in_batches_and_equals_score(
    art: ScorecardArtifact, source: tuple[Path, pa.Table], tmp_path: Path
) -> None:
    path, table = source
    calls: list[tuple[int, int]] = []
    dest = tmp_path / "scores.parquet"
    n = score_parquet(art, path, dest, batch_rows=1000, progress=lambda d, t: calls.append((d, t)))
    assert n == 10_000
    assert len(calls) >= 10
    assert calls[-1] == (10_000, 10_000)
    assert all(b - a <= 1000 for (a, _), (b, _) in zip([(0, 0), *calls], calls, strict=False))
    got = pq.read_table(dest)
    assert got.equals(score(art, table, carry=["subject_id"]))
    assert not list(tmp_path.glob(".*.tmp"))


def test_duckdb_reader_streams_in_batches_and_equals_kernel(
    art: ScorecardArtifact, source: tuple[Path, pa.Table], tmp_path: Path
) -> None:
    path, table = source
    calls: list[tuple[int, int]] = []
    dest = tmp_path / "scores.parquet"
    n = score_parquet(
        art, path, dest, engine="duckdb", batch_rows=700, progress=lambda d, t: calls.append((d, t))
    )
    assert n == 10_000
    assert len(calls) >= 15  # one call a batch, as the rows stream
    assert calls[-1] == (10_000, 10_000)
    assert all(b - a <= 700 for (a, _), (b, _) in zip([(0, 0), *calls], calls, strict=False))
    got = pq.read_table(dest)
    assert got.equals(score(art, table, carry=["subject_id"]))


def test_a_numeric_column_of_text_is_refused_before_anything_is_written(
    art: ScorecardArtifact, tmp_path: Path
) -> None:
    table = pa.table(
        {
            "subject_id": ["a", "b"],
            "on_time_rate": ["0.5", "high"],
            "card_kind": ["card", "card"],
            "months_history": [12.0, 12.0],
        }
    )
    pq.write_table(table, tmp_path / "in.parquet")
    for engine in ("kernel", "duckdb"):
        dest = tmp_path / f"{engine}.parquet"
        with pytest.raises(SchemaError, match="'on_time_rate' must be numeric, got string"):
            score_parquet(art, tmp_path / "in.parquet", dest, engine=engine)  # type: ignore[arg-type]
        assert not dest.exists()
        assert not list(tmp_path.glob(".*.tmp"))


def test_nan_in_parquet_is_missing_for_duckdb(art: ScorecardArtifact, tmp_path: Path) -> None:
    # Parquet statistics leave NaN out; DuckDB must still see it as missing (ENGINE-NOTES.md)
    table = pa.table(
        {
            "subject_id": ["a", "b", "c"],
            "on_time_rate": [0.95, float("nan"), 0.2],
            "card_kind": ["card", "card", "card"],
            "months_history": [12.0, 12.0, 12.0],
        }
    )
    pq.write_table(table, tmp_path / "in.parquet")
    for engine in ("kernel", "duckdb"):
        dest = tmp_path / f"{engine}.parquet"
        score_parquet(art, tmp_path / "in.parquet", dest, engine=engine)  # type: ignore[arg-type]
        assert pq.read_table(dest)["payment_reliability"].to_pylist() == [60, 30, 10]


def test_folder_source_and_errors(
    art: ScorecardArtifact, source: tuple[Path, pa.Table], tmp_path: Path
) -> None:
    _, table = source
    folder = tmp_path / "parts"
    folder.mkdir()
    pq.write_table(table.slice(0, 4000), folder / "part-0.parquet")
    pq.write_table(table.slice(4000), folder / "part-1.parquet")
    dest = tmp_path / "scores.parquet"
    for engine in ("kernel", "duckdb"):
        assert score_parquet(art, folder, dest, engine=engine, batch_rows=5000) == 10_000  # type: ignore[arg-type]
        assert pq.read_table(dest)["subject_id"].to_pylist() == table["subject_id"].to_pylist()
    with pytest.raises(SchemaError, match="person_id"):
        score_parquet(art, folder, dest, carry=("person_id",))
    with pytest.raises(EngineError, match="kernel, duckdb, spark, not 'polars'"):
        score_parquet(art, folder, dest, engine="polars")  # type: ignore[arg-type]
