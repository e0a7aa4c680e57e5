"""What-if values and the fewest changes that add enough points: exact, from the artifact alone.

Two questions a subject asks of a scorecard, answered from the artifact and the subject's row:

- :func:`apply_changes`: the row with some characteristics set to other values, each checked
  against the characteristic's type (a number, or a level as text; null is "none on file"), so
  it can be scored by the same scorer as the row itself;
- :func:`find_changes`: the smallest set of changes that adds at least ``needed`` points, and
  among the smallest sets the one that adds the most, or None when no set does.

The search is exact for the artifact's semantics. Every value a characteristic can be moved to
lands in one *cell*: an interval of the characteristic's bin edges and the edges of every axis
of an interaction it is an input of (a level, for a categorical one), so all values of a cell
earn the same points from every element. A change moves a characteristic to another cell; its
points are its own bin's and those of its interactions, whose cells depend on both inputs. For
each number of changes ``k`` = 1, 2, ... the search goes over the sets of ``k`` changeable
characteristics (branch and bound on each one's most possible gain), maximising the points of
each set exactly over its characteristics' cells, pairs coupled (max-sum by variable
elimination); the first ``k`` at which a set reaches ``needed`` is the answer. Before that, the
most any set of changes can add is computed exactly, so "none exists" costs one pass.

Not actions: moving a value to missing, to a special code or to an unseen level (those are no
information, not conduct); a characteristic declared ``"change": "time"`` (it moves only as time
passes: months since an event) or ``"fixed"`` (it cannot be changed); a value that would fail a
minimum scoring criterion on the same column. A characteristic with no declaration counts as
actionable (a user's own data). The declaration is the characteristic key ``"change"``, which
the artifact keeps in :attr:`Characteristic.extra`.

Examples
--------
>>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
>>> art = ScorecardArtifact.from_dict(example_artifact_dict())
>>> row = {"on_time_rate": 0.5, "card_kind": "none", "months_history": 12}
>>> found = find_changes(art, row, 50)
>>> [(c.name, c.value, c.points) for c in found.changes], found.points
([('card_kind', 'card', 80)], 80)
>>> found = find_changes(art, row, 90)
>>> sorted(c.name for c in found.changes), found.points
(['card_kind', 'on_time_rate'], 105)
>>> find_changes(art, row, 200) is None
True
>>> apply_changes(art, row, {"on_time_rate": 0.95})["on_time_rate"]
0.95
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from trustscore.exceptions import ArtifactError, SchemaError
from trustscore.scoring._artifact import Characteristic, Criterion, ScorecardArtifact
from trustscore.scoring._reference import criterion_ok
from trustscore.scoring._truth import axis_index, landing

__all__ = [
    "CHANGEABILITY_VALUES",
    "Change",
    "ChangeSet",
    "Changeability",
    "apply_changes",
    "changeability",
    "declare_changeability",
    "find_changes",
    "most_points",
    "row_table",
]

#: How a characteristic can change: by the subject's conduct, only as time passes, or never.
Changeability = Literal["action", "time", "fixed"]
CHANGEABILITY_VALUES: Final = ("action", "time", "fixed")

#: The most cells one exhaustive step of the search holds in memory at once.
_CELLS_AT_ONCE: Final = 1 << 20


def changeability(c: Characteristic) -> Changeability:
    """A characteristic's declared changeability (its ``"change"`` key), "action" if none.

    Examples
    --------
    >>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
    >>> changeability(ScorecardArtifact.from_dict(example_artifact_dict()).characteristics[0])
    'action'
    """
    value = c.extra.get("change", "action")
    if value not in CHANGEABILITY_VALUES:
        msg = (
            f"Characteristic {c.name!r} declares 'change': {value!r}; it must be one of "
            f"{', '.join(CHANGEABILITY_VALUES)}."
        )
        raise ArtifactError(msg, field=c.name, value=value)
    return cast(Changeability, value)


def declare_changeability(
    art: ScorecardArtifact, changeable: Mapping[str, str]
) -> ScorecardArtifact:
    """``art`` with each named characteristic's ``"change"`` declared (its hash renewed).

    Names that are not characteristics of ``art`` are ignored: a declaration per feature of a
    feature set serves every model trained on part of it.

    Examples
    --------
    >>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
    >>> art = ScorecardArtifact.from_dict(example_artifact_dict())
    >>> changeability(declare_changeability(art, {"card_kind": "fixed"}).characteristics[1])
    'fixed'
    """
    d = art.to_dict()
    for c in d["characteristics"]:
        how = changeable.get(c["name"])
        if how is None:
            continue
        if how not in CHANGEABILITY_VALUES:
            msg = (
                f"The changeability of {c['name']!r} must be one of "
                f"{', '.join(CHANGEABILITY_VALUES)}, got {how!r}."
            )
            raise ArtifactError(msg, field=c["name"], value=how)
        c["change"] = how
    d.pop("content_hash", None)
    return ScorecardArtifact.from_json(json.dumps(d, allow_nan=False))


# -- what-if values ---------------------------------------------------------------------------


def check_value(c: Characteristic, value: Any) -> float | str | None:
    """``value`` as the characteristic reads it, or a :class:`SchemaError` saying what it needs."""
    if value is None:
        return None
    if c.type == "numeric":
        if isinstance(value, bool) or not isinstance(value, int | float):
            msg = (
                f"{c.name!r} is a number: give a number (or null for none on file), got {value!r}."
            )
            raise SchemaError(msg, field=c.name, value=value)
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            msg = f"{c.name!r} must be a finite number (or null for none on file), got {value!r}."
            raise SchemaError(msg, field=c.name, value=value)
        return number
    if isinstance(value, bool) or not isinstance(value, str | int):
        levels = ", ".join(cat for b in c.bins for cat in b.categories)
        msg = f"{c.name!r} is a level ({levels}): give it as text, got {value!r}."
        raise SchemaError(msg, field=c.name, value=value)
    return str(value)


def apply_changes(
    art: ScorecardArtifact, row: Mapping[str, Any], changes: Mapping[str, Any]
) -> dict[str, Any]:
    """``row`` with ``changes`` applied, each checked against its characteristic.

    Raises
    ------
    SchemaError
        For a name that is not a characteristic of ``art`` or a value of the wrong kind.
    """
    names = [c.name for c in art.characteristics]
    out = dict(row)
    for name, value in changes.items():
        if name not in names:
            msg = (
                f"{name!r} is not a characteristic of model {art.model_version}; "
                f"the characteristics are {', '.join(names)}."
            )
            raise SchemaError(msg, field=name, model_version=art.model_version)
        out[name] = check_value(art.characteristic(name), value)
    return out


# -- cells and their points -------------------------------------------------------------------


@dataclass(frozen=True)
class _Cell:
    """Where one value of a characteristic lands: its points, and its interval on each axis of
    the interactions it is an input of (None: the value is off every axis)."""

    points: int
    axes: tuple[int | None, ...]
    value: float | str | None
    low: float | None = None
    high: float | None = None
    categories: tuple[str, ...] = ()


def _state(art: ScorecardArtifact, c: Characteristic, pairs: list[int], value: Any) -> _Cell:
    """The cell of ``value`` (any value, missing and special ones included)."""
    where, outcome, _ = landing(c, value)
    if where != "bin":  # missing, special or other: off every pair's grid
        return _Cell(outcome.points, (None,) * len(pairs), value)
    axes = []
    for q in pairs:
        p = art.interactions[q]
        axes.append(axis_index(p.axes[p.inputs.index(c.name)], value))
    return _Cell(outcome.points, tuple(axes), value)


def _meets(criteria: Sequence[Criterion], x: float) -> bool:
    """Whether ``x`` (finite) meets every criterion on its column: the reference's own test."""
    return all(bool(criterion_ok(crit, np.array([x]))[0]) for crit in criteria)


