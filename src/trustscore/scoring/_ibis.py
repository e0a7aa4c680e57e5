"""The scorecard as an Ibis expression, and as SQL text for several dialects.

The expression is built to stay small and fast on every engine, Spark's code generation included
(ENGINE-NOTES.md): no nested CASE per characteristic, but one of three forms (all give the same
values; ``form=`` chooses):

- ``"sum"`` (the default, and :func:`to_sql`'s): ``CASE WHEN x IS NULL OR isnan(x) THEN missing
  WHEN x IN (specials) THEN ... ELSE first + sum_k (CASE WHEN x >= edge_k THEN step_k ELSE 0
  END) END``: the bin from a sum of flat comparisons. Edges are written as ``CAST('<repr>' AS
  DOUBLE)`` so that every engine parses the same double (a plain ``0.1`` is a DECIMAL in DuckDB,
  and a long decimal converted to double can land one ulp away);
- ``"case"``: the bin is ``WHEN x < edge_1 THEN points_1
  WHEN x < edge_2 ...`` after the same missing and special tests;
- ``"search"`` (what :func:`score` runs on Spark): a search tree of ``CASE`` over the edges,
  linear within four bins, with no separate missing test (NULL and NaN fail every ``x < edge``
  and the last bin's ``x <= +inf``, so they fall through to ``missing``; NaN is above every
  number in DuckDB, PostgreSQL and Spark and unordered elsewhere), comparing in the column's
  own float type: a float32 column against float32 edges rounded up, which is exact (for a
  float32 ``x``, ``x < e`` exactly when ``x`` is below the smallest float32 not below ``e``;
  specials float32 cannot hold are dropped, criteria are rounded the same way; the missing
  and special outcomes yield their own constants, as every outcome does). On DuckDB it takes
  about 0.75x the CPU time of ``"case"`` for the score alone and 0.85x with reasons
  (``benchmarks/scoring``);
- categorical characteristics: ``CASE WHEN x IS NULL THEN missing WHEN x IN (...) THEN points
  ... ELSE other END`` in every form;
- interactions (pairs): a ``CASE`` on the first input's axis whose branches are ``CASE``
  expressions on the second's, giving the cell's points (its reason key, with reasons).
  ``otherwise`` comes first where either input is missing, special or unseen: categorical axes
  end in ``ELSE otherwise``; numeric ones read their input as a characteristic on it does in
  that form (the "sum" and "case" forms test ``x IS NULL OR isnan(x) OR x IN (specials)``
  first and compare DOUBLEs with ``x < edge``; the search form tests only the specials first,
  compares in the column's float type with edges rounded up for float32, and lets NULL and
  NaN fall through the tree to ``otherwise``). Neighbouring intervals or groups with equal
  cells share one branch. Pairs are elements like the characteristics, after them in the sums
  and the reason keys, so an artifact without pairs gives the same SQL as before they existed;
- reasons (every form): each outcome's branch yields a constant *reason key* instead of its
  points (:class:`~trustscore.scoring._sql_elements.ReasonKeys`),
  ``key = rank * width + (points - low)``: ``rank = lost * slots + (slots - 1 - s)`` for an
  outcome that is a reason under the artifact's rule (it lost points against its element's
  baseline, under reason slot ``s``: a characteristic's adverse slot for a bin or ``other``,
  its missing slot for ``missing`` or a ``special``, a pair's slot for a cell), ``0`` for
  every other outcome (no loss, a negative one, or a pair's ``otherwise``); ``slots`` is a
  power of two at least the artifact's number of reason slots, ``width`` a power of two above
  the sum of the elements' spreads of points. So a reason's key is unique in its row, larger
  for more points lost and, among equal losses, for the earlier element; and a dimension's
  sub-score is ``sum(low) + (sum(key) & (width - 1))``, exact whatever the losses' signs.
  ``m1 = GREATEST(key_j)``, ``m2 = GREATEST(CASE WHEN key_j < m1 THEN key_j ELSE -1 END)``,
  ... give the top four in order; a key ``>= slots * width`` is a reason, and ``(m >> log2
  width) & (slots - 1)`` gives back its slot, hence its reason code, as an index into an
  array of the codes. Each step is its own projection, so the SQL grows linearly with the
  number of elements (characteristics and pairs). PostgreSQL would flatten those projections
  into one expression that grows as (elements)^4, so :func:`to_sql` puts each under a
  ``LIMIT`` that no table reaches in that dialect.

Each element's value in each form is built by :mod:`trustscore.scoring._sql_elements`; this
module assembles them into the table-level expression and its SQL text.

Examples
--------
>>> import ibis
>>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
>>> art = ScorecardArtifact.from_dict(example_artifact_dict())
>>> import pyarrow as pa
>>> t = ibis.memtable(pa.table({"on_time_rate": [0.95, None], "card_kind": ["none", "card"],
...                             "months_history": [12.0, 24.0]}))
>>> to_ibis(art, t).select("score", "reason_1").to_pyarrow().to_pylist()
[{'score': 70, 'reason_1': 'CH01'}, {'score': 120, 'reason_1': 'PR01N'}]
>>> "CREATE" in to_sql(art, "postgres")
False
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from trustscore.exceptions import EngineError, SchemaError
from trustscore.scoring._artifact import (
    MAX_REASONS,
    Characteristic,
    Interaction,
    Outcome,
    ScorecardArtifact,
)
from trustscore.scoring._artifact import load_artifact as _load
from trustscore.scoring._quality_sql import quality_value
from trustscore.scoring._sql_elements import (
    ReasonKeys,
    categorical_points,
    code_of,
    criterion,
    integer,
    numeric_points,
    pair_value,
    search_criterion,
    search_value,
)

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["SQL_DIALECTS", "input_schema", "to_ibis", "to_sql"]

SQL_DIALECTS: Final = ("duckdb", "postgres", "pyspark", "trino", "snowflake")
_P: Final = "_ts_p"
_M: Final = "_ts_m"
_NUL: Final = "_ts_nul"
_D: Final = "_ts_d"
_NO_LIMIT: Final = 2**63 - 1
_INT32_MAX: Final = 2**31 - 1
Form = Literal["sum", "case", "search"]
FORMS: Final = ("sum", "case", "search")


def input_schema(art: ScorecardArtifact) -> dict[str, str]:
    """The input columns and their types in the SQL form: numbers float64, categories string."""
    schema = {c.name: "float64" if c.type == "numeric" else "string" for c in art.characteristics}
    for crit in art.criteria:
        schema.setdefault(crit.column, "float64")
    return schema


def _nulled(t: ir.Table, v: Any) -> Any:
    """``v``, NULL on NS rows (it adds the 0-or-NULL column, if the model has criteria)."""
    return v + t[_NUL] if _NUL in t.columns else v


def _element(
    e: Characteristic | Interaction,
    by_name: dict[str, Characteristic],
    table: ir.Table,
    value: Callable[[Outcome], int],
    form: str,
) -> Any:
    """One element's value (its points, or its reason key) in ``form``."""
    if isinstance(e, Interaction):
        return pair_value(e, by_name, table, value, form)
    col = table[e.name]
    if e.type == "categorical":
        return categorical_points(e, col, value)
    if form == "search":
        return search_value(e, col, value)
    return numeric_points(e, col, form, value)


