"""``score``: one artifact, one output table, whichever engine computes it.

Examples
--------
>>> import pyarrow as pa
>>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
>>> art = ScorecardArtifact.from_dict(example_artifact_dict())
>>> data = pa.table({"on_time_rate": [0.95, 0.5, None, -1.0],
...                  "card_kind": ["card", "none", None, "zzz"],
...                  "months_history": [12.0, 3.0, 24.0, 8.0]})
>>> out = score(art, data)
>>> out.column_names[:4]
['score', 'status', 'payment_reliability', 'credit_history']
>>> out.column_names[4:]
['reason_1', 'reason_2', 'reason_3', 'reason_4']
>>> out["score"].to_pylist(), out["status"].to_pylist()
([150, None, 70, 60], ['OK', 'NS', 'OK', 'OK'])
>>> out["reason_1"].to_pylist(), out["reason_2"].to_pylist()
([None, None, 'CH01N', 'CH01'], [None, None, 'PR01N', 'PR01N'])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from trustscore.exceptions import EngineError, SchemaError
from trustscore.scoring._artifact import MAX_REASONS, ScorecardArtifact, load_artifact
from trustscore.scoring._compiled import CompiledScorecard, compile_artifact
from trustscore.scoring._inputs import (
    as_arrow_table,
    category_table,
    check_columns,
    check_input_types,
    level_text,
    numeric_column,
    numeric_inputs,
    numeric_parts,
    text_column,
)
from trustscore.scoring._quality import QUALITY_COLUMN, quality_column

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from trustscore.scoring._kernel import TextOutputs

__all__ = [
    "ENGINE_NAMES",
    "REASON_COLUMNS",
    "output_schema",
    "quote_identifier",
    "score",
    "score_batches",
    "score_table_kernel",
]

ScoreEngine = Literal["kernel", "duckdb", "spark"]
ENGINE_NAMES: Final = ("kernel", "duckdb", "spark")
REASON_COLUMNS: Final = tuple(f"reason_{i}" for i in range(1, MAX_REASONS + 1))
_ROW: Final = "_ts_row"
_DUCKDB_BATCH_ROWS: Final = 1_048_576  # rows per batch DuckDB hands to the kernel
_DUCKDB_INPUT: Final = "_ts_input"
# what category_table writes for a missing level (null, NaN) when asked to: no points it can
# give (the compiled scorers refuse points beyond MAX_ABS_POINTS), so the missing entries of a
# points table are found again, for their reason keys (a bin may earn the missing points)
_NO_INFO: Final = np.iinfo(np.int32).min

ArtifactLike = str | Path | ScorecardArtifact


def output_schema(
    art: ScorecardArtifact, *, reasons: bool = True, quality: bool = False
) -> pa.Schema:
    """The columns :func:`score` returns for ``art`` (ids carried through come first).

    With ``quality``, a last string column ``quality`` holds the row's input-quality flags
    (``kind:characteristic`` joined by ``;``, NULL when none: :mod:`trustscore.scoring._quality`).
    """
    fields = [pa.field("score", pa.int32()), pa.field("status", pa.string())]
    fields += [pa.field(d, pa.int32()) for d in art.dimension_names]
    if reasons:
        fields += [pa.field(r, pa.string()) for r in REASON_COLUMNS]
    if quality:
        fields.append(pa.field(QUALITY_COLUMN, pa.string()))
    return pa.schema(fields)


def _dictionary_encoded(arr: pa.Array | pa.ChunkedArray) -> pa.DictionaryArray:
    """A categorical column as one dictionary array (as ``category_table`` reads it)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(arr)
    return arr


def _axis_tables(
    c: CompiledScorecard, encoded: dict[int, pa.DictionaryArray]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]] | None:
    """Each categorical axis's code + 1 -> place table over this batch's dictionary.

    A level's place is its group's index (times the second axis's size on a pair's first
    axis); null, NaN and a level in no group are off the axis (the pair's cell count), as the
    reference's axis reads them (:func:`trustscore.scoring._inputs.level_text`).
    """
    if not any(c.axis_groups):
        return None
    n_axes = 2 * c.n_interactions
    off = np.zeros(n_axes + 1, dtype=np.int64)
    tables: list[npt.NDArray[np.int32]] = []
    texts: dict[int, list[str | None]] = {}
    for ax in range(n_axes):
        p, side = divmod(ax, 2)
        j = int(c.pair_inputs[p, side])
        off[ax + 1] = off[ax]
        if not c.is_categorical[j]:
            continue
        if j not in texts:
            texts[j] = [level_text(v) for v in encoded[j].dictionary.to_pylist()]
        scale = int(c.pair_scale[p]) if side == 0 else 1
        top = int(c.pair_top[p])
        groups = c.axis_groups[ax]
        table = np.empty(len(texts[j]) + 1, dtype=np.int32)
        table[0] = top  # code -1: null
        for i, text in enumerate(texts[j]):
            g = None if text is None else groups.get(text)
            table[i + 1] = top if g is None else g * scale
        tables.append(table)
        off[ax + 1] += len(table)
    return off, np.concatenate(tables)


