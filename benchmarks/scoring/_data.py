"""The benchmark's synthetic scorecard and data: 20 float32 characteristics x 8 bins.

Characteristic ``x{j}`` is drawn uniform on [0, 1) with 2 % missing (NULL), and its bins have
edges at 1/8 ... 7/8, so every bin is hit about equally often. The criterion column
``months_history`` fails for about 5 % of the rows (status ``NS``). A binary target is drawn from
a logistic model of the characteristics so that optbinning can fit the same scorecard shape.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from trustscore.scoring import ScorecardArtifact, load_artifact

__all__ = [
    "BINS",
    "CHARACTERISTICS",
    "EDGES",
    "benchmark_arrays",
    "benchmark_artifact",
    "benchmark_table",
    "benchmark_target",
    "parquet_ready",
    "parquet_schema",
    "write_parquet",
]

CHARACTERISTICS: Final = 20
BINS: Final = 8
EDGES: Final = tuple(float(k) / BINS for k in range(1, BINS))
MISSING_RATE: Final = 0.02
_DIMS: Final = ("payment_reliability", "credit_history", "capacity", "public_records")


def benchmark_artifact() -> ScorecardArtifact:
    """A valid artifact: 20 numeric characteristics of 8 bins in 4 dimensions, one criterion."""
    rng = np.random.default_rng(7)
    chars: list[dict[str, Any]] = []
    for j in range(CHARACTERISTICS):
        pts = np.sort(rng.integers(0, 45, size=BINS))
        if j % 2:
            pts = pts[::-1]
        bins = [{"upper": e, "points": int(p)} for e, p in zip(EDGES, pts[:-1], strict=True)]
        bins.append({"upper": None, "points": int(pts[-1])})
        chars.append(
            {
                "name": f"x{j:02d}",
                "dimension": _DIMS[j % len(_DIMS)],
                "type": "numeric",
                "reason_code": f"BR{j:02d}",
                "reason": f"Characteristic {j}",
                "improve": "",
                "bins": bins,
                "missing": {"points": int(pts.min())},
                # the data are uniform on [0, 1) with NaN: nothing is flagged
                "quality": {"min": 0.0, "max": 1.0, "bounds": [0.0, 1.0], "missing_seen": True},
            }
        )
    return load_artifact(
        {
            "format": "trustscore.scorecard",
            "schema_version": 3,
            "model_version": "bench-20x8",
            "created_at": "2026-01-01T00:00:00+00:00",
            "target": "bad",
            "scaling": {"pdo": 40.0, "anchor_score": 600, "anchor_odds": 20.0},
            "dimensions": [{"name": d, "label": d} for d in _DIMS],
            "characteristics": chars,
            "criteria": [{"column": "months_history", "op": ">=", "value": 6, "text": "6 m"}],
            "model_card": {"approved_purposes": ["credit_pricing"]},
        }
    )


def benchmark_arrays(n: int, seed: int = 0) -> dict[str, npt.NDArray[np.float32]]:
    """``n`` rows of the 20 characteristics and ``months_history``, as float32 numpy arrays."""
    rng = np.random.default_rng(seed)
    cols: dict[str, npt.NDArray[np.float32]] = {}
    for j in range(CHARACTERISTICS):
        x = rng.random(n, dtype=np.float32)
        x[rng.random(n, dtype=np.float32) < MISSING_RATE] = np.nan
        cols[f"x{j:02d}"] = x
    months = rng.integers(0, 120, size=n).astype(np.float32)
    months[months < 6] = 0.0  # about 5 % below the criterion
    cols["months_history"] = months
    return cols


def benchmark_table(n: int, seed: int = 0) -> pa.Table:
    """``n`` rows as an Arrow table of float32 columns, missing values as NULL (never NaN).

    The project stores missing values as NULL (docs/architecture.md), so the scorers read
    Arrow validity bitmaps here, as they do on real feature tables.
    """
    cols = benchmark_arrays(n, seed)
    return pa.table({name: pa.array(x, mask=np.isnan(x)) for name, x in cols.items()})


def benchmark_target(table: pa.Table, seed: int = 1) -> npt.NDArray[np.int64]:
    """A binary target from a logistic model of the characteristics (for fitting optbinning)."""
    rng = np.random.default_rng(seed)
    z = np.full(table.num_rows, -2.0)
    for j in range(CHARACTERISTICS):
        x = np.nan_to_num(table.column(f"x{j:02d}").to_numpy(), nan=0.5)
        z += (0.4 if j % 2 else -0.4) * (x - 0.5)
    p = 1.0 / (1.0 + np.exp(-z))
    return (rng.random(table.num_rows) < p).astype(np.int64)


def write_parquet(path: Path, n: int, *, chunk_rows: int = 2_000_000) -> None:
    """Write ``n`` rows (an int64 ``subject_id`` first) to one Parquet file, chunk by chunk.

    Memory stays near one chunk; each chunk is one row group. Written under a temporary name
    and renamed when complete, so a file at ``path`` is always whole.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    schema = parquet_schema()
    with pq.ParquetWriter(tmp, schema, compression="snappy") as writer:
        for i, start in enumerate(range(0, n, chunk_rows)):
            m = min(chunk_rows, n - start)
            table = benchmark_table(m, seed=1000 + i)
            ids = pa.array(np.arange(start, start + m, dtype=np.int64))
            writer.write_table(table.add_column(0, "subject_id", ids), row_group_size=m)
    tmp.replace(path)


def parquet_schema() -> pa.Schema:
    """The schema :func:`write_parquet` writes."""
    return benchmark_table(1).add_column(0, "subject_id", pa.array([0], pa.int64())).schema


def parquet_ready(path: Path, n: int) -> bool:
    """Whether ``path`` holds ``n`` rows with the schema :func:`write_parquet` writes."""
    if not path.exists():
        return False
    try:
        f = pq.ParquetFile(path)
    except (OSError, pa.ArrowInvalid):
        return False
    return f.metadata.num_rows == n and f.schema_arrow.equals(parquet_schema())