def _decimals(x: float) -> int:
    text = repr(x)  # the shortest text that reads back as x
    if "e" in text:
        return 99  # far out or tiny: the last resort
    decimals = text.partition(".")[2]
    return 0 if decimals in {"", "0"} else len(decimals)


def _pick(
    low: float, high: float, current: float, specials: set[float], criteria: Sequence[Criterion]
) -> float | None:
    """A plain value in ``[low, high)`` that is no special code and meets the criteria: the one
    with the fewest decimals, nearest the current value among those; None if there is none."""
    candidates: list[float] = []
    for k in range(7):  # round values first: 0.9 rather than 0.9000000000000001
        scale = 10.0**k
        if abs(low) < 1e300 / scale:
            candidates.append(math.ceil(low * scale) / scale)
        if abs(high) < 1e300 / scale:
            candidates.append(math.ceil(high * scale) / scale - 1 / scale)
    if math.isfinite(low):
        candidates += [low, math.nextafter(low, math.inf)]
    if math.isfinite(high):
        candidates += [math.nextafter(high, -math.inf), math.nextafter(high, -math.inf) - 1.0]
    if math.isfinite(low) and math.isfinite(high):
        candidates.append(low / 2 + high / 2)
    if not math.isfinite(low):
        candidates += [-1e300, 0.0, (high if math.isfinite(high) else 0.0) - 1.0]
    if not math.isfinite(high):
        candidates += [1e300, 0.0, (low if math.isfinite(low) else 0.0) + 1.0]
    for crit in criteria:
        if crit.value is not None:
            v = crit.value
            candidates += [v, math.nextafter(v, math.inf), math.nextafter(v, -math.inf)]
    if math.isfinite(current):
        candidates.append(current)
    fit = [
        x
        for x in candidates
        if math.isfinite(x) and low <= x < high and x not in specials and _meets(criteria, x)
    ]
    if not fit:
        return None
    here = current if math.isfinite(current) else 0.0
    # the roundest value first (1 account, not 1.9999999999999998), then the nearest
    return min(fit, key=lambda x: (_decimals(x), abs(x - here), x))


