"""Properties of declared directions: whatever the data, a fitted card's score never moves
against a declared direction as that value moves, in either method, pairs included."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustscore.model import Scorecard

_SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_NUMERIC = ("a", "b", "c", "d", "e")


def _data(seed: int, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Five numeric columns with random shapes of effect (some against any direction one may
    declare), one a small count, one a 0/1 flag; missing values; a categorical column; pairs."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.uniform(size=n),
            "c": rng.poisson(0.7, size=n).astype(float),
            "d": (rng.random(n) < 0.15).astype(float),
            "e": rng.normal(size=n),
            "k": rng.choice(list("pqr"), size=n),
        }
    )
    w = rng.normal(0.0, 1.0, size=6)
    logit = (
        -1.2
        + w[0] * X["a"]
        + w[1] * np.sin(4 * X["b"])  # not monotone
        + w[2] * X["c"]
        + w[3] * X["d"]
        + w[4] * X["e"] ** 2  # U-shaped
        + w[5] * ((X["a"] > 0) & (X["b"] > 0.5))  # a pair
        + 0.4 * (X["k"] == "p")
    )
    X.loc[rng.random(n) < 0.05, "a"] = np.nan
    X.loc[rng.random(n) < 0.03, "c"] = np.nan
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y.to_numpy()


def _grid(sc: Scorecard, X: pd.DataFrame, name: str) -> np.ndarray:
    """Values of ``name`` that visit every bin and every cell boundary: the card's edges, the
    values just below them, and quantiles of the data."""
    art = sc.artifact_
    edges = list(art.characteristic(name).edges) if name in sc.selected_ else []
    for p in art.interactions:
        for inp, ax in zip(p.inputs, p.axes, strict=True):
            if inp == name:
                edges += list(ax.edges)
    e = np.asarray(edges, dtype=float)
    qs = np.nanquantile(X[name].to_numpy(dtype=float), np.linspace(0, 1, 41))
    return np.unique(np.concatenate((e, np.nextafter(e, -np.inf), qs, [-1e9, 1e9])))


@pytest.mark.slow
@_SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1500, 3000),
    signs=st.lists(st.sampled_from([1, -1, 0]), min_size=5, max_size=5),
    method=st.sampled_from(["woe", "fused"]),
    k=st.integers(0, 4),
)
def test_the_score_never_moves_against_a_declared_direction(
    seed: int, n: int, signs: list[int], method: str, k: int
) -> None:
    X, y = _data(seed, n)
    directions = {c: s for c, s in zip(_NUMERIC, signs, strict=True) if s}
    sc = Scorecard(
        method=method,
        directions=directions,
        interactions=k if method == "fused" else 0,
        random_state=seed % 1000,
    ).fit(X, y)
    art = sc.artifact_
    paired = {x for p in art.interactions for x in p.inputs}
    for c in art.characteristics:
        assert c.direction == directions.get(c.name), c.name
        if c.name in directions:
            # a declared characteristic tells its values apart, by its bins or a pair's cells
            assert len(c.bins) >= 2 or c.name in paired, c.name
            pts = np.array([b.points for b in c.bins])
            assert (directions[c.name] * np.diff(pts) >= 0).all(), (c.name, pts)
    # every declared input of a pair is numeric: the pair is monotone along it by construction
    rows = X.dropna().head(25).reset_index(drop=True)
    for name, sign in directions.items():
        grid = _grid(sc, X, name)
        for _, row in rows.iterrows():
            batch = pd.DataFrame([row] * grid.size).reset_index(drop=True)
            batch[name] = grid
            score = sc.score_points(batch)
            assert (sign * np.diff(score) >= 0).all(), (name, sign, grid.tolist(), score.tolist())
