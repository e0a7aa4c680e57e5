"""Properties of scorecards fitted with interactions: declared trends stay out of pairs, scores in
range, ranking as p(bad), exact round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustscore.model import Scorecard
from trustscore.scoring._artifact import ScorecardArtifact

_SETTINGS = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _data(seed: int, n: int, strength: float) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "w": rng.normal(size=n),
            "v": rng.normal(size=n),
            "k": rng.choice(list("pqr"), size=n),
        }
    )
    # x and w interact strongly; v and k interact a little; x also has a main effect
    logit = (
        -1.0
        + 0.7 * X["x"]
        + strength * ((X["x"] > 0) & (X["w"] > 0))
        + 0.5 * ((X["v"] > 0.5) & (X["k"] == "p"))
    )
    X.loc[rng.random(n) < 0.05, "x"] = np.nan
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y.to_numpy()


@pytest.mark.slow
@_SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1500, 3000),
    trend=st.sampled_from(["ascending", "descending", "peak", "valley"]),
    strength=st.floats(1.0, 3.0),
)
def test_a_declared_trend_is_never_paired(seed: int, n: int, trend: str, strength: float) -> None:
    X, y = _data(seed, n, strength)
    sc = Scorecard(method="fused", interactions=4, monotonic_trend={"x": trend}).fit(X, y)
    art = sc.artifact_
    assert all("x" not in p.inputs for p in art.interactions)
    assert all("x" not in p["inputs"] for p in art.model_card["interactions"]["pairs"])
    # the declared trend still holds in x's points, pairs or not
    pts = np.array([b.points for b in art.characteristic("x").bins])
    d = np.diff(pts)
    if trend == "ascending":
        assert (d < 0).all()
    elif trend == "descending":
        assert (d > 0).all()


@pytest.mark.slow
@_SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1500, 3000), k=st.integers(1, 6))
def test_paired_scorecards_stay_in_range_rank_as_probability_and_round_trip(
    seed: int, n: int, k: int
) -> None:
    X, y = _data(seed, n, 2.0)
    sc = Scorecard(method="fused", interactions=k, random_state=seed % 1000).fit(X, y)
    art = sc.artifact_
    assert len(art.interactions) <= k
    lo, hi = art.score_range
    assert 0 <= lo <= hi <= 1000
    for p in art.interactions:
        assert any(c.points != 0 for c in p.cells)  # an all-zero pair is dropped
        assert min(o.points for o in p.outcomes) == 0  # its worst outcome earns 0
        assert p.shape[0] <= 3
        assert p.shape[1] <= 3
    Xt, _ = _data(seed + 1, 500, 2.0)
    Xt.loc[:5, "w"] = np.nan
    Xt.loc[6:8, "k"] = "unseen"
    score = sc.score_points(Xt)
    assert ((score >= lo) & (score <= hi)).all()
    p_bad = sc.predict_proba(Xt)[:, 1]
    order = np.argsort(score, kind="stable")
    assert (np.diff(p_bad[order]) <= 1e-12).all()
    back = ScorecardArtifact.from_json(art.to_json())
    assert back == art
    assert np.array_equal(Scorecard.from_artifact(back).score_points(Xt), score)