def _cells(
    art: ScorecardArtifact, c: Characteristic, pairs: list[int], current: Any
) -> list[_Cell]:
    """Every cell a value of ``c`` can be moved to by an action (no missing, special, other)."""
    if c.type == "categorical":
        by_key: dict[tuple[int, tuple[int | None, ...]], list[str]] = {}
        for j, b in enumerate(c.bins):
            for cat in b.categories:
                key = (j, _state(art, c, pairs, cat).axes)
                by_key.setdefault(key, []).append(cat)
        cells = []
        for cats in by_key.values():
            value = str(current) if current is not None and str(current) in cats else cats[0]
            st = _state(art, c, pairs, value)
            cells.append(_Cell(st.points, st.axes, value, categories=tuple(cats)))
        return cells
    edges = set(c.edges)
    for q in pairs:
        p = art.interactions[q]
        edges.update(p.axes[p.inputs.index(c.name)].edges)
    cuts = sorted(edges)
    specials = {v for sp in c.special for v in sp.values}
    criteria = [crit for crit in art.criteria if crit.column == c.name]
    cur = math.nan if current is None else float(current)
    cells = []
    for low, high in zip([-math.inf, *cuts], [*cuts, math.inf], strict=True):
        x = _pick(low, high, cur, specials, criteria)
        if x is None:
            continue
        st = _state(art, c, pairs, x)
        cells.append(
            _Cell(
                st.points,
                st.axes,
                x,
                low=None if math.isinf(low) else low,
                high=None if math.isinf(high) else high,
            )
        )
    return cells


