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
  specials float32 cannot hold are dropped, criteria are rounded the same way). With reasons
  each characteristic's ``CASE`` yields its reason key (below) instead of its points, and a
  dimension's sub-score is ``sum(best) - (sum(key) - sum(tie) >> log2 k)``. On DuckDB it takes
  about 0.75x the CPU time of ``"case"`` for the score alone and 0.85x with reasons
  (``benchmarks/scoring``);
- categorical characteristics: ``CASE WHEN x IS NULL THEN missing WHEN x IN (...) THEN points
  ... ELSE other END`` in every form;
- interactions (pairs): a ``CASE`` on the first input's axis whose branches are ``CASE``
  expressions on the second's, giving the cell's points (its reason key in the search form).
  ``otherwise`` comes first where either input is missing, special or unseen: categorical axes
  end in ``ELSE otherwise``; numeric ones read their input as a characteristic on it does in
  that form (the "sum" and "case" forms test ``x IS NULL OR isnan(x) OR x IN (specials)``
  first and compare DOUBLEs with ``x < edge``; the search form tests only the specials first,
  compares in the column's float type with edges rounded up for float32, and lets NULL and
  NaN fall through the tree to ``otherwise``). Neighbouring intervals or groups with equal
  cells share one branch. Pairs are elements like the characteristics, after them in the sums
  and the reason keys, so an artifact without pairs gives the same SQL as before they existed;
- reasons: each element's loss is folded with its position into one integer key,
  ``key_j = lost_j * k + (k - 1 - j)`` (``k`` elements, rounded up to a power of two in the
  search form), unique per row, larger for more points lost and, among equal losses, for the
  earlier element. ``m1 = GREATEST(key_j)``, ``m2 = GREATEST(CASE WHEN key_j < m1 THEN key_j
  ELSE -1 END)``, ... give the top four in order; a key ``>= k`` means a loss above zero, and
  ``k - 1 - m % k`` gives back the element, hence its reason code (in the search form,
  through a binary search of CASE on ``m % k``). Each step is its own projection, so the SQL
  grows linearly with the number of elements (characteristics and pairs). PostgreSQL would
  flatten those projections into one expression that grows as (elements)^4, so
  :func:`to_sql` puts each under a ``LIMIT`` that no table reaches in that dialect.

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
[{'score': 70, 'reason_1': 'CH01'}, {'score': 120, 'reason_1': 'PR01'}]
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
    Interaction,
    ScorecardArtifact,
)
from trustscore.scoring._artifact import load_artifact as _load
from trustscore.scoring._sql_elements import (
    categorical_points,
    code_tree,
    criterion,
    integer,
    numeric_points,
    pair_value,
    search_criterion,
    search_value,
    valuer,
)

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["SQL_DIALECTS", "input_schema", "to_ibis", "to_sql"]

SQL_DIALECTS: Final = ("duckdb", "postgres", "pyspark", "trino", "snowflake")
_P: Final = "_ts_p"
_K: Final = "_ts_k"
_M: Final = "_ts_m"
_OK: Final = "_ts_ok"
_NUL: Final = "_ts_nul"
_D: Final = "_ts_d"
_NO_LIMIT: Final = 2**63 - 1
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