def _form(
    art: ScorecardArtifact,
    table: ir.Table,
    *,
    reasons: bool,
    form: str,
    fence: Callable[[Any], Any],
) -> tuple[Any, dict[str, Any]]:
    """The table with its working columns, and the output columns over it."""
    import ibis

    elements = art.elements
    k = len(elements)
    keys = ReasonKeys.of(art) if reasons else None
    by_name = {c.name: c for c in art.characteristics}
    values: dict[str, Any] = {}
    # DuckDB, PostgreSQL and Spark type a small integer literal as 32-bit, and so the CASE of
    # such literals: where the keys' sums could pass 2^31 - 1 they are made 64-bit
    wide = keys is not None and keys.max_sum > _INT32_MAX
    for j, e in enumerate(elements):
        # with reasons each element yields its reason key (ReasonKeys), else its points
        value = keys.value(j) if keys is not None else _points
        v = _element(e, by_name, table, value, form)
        values[f"{_P}{j}"] = _bigint(v) if wide else v
    test = search_criterion if form == "search" else criterion
    ok: Any = ibis.literal(True)
    for crit in art.criteria:
        ok = ok & test(crit, table[crit.column])
    if art.criteria:  # 0, or NULL for NS rows: added to a number, it makes it NULL
        values[_NUL] = ibis.ifelse(ok, integer(0), ibis.null("int64"))
    t = fence(table.mutate(**values))
    p = [t[f"{_P}{j}"] for j in range(k)]
    sums: dict[str, Any] = {}
    for d, dim in enumerate(art.dimension_names):
        members = [j for j, e in enumerate(elements) if e.dimension == dim]
        if not members:
            sums[f"{_D}{d}"] = integer(0)
            continue
        total = sum((p[j] for j in members[1:]), p[members[0]])
        if keys is not None:  # the keys' low parts add up to the points above the lows
            low = sum(keys.lows[j] for j in members)
            total = integer(low) + (total & integer(keys.width - 1))
        sums[f"{_D}{d}"] = total
    if reasons:
        sums[f"{_M}1"] = ibis.greatest(*p) if k > 1 else p[0]
    t = fence(t.mutate(**sums))
    n_reasons = min(MAX_REASONS, k) if reasons else 0
    for r in range(2, n_reasons + 1):
        prev = t[f"{_M}{r - 1}"]
        below = [ibis.ifelse(key < prev, key, integer(-1)) for key in p]
        t = fence(t.mutate(**{f"{_M}{r}": ibis.greatest(*below) if k > 1 else below[0]}))
    if keys is not None and n_reasons:  # each reason's key, NULL on NS rows, and its slot bits
        shift, slot_bits = integer(keys.width.bit_length() - 1), integer(keys.slots - 1)
        t = fence(
            t.mutate(
                **{f"{_M}n{r}": _nulled(t, t[f"{_M}{r}"]) for r in range(1, n_reasons + 1)},
                **{
                    f"{_M}i{r}": (t[f"{_M}{r}"] >> shift) & slot_bits
                    for r in range(1, n_reasons + 1)
                },
            )
        )
    dims = [t[f"{_D}{d}"] for d in range(len(art.dimension_names))]
    total = sum(dims[1:], dims[0]) if dims else integer(0)
    ns = t[_NUL].isnull() if _NUL in t.columns else ibis.literal(False)
    out: dict[str, Any] = {
        "score": _nulled(t, total).cast("int32"),
        "status": ibis.ifelse(ns, ibis.literal("NS"), ibis.literal("OK")),
    }
    for d, dim in enumerate(art.dimension_names):
        out[dim] = _nulled(t, dims[d]).cast("int32")
    if keys is not None:
        codes = keys.codes(art)
        for r in range(1, MAX_REASONS + 1):
            if r > n_reasons:
                out[f"reason_{r}"] = ibis.null("string")
                continue
            code = code_of(t[f"{_M}i{r}"], codes)  # the index is slots - 1 - slot
            # a rank of at least `slots` is a loss above zero (NULL on NS rows: no reason)
            lost = t[f"{_M}n{r}"] >= integer(keys.slots * keys.width)
            out[f"reason_{r}"] = ibis.ifelse(lost, code, ibis.null("string"))
    return t, out


