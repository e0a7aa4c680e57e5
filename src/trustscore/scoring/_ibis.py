"""The scorecard as an Ibis expression, and as SQL text for several dialects.

The expression is built to stay small and fast on every engine, Spark's code generation included
(ENGINE-NOTES.md): no nested CASE per characteristic, but one of three forms (all give the same
values; ``form=`` chooses):

- ``"sum"`` (the default, and :func:`to_sql`'s): ``CASE WHEN x IS NULL OR isnan(x) THEN missing
  WHEN x IN (specials) THEN ... ELSE first + sum_k (CASE WHEN x >= edge_k THEN step_k ELSE 0
  END) END``: the bin from a sum of flat comparisons. Edges are written as ``CAST('<repr>' AS
  DOUBLE)`` so that every engine parses the same double (a plain ``0.1`` is a DECIMAL in DuckDB,
  and a long decimal converted to double can land one ulp away);
- ``"case"`` (what :func:`score` runs on Spark): the bin is ``WHEN x < edge_1 THEN points_1
  WHEN x < edge_2 ...`` after the same missing and special tests;
- ``"search"`` (what :func:`score` runs on DuckDB): a search tree of ``CASE`` over the edges,
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

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar

import numpy as np

from trustscore.exceptions import EngineError, SchemaError
from trustscore.scoring._artifact import (
    MAX_REASONS,
    Axis,
    Characteristic,
    Criterion,
    Interaction,
    Outcome,
    ScorecardArtifact,
)
from trustscore.scoring._artifact import load_artifact as _load

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
_LEAF_BINS: Final = 4  # the search form compares linearly within at most this many bins
_NO_LIMIT: Final = 2**63 - 1
_T = TypeVar("_T", int, tuple[int, ...])
Form = Literal["sum", "case", "search"]
FORMS: Final = ("sum", "case", "search")


def input_schema(art: ScorecardArtifact) -> dict[str, str]:
    """The input columns and their types in the SQL form: numbers float64, categories string."""
    schema = {c.name: "float64" if c.type == "numeric" else "string" for c in art.characteristics}
    for crit in art.criteria:
        schema.setdefault(crit.column, "float64")
    return schema


def _double(v: float) -> ir.FloatingValue:
    import ibis

    if math.isfinite(v):
        return ibis.literal(repr(float(v))).cast("float64")  # type: ignore[no-any-return]
    return ibis.literal(v, type="float64")  # type: ignore[no-any-return]


def _int(v: int) -> ir.IntegerValue:
    import ibis

    return ibis.literal(int(v), type="int64")  # type: ignore[no-any-return]


def _numeric(col: ir.Value, name: str) -> ir.FloatingValue:
    dtype = col.type()
    if dtype.is_floating():
        return col.cast("float64") if not dtype.is_float64() else col  # type: ignore[return-value]
    if dtype.is_integer() or dtype.is_decimal() or dtype.is_boolean() or dtype.is_null():
        return col.cast("float64")  # type: ignore[return-value]
    msg = f"Column {name!r} must be numeric for scoring, got {dtype}; cast it to a number."
    raise SchemaError(msg, field=name, value=str(dtype))


def _text(col: ir.Value) -> ir.StringValue:
    import ibis

    dtype = col.type()
    if dtype.is_string():
        return col  # type: ignore[return-value]
    if dtype.is_floating():
        # the reference reads a whole float level 2.0 as "2"; NaN is missing
        x: Any = col
        whole = ~x.isnan() & (x.floor() == x) & (x.abs() < 2.0**53)
        return ibis.ifelse(  # type: ignore[no-any-return]
            x.isnan(),
            ibis.null("string"),
            ibis.ifelse(whole, x.cast("int64").cast("string"), x.cast("string")),
        )
    return col.cast("string")  # type: ignore[return-value]


def _numeric_points(c: Characteristic, col: ir.Value, form: str) -> ir.IntegerValue:
    import ibis

    x: Any = _numeric(col, c.name)
    branches: list[tuple[Any, Any]] = [(x.isnull() | x.isnan(), _int(c.missing.points))]
    special: dict[float, int] = {}
    for sp in c.special:  # a later special wins, as in the reference
        for v in sp.values:
            special.pop(v, None)
            special[v] = sp.points
    by_points: dict[int, list[float]] = {}
    for v, p in special.items():
        by_points.setdefault(p, []).append(v)
    for p, values in by_points.items():
        branches.append((x.isin([_double(v) for v in values]), _int(p)))
    if form == "case":  # the first bin whose (exclusive) upper edge is above x
        for edge, b in zip(c.edges, c.bins, strict=False):
            branches.append((x < _double(edge), _int(b.points)))
        return ibis.cases(*branches, else_=_int(c.bins[-1].points))  # type: ignore[no-any-return]
    arith: Any = _int(c.bins[0].points)
    for edge, lo, hi in zip(c.edges, c.bins, c.bins[1:], strict=False):
        arith = arith + ibis.ifelse(x >= _double(edge), _int(hi.points - lo.points), _int(0))
    return ibis.cases(*branches, else_=arith)  # type: ignore[no-any-return]


def _categorical_points(
    c: Characteristic, col: ir.Value, value: Callable[[Outcome], int] | None = None
) -> ir.IntegerValue:
    import ibis

    assert c.other is not None  # guaranteed by the artifact's validation
    val = value if value is not None else (lambda o: o.points)
    x: Any = _text(col)
    branches: list[tuple[Any, Any]] = [(x.isnull(), _int(val(c.missing)))]
    for b in c.bins:
        if b.categories:
            branches.append((x.isin(list(b.categories)), _int(val(b))))
    return ibis.cases(*branches, else_=_int(val(c.other)))  # type: ignore[no-any-return]


def _criterion(crit: Criterion, col: ir.Value) -> ir.BooleanValue:
    x: Any = _numeric(col, crit.column)
    present = x.notnull() & ~x.isnan()
    if crit.op == "not_null":
        return present  # type: ignore[no-any-return]
    assert crit.value is not None  # guaranteed by the artifact's validation
    v = _double(crit.value)
    test = {">=": x >= v, ">": x > v, "<=": x <= v, "<": x < v, "==": x == v, "!=": x != v}
    return present & test[crit.op]  # type: ignore[no-any-return]


def _f32_ceil(v: float) -> float:
    """The smallest float32 not below ``v``: for a float32 ``x``, ``x < v`` iff ``x < `` it."""
    with np.errstate(over="ignore"):
        f = np.float32(v)
    if float(f) < v:
        f = np.nextafter(f, np.float32(np.inf))
    return float(f)


def _f32_exact(v: float) -> bool:
    """Whether ``v`` is a float32 value (so a float32 column can equal it)."""
    with np.errstate(over="ignore"):
        return bool(float(np.float32(v)) == v)


def _typed(v: float, f32: bool) -> ir.FloatingValue:
    """``v`` as a literal of the column's type (float32 values are written exactly, as doubles)."""
    import ibis

    if not f32:
        return _double(v)
    if math.isfinite(v):
        return ibis.literal(repr(float(v))).cast("float32")  # type: ignore[no-any-return]
    return ibis.literal(v, type="float32")  # type: ignore[no-any-return]