_Outputs = tuple[
    npt.NDArray[np.int32], npt.NDArray[np.bool_], npt.NDArray[np.int32], npt.NDArray[Any]
]


def _kernel_batch(
    c: CompiledScorecard,
    batch: pa.RecordBatch | pa.Table,
    *,
    reasons: bool,
    outputs: _Outputs | None = None,
    out_row: int = 0,
    texts: TextOutputs | None = None,
) -> _Outputs:
    """Score ``batch`` into ``outputs`` (rows ``out_row`` onwards), or into new outputs, and
    the string columns into ``texts`` if given (:func:`~trustscore.scoring._kernel.run_kernel`).
    """
    from trustscore.scoring._kernel import (
        KIND_CODES,
        KIND_F32,
        KIND_F64,
        kernel_outputs,
        run_kernel,
    )

    art = c.artifact
    n = batch.num_rows
    keep: list[Any] = []  # the arrays whose addresses the kernel reads: alive until it returns
    k = c.n_characteristics
    addr, kind, valid_addr, valid_off = (np.zeros(k, dtype=np.int64) for _ in range(4))
    cat_tables: list[npt.NDArray[np.int32]] = []
    key_tables: list[npt.NDArray[np.int64]] = []
    cat_off = np.zeros(k + 1, dtype=np.int64)
    numeric: dict[str, tuple[npt.NDArray[Any], npt.NDArray[np.uint8] | None, int]] = {}
    encoded: dict[int, pa.DictionaryArray] = {}

    def parts(name: str) -> tuple[int, int, int, int]:
        if name not in numeric:
            numeric[name] = numeric_parts(batch.column(name), name)
        x, valid, offset = numeric[name]
        keep.append(numeric[name])
        return (
            x.ctypes.data if n else 0,
            KIND_F32 if x.dtype == np.float32 else KIND_F64,
            0 if valid is None else valid.ctypes.data,
            offset,
        )

    for j, ch in enumerate(art.characteristics):
        if ch.type == "numeric":
            addr[j], kind[j], valid_addr[j], valid_off[j] = parts(ch.name)
            cat_off[j + 1] = cat_off[j]
        else:
            encoded[j] = _dictionary_encoded(batch.column(ch.name))
            codes, table = category_table(
                encoded[j], c.category_points[j], int(c.other_points[j]), _NO_INFO
            )
            no_info = table == _NO_INFO
            table[no_info] = c.missing[j]
            keep.append(codes)
            addr[j] = codes.ctypes.data if n else 0
            kind[j] = KIND_CODES
            cat_tables.append(table)
            key_tables.append(c.category_keys(j, table, no_info))
            cat_off[j + 1] = cat_off[j] + len(table)
    q = len(c.criteria_column)
    crit_addr, crit_kind, crit_valid, crit_off = (np.zeros(q, dtype=np.int64) for _ in range(4))
    for i, name in enumerate(c.criteria_column):
        crit_addr[i], crit_kind[i], crit_valid[i], crit_off[i] = parts(name)
    cat_points = np.concatenate(cat_tables) if cat_tables else np.zeros(1, dtype=np.int32)
    cat_keys = np.concatenate(key_tables) if key_tables else np.zeros(1, dtype=np.int64)
    axis_tables = _axis_tables(c, encoded)
    if outputs is None:
        outputs = kernel_outputs(n, c.n_dimensions, c.n_slots, reasons=reasons)
    if n:
        run_kernel(
            n,
            (addr, kind, valid_addr, valid_off),
            c,
            cat_off,
            cat_points,
            cat_keys,
            (crit_addr, crit_kind, crit_valid, crit_off),
            outputs,
            want_reasons=reasons,
            axis_tables=axis_tables,
            out_row=out_row,
            texts=texts,
        )
    keep.clear()
    return outputs


