"""An artifact compiled into the flat arrays the kernel reads, built once per content hash.

Numeric characteristic ``j`` becomes ``first[j]`` (the first bin's points) plus, for each inner
edge ``k`` in ``edges64[edge_off[j]:edge_off[j + 1]]``, a step ``steps[k]`` (the next bin's points
minus this one's) so that ``points = first + sum_k [x >= edge_k] * step_k``: a value exactly on an
edge lands in the bin above, ``+inf`` in the last bin and ``-inf`` in the first, as the artifact
says. The edges are padded to a multiple of four with NaN edges (``x >= NaN`` is false) and zero
steps, so the kernel can take them four at a time. ``edges32`` holds, for float32 input, the
smallest float32 not below each float64 edge, so that ``float32 x >= edges32[k]`` is exactly
``float64(x) >= edges64[k]`` and the comparison can stay in float32. Specials and missing
points override the bins afterwards.

The reason keys (see :mod:`trustscore.scoring._kernel`) run over the artifact's reason *slots*
(:attr:`~trustscore.scoring._artifact.ScorecardArtifact.reason_slots`): a row's key for an
element is ``lost * span + (span - 1 - slot)``, ``span`` the power of two at or above the
number of slots, ``lost`` the points below the element's baseline (its best bin or cell) and
``slot`` the reason the outcome gives. A value in a bin (or ``other``) gives the adverse slot,
so its key is linear in its points: ``keybase[j] - points * span``; a missing value's key is the
constant ``missing_key[j]`` and a special value's ``special_keys[q]`` (the no-information
slot); a categorical level's key comes from a table like its points
(:meth:`CompiledScorecard.category_keys`); an interaction's keys are listed cell by cell in
``pair_keys`` beside ``pair_cells``, its ``otherwise`` a key below ``span`` (no loss: never a
reason). A key below ``span`` lost nothing (a missing value may earn more than the baseline: a
negative loss) and is no reason. ``key_type`` is the narrowest integer type that holds every
key the artifact can give (and -1).

Interaction ``p`` (element ``k + p`` after the ``k`` characteristics) reads the columns of its
two inputs, ``pair_inputs[p]`` (characteristic indices). Each input's value becomes a number
on its axis (axis ``2 p`` for the first input, ``2 p + 1`` for the second): the interval index
(the count of the axis's edges at or below the value, edges in ``axis_edges64`` /
``axis_edges32`` from ``axis_edge_off``, padded like the bins' edges and to four at least, so
that one loop takes any axis of up to four edges) times ``pair_scale[p]``
(the second axis's size) on the first axis, the plain index on the second; or the *off*
value ``pair_top[p]`` (the number of cells) where the input's own rules send the value to
missing, special or other. The cell is then ``min(a + b, top)``, and
``pair_cells[pair_cell_off[p]:pair_cell_off[p + 1]]`` lists the cells' points row-major with
the ``otherwise`` points last, at index ``top``. A categorical axis maps categories to group
indices (``axis_groups``), turned per batch into a table over the column's codes.
``dimension`` runs over all elements, characteristics then interactions.

Examples
--------
>>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
>>> c = compile_artifact(ScorecardArtifact.from_dict(example_artifact_dict()))
>>> c.first.tolist(), c.steps.tolist(), c.span, c.key_type.__name__
([10, 10], [25, 25, 0, 0], 4, 'int16')
>>> c.keybase.tolist(), c.missing_key.tolist()  # baselines 60 and 90; slots 0, 1 and 2, 3
([243, 361], [122, 200])
>>> compile_artifact(ScorecardArtifact.from_dict(example_artifact_dict())) is c
True
>>> p = compile_artifact(ScorecardArtifact.from_dict(example_artifact_dict(interaction=True)))
>>> p.pair_inputs.tolist(), p.pair_cells.tolist(), p.pair_top.tolist(), p.axis_groups[1]
([[0, 1]], [0, 10, 15, 25, 0], [4], {'none': 0, 'card': 1, 'loan': 1})
"""

from __future__ import annotations

import math
import threading
import weakref
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from trustscore.exceptions import ArtifactError
from trustscore.scoring._artifact import Characteristic, ScorecardArtifact, content_hash

__all__ = ["CRITERIA_OP_CODES", "MAX_ABS_POINTS", "CompiledScorecard", "compile_artifact"]

# The kernel accumulates int32; points this large would let a partial sum overflow.
MAX_ABS_POINTS: Final = 1 << 24
CRITERIA_OP_CODES: Final = {">=": 0, ">": 1, "<=": 2, "<": 3, "==": 4, "!=": 5, "not_null": 6}
_CACHE_SIZE: Final = 64
_EDGE_GROUP: Final = 4


