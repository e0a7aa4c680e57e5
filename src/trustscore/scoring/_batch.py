"""Batch scoring of a Parquet dataset larger than memory, with bounded memory.

Record batches of at most ``batch_rows`` rows stream from the source, are scored by the compiled
kernel and appended to the destination file, so memory stays near a few batches whatever the
dataset's size, and ``progress`` hears of each batch. The engine chooses the reader: ``"kernel"``
reads with Arrow, file by file (one batch in flight, no read-ahead, no pre-buffering);
``"duckdb"`` with DuckDB's Parquet reader, which decodes on every core and keeps file and row
order. ``"spark"`` scores with Spark SQL instead (:func:`_spark_batches`).

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
import shutil
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from trustscore.exceptions import EngineError, SchemaError
from trustscore.scoring._artifact import ScorecardArtifact, load_artifact
from trustscore.scoring._inputs import check_columns, check_input_types
from trustscore.scoring._score import output_schema, quote_identifier, score_batches

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["score_parquet"]

BatchEngine = Literal["kernel", "duckdb", "spark"]
_BATCH_ENGINES: Final = ("kernel", "duckdb", "spark")


def _write(
    dest: Path,
    schema: pa.Schema,
    scored: Iterator[pa.RecordBatch],
    progress: Callable[[int, int], None] | None,
    total: int,
) -> int:
    """Append each scored batch to the Parquet file ``dest``; return the rows written."""
    done = 0
    with pq.ParquetWriter(dest, schema) as writer:
        for batch in scored:
            cols = [batch.column(i).cast(f.type) for i, f in enumerate(schema)]
            writer.write_batch(pa.RecordBatch.from_arrays(cols, schema=schema))
            done += batch.num_rows
            if progress is not None:
                progress(done, total)
    return done


def _file_batches(
    dataset: ds.Dataset, columns: Sequence[str], batch_rows: int
) -> Iterator[pa.RecordBatch]:
    """The dataset's rows, file by file and batch by batch, without pre-buffering: Arrow keeps
    every pre-buffered range of a file until it is closed (memory grew by 1 GiB per 12 M rows,
    10 GiB in all for 100 M rows of 21 columns)."""
    files: list[str] = getattr(dataset, "files", [])
    for path in files:
        source = pq.ParquetFile(dataset.filesystem.open_input_file(path), pre_buffer=False)
        yield from source.iter_batches(batch_size=batch_rows, columns=list(columns))


def _duckdb_batches(
    source: Path, columns: Sequence[str], batch_rows: int
) -> Iterator[pa.RecordBatch]:
    """The rows as DuckDB's Parquet reader streams them (in file and row order, on all cores).

    A plain projection: no filter, so no optimizer can misread NaN through Parquet statistics
    (ENGINE-NOTES.md), and NaN reaches the kernel, which reads it as missing.
    """
    from trustscore import engines

    pattern = str(source / "**" / "*.parquet") if source.is_dir() else str(source)
    literal = "'" + pattern.replace("'", "''") + "'"
    sql = f"SELECT {', '.join(map(quote_identifier, columns))} FROM read_parquet({literal})"
    return engines.duckdb_arrow_batches(sql, batch_rows=batch_rows)


def _spark_write(
    art: ScorecardArtifact,
    source: Path,
    carry: Sequence[str],
    out_dir: Path,
    *,
    quality: bool,
) -> None:
    """Spark scores the whole source as SQL (``to_ibis(form="search")``, what
    ``score(engine="spark")`` runs), sorted back into file and row order, and its executors
    write the scores as part files under ``out_dir``: no row passes through this process."""
    import ibis

    from trustscore import engines
    from trustscore.scoring._ibis import to_ibis

    out_schema = ibis.Schema.from_pyarrow(output_schema(art, quality=quality))
    keys = (engines.SPARK_FILE_COLUMN, engines.SPARK_ROW_COLUMN)

    def build(t: ir.Table) -> ir.Table:
        # sort the input, then score: a sort samples its input in a job of its own, which
        # would score every row twice if the scores were sorted instead
        ordered = t.select(*dict.fromkeys([*carry, *art.input_columns, *keys]))
        ordered = ordered.order_by(list(keys))
        scored = to_ibis(art, ordered, form="search", quality=quality)
        # the types of the other engines' files (Spark's SQL widens some); and Spark would
        # write ``status`` (never NULL, always OK or NS) as a required field where the other
        # engines' files have an optional one: NULLIF with a value it never takes keeps the
        # values and makes Spark declare it optional
        cols = {name: scored[name].cast(kind) for name, kind in out_schema.items()}
        cols["status"] = cols["status"].nullif("")
        return scored.select(*carry, *(col.name(name) for name, col in cols.items()))

    engines.spark_parquet_query(source, build, out_dir)


def _replace(new: Path, dest: Path) -> None:
    """Put ``new`` (a file or a folder) at ``dest``, over whatever is there."""
    if dest.is_dir() and not dest.is_symlink():
        old = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.old")
        os.replace(dest, old)
        os.replace(new, dest)
        shutil.rmtree(old, ignore_errors=True)
    else:
        if new.is_dir() and dest.exists():
            dest.unlink()
        os.replace(new, dest)


def score_parquet(
    artifact: str | Path | ScorecardArtifact,
    source: str | Path,
    dest: str | Path,
    *,
    engine: BatchEngine = "kernel",
    batch_rows: int = 1_000_000,
    progress: Callable[[int, int], None] | None = None,
    carry: Sequence[str] = ("subject_id",),
    quality: bool = False,
) -> int:
    """Score a Parquet file or a folder of Parquet files into Parquet.

    Parameters
    ----------
    artifact : str, Path or ScorecardArtifact
        The scorecard.
    source : str or Path
        A Parquet file, or a folder of them (read as one dataset, files in name order).
    dest : str or Path
        Where to write the ``carry`` columns, then the columns of
        :func:`~trustscore.scoring.score`, one row per input row in input order: one Parquet
        file, or with ``engine="spark"`` a folder of Parquet part files (their rows in input
        order when the files are read in name order, as Arrow, DuckDB and Spark read a
        folder). It is written under a temporary name and renamed when complete.
    engine : {"kernel", "duckdb", "spark"}
        Who reads the Parquet: Arrow, file by file, or DuckDB on every core, and each batch
        is scored by the compiled kernel; or Spark, which runs as a Spark job: its executors
        score the whole source as SQL (:func:`~trustscore.scoring.to_ibis`), sort the rows
        back into the source's order and write the part files, so no row passes through
        this process (on a cluster, ``source`` and ``dest`` must be on storage every
        executor reaches alike).
    batch_rows : int
        Rows per batch (memory grows with it).
    progress : callable, optional
        Called as ``progress(rows_done, rows_total)`` after each batch (once at the end with
        ``engine="spark"``).
    carry : sequence of str
        Columns of the source to copy through (ids).
    quality : bool
        Whether to write the ``quality`` column of input-quality flags (as
        :func:`~trustscore.scoring.score` does).

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
        msg = f"score_parquet runs on {', '.join(_BATCH_ENGINES)}, not {engine!r}."
        raise EngineError(msg, engine=engine)
    if batch_rows < 1:
        msg = f"batch_rows must be a positive number of rows, got {batch_rows}."
        raise ValueError(msg)
    art = load_artifact(artifact)
    source, dest = Path(source), Path(dest)
    dataset = ds.dataset(source, format="parquet")
    check_columns(art, dataset.schema.names, carry)
    out_schema = output_schema(art, quality=quality)
    clash = sorted(set(carry) & set(out_schema.names))
    if clash:
        msg = f"Carried column(s) {clash} clash with the score columns; rename them."
        raise SchemaError(msg, field=clash[0])
    check_input_types(art, dataset.schema)
    columns = list(dict.fromkeys([*carry, *art.input_columns]))
    schema = pa.schema([dataset.schema.field(c) for c in carry] + list(out_schema))
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.tmp")
    if engine == "spark":
        try:
            _spark_write(art, source, carry, tmp, quality=quality)
            n = int(ds.dataset(tmp, format="parquet").count_rows())
            _replace(tmp, dest)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if progress is not None:
            progress(n, n)
        return n
    total = dataset.count_rows() if progress is not None else 0
    try:
        batches = (
            _file_batches(dataset, columns, batch_rows)
            if engine == "kernel"
            else _duckdb_batches(source, columns, batch_rows)
        )
        scored = score_batches(art, batches, carry=carry, quality=quality)
        n = _write(tmp, schema, scored, progress, total)
        _replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return n