# -- the search -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One change of a set: move ``name`` to ``value``.

    Any value in ``[low, high)`` (None: unbounded; numeric characteristics) or among
    ``categories`` (categorical ones) earns the same points. ``points`` is what the change adds
    on its own: its characteristic's points and those of its interactions whose other input
    stays as it is (the interactions of two changed characteristics are in
    :attr:`ChangeSet.together`).
    """

    name: str
    value: float | str
    points: int
    low: float | None = None
    high: float | None = None
    categories: tuple[str, ...] = ()
    current: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "current": self.current,
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "categories": list(self.categories),
            "points": self.points,
        }


@dataclass(frozen=True)
class ChangeSet:
    """The changes found by :func:`find_changes` and the points they add together."""

    changes: tuple[Change, ...]
    together: tuple[tuple[str, int], ...]
    points: int

    @property
    def values(self) -> dict[str, float | str]:
        """The changes as :func:`apply_changes` takes them."""
        return {c.name: c.value for c in self.changes}

    def to_dict(self) -> dict[str, Any]:
        return {
            "changes": [c.to_dict() for c in self.changes],
            "together": [{"interaction": n, "points": p} for n, p in self.together],
            "points": self.points,
        }


class _Problem:
    """The gains of changing each changeable characteristic, and of each pair's cells."""

    def __init__(
        self, art: ScorecardArtifact, row: Mapping[str, Any], movable: Sequence[str]
    ) -> None:
        self.art = art
        chars = art.characteristics
        index = {c.name: j for j, c in enumerate(chars)}
        self.pairs_of: dict[int, list[int]] = {j: [] for j in range(len(chars))}
        for q, p in enumerate(art.interactions):
            for name in p.inputs:
                self.pairs_of[index[name]].append(q)
        self.inputs = [tuple(index[x] for x in p.inputs) for p in art.interactions]
        self.current = [
            _state(art, c, self.pairs_of[j], row.get(c.name)) for j, c in enumerate(chars)
        ]
        self.movable = [index[name] for name in movable]
        self.options: dict[int, list[_Cell]] = {}
        for j in self.movable:
            cur = self.current[j]
            self.options[j] = [
                cell
                for cell in _cells(art, chars[j], self.pairs_of[j], row.get(chars[j].name))
                if (cell.points, cell.axes) != (cur.points, cur.axes)
            ]
        self.movable = [j for j in self.movable if self.options[j]]

    def pair_points(self, q: int, a: _Cell, b: _Cell) -> int:
        p = self.art.interactions[q]
        ja, jb = self.inputs[q]
        ia = a.axes[self.pairs_of[ja].index(q)]
        ib = b.axes[self.pairs_of[jb].index(q)]
        if ia is None or ib is None:
            return p.otherwise.points
        return p.cell(ia, ib).points

    def partner(self, q: int, j: int) -> int:
        a, b = self.inputs[q]
        return b if a == j else a

    def unary(self, j: int, cells: Sequence[_Cell], inside: set[int]) -> npt.NDArray[np.int64]:
        """Each cell's gain for ``j``: its own points and its pairs with partners not inside."""
        cur = self.current[j]
        out = np.array([c.points - cur.points for c in cells], dtype=np.int64)
        for q in self.pairs_of[j]:
            k = self.partner(q, j)
            if k in inside:
                continue
            first = self.inputs[q][0] == j
            before = self.pair_points(
                q, *((cur, self.current[k]) if first else (self.current[k], cur))
            )
            for i, c in enumerate(cells):
                pair = (c, self.current[k]) if first else (self.current[k], c)
                out[i] += self.pair_points(q, *pair) - before
        return out

    def binary(
        self, q: int, cells_a: Sequence[_Cell], cells_b: Sequence[_Cell]
    ) -> npt.NDArray[np.int64]:
        ja, jb = self.inputs[q]
        before = self.pair_points(q, self.current[ja], self.current[jb])
        return np.array(
            [[self.pair_points(q, a, b) - before for b in cells_b] for a in cells_a],
            dtype=np.int64,
        )

    def upper_bound(self, j: int) -> int:
        """The most ``j`` can add in any set of changes (its pairs' gains counted in full)."""
        gain = max(c.points for c in self.options[j]) - self.current[j].points
        for q in self.pairs_of[j]:
            p = self.art.interactions[q]
            ja, jb = self.inputs[q]
            before = self.pair_points(q, self.current[ja], self.current[jb])
            gain += max(0, p.best_points - before)
        return gain

    def maximise(self, members: Sequence[int], keep: bool) -> tuple[int, dict[int, _Cell | None]]:
        """The most points changing ``members`` together adds (each may also stay as it is
        with ``keep``), and the cells that add it (None: stays)."""
        inside = set(members)
        cells: list[list[_Cell]] = []
        for j in members:
            own = list(self.options[j])
            cells.append([self.current[j], *own] if keep else own)
        unaries = [self.unary(j, cs, inside) for j, cs in zip(members, cells, strict=True)]
        binaries = []
        for q, (ja, jb) in enumerate(self.inputs):
            if ja in inside and jb in inside:
                a, b = members.index(ja), members.index(jb)
                binaries.append((a, b, self.binary(q, cells[a], cells[b])))
        gain, picks = _best(unaries, binaries)
        chosen: dict[int, _Cell | None] = {}
        for j, cs, i in zip(members, cells, picks, strict=True):
            chosen[j] = None if keep and i == 0 else cs[i]
        return gain, chosen

    def most(self) -> int:
        """The most any set of changes adds, exactly: each group that pairs join on its own."""
        return sum(self.maximise(g, keep=True)[0] for g in self.components(self.movable))

    def components(self, members: Sequence[int]) -> list[list[int]]:
        """``members`` split into groups that no interaction joins."""
        inside = set(members)
        seen: set[int] = set()
        out = []
        for j in members:
            if j in seen:
                continue
            group, todo = [], [j]
            seen.add(j)
            while todo:
                k = todo.pop()
                group.append(k)
                for q in self.pairs_of[k]:
                    m = self.partner(q, k)
                    if m in inside and m not in seen:
                        seen.add(m)
                        todo.append(m)
            out.append(sorted(group))
        return out