@dataclass(frozen=True, eq=False)
class CompiledScorecard:
    """The flat, kernel-ready form of a :class:`ScorecardArtifact` (see the module docstring)."""

    artifact: ScorecardArtifact
    is_categorical: npt.NDArray[np.bool_]
    first: npt.NDArray[np.int32]
    edge_off: npt.NDArray[np.int64]
    edges64: npt.NDArray[np.float64]
    edges32: npt.NDArray[np.float32]
    steps: npt.NDArray[np.int32]
    missing: npt.NDArray[np.int32]
    special_off: npt.NDArray[np.int64]
    special_values: npt.NDArray[np.float64]
    special_points: npt.NDArray[np.int32]
    dimension: npt.NDArray[np.int64]
    keybase: npt.NDArray[np.int64]
    missing_key: npt.NDArray[np.int64]
    special_keys: npt.NDArray[np.int64]
    span: int
    criteria_column: tuple[str, ...]
    criteria_op: npt.NDArray[np.int64]
    criteria_value: npt.NDArray[np.float64]
    category_points: tuple[dict[str, int], ...]
    other_points: npt.NDArray[np.int32]
    key_type: type[np.signedinteger[Any]]
    pair_inputs: npt.NDArray[np.int64]
    pair_scale: npt.NDArray[np.int32]
    pair_top: npt.NDArray[np.int32]
    pair_cell_off: npt.NDArray[np.int64]
    pair_cells: npt.NDArray[np.int32]
    pair_keys: npt.NDArray[np.int64]
    axis_edge_off: npt.NDArray[np.int64]
    axis_edges64: npt.NDArray[np.float64]
    axis_edges32: npt.NDArray[np.float32]
    axis_groups: tuple[dict[str, int], ...]

    @property
    def n_characteristics(self) -> int:
        return int(self.first.shape[0])

    @property
    def n_interactions(self) -> int:
        return int(self.pair_top.shape[0])

    @property
    def n_elements(self) -> int:
        """Characteristics and interactions: the rows of the reason keys."""
        return int(self.dimension.shape[0])

    @property
    def n_slots(self) -> int:
        """The artifact's reason slots: what a decoded reason key indexes."""
        return len(self.artifact.reason_slots)

    def category_keys(
        self, j: int, points: npt.NDArray[np.int32], no_info: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.int64]:
        """The reason keys of categorical characteristic ``j``'s points table (by code + 1).

        ``no_info`` marks the entries that are missing (null, NaN): they give the missing slot,
        every other entry (a bin's level or ``other``) the adverse one.
        """
        adverse = self.keybase[j] - points.astype(np.int64) * self.span
        keys: npt.NDArray[np.int64] = np.where(no_info, self.missing_key[j], adverse)
        return keys

    @property
    def n_dimensions(self) -> int:
        return len(self.artifact.dimensions)


