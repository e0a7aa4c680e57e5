"""The fused per-bin fit, bin merging and coding, and Scorecard's method choice."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from trustscore.exceptions import ModelError
from trustscore.model import Scorecard
from trustscore.model._binning import (
    BinnedCharacteristic,
    assign_codes,
    bin_categorical,
    bin_numeric,
    merge_bins,
)
from trustscore.model._fused import FusedLayout, fit_fused


def _codes_data(truth: list[float], n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, len(truth), size=(n, 1)).astype(np.int32)
    risk = np.asarray(truth)[codes[:, 0]]
    y = (rng.random(n) < 1 / (1 + np.exp(-risk))).astype(np.float64)
    return codes, y


@pytest.mark.parametrize(
    ("trend", "truth"),
    [
        ("ascending", [-1.0, -0.5, 0.2, 0.0, 1.0]),  # a dip the declared trend irons out
        ("descending", [1.0, 0.5, 0.6, 0.0, -1.0]),
        ("peak", [-1.0, 0.0, 1.0, 0.3, -0.5]),
        ("valley", [1.0, 0.0, -1.0, -0.3, 0.5]),
    ],
)
def test_declared_trend_is_a_hard_bound(trend: str, truth: list[float]) -> None:
    codes, y = _codes_data(truth, 20_000, 1)
    turn = int(np.argmax(truth) if trend == "peak" else np.argmin(truth))
    _, (t,) = fit_fused(codes, [FusedLayout(5, 5, trend, turn)], y, lam=1.0)
    d = np.diff(t)
    if trend == "ascending":
        assert (d >= -1e-12).all()
    elif trend == "descending":
        assert (d <= 1e-12).all()
    else:
        sign = 1 if trend == "peak" else -1
        assert (sign * d[:turn] >= -1e-12).all()
        assert (sign * d[turn:] <= 1e-12).all()
    assert t[0] == 0.0


def test_free_fit_recovers_levels_and_l1_fuses_equal_neighbours() -> None:
    truth = [0.0, 0.0, 0.0, 1.2, 1.2, -0.4]
    codes, y = _codes_data(truth, 60_000, 2)
    _, (free,) = fit_fused(codes, [FusedLayout(6, 6, "none")], y, lam=0.01)
    np.testing.assert_allclose(free, truth, atol=0.08)
    _, (fused,) = fit_fused(codes, [FusedLayout(6, 6, "none")], y, lam=40.0)
    assert np.unique(np.round(fused, 9)).size == 3  # the three true levels, no noise steps


def test_extra_outcomes_are_free_and_unpenalised() -> None:
    # outcome 3 (say "missing") sits far from the bins; a strong penalty does not pull it in
    truth = [0.0, 0.0, 0.0, 2.0]
    codes, y = _codes_data(truth, 30_000, 3)
    _, (t,) = fit_fused(codes, [FusedLayout(4, 3, "none")], y, lam=1e4)
    np.testing.assert_allclose(t[:3], 0.0, atol=1e-9)
    assert t[3] == pytest.approx(2.0, abs=0.1)


def test_two_characteristics_and_the_warm_start_agree_with_a_direct_fit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import trustscore.model._fused as fused_mod

    rng = np.random.default_rng(4)
    n = 6000
    codes = rng.integers(0, 4, size=(n, 2)).astype(np.int32)
    risk = (
        np.array([-1.0, 0.0, 0.5, 1.0])[codes[:, 0]] + np.array([0.3, 0.0, -0.3, -0.6])[codes[:, 1]]
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-risk))).astype(np.float64)
    lays = [FusedLayout(4, 4, "ascending"), FusedLayout(4, 4, "descending")]
    b1, t1 = fit_fused(codes, lays, y, lam=2.0)
    monkeypatch.setattr(fused_mod, "_WARM_ROWS", 1000)  # force the subsample warm start
    b2, t2 = fit_fused(codes, lays, y, lam=2.0)
    assert b2 == pytest.approx(b1, abs=2e-3)
    for a, b in zip(t1, t2, strict=True):
        np.testing.assert_allclose(a, b, atol=5e-3)
    np.testing.assert_allclose(t1[0], [0.0, 1.0, 1.5, 2.0], atol=0.25)


def test_merge_bins_keeps_counts_and_codes_consistent() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=3000)
    x[:60] = np.nan
    y = (rng.random(3000) < 1 / (1 + np.exp(-x))).astype(np.float64)
    b = bin_numeric(
        "x",
        np.nan_to_num(x, nan=np.nan),
        y,
        max_n_bins=6,
        min_size=150,
        trend="ascending",
        special_values=(),
    )
    assert b.n_bins == 6
    m = merge_bins(b, [0, 0, 1, 1, 1, 2])
    assert m.edges == (b.edges[1], b.edges[4])
    assert m.n_event.sum() == b.n_event.sum()
    assert m.n_nonevent.sum() == b.n_nonevent.sum()
    np.testing.assert_array_equal(m.n_event[3:], b.n_event[6:])  # missing carried over
    assert m.codes is not None
    np.testing.assert_array_equal(m.codes, assign_codes(m, x))
    np.testing.assert_array_equal(np.bincount(m.codes, minlength=4), m.n_event + m.n_nonevent)
    # IV of the merged bins is what woe_iv gives on the merged counts
    assert 0 < m.iv <= b.iv
    assert merge_bins(b, list(range(6))) is b


def test_merge_and_assign_categorical() -> None:
    x = np.array(["a", "b", "c", "d", None] * 200, dtype=object)
    y = np.array([0, 0, 1, 1, 1] * 200, dtype=np.float64)
    y[::7] = 1 - y[::7]
    b = bin_categorical("k", x, y, max_n_bins=4, min_size=10, rare_min=0)
    m = merge_bins(b, [0] * (b.n_bins - 1) + [1])
    assert sorted(c for g in m.groups for c in g) == ["a", "b", "c", "d"]
    assert m.other_index == m.n_bins + 1
    codes = assign_codes(m, np.array(["a", "zz", None, "d"], dtype=object))
    assert codes[1] == m.other_index
    assert codes[2] == m.missing_index
    assert m.codes is not None
    np.testing.assert_array_equal(m.codes, assign_codes(m, x))


def test_assign_codes_matches_training_codes_with_specials() -> None:
    x = np.array([0.1, 0.5, -1.0, 0.9, np.nan, 0.3] * 100)
    y = np.array([0, 1, 1, 0, 1, 0] * 100, dtype=np.float64)
    b = bin_numeric("x", x, y, max_n_bins=3, min_size=50, trend="none", special_values=(-1.0,))
    assert b.codes is not None
    np.testing.assert_array_equal(assign_codes(b, x), b.codes)
    edge = BinnedCharacteristic("e", "numeric", edges=(1.0,))
    assert assign_codes(edge, np.array([np.inf, -np.inf, 1.0])).tolist() == [1, 0, 1]


# -- the estimator ------------------------------------------------------------------------------
def _correlated(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Two correlated characteristics whose conditional effects the marginals misstate."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    a = z + 0.5 * rng.normal(size=n)
    b = z + 0.5 * rng.normal(size=n)
    c = rng.normal(size=n)
    logit = -1.0 + 1.5 * a - 1.0 * b + np.where(c > 0.5, 1.0, 0.0) - 0.4 * np.abs(c)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"a": a, "b": b, "c": c}), y


@pytest.fixture(scope="module")
def correlated() -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]:
    X, y = _correlated(8000, 0)
    Xh, yh = _correlated(8000, 1)
    return X, y, Xh, yh


@pytest.fixture(scope="module")
def fused_fit(correlated: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]) -> Scorecard:
    X, y, _, _ = correlated
    return Scorecard(method="fused", monotonic_trend={"a": "ascending"}).fit(X, y)


def test_fused_beats_woe_where_marginals_mislead(
    correlated: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray], fused_fit: Scorecard
) -> None:
    X, y, Xh, yh = correlated
    woe = Scorecard(method="woe").fit(X, y)
    auc_woe = roc_auc_score(yh, woe.predict_proba(Xh)[:, 1])
    auc_fused = roc_auc_score(yh, fused_fit.predict_proba(Xh)[:, 1])
    assert auc_fused > auc_woe + 0.02
    # b's marginal relation is positive (through z) but its effect is negative: WoE drops it
    assert "b" not in woe.selected_
    assert "b" in fused_fit.selected_
    b_pts = [o.points for o in fused_fit.artifact_.characteristic("b").bins]
    assert b_pts[-1] > b_pts[0]  # more b, more points: the conditional effect


def test_fused_artifact_is_a_scorecard(fused_fit: Scorecard) -> None:
    art = fused_fit.artifact_
    assert fused_fit.method_ == "fused"
    a = art.characteristic("a")
    pts = [o.points for o in a.bins]
    assert a.extra["trend"] == "ascending"
    assert (np.diff(pts) < 0).all()  # declared: risk up, points strictly down (merged equals)
    for c in art.characteristics:
        p = [o.points for o in c.bins]
        assert (np.diff(p) != 0).all()  # neighbours differ
        assert all(o.stats["n"] >= 40 for o in c.bins)
        assert "coefficient" not in c.extra
    c_bins = art.characteristic("c")
    assert c_bins.extra["trend"] in ("none", "valley", "peak")  # not monotone: the data's shape
    lo, hi = art.score_range
    assert 0 <= lo < hi <= 1000
    est = art.model_card["estimator"]["params"]
    assert est["method"] == "fused"
    assert est["method_used"] == "fused"
    assert est["method_choice"]["how"] == "given"


def test_fused_predictions_are_the_artifact(
    fused_fit: Scorecard, correlated: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]
) -> None:
    _, _, Xh, _ = correlated
    again = Scorecard.from_artifact(fused_fit.to_artifact())
    np.testing.assert_array_equal(again.score_points(Xh), fused_fit.score_points(Xh))
    card = fused_fit.artifact_.model_card["metrics"]["auc"]["value"]
    assert 0.7 < card < 1.0


def test_auto_picks_fused_when_it_clearly_wins_and_woe_on_tiny_data(
    correlated: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray],
) -> None:
    X, y, _, _ = correlated
    sc = Scorecard().fit(X, y)
    choice = sc.artifact_.model_card["estimator"]["params"]["method_choice"]
    assert sc.method_ == "fused"
    assert choice["cv_auc"]["woe"] < max(v for k, v in choice["cv_auc"].items() if k != "woe")
    assert choice["lambda"] > 0
    tiny = Scorecard().fit(X.iloc[:120], y[:120])
    assert tiny.method_ == "woe"
    assert (
        "too few rows or events"
        in tiny.artifact_.model_card["estimator"]["params"]["method_choice"]["how"]
    )


def test_fused_keeps_edited_bins_and_thin_missing_neutral(
    correlated: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray], fused_fit: Scorecard
) -> None:
    X, y, _, _ = correlated
    X2 = X.copy()
    X2.loc[:4, "c"] = np.nan  # 5 missing rows: too thin for their own points
    d = fused_fit.to_artifact().to_dict()
    a = next(c for c in d["characteristics"] if c["name"] == "a")
    a["bins"] = [{"upper": -1.0, "points": 0}, {"upper": 0.0, "points": 0},
                 {"upper": 1.0, "points": 0}, {"upper": None, "points": 0}]  # fmt: skip
    a["edited"] = True
    sc = Scorecard(method="fused", fixed_bins=d).fit(X2, y)
    art = sc.artifact_
    assert art.characteristic("a").edges == (-1.0, 0.0, 1.0)
    assert art.characteristic("a").extra["edited"] is True
    c = art.characteristic("c")
    assert c.missing.stats["n"] == 5
    # neutral: the missing outcome adds the characteristic's average log-odds contribution
    pts = np.array([o.points for o in c.bins])
    n = np.array([o.stats["n"] for o in c.bins])
    assert min(pts) <= c.missing.points <= max(pts)
    assert abs(c.missing.points - (pts * n).sum() / n.sum()) <= 1.0


def test_method_parameter_is_validated(
    correlated: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray],
) -> None:
    X, y, _, _ = correlated
    with pytest.raises(ModelError, match=r"'method' parameter of Scorecard must be one of"):
        Scorecard(method="gbm").fit(X, y)
    with pytest.raises(ModelError, match=r"'min_bin_size'.*Got 'big' instead"):
        Scorecard(min_bin_size="big").fit(X, y)
