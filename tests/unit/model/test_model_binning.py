"""Binning: the merge is exact over the pre-bins; categorical levels; edge cases."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from trustscore.model import bin_categorical, bin_numeric
from trustscore.model._binning import _merge, _segments, woe_iv


def _brute_force(
    ev: np.ndarray, ne: np.ndarray, max_groups: int, min_size: float, trend: str
) -> float:
    te, tn = float(ev.sum()), float(ne.sum())
    p = ev.size
    best = -np.inf
    for r in range(min(max_groups, p)):
        for inner in itertools.combinations(range(1, p), r):
            cuts = [0, *inner, p]
            gev = np.array([ev[a:b].sum() for a, b in itertools.pairwise(cuts)])
            gne = np.array([ne[a:b].sum() for a, b in itertools.pairwise(cuts)])
            if ((gev + gne) < min_size).any():
                continue
            woe, iv = woe_iv(gev, gne, te, tn)
            risk = -woe
            d = np.diff(risk)
            ok = {
                "ascending": (d >= 0).all(),
                "descending": (d <= 0).all(),
                "none": True,
                "peak": any((d[:k] >= 0).all() and (d[k:] <= 0).all() for k in range(d.size + 1)),
                "valley": any((d[:k] <= 0).all() and (d[k:] >= 0).all() for k in range(d.size + 1)),
            }[trend]
            if ok:
                best = max(best, float(iv.sum()))
    return best


@pytest.mark.parametrize("trend", ["ascending", "descending", "peak", "valley", "none"])
@pytest.mark.parametrize("seed", range(6))
def test_merge_is_exact_against_brute_force(trend: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = 9
    n = rng.integers(20, 200, size=p).astype(float)
    ev = np.floor(n * rng.random(p) * 0.6)
    ne = n - ev
    max_groups, min_size = int(rng.integers(2, 6)), float(rng.integers(0, 150))
    risk, value = _segments(ev, ne, float(ev.sum()), float(ne.sum()), min_size)
    cuts, total = _merge(risk, value, max_groups, trend)
    expected = _brute_force(ev, ne, max_groups, min_size, trend)
    if np.isfinite(expected):
        assert total == pytest.approx(expected)
        assert len(cuts) - 1 <= max_groups
    else:
        assert cuts == [0, p]  # infeasible: one bin


def test_numeric_edges_and_infinities() -> None:
    x = np.array([0.0, 1.0, 2.0, 3.0, np.inf, -np.inf, np.nan] * 40)
    y = np.array([0, 0, 1, 1, 1, 0, 1] * 40, dtype=float)
    b = bin_numeric("x", x, y, max_n_bins=4, min_size=10, trend="ascending", special_values=())
    assert b.edges == (2.0,)  # a value on an edge goes to the bin above
    assert b.n_event.tolist()[:2] == [0.0, 120.0]
    assert b.n_nonevent.tolist()[:3] == [120.0, 0.0, 0.0]
    assert b.n_event[b.missing_index] == 40.0
    assert b.woe[0] > 0 > b.woe[1]


def test_categorical_rare_levels_are_pooled_and_ordered() -> None:
    rng = np.random.default_rng(3)
    levels = np.array(["a"] * 500 + ["b"] * 500 + ["c"] * 500 + ["r1"] * 5 + ["r2"] * 5)
    rate = {"a": 0.05, "b": 0.3, "c": 0.6, "r1": 0.5, "r2": 0.5}
    y = (rng.random(levels.size) < np.array([rate[v] for v in levels])).astype(float)
    b = bin_categorical("k", levels, y, max_n_bins=8, min_size=0, rare_min=20)
    flat = [set(g) for g in b.groups]
    assert {"r1", "r2"} in flat  # pooled together
    order = [next(i for i, g in enumerate(b.groups) if lv in g) for lv in ("a", "b", "c")]
    assert order == sorted(order)  # groups run by ascending event rate
    assert np.all(np.diff(b.woe[: b.n_bins]) <= 0)
    assert b.other_index is not None
    assert b.woe[b.other_index] == 0.0


def test_categorical_levels_compare_as_text() -> None:
    x = np.array([1.0, 2.0, 2, "2", None, np.nan] * 50, dtype=object)
    y = np.array([0, 1, 1, 1, 0, 1] * 50, dtype=float)
    b = bin_categorical("k", x, y, max_n_bins=4, min_size=0, rare_min=0)
    assert sorted(c for g in b.groups for c in g) == ["1", "2"]
    assert b.n_event[b.missing_index] + b.n_nonevent[b.missing_index] == 100