def _float32_at_or_above(edges: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    """For each edge the smallest float32 ``f`` with ``float64(f) >= edge`` (inf past the range)."""
    # an edge past float32's range rounds to inf; one just above its largest number rounds
    # down to it, and the next float32 up is inf: overflows, and the right answers
    with np.errstate(over="ignore"):
        e32 = edges.astype(np.float32)
        below = e32.astype(np.float64) < edges  # False for the NaN padding
        e32[below] = np.nextafter(e32[below], np.float32(np.inf))
    return e32


@dataclass(frozen=True)
class _Keys:
    """Every reason key an artifact can give (see the module docstring)."""

    span: int
    keybase: list[int]  # per characteristic: a bin's (or other's) key is keybase - points * span
    missing_key: list[int]  # per characteristic
    special_keys: list[int]  # per special value, in the order of special_values
    pair_keys: list[int]  # per cell, then otherwise, in the order of pair_cells
    bin_keys: list[int]  # the keys of every bin and other (their range only)

    def key_type(self) -> type[np.signedinteger[Any]]:
        """The narrowest integer type that holds every key and -1 (the kernel's "none").

        A valid artifact keeps each element's best minus worst within 0..1000 (they add up to
        at most the score range), so every loss, negative ones included, lies within
        -1000..1000: up to 32 slots (16 characteristics) the keys are ``int16``, and with more
        slots where the losses are small enough (20 characteristics that each lose at most
        510 points); else ``int32``.
        """
        keys = [-1, *self.missing_key, *self.special_keys, *self.pair_keys, *self.bin_keys]
        lo, hi = min(keys), max(keys)
        for t in (np.int16, np.int32):
            if np.iinfo(t).min <= lo and hi <= np.iinfo(t).max:
                return t
        return np.int64


def _keys(art: ScorecardArtifact) -> _Keys:
    """Each element's reason keys over the artifact's reason slots."""
    slot = {key: s for s, key in enumerate(art.reason_slots)}
    span = 1 << (len(slot) - 1).bit_length()

    def key(lost: int, s: int) -> int:
        return lost * span + (span - 1 - s)

    keybase: list[int] = []
    missing_key: list[int] = []
    special_keys: list[int] = []
    bin_keys: list[int] = []
    for j, c in enumerate(art.characteristics):
        base = c.baseline_points
        adverse, no_info = slot[j, "adverse"], slot[j, "missing"]
        keybase.append(key(base, adverse))
        regular = (*c.bins, *((c.other,) if c.other is not None else ()))
        bin_keys.extend(key(base - o.points, adverse) for o in regular)
        missing_key.append(key(base - c.missing.points, no_info))
        if c.type == "numeric":
            for sp in c.special:
                special_keys.extend([key(base - sp.points, no_info)] * len(sp.values))
    pair_keys: list[int] = []
    k = len(art.characteristics)
    for q, p in enumerate(art.interactions):
        base, adverse = p.baseline_points, slot[k + q, "adverse"]
        pair_keys.extend(key(base - o.points, adverse) for o in p.cells)
        pair_keys.append(key(0, adverse))  # otherwise: no loss, never a reason
    return _Keys(span, keybase, missing_key, special_keys, pair_keys, bin_keys)


def _check_points(art: ScorecardArtifact) -> None:
    for e in art.elements:
        for o in e.outcomes:
            if abs(o.points) > MAX_ABS_POINTS:
                kind = "Characteristic" if isinstance(e, Characteristic) else "Interaction"
                msg = (
                    f"{kind} {e.name!r} of model {art.model_version} gives "
                    f"{o.points} points; the compiled scorers take at most "
                    f"±{MAX_ABS_POINTS}. Rescale the points."
                )
                raise ArtifactError(msg, model_version=art.model_version, field=e.name)


def _padded(values: tuple[float, ...]) -> list[float]:
    # x >= NaN is false: a padded edge adds nothing
    return [*values, *[math.nan] * (-len(values) % _EDGE_GROUP)]


@dataclass(frozen=True)
class _Pairs:
    inputs: npt.NDArray[np.int64]
    scale: npt.NDArray[np.int32]
    top: npt.NDArray[np.int32]
    cell_off: npt.NDArray[np.int64]
    cells: npt.NDArray[np.int32]
    edge_off: npt.NDArray[np.int64]
    edges64: npt.NDArray[np.float64]
    groups: tuple[dict[str, int], ...]


def _pairs(art: ScorecardArtifact) -> _Pairs:
    """The interactions' arrays (see the module docstring)."""
    position = {c.name: j for j, c in enumerate(art.characteristics)}
    inputs: list[list[int]] = []
    scale: list[int] = []
    top: list[int] = []
    cell_off: list[int] = [0]
    cells: list[int] = []
    edge_off: list[int] = [0]
    edges: list[float] = []
    groups: list[dict[str, int]] = []
    for p in art.interactions:
        inputs.append([position[p.inputs[0]], position[p.inputs[1]]])
        n_cells = p.shape[0] * p.shape[1]
        scale.append(p.shape[1])
        top.append(n_cells)
        cells.extend(o.points for o in p.cells)
        cells.append(p.otherwise.points)  # at index top: rows off either input's axis
        cell_off.append(len(cells))
        for ax in p.axes:
            if ax.type == "numeric":  # four edges at least: one loop takes up to four
                edges.extend(_padded(ax.edges) if ax.edges else [math.nan] * _EDGE_GROUP)
                groups.append({})
            else:
                groups.append({cat: g for g, cats in enumerate(ax.groups) for cat in cats})
            edge_off.append(len(edges))
    return _Pairs(
        inputs=np.array(inputs, dtype=np.int64).reshape(-1, 2),
        scale=np.array(scale, dtype=np.int32),
        top=np.array(top, dtype=np.int32),
        cell_off=np.array(cell_off, dtype=np.int64),
        cells=np.array(cells, dtype=np.int32),
        edge_off=np.array(edge_off, dtype=np.int64),
        edges64=np.array(edges, dtype=np.float64),
        groups=tuple(groups),
    )


def _build(art: ScorecardArtifact) -> CompiledScorecard:
    _check_points(art)
    dims = {name: i for i, name in enumerate(art.dimension_names)}
    first: list[int] = []
    missing: list[int] = []
    other: list[int] = []
    dim: list[int] = []
    edge_off: list[int] = [0]
    edges: list[float] = []
    steps: list[int] = []
    special_off: list[int] = [0]
    special_values: list[float] = []
    special_points: list[int] = []
    cat_points: list[dict[str, int]] = []
    for c in art.characteristics:
        first.append(c.bins[0].points)
        missing.append(c.missing.points)
        dim.append(dims[c.dimension])
        other.append(c.other.points if c.other is not None else 0)
        if c.type == "numeric":
            padded = _padded(c.edges)
            edges.extend(padded)
            steps.extend(b.points - a.points for a, b in zip(c.bins, c.bins[1:], strict=False))
            steps.extend([0] * (len(padded) - len(c.edges)))
            for sp in c.special:
                special_values.extend(sp.values)
                special_points.extend([sp.points] * len(sp.values))
            cat_points.append({})
        else:
            cat_points.append({cat: b.points for b in c.bins for cat in b.categories})
        edge_off.append(len(edges))
        special_off.append(len(special_values))
    for p in art.interactions:
        dim.append(dims[p.dimension])
    edges64 = np.array(edges, dtype=np.float64)
    pairs = _pairs(art)
    keys = _keys(art)
    return CompiledScorecard(
        artifact=art,
        is_categorical=np.array([c.type == "categorical" for c in art.characteristics]),
        first=np.array(first, dtype=np.int32),
        edge_off=np.array(edge_off, dtype=np.int64),
        edges64=edges64,
        edges32=_float32_at_or_above(edges64),
        steps=np.array(steps, dtype=np.int32),
        missing=np.array(missing, dtype=np.int32),
        special_off=np.array(special_off, dtype=np.int64),
        special_values=np.array(special_values, dtype=np.float64),
        special_points=np.array(special_points, dtype=np.int32),
        dimension=np.array(dim, dtype=np.int64),
        keybase=np.array(keys.keybase, dtype=np.int64),
        missing_key=np.array(keys.missing_key, dtype=np.int64),
        special_keys=np.array(keys.special_keys, dtype=np.int64),
        span=keys.span,
        criteria_column=tuple(cr.column for cr in art.criteria),
        criteria_op=np.array([CRITERIA_OP_CODES[cr.op] for cr in art.criteria], dtype=np.int64),
        criteria_value=np.array(
            [np.nan if cr.value is None else cr.value for cr in art.criteria], dtype=np.float64
        ),
        category_points=tuple(cat_points),
        other_points=np.array(other, dtype=np.int32),
        key_type=keys.key_type(),
        pair_inputs=pairs.inputs,
        pair_scale=pairs.scale,
        pair_top=pairs.top,
        pair_cell_off=pairs.cell_off,
        pair_cells=pairs.cells,
        pair_keys=np.array(keys.pair_keys, dtype=np.int64),
        axis_edge_off=pairs.edge_off,
        axis_edges64=pairs.edges64,
        axis_edges32=_float32_at_or_above(pairs.edges64),
        axis_groups=pairs.groups,
    )


_cache: dict[str, CompiledScorecard] = {}
# the artifact objects compiled lately, by identity: hashing an artifact's JSON takes longer
# than scoring a small batch. Artifacts are frozen (what scoring reads of them cannot change);
# the weak reference tells a live artifact from a new one at the address of a dead one
_by_object: dict[int, tuple[weakref.ref[ScorecardArtifact], CompiledScorecard]] = {}
_lock = threading.Lock()


def artifact_key(art: ScorecardArtifact) -> str:
    """The artifact's content hash, recomputed (a stored one may be stale: verify_hash=False)."""
    return content_hash(art.to_dict())


def compile_artifact(art: ScorecardArtifact) -> CompiledScorecard:
    """The compiled form of ``art``, cached by its content hash."""
    with _lock:
        seen = _by_object.get(id(art))
    if seen is not None and seen[0]() is art:
        return seen[1]
    key = artifact_key(art)
    with _lock:
        compiled = _cache.get(key)
    if compiled is None:
        built = _build(art)
        with _lock:
            if len(_cache) >= _CACHE_SIZE:
                _cache.pop(next(iter(_cache)))
            compiled = _cache.setdefault(key, built)
    with _lock:
        if len(_by_object) >= _CACHE_SIZE:
            for ident in [i for i, (ref, _) in _by_object.items() if ref() is None]:
                del _by_object[ident]
            if len(_by_object) >= _CACHE_SIZE:
                _by_object.pop(next(iter(_by_object)))
        _by_object[id(art)] = (weakref.ref(art), compiled)
    return compiled