_Factor = tuple[tuple[int, ...], "npt.NDArray[np.int64]"]


def _best(
    unaries: list[npt.NDArray[np.int64]],
    binaries: list[tuple[int, int, npt.NDArray[np.int64]]],
) -> tuple[int, list[int]]:
    """The largest sum of one entry per unary array plus the pairs' entries, and its indices.

    Exact max-sum by variable elimination: each characteristic in turn (the one whose
    elimination makes the smallest table first) is maximised out of the tables that hold it,
    keeping where the maximum is, to read the best cells back in reverse. Where even the
    smallest table would be too large (many characteristics joined by pairs), the busiest
    characteristic is fixed to each of its cells in turn and the rest searched the same way.
    """
    sizes = [len(u) for u in unaries]
    factors: list[_Factor] = [((i,), u) for i, u in enumerate(unaries)]
    for a, b, w in binaries:
        factors.append(((a, b), w) if a < b else ((b, a), w.T))
    steps: list[tuple[int, tuple[int, ...], npt.NDArray[np.intp]]] = []
    left = set(range(len(sizes)))
    while left:
        scopes = {x: sorted({y for vs, _ in factors if x in vs for y in vs}) for x in left}
        v = min(left, key=lambda x: (math.prod(sizes[y] for y in scopes[x]), x))
        scope = scopes[v]
        if math.prod(sizes[y] for y in scope) > _CELLS_AT_ONCE:
            return _condition(unaries, binaries)
        table = np.zeros([sizes[y] for y in scope], dtype=np.int64)
        rest: list[_Factor] = []
        for vs, t in factors:
            if v in vs:
                table = table + t.reshape([sizes[y] if y in vs else 1 for y in scope])
            else:
                rest.append((vs, t))
        axis = scope.index(v)
        kept = tuple(y for y in scope if y != v)
        steps.append((v, kept, np.argmax(table, axis=axis)))
        rest.append((kept, np.max(table, axis=axis)))
        factors = rest
        left.discard(v)
    total = sum(int(t) for _, t in factors)  # every table is a number now
    picks: dict[int, int] = {}
    for v, kept, where in reversed(steps):
        picks[v] = int(where[tuple(picks[y] for y in kept)])
    return total, [picks[i] for i in range(len(sizes))]


