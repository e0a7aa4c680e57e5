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
([None, None, 'CH01', 'CH01'], [None, None, 'PR01', 'PR01'])
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from trustscore.exceptions import EngineError, SchemaError
from trustscore.scoring._artifact import MAX_REASONS, ScorecardArtifact, load_artifact
from trustscore.scoring._compiled import CompiledScorecard, compile_artifact
from trustscore.scoring._inputs import (
    as_arrow_table,
    category_table,
    check_columns,
    numeric_array,
    text_column,
)

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["ENGINE_NAMES", "REASON_COLUMNS", "output_schema", "score", "score_table_kernel"]

ScoreEngine = Literal["kernel", "duckdb", "spark"]
ENGINE_NAMES: Final = ("kernel", "duckdb", "spark")
REASON_COLUMNS: Final = tuple(f"reason_{i}" for i in range(1, MAX_REASONS + 1))
_ROW: Final = "_ts_row"

ArtifactLike = str | Path | ScorecardArtifact


def output_schema(art: ScorecardArtifact, *, reasons: bool = True) -> pa.Schema:
    """The columns :func:`score` returns for ``art`` (ids carried through come first)."""
    fields = [pa.field("score", pa.int32()), pa.field("status", pa.string())]
    fields += [pa.field(d, pa.int32()) for d in art.dimension_names]
    if reasons:
        fields += [pa.field(r, pa.string()) for r in REASON_COLUMNS]
    return pa.schema(fields)


def _compiled_arrays(c: CompiledScorecard) -> tuple[Any, ...]:
    return (
        c.first,
        c.edge_off,
        c.edges32,
        c.edges64,
        c.steps,
        c.special_off,
        c.special_values,
        c.special_points,
        c.missing,
        c.dimension,
        c.best,
        c.criteria_op,
        c.criteria_value,
    )


def _kernel_batch(
    c: CompiledScorecard, batch: pa.RecordBatch | pa.Table, *, reasons: bool
) -> tuple[
    npt.NDArray[np.int32], npt.NDArray[np.bool_], npt.NDArray[np.int32], npt.NDArray[np.int16]
]:
    from trustscore.scoring._kernel import KIND_CODES, KIND_F32, KIND_F64, run_kernel

    art = c.artifact
    n = batch.num_rows
    keep: list[Any] = []  # the arrays whose addresses the kernel reads: alive until it returns
    addr = np.empty(c.n_characteristics, dtype=np.int64)
    kind = np.empty(c.n_characteristics, dtype=np.int64)
    cat_tables: list[npt.NDArray[np.int32]] = []
    cat_off = np.zeros(c.n_characteristics + 1, dtype=np.int64)
    numeric: dict[str, npt.NDArray[Any]] = {}
    for j, ch in enumerate(art.characteristics):
        col = batch.column(ch.name)
        if ch.type == "numeric":
            x = numeric.setdefault(ch.name, numeric_array(col, ch.name))
            kind[j] = KIND_F32 if x.dtype == np.float32 else KIND_F64
            cat_off[j + 1] = cat_off[j]
        else:
            x, table = category_table(
                col, c.category_points[j], int(c.other_points[j]), int(c.missing[j])
            )
            kind[j] = KIND_CODES
            cat_tables.append(table)
            cat_off[j + 1] = cat_off[j] + len(table)
        keep.append(x)
        addr[j] = x.ctypes.data if n else 0
    crit_addr = np.empty(len(c.criteria_column), dtype=np.int64)
    crit_kind = np.empty(len(c.criteria_column), dtype=np.int64)
    for q, name in enumerate(c.criteria_column):
        x = numeric.setdefault(name, numeric_array(batch.column(name), name))
        keep.append(x)
        crit_addr[q] = x.ctypes.data if n else 0
        crit_kind[q] = KIND_F32 if x.dtype == np.float32 else KIND_F64
    cat_points = np.concatenate(cat_tables) if cat_tables else np.zeros(1, dtype=np.int32)
    score_ = np.empty(n, dtype=np.int32)
    ok = np.empty(n, dtype=np.bool_)
    subs = np.empty((c.n_dimensions, n), dtype=np.int32)
    reasons_ = np.empty((MAX_REASONS, n if reasons else 0), dtype=np.int16)
    if n:
        run_kernel(
            n,
            addr,
            kind,
            _compiled_arrays(c),
            cat_off,
            cat_points,
            crit_addr,
            crit_kind,
            (score_, ok, subs, reasons_),
            want_reasons=reasons,
        )
    del keep
    return score_, ok, subs, reasons_


