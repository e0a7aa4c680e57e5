"""The scorecard's elements as Ibis values: one characteristic's or pair's points (or reason
key), a criterion, the literals they compare with, in each of the SQL forms.

:mod:`trustscore.scoring._ibis` assembles these into the table-level expression (sums,
sub-scores, reasons) and its SQL text; the forms themselves are described there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeVar

import numpy as np

from trustscore.exceptions import SchemaError
from trustscore.scoring._artifact import (
    Axis,
    Characteristic,
    Criterion,
    Interaction,
    Outcome,
    ScorecardArtifact,
)

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = [
    "ReasonKeys",
    "as_double",
    "as_text",
    "axis_case",
    "case_chain",
    "categorical_points",
    "code_of",
    "criterion",
    "double",
    "f32_ceil",
    "f32_exact",
    "groups_case",
    "integer",
    "numeric_points",
    "pair_value",
    "search_criterion",
    "search_input",
    "search_tree",
    "search_value",
    "special_values",
    "typed",
]

LEAF_BINS: Final = 4  # the search form compares linearly within at most this many bins
_T = TypeVar("_T", int, tuple[int, ...])


def double(v: float) -> ir.FloatingValue:
    import ibis

    if math.isfinite(v):
        return ibis.literal(repr(float(v))).cast("float64")  # type: ignore[no-any-return]
    return ibis.literal(v, type="float64")  # type: ignore[no-any-return]


def integer(v: int) -> ir.IntegerValue:
    import ibis

    return ibis.literal(int(v), type="int64")  # type: ignore[no-any-return]


def as_double(col: ir.Value, name: str) -> ir.FloatingValue:
    dtype = col.type()
    if dtype.is_floating():
        return col.cast("float64") if not dtype.is_float64() else col  # type: ignore[return-value]
    if dtype.is_integer() or dtype.is_decimal() or dtype.is_boolean() or dtype.is_null():
        return col.cast("float64")  # type: ignore[return-value]
    msg = f"Column {name!r} must be numeric for scoring, got {dtype}; cast it to a number."
    raise SchemaError(msg, field=name, value=str(dtype))


def as_text(col: ir.Value) -> ir.StringValue:
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


def numeric_points(
    c: Characteristic, col: ir.Value, form: str, value: Callable[[Outcome], int] | None = None
) -> ir.IntegerValue:
    """A numeric characteristic in the "sum" or "case" form, yielding ``value`` (its points)."""
    import ibis

    val = value if value is not None else _points
    x: Any = as_double(col, c.name)
    branches: list[tuple[Any, Any]] = [(x.isnull() | x.isnan(), integer(val(c.missing)))]
    special: dict[float, int] = {}
    for sp in c.special:  # a later special wins, as in the reference
        for v in sp.values:
            special.pop(v, None)
            special[v] = val(sp)
    by_value: dict[int, list[float]] = {}
    for v, p in special.items():
        by_value.setdefault(p, []).append(v)
    for p, values in by_value.items():
        branches.append((x.isin([double(v) for v in values]), integer(p)))
    if form == "case":  # the first bin whose (exclusive) upper edge is above x
        for edge, b in zip(c.edges, c.bins, strict=False):
            branches.append((x < double(edge), integer(val(b))))
        return ibis.cases(*branches, else_=integer(val(c.bins[-1])))  # type: ignore[no-any-return]
    arith: Any = integer(val(c.bins[0]))
    for edge, lo, hi in zip(c.edges, c.bins, c.bins[1:], strict=False):
        arith = arith + ibis.ifelse(x >= double(edge), integer(val(hi) - val(lo)), integer(0))
    return ibis.cases(*branches, else_=arith)  # type: ignore[no-any-return]


def categorical_points(
    c: Characteristic, col: ir.Value, value: Callable[[Outcome], int] | None = None
) -> ir.IntegerValue:
    import ibis

    assert c.other is not None  # guaranteed by the artifact's validation
    val = value if value is not None else _points
    x: Any = as_text(col)
    branches: list[tuple[Any, Any]] = [(x.isnull(), integer(val(c.missing)))]
    for b in c.bins:
        if b.categories:
            branches.append((x.isin(list(b.categories)), integer(val(b))))
    return ibis.cases(*branches, else_=integer(val(c.other)))  # type: ignore[no-any-return]


def criterion(crit: Criterion, col: ir.Value) -> ir.BooleanValue:
    x: Any = as_double(col, crit.column)
    present = x.notnull() & ~x.isnan()
    if crit.op == "not_null":
        return present  # type: ignore[no-any-return]
    assert crit.value is not None  # guaranteed by the artifact's validation
    v = double(crit.value)
    test = {">=": x >= v, ">": x > v, "<=": x <= v, "<": x < v, "==": x == v, "!=": x != v}
    return present & test[crit.op]  # type: ignore[no-any-return]


def f32_ceil(v: float) -> float:
    """The smallest float32 not below ``v``: for a float32 ``x``, ``x < v`` iff ``x < `` it."""
    with np.errstate(over="ignore"):
        f = np.float32(v)
    if float(f) < v:
        f = np.nextafter(f, np.float32(np.inf))
    return float(f)


def f32_exact(v: float) -> bool:
    """Whether ``v`` is a float32 value (so a float32 column can equal it)."""
    with np.errstate(over="ignore"):
        return bool(float(np.float32(v)) == v)


def typed(v: float, f32: bool) -> ir.FloatingValue:
    """``v`` as a literal of the column's type (float32 values are written exactly, as doubles)."""
    import ibis

    if not f32:
        return double(v)
    if math.isfinite(v):
        return ibis.literal(repr(float(v))).cast("float32")  # type: ignore[no-any-return]
    return ibis.literal(v, type="float32")  # type: ignore[no-any-return]