def _search_input(c: Characteristic, col: ir.Value) -> tuple[Any, bool]:
    """A numeric input as the search form compares it, and whether that is in float32."""
    dtype = col.type()
    f32 = dtype.is_float32()
    return (col if f32 or dtype.is_float64() else _numeric(col, c.name)), f32


def _search_tree(
    x: Any,
    f32: bool,
    edges: Sequence[float],
    leaves: Sequence[_T],
    missing: _T,
    make: Callable[[_T], Any],
    *,
    merge_equal: bool = False,
) -> Any:
    """A search tree of CASE giving ``make(leaves[i])`` for ``x`` in interval ``i`` of ``edges``.

    NULL and NaN fail every ``x < edge`` and the last interval's ``x <= +inf``, so they reach
    ``make(missing)``. With ``merge_equal``, an edge between two equal leaves is dropped.
    """
    import ibis

    cuts = [_f32_ceil(e) if f32 else e for e in edges]
    # rounded up to float32, two edges can meet: the interval between them is then empty
    kept_edges: list[float] = []
    kept: list[_T] = [leaves[0]]
    for e, leaf in zip(cuts, leaves[1:], strict=True):
        if merge_equal and leaf == kept[-1]:
            continue
        if kept_edges and e == kept_edges[-1]:
            kept[-1] = leaf
        else:
            kept_edges.append(e)
            kept.append(leaf)
    last = len(kept) - 1

    def node(lo: int, hi: int) -> Any:  # intervals lo..hi; x is known to be >= edge lo - 1
        if hi - lo + 1 > _LEAF_BINS:
            mid = lo + (hi - lo + 1) // 2
            below = x < _typed(kept_edges[mid - 1], f32)
            return ibis.ifelse(below, node(lo, mid - 1), node(mid, hi))
        branches = [(x < _typed(kept_edges[i], f32), make(kept[i])) for i in range(lo, hi)]
        if hi != last or kept[hi] == missing:  # (missing values reach the last ELSE)
            return ibis.cases(*branches, else_=make(kept[hi])) if branches else make(kept[hi])
        branches.append((x <= _typed(math.inf, f32), make(kept[hi])))
        return ibis.cases(*branches, else_=make(missing))

    return node(0, last)