def _strings(idx: npt.NDArray[Any], texts: tuple[bytes, ...]) -> pa.Array:
    from trustscore.scoring._kernel import string_buffers

    valid, offsets, data, nulls = string_buffers(idx, texts)
    buffers = [
        None if valid is None else pa.py_buffer(valid),
        pa.py_buffer(offsets),
        pa.py_buffer(data),
    ]
    return pa.Array.from_buffers(pa.string(), len(idx), buffers, null_count=nulls)


def _assemble(
    c: CompiledScorecard,
    score_: npt.NDArray[np.int32],
    ok: npt.NDArray[np.bool_],
    subs: npt.NDArray[np.int32],
    reasons_: npt.NDArray[Any],
    *,
    reasons: bool,
    texts: TextOutputs | None = None,
) -> list[pa.Array]:
    """Arrow columns over the kernel's arrays: numbers without a copy, NS rows null.

    The string columns come from ``texts`` where the kernel wrote them, else they are built
    here from the kernel's status and reason slots.
    """
    n = len(ok)
    n_ns = n - int(np.count_nonzero(ok))
    valid = pa.py_buffer(np.packbits(ok, bitorder="little")) if n_ns else None

    def int32(values: npt.NDArray[np.int32]) -> pa.Array:
        return pa.Array.from_buffers(pa.int32(), n, [valid, pa.py_buffer(values)], null_count=n_ns)

    from trustscore.scoring._kernel import STATUS_TEXTS

    status = texts.status_array() if texts is not None else _strings(ok.view(np.int8), STATUS_TEXTS)
    cols: list[pa.Array] = [int32(score_), status]
    cols += [int32(subs[d]) for d in range(c.n_dimensions)]
    if reasons:
        if texts is not None and texts.has_reasons:
            cols += [texts.reason_array(r, reasons_[r]) for r in range(MAX_REASONS)]
        else:
            # the kernel gives each reason as its slot: adverse and no-information codes apart
            cols += [_strings(reasons_[r], _reason_texts(c)) for r in range(MAX_REASONS)]
    return cols


def _reason_texts(c: CompiledScorecard) -> tuple[bytes, ...]:
    return tuple(code.encode() for code in c.artifact.reason_codes)


def score_table_kernel(
    art: ScorecardArtifact, table: pa.Table, *, reasons: bool = True, quality: bool = False
) -> list[pa.Array]:
    """The output columns for ``table`` scored by the kernel, batch by Arrow record batch.

    The ``quality`` column, if asked, comes from a separate vectorised pass over the inputs
    (:func:`~trustscore.scoring._quality.quality_column`), so the kernel runs as fast without.
    """
    from trustscore.scoring._kernel import kernel_outputs, text_outputs

    c = compile_artifact(art)
    needed = list(dict.fromkeys(art.input_columns))
    # one set of outputs for the whole table, each record batch scored into its rows: a table
    # read from Parquet comes in batches of 128 Ki rows, whose outputs would otherwise be
    # concatenated afterwards (a copy into freshly mapped memory). The kernel writes the string
    # columns' buffers too, block by block while the block is in the cache
    outputs = kernel_outputs(table.num_rows, c.n_dimensions, c.n_slots, reasons=reasons)
    texts = text_outputs(table.num_rows, _reason_texts(c) if reasons else None)
    row = 0
    for batch in table.select(needed).to_batches():
        if batch.num_rows:
            _kernel_batch(c, batch, reasons=reasons, outputs=outputs, out_row=row, texts=texts)
            row += batch.num_rows
    if not row:  # no rows: the columns are still read, so that a wrong type is an error
        _kernel_batch(c, table.select(needed).slice(0, 0), reasons=reasons, outputs=outputs)
    cols = _assemble(c, *outputs, reasons=reasons, texts=texts)
    if quality:
        cols.append(quality_column(art, table))
    return cols