def search_input(c: Characteristic, col: ir.Value) -> tuple[Any, bool]:
    """A numeric input as the search form compares it, and whether that is in float32."""
    dtype = col.type()
    f32 = dtype.is_float32()
    return (col if f32 or dtype.is_float64() else as_double(col, c.name)), f32


def search_tree(
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

    cuts = [f32_ceil(e) if f32 else e for e in edges]
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
        if hi - lo + 1 > LEAF_BINS:
            mid = lo + (hi - lo + 1) // 2
            below = x < typed(kept_edges[mid - 1], f32)
            return ibis.ifelse(below, node(lo, mid - 1), node(mid, hi))
        branches = [(x < typed(kept_edges[i], f32), make(kept[i])) for i in range(lo, hi)]
        if hi != last or kept[hi] == missing:  # (missing values reach the last ELSE)
            return ibis.cases(*branches, else_=make(kept[hi])) if branches else make(kept[hi])
        branches.append((x <= typed(math.inf, f32), make(kept[hi])))
        return ibis.cases(*branches, else_=make(missing))

    return node(0, last)


def special_values(c: Characteristic, f32: bool) -> list[float]:
    """The special values of ``c`` a float32 (or float64) column can equal (NaN is missing)."""
    return [
        v for sp in c.special for v in sp.values if not math.isnan(v) and (not f32 or f32_exact(v))
    ]


def search_value(c: Characteristic, col: ir.Value, value: Callable[[Outcome], int]) -> Any:
    """A numeric characteristic as a search tree of CASE over its edges, yielding ``value``.

    No test for missing values: NULL and NaN fail every ``x < edge`` (NaN is above every number
    in DuckDB, PostgreSQL and Spark, and unordered elsewhere) and the last bin's ``x <= +inf``,
    so they reach the ``ELSE missing`` of the last bin.
    """
    import ibis

    x, f32 = search_input(c, col)
    tree = search_tree(x, f32, c.edges, [value(b) for b in c.bins], value(c.missing), integer)
    special: dict[float, int] = {}
    for sp in c.special:  # a later special wins, as in the reference; NaN is missing first
        for v in sp.values:
            special.pop(v, None)
            if not math.isnan(v) and (not f32 or f32_exact(v)):
                special[v] = value(sp)
    by_value: dict[int, list[float]] = {}
    for v, p in special.items():
        by_value.setdefault(p, []).append(v)
    if not by_value:
        return tree
    branches = [(x.isin([typed(v, f32) for v in vs]), integer(p)) for p, vs in by_value.items()]
    return ibis.cases(*branches, else_=tree)


def search_criterion(crit: Criterion, col: ir.Value) -> ir.BooleanValue:
    """A criterion compared in the column's own float type, exactly (see :func:`search_value`)."""
    import ibis

    dtype = col.type()
    f32 = dtype.is_float32()
    x: Any = col if f32 or dtype.is_float64() else as_double(col, crit.column)
    present = x.notnull() & ~x.isnan()
    if crit.op == "not_null":
        return present  # type: ignore[no-any-return]
    assert crit.value is not None  # guaranteed by the artifact's validation
    v = crit.value
    if math.isnan(v):  # every comparison with NaN is false in the reference
        return ibis.literal(False)  # type: ignore[no-any-return]
    # for a float32 x: x < v iff x < up, x <= v iff x <= down, and x == v only if v is a float32
    up, down, exact = (f32_ceil(v), -f32_ceil(-v), f32_exact(v)) if f32 else (v, v, True)
    eq: Any = x == typed(v, f32) if exact else ibis.literal(False)
    test = {
        ">=": lambda: x >= typed(up, f32),
        ">": lambda: x > typed(down, f32),
        "<=": lambda: x <= typed(down, f32),
        "<": lambda: x < typed(up, f32),
        "==": lambda: eq,
        "!=": lambda: ~eq,
    }[crit.op]()
    return present & test  # type: ignore[no-any-return]


def groups_case(
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


def case_chain(x: Any, edges: Sequence[float], leaves: Sequence[_T], make: Any) -> Any:
    """``CASE WHEN x < edge_0 THEN make(leaf_0) ... ELSE make(leaf_last) END`` over DOUBLE ``x``
    (no missing values reach it), an edge between two equal leaves dropped."""
    import ibis

    kept_edges: list[float] = []
    kept: list[_T] = [leaves[0]]
    for e, leaf in zip(edges, leaves[1:], strict=True):
        if leaf != kept[-1]:
            kept_edges.append(e)
            kept.append(leaf)
    branches = [(x < double(e), make(leaf)) for e, leaf in zip(kept_edges, kept, strict=False)]
    return ibis.cases(*branches, else_=make(kept[-1])) if branches else make(kept[-1])


def axis_case(
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
        return groups_case(x, axis.groups, leaves, missing, make)
    if form == "search":
        return search_tree(x, f32, axis.edges, leaves, missing, make, merge_equal=True)
    return case_chain(x, axis.edges, leaves, make)


def pair_value(
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
    (:func:`search_tree`).
    """
    import ibis

    off: list[Any] = []  # the tests that send a row to `otherwise` first
    inputs: list[tuple[Any, bool]] = []
    for name in p.inputs:
        c, col = chars[name], table[name]
        if c.type == "categorical":
            inputs.append((as_text(col), False))
            continue
        if form == "search":
            x, f32 = search_input(c, col)
        else:
            x, f32 = as_double(col, name), False
            off.append(x.isnull() | x.isnan())
        specials = list(dict.fromkeys(special_values(c, f32)))
        if specials:
            off.append(x.isin([typed(v, f32) for v in specials]))
        inputs.append((x, f32))
    (x_a, f32_a), (x_b, f32_b) = inputs
    ax_a, ax_b = p.axes
    other = value(p.otherwise)
    rows = [
        tuple(value(p.cells[i * ax_b.size + j]) for j in range(ax_b.size)) for i in range(ax_a.size)
    ]

    def row_case(row: tuple[int, ...]) -> Any:
        return axis_case(ax_b, x_b, f32_b, form, row, other, integer)

    tree = axis_case(ax_a, x_a, f32_a, form, rows, (other,) * ax_b.size, row_case)
    if not off:
        return tree
    either = off[0]
    for test in off[1:]:
        either = either | test
    return ibis.cases((either, integer(other)), else_=tree)


def code_of(index: Any, codes: Sequence[str | None]) -> Any:
    """``codes[index]`` (``0 <= index < len(codes)``) as a lookup in an array literal: one
    operation per row on DuckDB, PostgreSQL and Spark, where a binary search of CASE over 40
    codes took about 8 % more of DuckDB's time for a query with reasons."""
    import ibis

    return ibis.literal(list(codes), type="array<string>")[index]


def _points(o: Outcome) -> int:
    return o.points


@dataclass(frozen=True)
class ReasonKeys:
    """How each outcome's reason key folds its loss, its reason slot and its points together.

    An outcome of element ``j`` yields the constant ``key = rank * width + (points - lows[j])``:

    - ``rank = lost * slots + (slots - 1 - s)`` where the outcome is a reason (it lost
      ``lost = baseline - points > 0`` and is no interaction's ``otherwise``), ``s`` being its
      index in :attr:`ScorecardArtifact.reason_slots` (the adverse slot for a bin or ``other``,
      the missing slot for ``missing`` or a ``special``), and ``0`` for every other outcome;
      ``slots`` is a power of two at least the number of slots, so a reason's rank is at least
      ``slots`` and unique in its row, larger for more points lost and, among equal losses,
      for the earlier slot (hence the earlier element, as each element lands in one slot);
    - ``points - lows[j]`` (``lows[j]`` the element's least points) lies in
      ``0 .. width - 1``, and so does its sum over any elements: ``width`` is a power of two
      above the sum of every element's spread of points.

    So the greatest key of a row is its first reason (if its rank is at least ``slots``), its
    slot is ``slots - 1 - (rank & (slots - 1))``, and a sum of keys gives back the sum of the
    points: ``sum(lows) + (sum(keys) & (width - 1))``. Keys are never negative (a loss of 0 or
    less gets rank 0, whatever its sign) and stay far below 2^63.
    """

    slots: int
    width: int
    lows: tuple[int, ...]
    keys: tuple[Mapping[int, int], ...]  # per element: id(outcome) -> key

    @classmethod
    def of(cls, art: ScorecardArtifact) -> ReasonKeys:
        """The keys of every outcome of ``art``."""
        elements = art.elements
        n_slots = len(art.reason_slots)
        slots = 1 << (n_slots - 1).bit_length()
        lows = tuple(e.worst_points for e in elements)
        width = 1 << sum(e.best_points - e.worst_points for e in elements).bit_length()
        where = {key: s for s, key in enumerate(art.reason_slots)}
        keys: list[dict[int, int]] = []
        for j, (e, lo) in enumerate(zip(elements, lows, strict=True)):
            base = e.baseline_points
            ranked: list[tuple[Outcome, int | None]]
            if isinstance(e, Characteristic):
                adverse, no_info = where[j, "adverse"], where[j, "missing"]
                other = (e.other,) if e.other is not None else ()
                ranked = [(o, adverse) for o in (*e.bins, *other)]
                ranked += [(o, no_info) for o in (e.missing, *e.special)]
            else:
                ranked = [(o, where[j, "adverse"]) for o in e.cells] + [(e.otherwise, None)]
            out: dict[int, int] = {}
            for o, s in ranked:
                lost = base - o.points
                rank = lost * slots + (slots - 1 - s) if s is not None and lost > 0 else 0
                out[id(o)] = rank * width + (o.points - lo)
            keys.append(out)
        return cls(slots=slots, width=width, lows=lows, keys=tuple(keys))

    @property
    def max_sum(self) -> int:
        """The largest sum of keys a row can reach (engines type small literals as 32-bit)."""
        return sum(max(keys.values()) for keys in self.keys)

    def value(self, j: int) -> Callable[[Outcome], int]:
        """The key of each outcome of element ``j`` (its branch's value in the SQL)."""
        keys = self.keys[j]

        def key(o: Outcome) -> int:
            return keys[id(o)]

        return key

    def codes(self, art: ScorecardArtifact) -> list[str | None]:
        """The reason code of each low part ``rank & (slots - 1)`` of a key (None: no slot)."""
        codes = art.reason_codes
        return [
            codes[self.slots - 1 - i] if self.slots - 1 - i < len(codes) else None
            for i in range(self.slots)
        ]