def _special_values(c: Characteristic, f32: bool) -> list[float]:
    """The special values of ``c`` a float32 (or float64) column can equal (NaN is missing)."""
    return [
        v for sp in c.special for v in sp.values if not math.isnan(v) and (not f32 or _f32_exact(v))
    ]


def _search_value(c: Characteristic, col: ir.Value, value: Callable[[Outcome], int]) -> Any:
    """A numeric characteristic as a search tree of CASE over its edges, yielding ``value``.

    No test for missing values: NULL and NaN fail every ``x < edge`` (NaN is above every number
    in DuckDB, PostgreSQL and Spark, and unordered elsewhere) and the last bin's ``x <= +inf``,
    so they reach the ``ELSE missing`` of the last bin.
    """
    import ibis

    x, f32 = _search_input(c, col)
    tree = _search_tree(x, f32, c.edges, [value(b) for b in c.bins], value(c.missing), _int)
    special: dict[float, int] = {}
    for sp in c.special:  # a later special wins, as in the reference; NaN is missing first
        for v in sp.values:
            special.pop(v, None)
            if not math.isnan(v) and (not f32 or _f32_exact(v)):
                special[v] = value(sp)
    by_value: dict[int, list[float]] = {}
    for v, p in special.items():
        by_value.setdefault(p, []).append(v)
    if not by_value:
        return tree
    branches = [(x.isin([_typed(v, f32) for v in vs]), _int(p)) for p, vs in by_value.items()]
    return ibis.cases(*branches, else_=tree)


def _search_criterion(crit: Criterion, col: ir.Value) -> ir.BooleanValue:
    """A criterion compared in the column's own float type, exactly (see :func:`_search_value`)."""
    import ibis

    dtype = col.type()
    f32 = dtype.is_float32()
    x: Any = col if f32 or dtype.is_float64() else _numeric(col, crit.column)
    present = x.notnull() & ~x.isnan()
    if crit.op == "not_null":
        return present  # type: ignore[no-any-return]
    assert crit.value is not None  # guaranteed by the artifact's validation
    v = crit.value
    if math.isnan(v):  # every comparison with NaN is false in the reference
        return ibis.literal(False)  # type: ignore[no-any-return]
    # for a float32 x: x < v iff x < up, x <= v iff x <= down, and x == v only if v is a float32
    up, down, exact = (_f32_ceil(v), -_f32_ceil(-v), _f32_exact(v)) if f32 else (v, v, True)
    eq: Any = x == _typed(v, f32) if exact else ibis.literal(False)
    test = {
        ">=": lambda: x >= _typed(up, f32),
        ">": lambda: x > _typed(down, f32),
        "<=": lambda: x <= _typed(down, f32),
        "<": lambda: x < _typed(up, f32),
        "==": lambda: eq,
        "!=": lambda: ~eq,
    }[crit.op]()
    return present & test  # type: ignore[no-any-return]


def _groups_case(
    x: Any, groups: Sequence[Sequence[str]], leaves: Sequence[_T], missing: _T, make: Any
) -> Any:
    """``CASE WHEN x IN (group) THEN make(leaf) ... ELSE make(missing) END`` over text ``x``.

    NULL and unseen levels reach the ``ELSE``; groups with equal leaves share one ``IN`` list,
    and those whose leaf is ``missing`` are left to the ``ELSE``.
    """
    import ibis

    by_leaf: dict[_T, list[str]] = {}
    for group, leaf in zip(groups, leaves, strict=True):
        if leaf != missing:
            by_leaf.setdefault(leaf, []).extend(group)
    branches = [(x.isin(cats), make(leaf)) for leaf, cats in by_leaf.items()]
    return ibis.cases(*branches, else_=make(missing)) if branches else make(missing)