def _points(o: Outcome) -> int:
    return o.points


def _bigint(v: Any) -> Any:
    """``CAST(v AS BIGINT)`` in the SQL (Ibis drops a cast of an int64 value to int64 as a
    no-op, but the engines typed the literals inside ``v`` as 32-bit)."""
    import ibis.expr.datatypes as dt
    import ibis.expr.operations as ops

    return ops.Cast(v, to=dt.int64).to_expr()


def to_ibis(
    artifact: str | Path | ScorecardArtifact,
    table: ir.Table,
    *,
    reasons: bool = True,
    form: Form = "sum",
    quality: bool = False,
) -> ir.Table:
    """The scorecard as an Ibis expression over ``table``, adding the :func:`score` columns.

    Parameters
    ----------
    artifact : str, Path or ScorecardArtifact
        The scorecard.
    table : ibis.expr.types.Table
        A table with the artifact's input columns (numeric characteristics and criteria columns
        as numbers, categorical ones as strings, or as numbers read the way :func:`score` reads
        them). Its other columns are kept.
    reasons : bool
        Whether to add ``reason_1`` … ``reason_4``.
    form : {"sum", "case", "search"}
        How a numeric characteristic finds its bin: ``"sum"``, the first bin's points plus a
        sum of flat comparisons (the default); ``"case"``, one ``CASE WHEN x < edge THEN
        points ...`` per characteristic, which stops at the first match: about twice as fast
        as the sum on DuckDB and on Spark; ``"search"``, a search tree of ``CASE`` in the
        column's own float type with no separate missing test: what :func:`score` runs on
        Spark, where it is as fast as ``"case"`` (0.9-1.3x of it across runs), and about 0.75x
        the CPU time of ``"case"`` on DuckDB (``benchmarks/scoring``). All give the same
        values; with ``reasons``, every form's branches yield reason keys instead of points
        (module docstring).
    quality : bool
        Whether to add the ``quality`` column of input-quality flags
        (:mod:`trustscore.scoring._quality`; the SQL is in
        :mod:`trustscore.scoring._quality_sql`).

    Returns
    -------
    ibis.expr.types.Table
        ``table`` with ``score``, ``status``, one column per dimension, the reason columns and
        ``quality`` if asked (the same values :func:`score` gives; row order is whatever the
        engine gives).

    Examples
    --------
    >>> import ibis
    >>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
    >>> art = ScorecardArtifact.from_dict(example_artifact_dict())
    >>> t = ibis.table(input_schema(art), name="features")
    >>> to_ibis(art, t).columns[3:6]
    ('score', 'status', 'payment_reliability')
    """
    return _expression(
        _load(artifact), table, reasons=reasons, form=form, fence=_no_fence, quality=quality
    )