def _condition(
    unaries: list[npt.NDArray[np.int64]],
    binaries: list[tuple[int, int, npt.NDArray[np.int64]]],
) -> tuple[int, list[int]]:
    """:func:`_best` with the characteristic in the most pairs fixed to each cell in turn."""
    degree = [0] * len(unaries)
    for a, b, _ in binaries:
        degree[a] += 1
        degree[b] += 1
    v = max(range(len(unaries)), key=lambda x: (degree[x], -x))
    others = [x for x in range(len(unaries)) if x != v]
    index = {x: i for i, x in enumerate(others)}
    best: tuple[int, list[int]] | None = None
    for cell in range(len(unaries[v])):
        rest_unaries = [unaries[x].copy() for x in others]
        rest_binaries = []
        for a, b, w in binaries:
            if a == v:
                rest_unaries[index[b]] += w[cell, :]
            elif b == v:
                rest_unaries[index[a]] += w[:, cell]
            else:
                rest_binaries.append((index[a], index[b], w))
        gain, picks = _best(rest_unaries, rest_binaries)
        gain += int(unaries[v][cell])
        if best is None or gain > best[0]:
            full = dict(zip(others, picks, strict=True))
            full[v] = cell
            best = (gain, [full[x] for x in range(len(unaries))])
    assert best is not None
    return best


def _movable(art: ScorecardArtifact, changeable: Mapping[str, str] | None) -> list[str]:
    """The characteristics whose changeability (given, else declared) is "action"."""
    given = dict(changeable or {})
    wrong = {k: v for k, v in given.items() if v not in CHANGEABILITY_VALUES}
    if wrong:
        msg = f"Changeability must be one of {', '.join(CHANGEABILITY_VALUES)}; got {wrong}."
        raise SchemaError(msg, field=next(iter(wrong)))
    return [c.name for c in art.characteristics if given.get(c.name, changeability(c)) == "action"]


def most_points(
    art: ScorecardArtifact,
    row: Mapping[str, Any],
    *,
    changeable: Mapping[str, str] | None = None,
) -> int:
    """The most points any set of actionable changes of ``row`` adds (0: none adds any).

    Examples
    --------
    >>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
    >>> art = ScorecardArtifact.from_dict(example_artifact_dict())
    >>> most_points(art, {"on_time_rate": 0.5, "card_kind": "none", "months_history": 12})
    105
    """
    return _Problem(art, row, _movable(art, changeable)).most()