def _case_chain(x: Any, edges: Sequence[float], leaves: Sequence[_T], make: Any) -> Any:
    """``CASE WHEN x < edge_0 THEN make(leaf_0) ... ELSE make(leaf_last) END`` over DOUBLE ``x``
    (no missing values reach it), an edge between two equal leaves dropped."""
    import ibis

    kept_edges: list[float] = []
    kept: list[_T] = [leaves[0]]
    for e, leaf in zip(edges, leaves[1:], strict=True):
        if leaf != kept[-1]:
            kept_edges.append(e)
            kept.append(leaf)
    branches = [(x < _double(e), make(leaf)) for e, leaf in zip(kept_edges, kept, strict=False)]
    return ibis.cases(*branches, else_=make(kept[-1])) if branches else make(kept[-1])


def _axis_case(
    axis: Axis,
    x: Any,
    f32: bool,
    form: str,
    leaves: Sequence[_T],
    missing: _T,
    make: Callable[[_T], Any],
) -> Any:
    """``make(leaves[i])`` for ``x`` in interval or group ``i`` of ``axis``, in ``form``.

    ``missing`` is what NULL and NaN (search form) or unseen levels (categorical) reach; in the
    "sum" and "case" forms a numeric ``x`` is known to be present and not special.
    """
    if axis.type == "categorical":
        return _groups_case(x, axis.groups, leaves, missing, make)
    if form == "search":
        return _search_tree(x, f32, axis.edges, leaves, missing, make, merge_equal=True)
    return _case_chain(x, axis.edges, leaves, make)


def _pair_value(
    p: Interaction,
    chars: Mapping[str, Characteristic],
    table: ir.Table,
    value: Callable[[Outcome], int],
    form: str,
) -> Any:
    """An interaction as a CASE on its first axis whose branches are CASEs on its second.

    Each input is read as a characteristic on it is, so an axis bins exactly as the input's
    bins would with the same edges. ``otherwise`` is given where either input is missing,
    special or unseen: a categorical input's unseen levels and NULL reach the ``ELSE
    otherwise`` of its ``IN`` lists; a numeric input is tested for NULL, NaN and specials
    first and compared as DOUBLE in the "sum" and "case" forms, while the "search" form tests
    only the specials first, compares in the column's own float type (edges rounded up for
    float32) and lets NULL and NaN fall through the tree to ``otherwise``
    (:func:`_search_tree`).
    """
    import ibis

    off: list[Any] = []  # the tests that send a row to `otherwise` first
    inputs: list[tuple[Any, bool]] = []
    for name in p.inputs:
        c, col = chars[name], table[name]
        if c.type == "categorical":
            inputs.append((_text(col), False))
            continue
        if form == "search":
            x, f32 = _search_input(c, col)
        else:
            x, f32 = _numeric(col, name), False
            off.append(x.isnull() | x.isnan())
        specials = list(dict.fromkeys(_special_values(c, f32)))
        if specials:
            off.append(x.isin([_typed(v, f32) for v in specials]))
        inputs.append((x, f32))
    (x_a, f32_a), (x_b, f32_b) = inputs
    ax_a, ax_b = p.axes
    other = value(p.otherwise)
    rows = [
        tuple(value(p.cells[i * ax_b.size + j]) for j in range(ax_b.size)) for i in range(ax_a.size)
    ]

    def row_case(row: tuple[int, ...]) -> Any:
        return _axis_case(ax_b, x_b, f32_b, form, row, other, _int)

    tree = _axis_case(ax_a, x_a, f32_a, form, rows, (other,) * ax_b.size, row_case)
    if not off:
        return tree
    either = off[0]
    for test in off[1:]:
        either = either | test
    return ibis.cases((either, _int(other)), else_=tree)


def _code_tree(index: Any, codes: Sequence[str | None], lo: int, hi: int) -> Any:
    """``codes[index]`` for ``lo <= index <= hi`` as a binary search of CASE (portable SQL)."""
    import ibis

    if lo == hi:
        return ibis.literal(codes[lo], type="string")
    mid = (lo + hi + 1) // 2
    return ibis.ifelse(
        index < _int(mid), _code_tree(index, codes, lo, mid - 1), _code_tree(index, codes, mid, hi)
    )