def _no_fence(t: Any) -> Any:
    return t


def _postgres_fence(t: Any) -> Any:
    """``t`` under a ``LIMIT`` no table reaches, which PostgreSQL does not flatten.

    PostgreSQL pulls simple subqueries up into the query above, copying each expression into
    every place that uses it: ``m2`` uses ``m1`` once per element, ``m3`` uses ``m2`` so, and
    the expression of ``m4`` grows as (elements)^4 (10 characteristics took over a minute for
    10 rows). A subquery with a ``LIMIT`` keeps its own projection, computed once per row.
    """
    return t.limit(_NO_LIMIT)


def _expression(
    art: ScorecardArtifact,
    table: ir.Table,
    *,
    reasons: bool,
    form: str,
    fence: Callable[[Any], Any],
    quality: bool = False,
) -> ir.Table:
    """:func:`to_ibis`, each working projection passed through ``fence`` (identity, or a
    dialect's way to keep it from being merged into the next)."""
    if form not in FORMS:
        msg = f"Unknown scorecard SQL form {form!r}; choose one of {', '.join(FORMS)}."
        raise EngineError(msg, engine=form)
    lacking = [c for c in art.input_columns if c not in table.columns]
    if lacking:
        msg = (
            f"The table lacks the column(s) {lacking} that model {art.model_version} reads; "
            "add them (NULL where unknown)."
        )
        raise SchemaError(msg, model_version=art.model_version, field=lacking[0])
    t, out = _form(art, table, reasons=reasons, form=form, fence=fence)
    if quality:
        out["quality"] = quality_value(art, t)
    kept = [c for c in table.columns if c not in out]
    return t.mutate(**out).select(*kept, *out)  # type: ignore[no-any-return]


def _ensure_pyspark_options() -> None:
    """Let the PySpark SQL compiler run without a Spark session (it reads one option)."""
    import ibis
    import ibis.config

    if getattr(ibis.options, "pyspark", None) is None:

        class _PySparkOptions(ibis.config.Config):  # type: ignore[misc]
            treat_nan_as_null: bool = False

        ibis.options.pyspark = _PySparkOptions()


def to_sql(
    artifact: str | Path | ScorecardArtifact,
    dialect: str,
    *,
    table: str = "features",
    reasons: bool = True,
    keep: Sequence[str] = (),
    form: Form = "sum",
    quality: bool = False,
) -> str:
    """The scorecard as one SQL query over a table of features.

    Parameters
    ----------
    artifact : str, Path or ScorecardArtifact
        The scorecard.
    dialect : {"duckdb", "postgres", "pyspark", "trino", "snowflake"}
        The SQL dialect.
    table : str
        The name of the input table: numeric characteristics and criteria columns as
        double precision, categorical characteristics as text.
    reasons : bool
        Whether to compute the reason columns.
    keep : sequence of str
        Further (string) columns of the input table to pass through first, such as an id.
    form : {"sum", "case", "search"}
        The expression's form (:func:`to_ibis`); all give the same values.
    quality : bool
        Whether to add the ``quality`` column of input-quality flags.

    Returns
    -------
    str
        A ``SELECT`` giving ``keep`` columns, ``score``, ``status``, the dimensions, the
        reasons and ``quality`` if asked, with the same values as :func:`score`.

    Examples
    --------
    >>> import duckdb
    >>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
    >>> art = ScorecardArtifact.from_dict(example_artifact_dict())
    >>> con = duckdb.connect()
    >>> _ = con.sql("CREATE TABLE features AS SELECT 0.95::DOUBLE AS on_time_rate, "
    ...             "'none' AS card_kind, 12.0::DOUBLE AS months_history")
    >>> con.sql(to_sql(art, "duckdb")).fetchall()
    [(70, 'OK', 60, 10, 'CH01', None, None, None)]
    """
    import ibis

    if dialect not in SQL_DIALECTS:
        msg = f"Unknown SQL dialect {dialect!r}; choose one of {', '.join(SQL_DIALECTS)}."
        raise EngineError(msg, engine=dialect)
    art = _load(artifact)
    schema: dict[str, str] = dict.fromkeys(keep, "string")
    schema.update(input_schema(art))
    t = ibis.table(schema, name=table)
    fence = _postgres_fence if dialect == "postgres" else _no_fence
    expr = _expression(art, t, reasons=reasons, form=form, fence=fence, quality=quality)
    names = [*keep, "score", "status", *art.dimension_names]
    if reasons:
        names += [f"reason_{r}" for r in range(1, MAX_REASONS + 1)]
    if quality:
        names.append("quality")
    if dialect == "pyspark":
        _ensure_pyspark_options()
    return str(ibis.to_sql(expr.select(*names), dialect=dialect))
