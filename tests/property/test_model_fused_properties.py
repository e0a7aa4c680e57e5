"""Properties of fused scorecards: declared trends hold in the points, neighbours never tie."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustscore.model import Scorecard


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(300, 1500),
    trend=st.sampled_from(["ascending", "descending", "peak", "valley"]),
    shape=st.sampled_from(["linear", "u", "noise", "steps"]),
    missing=st.floats(0.0, 0.2),
)
def test_declared_trend_holds_in_fused_points(
    seed: int, n: int, trend: str, shape: str, missing: float
) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    w = rng.normal(size=n)
    logit = {"linear": 1.5 * x, "u": x**2 - 1, "noise": 0 * x, "steps": np.round(x)}[shape]
    y = (rng.random(n) < 1 / (1 + np.exp(-(logit + w)))).astype(int)
    x[rng.random(n) < missing] = np.nan
    X = pd.DataFrame({"x": x, "w": w})
    sc = Scorecard(method="fused", monotonic_trend={"x": trend}, min_iv=0.0).fit(X, y)
    art = sc.artifact_
    lo, hi = art.score_range
    assert 0 <= lo <= hi <= 1000
    for c in art.characteristics:
        pts = np.array([b.points for b in c.bins])
        d = np.diff(pts)
        assert (d != 0).all()  # equal neighbours are merged
        if c.name != "x":
            continue
        # points fall where the event rate rises
        if trend == "ascending":
            assert (d < 0).all()
        elif trend == "descending":
            assert (d > 0).all()
        else:
            s = np.sign(d) if trend == "valley" else -np.sign(d)  # event-rate valley: points peak
            k = int(np.argmax(s < 0)) if (s < 0).any() else s.size
            assert (s[:k] > 0).all()
            assert (s[k:] < 0).all()
    score = sc.score_points(X)
    p_bad = sc.predict_proba(X)[:, 1]
    order = np.argsort(score, kind="stable")
    assert (np.diff(p_bad[order]) <= 1e-12).all()