def score_batches(
    art: ScorecardArtifact,
    batches: Iterable[pa.RecordBatch],
    *,
    carry: Sequence[str] = (),
    reasons: bool = True,
    quality: bool = False,
) -> Iterator[pa.RecordBatch]:
    """Each record batch of input scored by the kernel: its ``carry`` columns, then the scores.

    Empty batches are skipped. Used by every streaming path (DuckDB's result stream, Parquet
    files read batch by batch), so that they all score with the one compiled kernel.
    """
    names = [*carry, *output_schema(art, reasons=reasons, quality=quality).names]
    for batch in batches:
        if not batch.num_rows:
            continue
        cols = score_table_kernel(
            art, pa.Table.from_batches([batch]), reasons=reasons, quality=quality
        )
        carried = [batch.column(c) for c in carry]
        yield pa.RecordBatch.from_arrays([*carried, *cols], names=names)


def quote_identifier(name: str) -> str:
    """``name`` as a double-quoted SQL identifier (DuckDB, PostgreSQL, standard SQL)."""
    return '"' + name.replace('"', '""') + '"'


def _score_duckdb(
    art: ScorecardArtifact, table: pa.Table, *, reasons: bool, quality: bool
) -> list[pa.ChunkedArray]:
    """The output columns for ``table``: DuckDB scans it and streams its input columns, batch
    by batch and in input order, through the compiled kernel.

    The scorecard's arithmetic runs in the kernel rather than as SQL because DuckDB evaluates
    an expression one vectorised operation at a time, at 1.5-2.5 ns per value and operation on
    this machine kind: an exact bin search over 20 x 8 bins is at least 60 comparisons and as
    many selections per row, and the SQL form (:func:`trustscore.scoring.to_ibis`,
    ``form="search"``) tops out near 3 M rows/s on 2 cores, against 13-15 M for this path
    (``benchmarks/scoring``). The SQL form gives the same values and stays the portable one.
    """
    from trustscore import engines

    needed = list(dict.fromkeys(art.input_columns))
    check_input_types(art, table.schema, table)
    numeric = set(numeric_inputs(art))
    # numbers as float32/float64 (floats as they are, without a copy): DuckDB cannot scan some
    # Arrow number types (float16)
    inputs = pa.table(
        {n: numeric_column(table.column(n), n) if n in numeric else table.column(n) for n in needed}
    )
    sql = f"SELECT {', '.join(map(quote_identifier, needed))} FROM {_DUCKDB_INPUT}"
    stream = engines.duckdb_arrow_batches(
        sql, batch_rows=_DUCKDB_BATCH_ROWS, tables={_DUCKDB_INPUT: inputs}
    )
    scored = pa.Table.from_batches(
        list(score_batches(art, stream, reasons=reasons, quality=quality)),
        output_schema(art, reasons=reasons, quality=quality),
    )
    return [scored.column(i) for i in range(scored.num_columns)]


def _prepare_for_sql(
    art: ScorecardArtifact, table: pa.Table, carry: Sequence[str], *, row_number: bool
) -> pa.Table:
    """The input columns typed as the SQL form reads them, and a row number if asked for.

    Numbers stay as they are when they are floats (float32 included: the SQL form compares them
    exactly) and nulls stay nulls, so nothing is copied; categorical columns become text.
    """
    cols: dict[str, pa.Array | pa.ChunkedArray] = {}
    for name in carry:
        cols[name] = table.column(name)
    for ch in art.characteristics:
        col = table.column(ch.name)
        cols[ch.name] = numeric_column(col, ch.name) if ch.type == "numeric" else text_column(col)
    for crit in art.criteria:
        if crit.column not in cols:
            cols[crit.column] = numeric_column(table.column(crit.column), crit.column)
    if row_number:
        cols[_ROW] = pa.array(np.arange(table.num_rows, dtype=np.int64))
    return pa.table(cols)


def _run_spark(prepared: pa.Table, build: Callable[[ir.Table], ir.Table]) -> pa.Table:
    """Run ``build(input table)`` on Spark and fetch the result as Arrow."""
    from trustscore import engines

    return engines.spark_query_arrow(prepared, build)