def _assemble(
    c: CompiledScorecard,
    score_: npt.NDArray[np.int32],
    ok: npt.NDArray[np.bool_],
    subs: npt.NDArray[np.int32],
    reasons_: npt.NDArray[np.int16],
    *,
    reasons: bool,
) -> list[pa.Array]:
    ns = ~ok
    cols: list[pa.Array] = [
        pa.array(score_, mask=ns),
        pa.DictionaryArray.from_arrays(ok.view(np.int8), pa.array(["NS", "OK"])).cast(pa.string()),
    ]
    cols += [pa.array(subs[d], mask=ns) for d in range(c.n_dimensions)]
    if reasons:
        codes = pa.array([ch.reason_code for ch in c.artifact.characteristics], type=pa.string())
        for r in range(MAX_REASONS):
            idx = reasons_[r]
            cols.append(codes.take(pa.array(idx, mask=idx < 0)))
    return cols


def score_table_kernel(
    art: ScorecardArtifact, table: pa.Table, *, reasons: bool = True
) -> list[pa.Array]:
    """The output columns for ``table`` scored by the kernel, batch by Arrow record batch."""
    c = compile_artifact(art)
    needed = list(dict.fromkeys(art.input_columns))
    parts = [
        _kernel_batch(c, b, reasons=reasons)
        for b in table.select(needed).to_batches()
        if b.num_rows
    ]
    if len(parts) == 1:
        score_, ok, subs, reasons_ = parts[0]
    elif not parts:
        score_, ok, subs, reasons_ = _kernel_batch(
            c, table.select(needed).slice(0, 0), reasons=reasons
        )
    else:
        score_ = np.concatenate([p[0] for p in parts])
        ok = np.concatenate([p[1] for p in parts])
        subs = np.concatenate([p[2] for p in parts], axis=1)
        reasons_ = np.concatenate([p[3] for p in parts], axis=1)
    return _assemble(c, score_, ok, subs, reasons_, reasons=reasons)


def _prepare_for_sql(art: ScorecardArtifact, table: pa.Table, carry: Sequence[str]) -> pa.Table:
    """The input columns, typed as the SQL form expects, with a row number to restore order."""
    cols: dict[str, pa.Array] = {}
    for name in carry:
        cols[name] = table.column(name).combine_chunks()
    for ch in art.characteristics:
        col = table.column(ch.name)
        if ch.type == "numeric":
            cols[ch.name] = pa.array(numeric_array(col, ch.name), type=pa.float64())
        else:
            cols[ch.name] = text_column(col)
    for crit in art.criteria:
        if crit.column not in cols:
            cols[crit.column] = pa.array(
                numeric_array(table.column(crit.column), crit.column), type=pa.float64()
            )
    cols[_ROW] = pa.array(np.arange(table.num_rows, dtype=np.int64))
    return pa.table(cols)


def _run_sql(engine: str, prepared: pa.Table, build: Callable[[ir.Table], ir.Table]) -> pa.Table:
    """Run ``build(input table)`` on the engine and fetch the result as Arrow."""
    import ibis

    from trustscore import engines

    con = engines.connect(engine)
    if engine != "spark":
        return con.to_pyarrow(build(ibis.memtable(prepared)))
    # Spark takes and gives Arrow directly; Ibis's PySpark backend goes through pandas, which
    # pyspark 4.3 does not fully support with pandas 3
    session = engines.spark_session()
    name = f"_ts_input_{uuid.uuid4().hex}"
    session.createDataFrame(prepared).createOrReplaceTempView(name)
    try:
        sql = con.compile(build(con.table(name)))
        result: pa.Table = session.sql(sql).toArrow()
    finally:
        session.catalog.dropTempView(name)
    return result


def _score_sql(
    art: ScorecardArtifact, table: pa.Table, engine: str, carry: Sequence[str], *, reasons: bool
) -> pa.Table:
    from trustscore.scoring._ibis import to_ibis

    schema = output_schema(art, reasons=reasons)

    def build(t: ir.Table) -> ir.Table:
        expr = to_ibis(art, t, reasons=reasons)
        return expr.order_by(_ROW).select(*carry, *schema.names)

    result = _run_sql(engine, _prepare_for_sql(art, table, carry), build)
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
        ``"kernel"`` (the fused numba kernel, in process), or the Ibis expression of
        :func:`to_ibis` run on DuckDB or Spark. All give identical results.
    carry : sequence of str
        Columns of ``data`` to copy to the front of the result (such as ``subject_id``).
    reasons : bool
        Whether to compute the reason columns (``False`` leaves them out).

    Returns
    -------
    pyarrow.Table
        ``score`` (int32, null for NS), ``status`` ("OK"/"NS"), one int32 column per dimension
        (null for NS), ``reason_1`` … ``reason_4`` (reason codes, null when fewer or NS), one row
        per input row, in input order.

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
    schema = output_schema(art, reasons=reasons)
    clash = sorted(set(carry) & set(schema.names))
    if clash:
        msg = (
            f"Carried column(s) {clash} clash with the output columns {schema.names}; "
            "rename them before scoring."
        )
        raise SchemaError(msg, field=clash[0])
    if engine != "kernel":
        return _score_sql(art, table, engine, list(carry), reasons=reasons)
    cols = score_table_kernel(art, table, reasons=reasons)
    carried = [table.column(name) for name in carry]
    return pa.Table.from_arrays([*carried, *cols], names=[*carry, *schema.names])
