"""Optimal monotone binning of one characteristic: pre-bins, then an exact merge by DP.

The work is linear in the rows: a numeric characteristic is cut into up to ``_MAX_PREBINS``
quantile pre-bins, plus a few finer ones in each tail (``_TAIL_LEVELS``; ``np.quantile`` +
``searchsorted`` + ``bincount``), a categorical one into its
levels (``pd.factorize``); everything after that runs on the pre-bin counts only. The merge is a
dynamic programme over contiguous groups of pre-bins that maximises the information value (IV)
subject to at most ``max_n_bins`` groups, each holding at least ``min_size`` rows, and the
requested trend of the event rate across groups: ``ascending``, ``descending``, ``peak``
(up then down), ``valley`` (down then up) or ``none``. It is exact over the pre-bins.

Weight of evidence follows the credit-scoring convention, ``woe = ln(%non-event / %event)``
with 0.5 added to each count (no infinities), so a higher WoE means a lower event rate: an
ascending event rate is a descending WoE. The trend is enforced on the smoothed WoE itself, so
the WoE written to the artifact respects it exactly.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=5000)
>>> y = (rng.random(5000) < 1 / (1 + np.exp(-2 * x))).astype(np.float64)
>>> b = bin_numeric("x", x, y, max_n_bins=5, min_size=250, trend="auto", special_values=())
>>> b.trend, len(b.edges) + 1
('ascending', 5)
>>> bool(np.all(np.diff(b.woe[: b.n_bins]) < 0))
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from trustscore.scoring._reference import to_text

__all__ = [
    "TRENDS",
    "BinnedCharacteristic",
    "assign_codes",
    "bin_categorical",
    "bin_numeric",
    "merge_bins",
    "woe_iv",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

TRENDS: Final = ("auto", "ascending", "descending", "peak", "valley", "none")
_MAX_PREBINS: Final = 64
# extra pre-bin edges at these tail quantiles (and their mirrors): effects are often steepest
# in the tails, where 64 equal-frequency pre-bins are too coarse for large samples
_TAIL_LEVELS: Final = (0.001, 0.002, 0.005, 0.01)
_SMOOTH: Final = 0.5
# "auto" takes peak/valley over the better monotone trend only if it adds this much IV:
_UNIMODAL_GAIN: Final = 1.10
_UNIMODAL_MIN_DIFF: Final = 0.005


@dataclass
class BinnedCharacteristic:
    """The bins of one characteristic, their counts, WoE and IV, and each row's outcome.

    Outcomes are indexed ``[bins..., missing, specials..., other]`` (``other`` only for
    categorical characteristics). ``codes`` maps each training row to its outcome and is
    dropped once the fit is done.
    """

    name: str
    type: str
    edges: tuple[float, ...] = ()
    groups: tuple[tuple[str, ...], ...] = ()
    special_values: tuple[float, ...] = ()
    n_event: FloatArray = field(default_factory=lambda: np.zeros(0))
    n_nonevent: FloatArray = field(default_factory=lambda: np.zeros(0))
    woe: FloatArray = field(default_factory=lambda: np.zeros(0))
    iv: float = 0.0
    trend: str = "none"
    edited: bool = False
    codes: IntArray | None = None

    @property
    def n_bins(self) -> int:
        return len(self.groups) if self.type == "categorical" else len(self.edges) + 1

    @property
    def missing_index(self) -> int:
        return self.n_bins

    @property
    def other_index(self) -> int | None:
        return self.n_bins + 1 + len(self.special_values) if self.type == "categorical" else None


def woe_iv(
    n_event: FloatArray, n_nonevent: FloatArray, total_event: float, total_nonevent: float
) -> tuple[FloatArray, FloatArray]:
    """Smoothed WoE and the IV term of each cell, ``(%non-event - %event) * woe``."""
    te, tn = max(total_event, 1.0), max(total_nonevent, 1.0)
    woe = np.log((n_nonevent + _SMOOTH) / tn) - np.log((n_event + _SMOOTH) / te)
    iv = (n_nonevent / tn - n_event / te) * woe
    return woe, iv


# -- the exact merge over pre-bins ------------------------------------------------------------
def _segments(
    ev: FloatArray, ne: FloatArray, te: float, tn: float, min_size: float
) -> tuple[FloatArray, FloatArray]:
    """``risk[i, j]`` (= -WoE) and IV of the segment of pre-bins ``[i, j)`` (-inf: invalid)."""
    ce = np.concatenate(([0.0], np.cumsum(ev)))
    cn = np.concatenate(([0.0], np.cumsum(ne)))
    se = ce[None, :] - ce[:, None]
    sn = cn[None, :] - cn[:, None]
    m = ev.size + 1
    upper = np.triu(np.ones((m, m), dtype=bool), k=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        woe, iv = woe_iv(np.where(upper, se, 0.0), np.where(upper, sn, 0.0), te, tn)
    valid = upper & (se + sn >= min_size)
    risk = np.where(upper, -woe, np.nan)
    value = np.where(valid, iv, -np.inf)
    return risk, value


def _step_penalties(risk: FloatArray) -> dict[str, FloatArray]:
    """``pen[t][i, j, l]``: 0 where group ``[i, j)`` may precede ``[j, l)`` under t, else -inf."""
    m = risk.shape[0]
    with np.errstate(invalid="ignore"):
        up = risk[:, :, None] <= risk[None, :, :]
        down = risk[:, :, None] >= risk[None, :, :]
    neg = -np.inf
    return {
        "up": np.where(up, 0.0, neg),
        "down": np.where(down, 0.0, neg),
        "any": np.zeros((m, m, m)),
    }


def _merge(
    risk: FloatArray,
    value: FloatArray,
    max_groups: int,
    trend: str,
    pen: dict[str, FloatArray] | None = None,
) -> tuple[list[int], float]:
    """Best cut points (pre-bin indices, 0 and P included) and their IV under ``trend``.

    ``f[k, phase, i, j]`` is the best IV of ``k`` groups covering pre-bins ``[0, j)`` whose
    last group is ``[i, j)``; peak and valley have a second phase (after the turn). Only
    ``i < j < l`` is visited, and only from reachable states.
    """
    m = risk.shape[0]  # P + 1 boundaries
    p = m - 1
    pen = _step_penalties(risk) if pen is None else pen
    first_key = {"ascending": "up", "peak": "up", "descending": "down", "valley": "down"}
    first = pen[first_key.get(trend, "any")]
    second = pen["down" if trend == "peak" else "up"]
    n_phase = 2 if trend in ("peak", "valley") else 1
    neg = -np.inf
    f = np.full((max_groups + 1, n_phase, m, m), neg)
    back = np.zeros((max_groups + 1, n_phase, m, m, 2), dtype=np.int64)
    f[1, 0, 0, :] = value[0, :]
    for k in range(1, max_groups):
        for j in range(1, p):
            a0 = f[k, 0, :j, j]
            a1 = f[k, 1, :j, j] if n_phase == 2 else a0[:0]
            live0, live1 = bool(np.isfinite(a0).any()), bool(np.isfinite(a1).any())
            if not (live0 or live1):
                continue
            vals = value[j, j + 1 :]
            cols = np.arange(m - j - 1)
            if live0:
                c = a0[:, None] + first[:j, j, j + 1 :]
                arg = c.argmax(axis=0)
                f[k + 1, 0, j, j + 1 :] = c[arg, cols] + vals
                back[k + 1, 0, j, j + 1 :, 0] = arg
            if n_phase == 2:
                c01 = a0[:, None] + second[:j, j, j + 1 :]
                c11 = a1[:, None] + second[:j, j, j + 1 :]
                arg01, arg11 = c01.argmax(axis=0), c11.argmax(axis=0)
                b01, b11 = c01[arg01, cols], c11[arg11, cols]
                take1 = b11 > b01
                f[k + 1, 1, j, j + 1 :] = np.where(take1, b11, b01) + vals
                back[k + 1, 1, j, j + 1 :, 0] = np.where(take1, arg11, arg01)
                back[k + 1, 1, j, j + 1 :, 1] = take1
    end = f[:, :, :, p]  # (k, phase, i)
    if not np.isfinite(end).any():
        return [0, p], float("nan")
    kk, pp, ii = np.unravel_index(int(np.argmax(end)), end.shape)
    k, ph, i = int(kk), int(pp), int(ii)
    total = float(end[k, ph, i])
    cuts = [p]
    j = p
    while k > 1:
        cuts.append(int(i))
        prev_i, prev_ph = back[k, ph, i, j]
        j, i, ph, k = i, int(prev_i), int(prev_ph) if ph == 1 else 0, k - 1
    cuts.append(0)
    return cuts[::-1], total


def _best_groups(
    ev: FloatArray,
    ne: FloatArray,
    te: float,
    tn: float,
    *,
    max_groups: int,
    min_size: float,
    trend: str,
) -> tuple[list[int], str]:
    """Cut points over the pre-bins and the trend used (``auto`` resolved)."""
    if ev.size <= 1:
        return [0, ev.size], "ascending" if trend == "auto" else trend
    risk, value = _segments(ev, ne, te, tn, min_size)
    pen = _step_penalties(risk)
    if trend != "auto":
        cuts, _ = _merge(risk, value, max_groups, trend, pen)
        return cuts, trend
    results = {t: _merge(risk, value, max_groups, t, pen) for t in ("ascending", "descending")}
    mono = max(results, key=lambda t: np.nan_to_num(results[t][1], nan=-np.inf))
    best_iv = np.nan_to_num(results[mono][1], nan=-np.inf)
    for t in ("peak", "valley"):
        cuts, iv = _merge(risk, value, max_groups, t, pen)
        if iv > best_iv * _UNIMODAL_GAIN and iv - best_iv > _UNIMODAL_MIN_DIFF:
            results[t], mono, best_iv = (cuts, iv), t, iv
    return results[mono][0], mono


# -- numeric -----------------------------------------------------------------------------------
def _outcome_stats(
    codes: IntArray, y: FloatArray, n_outcomes: int
) -> tuple[FloatArray, FloatArray]:
    n = np.bincount(codes, minlength=n_outcomes).astype(np.float64)
    ev = np.bincount(codes, weights=y, minlength=n_outcomes).astype(np.float64)
    return ev, n - ev


def _finish(
    b: BinnedCharacteristic, codes: IntArray, y: FloatArray, n_outcomes: int, min_outcome: float
) -> BinnedCharacteristic:
    """Counts, WoE (neutral for thin missing/special/other outcomes) and IV."""
    ev, ne = _outcome_stats(codes, y, n_outcomes)
    te, tn = float(y.sum()), float(y.size - y.sum())
    woe, iv = woe_iv(ev, ne, te, tn)
    thin = np.zeros(n_outcomes, dtype=bool)
    thin[b.n_bins :] = (ev + ne)[b.n_bins :] < min_outcome
    if b.other_index is not None:
        thin[b.other_index] = True  # unseen levels are neutral by definition
    woe[thin] = 0.0
    iv[thin] = 0.0
    b.n_event, b.n_nonevent, b.woe, b.iv, b.codes = ev, ne, woe, float(iv.sum()), codes
    return b


def _numeric_prebins(xr: FloatArray, n_prebins: int) -> FloatArray:
    fin = xr[np.isfinite(xr)]
    if fin.size == 0:
        return np.zeros(0)
    tails = np.array(_TAIL_LEVELS)
    qs = np.unique(np.concatenate((np.linspace(0.0, 1.0, n_prebins + 1)[1:-1], tails, 1 - tails)))
    # inverted_cdf keeps edges on observed values, so counts and edges agree exactly
    edges = np.unique(np.quantile(fin, qs, method="inverted_cdf"))
    out: FloatArray = edges[edges > fin.min()]
    return out  # nothing is below the minimum: no empty first pre-bin


def bin_numeric(
    name: str,
    x: FloatArray,
    y: FloatArray,
    *,
    max_n_bins: int,
    min_size: float,
    trend: str,
    special_values: Sequence[float],
    min_outcome: float = 0.0,
    fixed_edges: Sequence[float] | None = None,
) -> BinnedCharacteristic:
    """Bin a numeric characteristic; ``fixed_edges`` skips the search (expert-edited bins)."""
    n = x.size
    miss = np.isnan(x)
    specials = tuple(float(v) for v in special_values)
    spec_masks = [x == v for v in specials]
    regular = ~miss
    for sm in spec_masks:
        regular &= ~sm
    xr = x[regular]
    yr = y[regular]
    if fixed_edges is not None:
        edges = np.asarray(sorted(fixed_edges), dtype=np.float64)
        codes_r = np.searchsorted(edges, xr, side="right").astype(np.int64)
        used_trend = "none"
    else:
        pre = _numeric_prebins(xr, _MAX_PREBINS)
        pcodes = np.searchsorted(pre, xr, side="right").astype(np.int64)
        ev, ne = _outcome_stats(pcodes, yr, pre.size + 1)
        cuts, used_trend = _best_groups(
            ev,
            ne,
            float(y.sum()),
            float(n - y.sum()),
            max_groups=max_n_bins,
            min_size=min_size,
            trend=trend,
        )
        # group g holds pre-bins cuts[g]..cuts[g+1]-1; its upper edge is pre[cuts[g+1]-1]
        edges = np.array([pre[c - 1] for c in cuts[1:-1]], dtype=np.float64)
        group_of = np.repeat(np.arange(len(cuts) - 1), np.diff(cuts))
        codes_r = group_of[pcodes]
    nb = edges.size + 1
    codes = np.empty(n, dtype=np.int64)
    codes[regular] = codes_r
    codes[miss] = nb
    for k, sm in enumerate(spec_masks):
        codes[sm] = nb + 1 + k
    b = BinnedCharacteristic(
        name=name,
        type="numeric",
        edges=tuple(float(e) for e in edges),
        special_values=specials,
        trend=used_trend,
        edited=fixed_edges is not None,
    )
    return _finish(b, codes, y, nb + 1 + len(specials), min_outcome)


# -- categorical -------------------------------------------------------------------------------
def bin_categorical(
    name: str,
    values: Any,
    y: FloatArray,
    *,
    max_n_bins: int,
    min_size: float,
    rare_min: float,
    min_outcome: float = 0.0,
    fixed_groups: Sequence[Sequence[str]] | None = None,
) -> BinnedCharacteristic:
    """Bin a categorical characteristic: levels ordered by event rate, rare levels pooled.

    Levels are compared as the scorers compare them (:func:`trustscore.scoring._reference.to_text`).
    Levels rarer than ``rare_min`` rows are pooled into one pre-bin before the merge.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array(["a", "b", "c", None] * 100, dtype=object)
    >>> y = np.array([0, 1, 0, 1] * 100, dtype=np.float64)
    >>> b = bin_categorical("k", x, y, max_n_bins=4, min_size=10, rare_min=0)
    >>> b.groups, b.woe[b.other_index]
    ((('a', 'c'), ('b',)), np.float64(0.0))
    """
    n = y.size
    raw_codes, uniques = pd.factorize(pd.Series(np.asarray(values, dtype=object)), sort=False)
    texts = [str(t) for t in to_text(np.asarray(uniques, dtype=object))]
    levels = sorted(set(texts))
    index = {lv: i for i, lv in enumerate(levels)}
    level_of = np.array([index[t] for t in texts], dtype=np.int64)
    lcodes = np.where(raw_codes >= 0, level_of[np.maximum(raw_codes, 0)] if texts else 0, -1)
    miss = lcodes < 0
    if fixed_groups is not None:
        groups = [tuple(str(c) for c in g) for g in fixed_groups]
        where = {c: gi for gi, g in enumerate(groups) for c in g}
        other = len(groups) + 1
        group_of_level = np.array([where.get(lv, other) for lv in levels], dtype=np.int64)
        used_trend = "none"
    else:
        lev_ev, lev_ne = _outcome_stats(lcodes[~miss], y[~miss], len(levels))
        lev_n = lev_ev + lev_ne
        rare = lev_n < rare_min
        # pre-bins: each common level, plus one pool of the rare levels
        pre_of_level = np.cumsum(~rare) - 1
        n_common = int((~rare).sum())
        pre_of_level[rare] = n_common
        n_pre = n_common + int(rare.any())
        pev = np.bincount(pre_of_level, weights=lev_ev, minlength=n_pre).astype(np.float64)
        pne = np.bincount(pre_of_level, weights=lev_ne, minlength=n_pre).astype(np.float64)
        te, tn = float(y.sum()), float(n - y.sum())
        woe, _ = woe_iv(pev, pne, te, tn)
        order = np.argsort(-woe, kind="stable")  # ascending event rate
        if order.size > _MAX_PREBINS:
            # too many levels for the exact merge: pool neighbours (by event rate) by count
            share = np.cumsum((pev + pne)[order]) / max(float((pev + pne).sum()), 1.0)
            chunk = np.minimum((share * _MAX_PREBINS).astype(np.int64), _MAX_PREBINS - 1)
            chunk = np.unique(chunk, return_inverse=True)[1]
        else:
            chunk = np.arange(order.size)
        rank = np.empty(order.size, dtype=np.int64)
        rank[order] = chunk
        n_chunk = int(chunk.max()) + 1 if chunk.size else 0
        cev = np.bincount(rank, weights=pev, minlength=n_chunk).astype(np.float64)
        cne = np.bincount(rank, weights=pne, minlength=n_chunk).astype(np.float64)
        cuts, _ = _best_groups(
            cev, cne, te, tn, max_groups=max_n_bins, min_size=min_size, trend="ascending"
        )
        group_of_chunk = np.repeat(np.arange(len(cuts) - 1), np.diff(cuts))
        group_of_level = group_of_chunk[rank[pre_of_level]] if levels else np.zeros(0, np.int64)
        groups = [
            tuple(lv for lv, g in zip(levels, group_of_level, strict=True) if g == gi)
            for gi in range(len(cuts) - 1)
        ]
        used_trend = "ascending"
    nb = len(groups)
    codes = np.full(n, nb, dtype=np.int64)
    if levels:
        codes[~miss] = group_of_level[lcodes[~miss]]
    b = BinnedCharacteristic(
        name=name,
        type="categorical",
        groups=tuple(groups),
        trend=used_trend,
        edited=fixed_groups is not None,
    )
    return _finish(b, codes, y, nb + 2, min_outcome)


# -- after the search: coding new rows, merging neighbours -------------------------------------
def assign_codes(b: BinnedCharacteristic, values: Any) -> IntArray:
    """Each value's outcome index under ``b``, as a scorer assigns it (``[bins, missing, ...]``).

    Examples
    --------
    >>> import numpy as np
    >>> b = BinnedCharacteristic("x", "numeric", edges=(1.0, 2.0), special_values=(-1.0,))
    >>> assign_codes(b, np.array([0.5, 1.0, 7.0, np.nan, -1.0])).tolist()
    [0, 1, 2, 3, 4]
    """
    if b.type == "numeric":
        x = np.asarray(values, dtype=np.float64)
        codes = np.searchsorted(np.asarray(b.edges, dtype=np.float64), x, side="right")
        codes = codes.astype(np.int64)
        codes[np.isnan(x)] = b.missing_index
        for k, v in enumerate(b.special_values):
            codes[x == v] = b.n_bins + 1 + k
        return codes
    where = {c: gi for gi, g in enumerate(b.groups) for c in g}
    other = b.other_index
    assert other is not None
    vals = np.asarray(values, dtype=object)
    miss = np.asarray(pd.isna(pd.Series(vals)))
    texts = to_text(vals)
    out = np.array([where.get(str(t), other) for t in texts], dtype=np.int64)
    out[miss] = b.missing_index
    return out


def merge_bins(b: BinnedCharacteristic, group_of_bin: Sequence[int]) -> BinnedCharacteristic:
    """``b`` with neighbouring bins merged: bin ``k`` joins group ``group_of_bin[k]``.

    Groups must be contiguous and numbered 0, 1, ... in bin order; counts, WoE and IV are
    recomputed, the other outcomes and the training codes are carried over.

    Examples
    --------
    >>> import numpy as np
    >>> b = BinnedCharacteristic("x", "numeric", edges=(1.0, 2.0),
    ...                          n_event=np.array([1.0, 2, 3, 0]),
    ...                          n_nonevent=np.array([9.0, 8, 7, 0]),
    ...                          woe=np.zeros(4), codes=np.array([0, 1, 2, 3]))
    >>> m = merge_bins(b, [0, 0, 1])
    >>> m.edges, m.n_event.tolist(), m.codes.tolist()
    ((2.0,), [3.0, 3.0, 0.0], [0, 0, 1, 2])
    """
    g = np.asarray(group_of_bin, dtype=np.int64)
    nb, ng = b.n_bins, int(g.max()) + 1
    if ng == nb:
        return b
    remap = np.concatenate((g, np.arange(ng, ng + b.n_event.size - nb)))
    ev: FloatArray = np.concatenate(
        (np.bincount(g, weights=b.n_event[:nb], minlength=ng), b.n_event[nb:])
    ).astype(np.float64)
    ne: FloatArray = np.concatenate(
        (np.bincount(g, weights=b.n_nonevent[:nb], minlength=ng), b.n_nonevent[nb:])
    ).astype(np.float64)
    te, tn = float(b.n_event.sum()), float(b.n_nonevent.sum())
    _, old_iv = woe_iv(b.n_event[:nb], b.n_nonevent[:nb], te, tn)
    new_woe, new_iv = woe_iv(ev[:ng], ne[:ng], te, tn)
    last = np.flatnonzero(np.diff(np.concatenate((g, [ng]))))  # last bin of each group
    if b.type == "numeric":
        edges: tuple[float, ...] = tuple(b.edges[k] for k in last[:-1])
        groups = b.groups
    else:
        edges = b.edges
        groups = tuple(
            tuple(sorted(c for k in np.flatnonzero(g == gi) for c in b.groups[k]))
            for gi in range(ng)
        )
    return BinnedCharacteristic(
        name=b.name,
        type=b.type,
        edges=edges,
        groups=groups,
        special_values=b.special_values,
        n_event=ev,
        n_nonevent=ne,
        woe=np.concatenate((new_woe, b.woe[nb:])),
        iv=float(b.iv - old_iv.sum() + new_iv.sum()),
        trend=b.trend,
        edited=b.edited,
        codes=None if b.codes is None else remap[b.codes],
    )
