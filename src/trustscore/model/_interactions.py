"""Pairwise interactions on top of the fused scorecard (GA2M style): screen, cells, artifact.

A scorecard gives each characteristic points independent of the others; some problems carry
part of their signal in how two characteristics act together (Taiwan's repayment status and
credit limit). An *interaction* adds points per cell of a small grid over a pair of
characteristics' bins (at most 3 x 3), fitted jointly with the main effects and shrunk to 0 by
an L1 penalty, so the scorecard stays a table of integer points.

Finding pairs is a screen on the additive model's residuals: with ``p`` the fitted probability,
``g = y - p`` and ``h = p (1 - p)``, a 2-D histogram of ``g`` and ``h`` over the two
characteristics' regular bins gives the Newton gain of any grid of cells; the gain of the
interaction is what the cells add over a row effect and a column effect,
``cells - rows - columns + total`` (each term ``sum G^2 / H``). The best 2 x 2 grid of every
pair comes from 2-D prefix sums (all cut points at once, as FAST does), then cuts are added
greedily, one at a time on either axis, up to 3 x 3 while the gain grows. The pairs with the
largest gains are kept. Rows where either input is missing, special or other get a cell of
their own whose level is fixed at 0.

An input with a declared direction (more is better, +1, or more is worse, -1) holds its cells
monotone along its axis, so that the points a row gets from the input and the pair together
(the input's bin points plus the cell's) move with conduct for every interval of the other
input: the input's own points are monotone, and a sum of monotone terms is monotone, before
and after rounding (``rint`` keeps order) and after equal neighbours merge. The cells are
written as generators whose non-negative weights keep them monotone (:func:`cell_basis`), a
bound the fused fit's solver takes as it takes a declared trend.

Examples
--------
>>> import numpy as np
>>> G = np.array([[5.0, -5.0], [-5.0, 5.0]])  # a checkerboard: a pure interaction
>>> H = np.full((2, 2), 10.0)
>>> gain, rows, cols = best_grid(G, H, 3, 3)
>>> round(gain, 3), rows, cols
(10.0, (0, 1), (0, 1))
>>> G = np.array([[5.0, 5.0], [-5.0, -5.0]])  # a row effect only: nothing to add
>>> abs(best_grid(G, H, 3, 3)[0]) < 1e-6
True
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from trustscore.model._binning import BinnedCharacteristic

__all__ = [
    "DECLARED_TRENDS",
    "MAX_GRID",
    "FittedPair",
    "PairSpec",
    "best_grid",
    "cell_basis",
    "cell_codes",
    "pair_dict",
    "screen_pairs",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MAX_GRID: Final = (3, 3)
DECLARED_TRENDS: Final = frozenset({"ascending", "descending", "peak", "valley"})
_EPS: Final = 1e-9
_MIN_GAIN: Final = 1e-6


@dataclass(frozen=True)
class PairSpec:
    """A screened pair: the first regular bin of each row (``a``) and column (``b``) group."""

    a: str
    b: str
    rows: tuple[int, ...]
    cols: tuple[int, ...]
    gain: float

    @property
    def n_cells(self) -> int:
        """Cells of the grid, without the cell of rows off the regular bins."""
        return len(self.rows) * len(self.cols)


@dataclass(frozen=True)
class FittedPair:
    """A pair after the joint fit: its log-odds per cell (the last, off-grid, is 0) and the
    cell of every training row."""

    spec: PairSpec
    contrib: FloatArray
    codes: IntArray


def _newton(G: FloatArray, H: FloatArray) -> float:
    return float((G * G / (H + _EPS)).sum())


def grid_gain(Gm: FloatArray, Hm: FloatArray, rows: Sequence[int], cols: Sequence[int]) -> float:
    """Interaction gain of the grid whose groups start at ``rows`` and ``cols``."""
    G = np.add.reduceat(np.add.reduceat(Gm, list(rows), axis=0), list(cols), axis=1)
    H = np.add.reduceat(np.add.reduceat(Hm, list(rows), axis=0), list(cols), axis=1)
    total = float(G.sum()) ** 2 / (float(H.sum()) + _EPS)
    return _newton(G, H) - _newton(G.sum(1), H.sum(1)) - _newton(G.sum(0), H.sum(0)) + total


def _best_2x2(Gm: FloatArray, Hm: FloatArray) -> tuple[float, tuple[int, ...], tuple[int, ...]]:
    """The best single cut on each axis, all at once from 2-D prefix sums."""
    ni, nj = Gm.shape
    if ni < 2 or nj < 2:
        return 0.0, (0,), (0,)

    def parts(M: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, float]:
        S = M.cumsum(0).cumsum(1)
        return S[:-1, :-1], S[:-1, -1][:, None], S[-1, :-1][None, :], float(S[-1, -1])

    sg, rg, cg, tg = parts(Gm)
    sh, rh, ch, th = parts(Hm)
    quads = (
        (sg, sh),
        (rg - sg, rh - sh),
        (cg - sg, ch - sh),
        (tg - rg - cg + sg, th - rh - ch + sh),
    )
    gain = sum(G * G / (H + _EPS) for G, H in quads)
    gain = gain - (rg * rg / (rh + _EPS) + (tg - rg) ** 2 / (th - rh + _EPS))
    gain = gain - (cg * cg / (ch + _EPS) + (tg - cg) ** 2 / (th - ch + _EPS))
    gain = gain + tg * tg / (th + _EPS)
    i, j = np.unravel_index(int(np.argmax(gain)), gain.shape)
    return float(gain[i, j]), (0, int(i) + 1), (0, int(j) + 1)


def best_grid(
    Gm: FloatArray, Hm: FloatArray, max_rows: int, max_cols: int
) -> tuple[float, tuple[int, ...], tuple[int, ...]]:
    """The best 2 x 2 grid, then greedy cuts on either axis up to ``max_rows x max_cols``."""
    best, rows, cols = _best_2x2(Gm, Hm)
    if len(rows) < 2:
        return best, rows, cols
    ni, nj = Gm.shape
    while len(rows) < max_rows or len(cols) < max_cols:
        cand: tuple[float, tuple[int, ...], tuple[int, ...]] | None = None
        if len(rows) < max_rows:
            for r in range(1, ni):
                if r not in rows:
                    r2 = tuple(sorted((*rows, r)))
                    v = grid_gain(Gm, Hm, r2, cols)
                    if cand is None or v > cand[0]:
                        cand = (v, r2, cols)
        if len(cols) < max_cols:
            for c in range(1, nj):
                if c not in cols:
                    c2 = tuple(sorted((*cols, c)))
                    v = grid_gain(Gm, Hm, rows, c2)
                    if cand is None or v > cand[0]:
                        cand = (v, rows, c2)
        if cand is None or cand[0] <= best + 1e-12:
            break
        best, rows, cols = cand
    return best, rows, cols


def _regular(b: BinnedCharacteristic) -> IntArray:
    """Training codes with every outcome past the regular bins as one extra code."""
    assert b.codes is not None
    return np.minimum(b.codes, b.n_bins)


def screen_pairs(
    bins: Mapping[str, BinnedCharacteristic],
    names: Sequence[str],
    risk: FloatArray,
    y: FloatArray,
    *,
    k: int,
    grid: tuple[int, int] = MAX_GRID,
) -> list[PairSpec]:
    """The ``k`` pairs of ``names`` with the largest interaction gain on the residuals of
    ``risk`` (the additive model's log-odds of each training row); ties by name."""
    with np.errstate(over="ignore"):
        p = 1.0 / (1.0 + np.exp(-risk))
    g = y - p
    h = p * (1.0 - p)
    regular = {name: _regular(bins[name]) for name in names}
    found: list[PairSpec] = []
    for a, b in itertools.combinations(names, 2):
        na, nb = bins[a].n_bins, bins[b].n_bins
        if na < 2 or nb < 2:
            continue
        idx = regular[a] * (nb + 1) + regular[b]
        size = (na + 1) * (nb + 1)
        Gm = np.asarray(np.bincount(idx, g, size), dtype=np.float64)
        Hm = np.asarray(np.bincount(idx, h, size), dtype=np.float64)
        Gm = Gm.reshape(na + 1, nb + 1)[:na, :nb]
        Hm = Hm.reshape(na + 1, nb + 1)[:na, :nb]
        gain, rows, cols = best_grid(Gm, Hm, *grid)
        if gain > _MIN_GAIN:
            found.append(PairSpec(a, b, rows, cols, gain))
    found.sort(key=lambda s: (-s.gain, s.a, s.b))
    return found[:k]


def cell_codes(
    spec: PairSpec,
    ba: BinnedCharacteristic,
    bb: BinnedCharacteristic,
    codes_a: IntArray,
    codes_b: IntArray,
) -> IntArray:
    """Each row's cell, row-major; rows off either input's regular bins get the last cell."""
    ga = np.searchsorted(np.asarray(spec.rows), codes_a, side="right") - 1
    gb = np.searchsorted(np.asarray(spec.cols), codes_b, side="right") - 1
    cell = ga * len(spec.cols) + gb
    off = (codes_a >= ba.n_bins) | (codes_b >= bb.n_bins)
    return np.where(off, spec.n_cells, cell).astype(np.int64)


def _upsets(n_rows: int, n_cols: int) -> list[list[tuple[int, int]]]:
    """Every up-set of the grid ordered by (row, column), but the empty and the full one.

    An up-set holds, with a cell, every cell at or after it on both axes: in each row ``i``
    the cells from a threshold ``c_i`` on, with ``c_i`` non-increasing in ``i``.
    """

    def thresholds(i: int, cap: int) -> list[list[int]]:
        if i == n_rows:
            return [[]]
        return [[c, *rest] for c in range(cap + 1) for rest in thresholds(i + 1, c)]

    out = []
    for cs in thresholds(0, n_cols):
        cells = [(i, j) for i, c in enumerate(cs) for j in range(c, n_cols)]
        if 0 < len(cells) < n_rows * n_cols:
            out.append(cells)
    return out


def cell_basis(
    n_rows: int, n_cols: int, direction_a: int, direction_b: int
) -> tuple[tuple[tuple[float, ...], ...], int]:
    """Generators of an interaction's cell levels (log-odds of the event) that keep them
    monotone along each axis with a direction, and how many of them are free.

    ``direction_a`` (rows) and ``direction_b`` (columns) are +1 (more is better: the event's
    log-odds may only fall along the axis), -1 (more is worse: only rise) or 0 (none). The
    levels are ``basis @ w`` with the first ``n_free`` weights free and the others ``>= 0``.
    Each axis is first *oriented* so that the log-odds may only rise along it. One axis
    declared: each column (row) of the other has a free level and a non-negative step at
    every cut of the declared axis. Both declared: one free constant plus the indicators of
    the up-sets of the oriented grid, which generate exactly the monotone grids (the level
    sets of a monotone grid are up-sets). Neither: ``((), 0)``, each cell its own free level.

    Examples
    --------
    >>> basis, n_free = cell_basis(2, 2, -1, 0)  # rows: more is worse; columns free
    >>> n_free, [list(map(int, r)) for r in basis]  # cells row-major: (0,0) (0,1) (1,0) (1,1)
    (2, [[1, 0, 0, 0], [0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1]])
    >>> basis, n_free = cell_basis(2, 2, -1, -1)
    >>> n_free, len(basis[0])  # a constant and the 4 proper up-sets of a 2 x 2 grid
    (1, 5)
    """
    if direction_a == 0 and direction_b == 0:
        return (), 0

    def oriented(k: int, n: int, direction: int) -> int:
        return n - 1 - k if direction > 0 else k

    n_cells = n_rows * n_cols
    gens: list[list[float]] = []
    if direction_a != 0 and direction_b != 0:
        gens.append([1.0] * n_cells)
        for up in _upsets(n_rows, n_cols):
            g = [0.0] * n_cells
            for i, j in up:
                row, col = oriented(i, n_rows, direction_a), oriented(j, n_cols, direction_b)
                g[row * n_cols + col] = 1.0
            gens.append(g)
        n_free = 1
    else:
        along_rows = direction_a != 0
        n_line, n_across = (n_rows, n_cols) if along_rows else (n_cols, n_rows)
        direction = direction_a if along_rows else direction_b

        def cell(k: int, m: int) -> int:  # k along the declared axis, m across it
            return k * n_cols + m if along_rows else m * n_cols + k

        for m in range(n_across):
            line = {cell(k, m) for k in range(n_line)}
            gens.append([1.0 if c in line else 0.0 for c in range(n_cells)])
        for m in range(n_across):
            for step in range(1, n_line):
                after = {
                    cell(k, m) for k in range(n_line) if oriented(k, n_line, direction) >= step
                }
                gens.append([1.0 if c in after else 0.0 for c in range(n_cells)])
        n_free = n_across
    basis = tuple(tuple(g[c] for g in gens) for c in range(n_cells))
    return basis, n_free


def _merge_equal(pts: IntArray, starts: Sequence[int], axis: int) -> tuple[IntArray, list[int]]:
    """Merge neighbouring rows (``axis=0``) or columns with equal points."""
    m = pts if axis == 0 else pts.T
    keep = [0, *(i for i in range(1, m.shape[0]) if not np.array_equal(m[i], m[i - 1]))]
    merged = m[keep]
    return (merged if axis == 0 else merged.T), [starts[i] for i in keep]


def _axis(b: BinnedCharacteristic, starts: Sequence[int]) -> dict[str, Any]:
    if b.type == "numeric":
        return {"edges": [float(b.edges[s - 1]) for s in starts[1:]]}
    ends = [*starts[1:], b.n_bins]
    return {
        "groups": [
            sorted(c for i in range(s, e) for c in b.groups[i])
            for s, e in zip(starts, ends, strict=True)
        ]
    }


def pair_dict(
    fp: FittedPair,
    points: IntArray,
    y: FloatArray,
    bins: Mapping[str, BinnedCharacteristic],
    specs: Mapping[str, Mapping[str, str]],
    reason_code: str,
) -> dict[str, Any]:
    """The artifact's entry of a fitted pair (``points``: per cell, the off-grid one last).

    Neighbouring rows (and columns) of the grid with equal points are merged; each cell
    keeps the training rows' count and events.
    """
    s = fp.spec
    ba, bb = bins[s.a], bins[s.b]
    n_rows, n_cols = len(s.rows), len(s.cols)
    grid = points[: s.n_cells].reshape(n_rows, n_cols)
    count = np.bincount(fp.codes, minlength=s.n_cells + 1).astype(np.int64)
    events = np.bincount(fp.codes, weights=y, minlength=s.n_cells + 1)
    merged, rows = _merge_equal(grid, s.rows, 0)
    merged, cols = _merge_equal(merged, s.cols, 1)
    # each fine cell's merged cell: the row (column) group it falls in after the merge
    ri = np.searchsorted(rows, s.rows, side="right") - 1
    ci = np.searchsorted(cols, s.cols, side="right") - 1
    target = (ri[:, None] * len(cols) + ci[None, :]).ravel()
    n_cell = np.bincount(target, weights=count[: s.n_cells], minlength=len(rows) * len(cols))
    ev_cell = np.bincount(target, weights=events[: s.n_cells], minlength=len(rows) * len(cols))
    spec_a, spec_b = specs[s.a], specs[s.b]
    dimension = spec_a["dimension"]
    improve = "; ".join(t for t in dict.fromkeys((spec_a["improve"], spec_b["improve"])) if t)
    return {
        "name": f"{s.a} x {s.b}",
        "inputs": [s.a, s.b],
        "dimension": dimension,
        "reason_code": reason_code,
        "reason": (f"Combination of {s.a.replace('_', ' ')} and {s.b.replace('_', ' ')}"),
        "improve": improve,
        "axes": [_axis(ba, rows), _axis(bb, cols)],
        "cells": [
            {"points": int(p), "n": int(n), "n_event": int(np.rint(e))}
            for p, n, e in zip(merged.ravel(), n_cell, ev_cell, strict=True)
        ],
        "otherwise": {
            "points": int(points[s.n_cells]),
            "n": int(count[s.n_cells]),
            "n_event": int(np.rint(events[s.n_cells])),
        },
        "screen_gain": float(s.gain),
    }