def row_table(art: ScorecardArtifact, rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Rows of values as the table a scorer reads: numbers as float64, levels as text."""
    fields = [
        pa.field(c.name, pa.float64() if c.type == "numeric" else pa.string())
        for c in art.characteristics
    ]
    names = {c.name for c in art.characteristics}
    fields += [
        pa.field(col, pa.float64())
        for col in dict.fromkeys(k.column for k in art.criteria)
        if col not in names
    ]
    schema = pa.schema(fields)
    return pa.Table.from_pylist(
        [{f.name: r.get(f.name) for f in schema} for r in rows], schema=schema
    )


def find_changes(
    art: ScorecardArtifact,
    row: Mapping[str, Any],
    needed: int,
    *,
    changeable: Mapping[str, str] | None = None,
) -> ChangeSet | None:
    """The fewest changes of ``row`` that add at least ``needed`` points; the most points first.

    Parameters
    ----------
    art : ScorecardArtifact
        The model.
    row : mapping
        The subject's values by characteristic name (None where missing).
    needed : int
        The points to add (a cut-off minus the score); 0 or less asks for no change.
    changeable : mapping, optional
        Characteristic name -> "action", "time" or "fixed", overriding the artifact's
        declarations (see :func:`changeability`) for the names it holds.

    Returns
    -------
    ChangeSet or None
        None when no set of actionable changes adds ``needed`` points.
    """
    if needed <= 0:
        return ChangeSet((), (), 0)
    problem = _Problem(art, row, _movable(art, changeable))
    movable = problem.movable
    if problem.most() < needed:
        return None
    bounds = {j: problem.upper_bound(j) for j in movable}
    order = sorted(movable, key=lambda j: (-bounds[j], j))
    ub = [bounds[j] for j in order]
    kept: dict[frozenset[int], tuple[int, dict[int, _Cell | None]]] = {}

    def evaluate(members: list[int]) -> tuple[int, dict[int, _Cell | None]]:
        gain, chosen = 0, {}
        for group in problem.components(members):
            key = frozenset(group)
            if key not in kept:
                kept[key] = problem.maximise(group, keep=False)
            g, c = kept[key]
            gain += g
            chosen.update(c)
        return gain, chosen

    for k in range(1, len(order) + 1):
        if sum(ub[:k]) < needed:
            continue
        found = _best_of_size(order, ub, k, needed, evaluate)
        if found is not None:
            gain, members, cells = found
            return _change_set(problem, row, sorted(members), cells, gain)
    return None  # pragma: no cover - ``most`` >= needed guarantees a set


_Found = tuple[int, list[int], dict[int, "_Cell | None"]]


def _best_of_size(
    order: Sequence[int],
    ub: Sequence[int],
    k: int,
    needed: int,
    evaluate: Callable[[list[int]], tuple[int, dict[int, _Cell | None]]],
) -> _Found | None:
    """Among the sets of ``k`` of ``order`` (sorted by their upper bounds ``ub``, largest
    first), the one whose changes add the most points, if that reaches ``needed``."""
    best: _Found | None = None

    def search(start: int, chosen: list[int], bound: int) -> None:
        nonlocal best
        if len(chosen) == k:
            gain, cells = evaluate(chosen)
            if gain >= needed and (best is None or gain > best[0]):
                best = (gain, list(chosen), cells)
            return
        r = k - len(chosen)
        for i in range(start, len(order) - r + 1):
            # the bounds fall along ``order``: no later start can do better than this one
            if bound + sum(ub[i : i + r]) < (needed if best is None else best[0] + 1):
                break
            search(i + 1, [*chosen, order[i]], bound + ub[i])

    search(0, [], 0)
    return best


def _change_set(
    problem: _Problem,
    row: Mapping[str, Any],
    members: list[int],
    cells: Mapping[int, _Cell | None],
    gain: int,
) -> ChangeSet:
    chars = problem.art.characteristics
    inside = set(members)
    changes = []
    for j in members:
        cell = cells[j]
        assert cell is not None
        assert cell.value is not None
        own = int(problem.unary(j, [cell], inside)[0])
        changes.append(
            Change(
                name=chars[j].name,
                value=cell.value,
                points=own,
                low=cell.low,
                high=cell.high,
                categories=cell.categories,
                current=row.get(chars[j].name),
            )
        )
    together = []
    for q, (ja, jb) in enumerate(problem.inputs):
        if ja in inside and jb in inside:
            a, b = cells[ja], cells[jb]
            assert a is not None
            assert b is not None
            before = problem.pair_points(q, problem.current[ja], problem.current[jb])
            together.append(
                (problem.art.interactions[q].name, problem.pair_points(q, a, b) - before)
            )
    total = sum(c.points for c in changes) + sum(p for _, p in together)
    if total != gain:  # pragma: no cover - the search and its account must agree
        msg = f"The changes add {total} points, the search counted {gain}."
        raise RuntimeError(msg)
    return ChangeSet(tuple(changes), tuple(together), gain)
