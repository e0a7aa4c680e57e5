"""Batch scoring of a Parquet dataset larger than memory, with bounded memory.

The kernel engine streams record batches of at most ``batch_rows`` rows from the source, file by
file (one batch in flight, no read-ahead, no pre-buffering) and appends each scored batch to the
destination file, so memory stays near one batch whatever the dataset's size. The DuckDB engine
hands the whole query to DuckDB as ``COPY (SELECT ...) TO ... (FORMAT parquet)``, which streams
(and keeps the input order) by itself.

Examples
--------
>>> import tempfile, pyarrow as pa, pyarrow.parquet as pq
>>> from pathlib import Path
>>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
>>> art = ScorecardArtifact.from_dict(example_artifact_dict())
>>> d = Path(tempfile.mkdtemp())
>>> pq.write_table(pa.table({"subject_id": ["s1", "s2", "s3"], "on_time_rate": [0.2, 0.6, 1.0],
...                          "card_kind": ["card", None, "none"],
...                          "months_history": [12.0, 12.0, 1.0]}), d / "features.parquet")
>>> score_parquet(art, d / "features.parquet", d / "scores.parquet", batch_rows=2)
3
>>> pq.read_table(d / "scores.parquet", columns=["subject_id", "score"]).to_pydict()
{'subject_id': ['s1', 's2', 's3'], 'score': [100, 75, None]}
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final, Literal

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from trustscore.exceptions import EngineError, SchemaError
from trustscore.scoring._artifact import ScorecardArtifact, load_artifact
from trustscore.scoring._inputs import check_columns
from trustscore.scoring._score import output_schema, score_table_kernel

__all__ = ["score_parquet"]

BatchEngine = Literal["kernel", "duckdb"]
_BATCH_ENGINES: Final = ("kernel", "duckdb")


def _kernel(
    art: ScorecardArtifact,
    dataset: ds.Dataset,
    dest: Path,
    carry: Sequence[str],
    batch_rows: int,
    progress: Callable[[int, int], None] | None,
) -> int:
    total = dataset.count_rows() if progress is not None else 0
    columns = list(dict.fromkeys([*carry, *art.input_columns]))
    out_schema = output_schema(art)
    schema = pa.schema([dataset.schema.field(c) for c in carry] + list(out_schema))
    done = 0
    # file by file, batch by batch, without pre-buffering: Arrow keeps every pre-buffered
    # range of a file until it is closed (memory grew by 1 GiB per 12 M rows, 10 GiB in all
    # for 100 M rows of 21 columns)
    files: list[str] = getattr(dataset, "files", [])
    with pq.ParquetWriter(dest, schema) as writer:
        for path in files:
            source = pq.ParquetFile(dataset.filesystem.open_input_file(path), pre_buffer=False)
            for batch in source.iter_batches(batch_size=batch_rows, columns=columns):
                if not batch.num_rows:
                    continue
                table = pa.Table.from_batches([batch])
                cols = [table.column(c).cast(schema.field(c).type) for c in carry]
                cols += score_table_kernel(art, table)
                writer.write_table(pa.Table.from_arrays(cols, schema=schema))
                done += batch.num_rows
                if progress is not None:
                    progress(done, total)
    return done


def _duckdb(
    art: ScorecardArtifact,
    source: Path,
    dest: Path,
    carry: Sequence[str],
    progress: Callable[[int, int], None] | None,
) -> int:
    from trustscore import engines
    from trustscore.scoring._ibis import to_ibis

    con = engines.connect("duckdb")
    # Parquet statistics exclude NaN; this optimizer would then decide isnan() is always false
    # (ENGINE-NOTES.md): scoring must see NaN as missing whatever the file holds. And DuckDB
    # turns a long IN list into a hash join that returns rows out of input order
    # (duckdb/duckdb#24398): the output must keep the input's order
    con.raw_sql("SET disabled_optimizers = 'statistics_propagation,in_clause'")
    con.raw_sql("SET preserve_insertion_order = true")
    pattern = str(source / "**" / "*.parquet") if source.is_dir() else str(source)
    t = engines.read_parquet(con, pattern)
    expr = to_ibis(art, t, form="search").select(*carry, *output_schema(art).names)
    con.to_parquet(expr, dest)  # type: ignore[attr-defined]
    n = int(pq.ParquetFile(dest).metadata.num_rows)
    if progress is not None:
        progress(n, n)
    return n


def score_parquet(
    artifact: str | Path | ScorecardArtifact,
    source: str | Path,
    dest: str | Path,
    *,
    engine: BatchEngine = "kernel",
    batch_rows: int = 1_000_000,
    progress: Callable[[int, int], None] | None = None,
    carry: Sequence[str] = ("subject_id",),
) -> int:
    """Score a Parquet file or a folder of Parquet files into one Parquet file.

    Parameters
    ----------
    artifact : str, Path or ScorecardArtifact
        The scorecard.
    source : str or Path
        A Parquet file, or a folder of them (read as one dataset, files in name order).
    dest : str or Path
        The Parquet file to write: the ``carry`` columns, then the columns of
        :func:`~trustscore.scoring.score`, one row per input row in input order. It is written
        under a temporary name and renamed when complete.
    engine : {"kernel", "duckdb"}
        The kernel streams record batches; DuckDB streams the query itself.
    batch_rows : int
        Rows per batch for the kernel (memory grows with it; DuckDB ignores it).
    progress : callable, optional
        Called as ``progress(rows_done, rows_total)`` after each batch.
    carry : sequence of str
        Columns of the source to copy through (ids).

    Returns
    -------
    int
        The number of rows written.

    Raises
    ------
    SchemaError
        When the source lacks a column the artifact reads, or a ``carry`` column.
    """
    if engine not in _BATCH_ENGINES:
        msg = (
            f"score_parquet runs on {', '.join(_BATCH_ENGINES)}, not {engine!r}; for Spark, "
            "run to_ibis() on a Spark table."
        )
        raise EngineError(msg, engine=engine)
    if batch_rows < 1:
        msg = f"batch_rows must be a positive number of rows, got {batch_rows}."
        raise ValueError(msg)
    art = load_artifact(artifact)
    source, dest = Path(source), Path(dest)
    dataset = ds.dataset(source, format="parquet")
    check_columns(art, dataset.schema.names, carry)
    clash = sorted(set(carry) & set(output_schema(art).names))
    if clash:
        msg = f"Carried column(s) {clash} clash with the score columns; rename them."
        raise SchemaError(msg, field=clash[0])
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.tmp")
    try:
        if engine == "kernel":
            n = _kernel(art, dataset, tmp, carry, batch_rows, progress)
        else:
            n = _duckdb(art, source, tmp, carry, progress)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return n