def _search_form(
    art: ScorecardArtifact, table: ir.Table, *, reasons: bool, fence: Callable[[Any], Any]
) -> tuple[Any, dict[str, Any]]:
    """The search form: the table with its working columns, and the output columns over it."""
    import ibis

    elements = art.elements
    k = len(elements)
    big_k = 1 << (k - 1).bit_length()  # a power of two >= k: the key's low bits are the index
    shift = big_k.bit_length() - 1
    by_name = {c.name: c for c in art.characteristics}
    values: dict[str, Any] = {}
    for j, e in enumerate(elements):
        # with reasons, key = (best - points) * big_k + tie; without, the points themselves
        value = valuer(e.best_points, big_k, big_k - 1 - j) if reasons else valuer(0, -1, 0)
        if isinstance(e, Interaction):
            values[f"{_P}{j}"] = pair_value(e, by_name, table, value, "search")
            continue
        col = table[e.name]
        values[f"{_P}{j}"] = (
            search_value(e, col, value)
            if e.type == "numeric"
            else categorical_points(e, col, value)
        )
    ok: Any = ibis.literal(True)
    for crit in art.criteria:
        ok = ok & search_criterion(crit, table[crit.column])
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
        if reasons:  # sum_j key_j = big_k * (points lost) + sum_j tie_j
            best = sum(elements[j].best_points for j in members)
            ties = sum(big_k - 1 - j for j in members)
            total = integer(best) - ((total - integer(ties)) >> shift)
        sums[f"{_D}{d}"] = total
    if reasons:
        sums[f"{_M}1"] = ibis.greatest(*p) if k > 1 else p[0]
    t = fence(t.mutate(**sums))
    if reasons:
        for r in range(2, min(MAX_REASONS, k) + 1):
            prev = t[f"{_M}{r - 1}"]
            below = [ibis.ifelse(key < prev, key, integer(-1)) for key in p]
            t = fence(t.mutate(**{f"{_M}{r}": ibis.greatest(*below) if k > 1 else below[0]}))
    n_reasons = min(MAX_REASONS, k) if reasons else 0
    if n_reasons:  # each reason's key, NULL on NS rows, and its index in the low bits
        t = fence(
            t.mutate(
                **{f"{_M}n{r}": _nulled(t, t[f"{_M}{r}"]) for r in range(1, n_reasons + 1)},
                **{
                    f"{_M}i{r}": t[f"{_M}{r}"] & integer(big_k - 1) for r in range(1, n_reasons + 1)
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
    if reasons:
        # index i = key % big_k is element big_k - 1 - i
        codes = [
            elements[big_k - 1 - i].reason_code if big_k - 1 - i < k else None for i in range(big_k)
        ]
        for r in range(1, MAX_REASONS + 1):
            if r > n_reasons:
                out[f"reason_{r}"] = ibis.null("string")
                continue
            code = code_tree(t[f"{_M}i{r}"], codes, big_k - k, big_k - 1)
            lost = t[f"{_M}n{r}"] >= integer(big_k)
            out[f"reason_{r}"] = ibis.ifelse(lost, code, ibis.null("string"))
    return t, out


def _classic_form(
    art: ScorecardArtifact,
    table: ir.Table,
    *,
    reasons: bool,
    form: str,
    fence: Callable[[Any], Any],
) -> tuple[Any, dict[str, Any]]:
    """The "sum" and "case" forms: the table with its working columns, and the output columns."""
    import ibis

    elements = art.elements
    k = len(elements)
    by_name = {c.name: c for c in art.characteristics}
    points: dict[str, Any] = {}
    for j, e in enumerate(elements):
        if isinstance(e, Interaction):
            points[f"{_P}{j}"] = pair_value(e, by_name, table, lambda o: o.points, form)
            continue
        col = table[e.name]
        points[f"{_P}{j}"] = (
            numeric_points(e, col, form) if e.type == "numeric" else categorical_points(e, col)
        )
    ok: Any = ibis.literal(True)
    for crit in art.criteria:
        ok = ok & criterion(crit, table[crit.column])
    t = fence(table.mutate(**points, **{_OK: ok}))
    p = [t[f"{_P}{j}"] for j in range(k)]
    sums: dict[str, Any] = {"score": sum(p[1:], p[0])}
    for dim in art.dimension_names:
        members = [p[j] for j, e in enumerate(elements) if e.dimension == dim]
        sums[dim] = sum(members[1:], members[0]) if members else integer(0)
    if reasons:
        for j, e in enumerate(elements):
            sums[f"{_K}{j}"] = (integer(e.best_points) - p[j]) * integer(k) + integer(k - 1 - j)
    t = fence(t.mutate(**sums))
    if reasons:
        keys = [t[f"{_K}{j}"] for j in range(k)]
        t = fence(t.mutate(**{f"{_M}1": ibis.greatest(*keys) if k > 1 else keys[0]}))
        for r in range(2, MAX_REASONS + 1):
            prev = t[f"{_M}{r - 1}"]
            below = [ibis.ifelse(key < prev, key, integer(-1)) for key in keys]
            t = fence(t.mutate(**{f"{_M}{r}": ibis.greatest(*below) if k > 1 else below[0]}))
    is_ok: Any = t[_OK]
    out: dict[str, Any] = {
        "score": ibis.ifelse(is_ok, t["score"], ibis.null("int64")).cast("int32"),
        "status": ibis.ifelse(is_ok, ibis.literal("OK"), ibis.literal("NS")),
    }
    for dim in art.dimension_names:
        out[dim] = ibis.ifelse(is_ok, t[dim], ibis.null("int64")).cast("int32")
    if reasons:
        for r in range(1, MAX_REASONS + 1):
            m: Any = t[f"{_M}{r}"]
            code = (integer(k - 1) - m % integer(k)).cases(
                *[(j, e.reason_code) for j, e in enumerate(elements)]
            )
            out[f"reason_{r}"] = ibis.ifelse(is_ok & (m >= integer(k)), code, ibis.null("string"))
    return t, out


def to_ibis(
    artifact: str | Path | ScorecardArtifact,
    table: ir.Table,
    *,
    reasons: bool = True,
    form: Form = "sum",
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
        column's own float type with no separate missing test, whose values are the reason
        keys when ``reasons`` (module docstring): what :func:`score` runs on Spark, where it is
        as fast as ``"case"`` (0.9-1.3x of it across runs), and about 0.75x the CPU time of
        ``"case"`` on DuckDB (``benchmarks/scoring``). All give the same values.

    Returns
    -------
    ibis.expr.types.Table
        ``table`` with ``score``, ``status``, one column per dimension and the reason columns
        (the same values :func:`score` gives; row order is whatever the engine gives).

    Examples
    --------
    >>> import ibis
    >>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
    >>> art = ScorecardArtifact.from_dict(example_artifact_dict())
    >>> t = ibis.table(input_schema(art), name="features")
    >>> to_ibis(art, t).columns[3:6]
    ('score', 'status', 'payment_reliability')
    """
    return _expression(_load(artifact), table, reasons=reasons, form=form, fence=_no_fence)


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
    if form == "search":
        t, out = _search_form(art, table, reasons=reasons, fence=fence)
    else:
        t, out = _classic_form(art, table, reasons=reasons, form=form, fence=fence)
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

    Returns
    -------
    str
        A ``SELECT`` giving ``keep`` columns, ``score``, ``status``, the dimensions and the
        reasons, with the same values as :func:`score`.

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
    expr = _expression(art, t, reasons=reasons, form=form, fence=fence)
    names = [*keep, "score", "status", *art.dimension_names]
    if reasons:
        names += [f"reason_{r}" for r in range(1, MAX_REASONS + 1)]
    if dialect == "pyspark":
        _ensure_pyspark_options()
    return str(ibis.to_sql(expr.select(*names), dialect=dialect))