def _valuer(best: int, scale: int, tie: int) -> Callable[[Outcome], int]:
    """The value an outcome's branch yields: ``(best - points) * scale + tie``."""

    def value(o: Outcome) -> int:
        return (best - o.points) * scale + tie

    return value


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
        value = _valuer(e.best_points, big_k, big_k - 1 - j) if reasons else _valuer(0, -1, 0)
        if isinstance(e, Interaction):
            values[f"{_P}{j}"] = _pair_value(e, by_name, table, value, "search")
            continue
        col = table[e.name]
        values[f"{_P}{j}"] = (
            _search_value(e, col, value)
            if e.type == "numeric"
            else _categorical_points(e, col, value)
        )
    ok: Any = ibis.literal(True)
    for crit in art.criteria:
        ok = ok & _search_criterion(crit, table[crit.column])
    if art.criteria:  # 0, or NULL for NS rows: added to a number, it makes it NULL
        values[_NUL] = ibis.ifelse(ok, _int(0), ibis.null("int64"))
    t = fence(table.mutate(**values))
    p = [t[f"{_P}{j}"] for j in range(k)]
    sums: dict[str, Any] = {}
    for d, dim in enumerate(art.dimension_names):
        members = [j for j, e in enumerate(elements) if e.dimension == dim]
        if not members:
            sums[f"{_D}{d}"] = _int(0)
            continue
        total = sum((p[j] for j in members[1:]), p[members[0]])
        if reasons:  # sum_j key_j = big_k * (points lost) + sum_j tie_j
            best = sum(elements[j].best_points for j in members)
            ties = sum(big_k - 1 - j for j in members)
            total = _int(best) - ((total - _int(ties)) >> shift)
        sums[f"{_D}{d}"] = total
    if reasons:
        sums[f"{_M}1"] = ibis.greatest(*p) if k > 1 else p[0]
    t = fence(t.mutate(**sums))
    if reasons:
        for r in range(2, min(MAX_REASONS, k) + 1):
            prev = t[f"{_M}{r - 1}"]
            below = [ibis.ifelse(key < prev, key, _int(-1)) for key in p]
            t = fence(t.mutate(**{f"{_M}{r}": ibis.greatest(*below) if k > 1 else below[0]}))
    n_reasons = min(MAX_REASONS, k) if reasons else 0
    if n_reasons:  # each reason's key, NULL on NS rows, and its index in the low bits
        t = fence(
            t.mutate(
                **{f"{_M}n{r}": _nulled(t, t[f"{_M}{r}"]) for r in range(1, n_reasons + 1)},
                **{f"{_M}i{r}": t[f"{_M}{r}"] & _int(big_k - 1) for r in range(1, n_reasons + 1)},
            )
        )
    dims = [t[f"{_D}{d}"] for d in range(len(art.dimension_names))]
    total = sum(dims[1:], dims[0]) if dims else _int(0)
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
            code = _code_tree(t[f"{_M}i{r}"], codes, big_k - k, big_k - 1)
            lost = t[f"{_M}n{r}"] >= _int(big_k)
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
            points[f"{_P}{j}"] = _pair_value(e, by_name, table, lambda o: o.points, form)
            continue
        col = table[e.name]
        points[f"{_P}{j}"] = (
            _numeric_points(e, col, form) if e.type == "numeric" else _categorical_points(e, col)
        )
    ok: Any = ibis.literal(True)
    for crit in art.criteria:
        ok = ok & _criterion(crit, table[crit.column])
    t = fence(table.mutate(**points, **{_OK: ok}))
    p = [t[f"{_P}{j}"] for j in range(k)]
    sums: dict[str, Any] = {"score": sum(p[1:], p[0])}
    for dim in art.dimension_names:
        members = [p[j] for j, e in enumerate(elements) if e.dimension == dim]
        sums[dim] = sum(members[1:], members[0]) if members else _int(0)
    if reasons:
        for j, e in enumerate(elements):
            sums[f"{_K}{j}"] = (_int(e.best_points) - p[j]) * _int(k) + _int(k - 1 - j)
    t = fence(t.mutate(**sums))
    if reasons:
        keys = [t[f"{_K}{j}"] for j in range(k)]
        t = fence(t.mutate(**{f"{_M}1": ibis.greatest(*keys) if k > 1 else keys[0]}))
        for r in range(2, MAX_REASONS + 1):
            prev = t[f"{_M}{r - 1}"]
            below = [ibis.ifelse(key < prev, key, _int(-1)) for key in keys]
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
            code = (_int(k - 1) - m % _int(k)).cases(
                *[(j, e.reason_code) for j, e in enumerate(elements)]
            )
            out[f"reason_{r}"] = ibis.ifelse(is_ok & (m >= _int(k)), code, ibis.null("string"))
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
        on DuckDB and faster on Spark too (with or without ``-XX:-DontCompileHugeMethods``;
        ``benchmarks/scoring``), so :func:`score` runs it on Spark; ``"search"``, a search
        tree of ``CASE`` in the column's own float type with no separate missing test, whose
        values are the reason keys when ``reasons`` (module docstring): what :func:`score`
        runs on DuckDB, where it takes about 0.75x the CPU time of ``"case"``. All give the
        same values.

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