def _score_spark(
    art: ScorecardArtifact,
    table: pa.Table,
    carry: Sequence[str],
    *,
    reasons: bool,
    quality: bool,
) -> pa.Table:
    """The scorecard as Spark SQL (:func:`trustscore.scoring.to_ibis`, ``form="search"``),
    sorted back into input order by a row number (Spark promises no order)."""
    from trustscore.scoring._ibis import to_ibis

    schema = output_schema(art, reasons=reasons, quality=quality)

    def build(t: ir.Table) -> ir.Table:
        # the search form: on Spark as fast as the CASE form (0.9-1.3x of it across runs here)
        # and about 1.6x the sum (benchmarks/scoring/results.md); the
        # input is sorted before it is scored, since a sort samples its input in a job of its
        # own, which would score every row twice
        expr = to_ibis(art, t.order_by(_ROW), reasons=reasons, form="search", quality=quality)
        return expr.select(*carry, *schema.names)

    result = _run_spark(_prepare_for_sql(art, table, carry, row_number=True), build)
    cols = [result.column(n) for n in carry]
    cols += [result.column(f.name).cast(f.type) for f in schema]
    return pa.Table.from_arrays(cols, names=[*carry, *schema.names])


def score(
    artifact: ArtifactLike,
    data: Any,
    *,
    engine: ScoreEngine = "kernel",
    carry: Sequence[str] = (),
    reasons: bool = True,
    quality: bool = False,
) -> pa.Table:
    """Score every row of ``data`` with a scorecard artifact.

    Parameters
    ----------
    artifact : str, Path or ScorecardArtifact
        The scorecard: a path to its JSON, or a loaded artifact.
    data : pyarrow.Table, pandas.DataFrame or polars.DataFrame
        One row per subject with the artifact's input columns (numeric characteristics and
        criteria columns as numbers, categorical characteristics as text or numbers).
    engine : {"kernel", "duckdb", "spark"}
        ``"kernel"``: the fused numba kernel, in process. ``"duckdb"``: DuckDB scans the
        data and streams it, batch by batch, through the same kernel (DuckDB interprets SQL
        too slowly for the scorecard's bin search; the SQL form, :func:`to_ibis`, gives the
        same values where SQL is needed). ``"spark"``: the Ibis expression of
        :func:`to_ibis` compiled to Spark SQL. All give identical results.
    carry : sequence of str
        Columns of ``data`` to copy to the front of the result (such as ``subject_id``).
    reasons : bool
        Whether to compute the reason columns (``False`` leaves them out).
    quality : bool
        Whether to add the ``quality`` column: the row's input-quality flags (a value outside
        the range training saw, an impossible value, an unseen level, a missing value where
        training saw none) as ``kind:characteristic`` joined by ``;``, NULL when none
        (:mod:`trustscore.scoring._quality`). Off by default: the flags are a separate pass.

    Returns
    -------
    pyarrow.Table
        ``score`` (int32, null for NS), ``status`` ("OK"/"NS"), one int32 column per dimension
        (null for NS), ``reason_1`` … ``reason_4`` (reason codes, null when fewer or NS), and
        ``quality`` if asked, one row per input row, in input order.

    Raises
    ------
    SchemaError
        When a column the artifact reads is absent, or a numeric column holds a non-number.
    EngineError
        For an unknown engine, or one that is not installed.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
    >>> art = ScorecardArtifact.from_dict(example_artifact_dict())
    >>> data = pa.table({"id": ["a", "b"], "on_time_rate": [0.7, 0.2],
    ...                  "card_kind": ["loan", "none"], "months_history": [7, 30]})
    >>> out = score(art, data, carry=["id"])
    >>> out.select(["id", "score", "payment_reliability", "credit_history"]).to_pylist()[1]
    {'id': 'b', 'score': 20, 'payment_reliability': 10, 'credit_history': 10}
    """
    if engine not in ENGINE_NAMES:
        msg = f"Unknown scoring engine {engine!r}; choose one of {', '.join(ENGINE_NAMES)}."
        raise EngineError(msg, engine=engine)
    art = load_artifact(artifact)
    table = as_arrow_table(data)
    check_columns(art, table.column_names, carry)
    schema = output_schema(art, reasons=reasons, quality=quality)
    clash = sorted(set(carry) & set(schema.names))
    if clash:
        msg = (
            f"Carried column(s) {clash} clash with the output columns {schema.names}; "
            "rename them before scoring."
        )
        raise SchemaError(msg, field=clash[0])
    if engine == "spark":
        return _score_spark(art, table, list(carry), reasons=reasons, quality=quality)
    if engine == "duckdb":
        cols = _score_duckdb(art, table, reasons=reasons, quality=quality)
    else:
        cols = score_table_kernel(art, table, reasons=reasons, quality=quality)
    carried = [table.column(name) for name in carry]
    return pa.Table.from_arrays([*carried, *cols], names=[*carry, *schema.names])
