"""An honest scale: no element below 0, the attainable range over 0..1000 by default, a pin that
keeps scores meaning the same odds across fits, and a score-to-odds table that says so."""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from trustscore.exceptions import TrustScoreWarning
from trustscore.model import Scorecard
from trustscore.model._scaling import odds_from_scores, scale_points
from trustscore.scoring._artifact import ScorecardArtifact
from trustscore.scoring._reference_table import reference_table

PIN = {"pdo": 40.0, "anchor_score": 600, "anchor_odds": 20.0}
_FITS = settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- the scaling on its own: random log-odds, every outcome combination ------------------------
def _contribs(draw: st.DrawFn, n: int, lo: int, hi: int) -> list[np.ndarray]:
    values = st.floats(-3.0, 3.0, allow_nan=False)
    sizes = st.integers(lo, hi)
    return [
        np.array(draw(st.lists(values, min_size=(m := draw(sizes)), max_size=m))) for _ in range(n)
    ]


@st.composite
def fits(draw: st.DrawFn) -> tuple[list[np.ndarray], list[np.ndarray], float]:
    chars = _contribs(draw, draw(st.integers(1, 5)), 2, 6)
    cells = _contribs(draw, draw(st.integers(0, 2)), 2, 5)
    return chars, cells, draw(st.floats(-5.0, 3.0))


pins = st.fixed_dictionaries(
    {
        "pdo": st.floats(0.5, 400.0),
        "anchor_score": st.integers(0, 1000),
        "anchor_odds": st.floats(0.01, 1000.0),
    }
)


def _scaled(
    chars: list[np.ndarray], cells: list[np.ndarray], b: float, pin: dict[str, Any] | None
) -> tuple[list[np.ndarray], dict[str, Any], list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pts, scaling = scale_points(chars, b, cells=cells, pin=pin)
    return pts, scaling, caught


def _check_identity(
    t: list[np.ndarray], pts: list[np.ndarray], b: float, scaling: dict[str, Any]
) -> None:
    """``ln(odds) = (score - score_offset) / score_factor`` for every combination of outcomes,
    up to each element's rounding of half a point."""
    combos = np.array(list(itertools.product(*(range(x.size) for x in t))))
    score = sum(p[combos[:, j]] for j, p in enumerate(pts))
    ln_odds = -(b + sum(x[combos[:, j]] for j, x in enumerate(t)))
    tol = 0.5 * len(t) / scaling["score_factor"] + 1e-9
    np.testing.assert_array_less(np.abs(odds_from_scores(score, scaling) - ln_odds), tol)


@given(fit=fits())
def test_the_default_spreads_every_element_from_0(
    fit: tuple[list[np.ndarray], list[np.ndarray], float],
) -> None:
    chars, cells, b = fit
    assume(sum(float(np.ptp(x)) for x in (*chars, *cells)) > 1e-3)
    pts, scaling, caught = _scaled(chars, cells, b, None)
    assert not caught
    assert [p.size for p in pts] == [x.size for x in (*chars, *cells)]
    assert all(int(p.min()) == 0 for p in pts)  # every element's worst outcome earns 0
    assert 950 <= sum(int(p.max()) for p in pts) <= 1000
    assert scaling["method"] == "spread"
    assert (scaling["compression"], scaling["shift"]) == (1.0, 0.0)
    # the derived pdo and anchor describe the same scale
    f = scaling["pdo"] / math.log(2.0)
    assert f == pytest.approx(scaling["score_factor"])
    assert scaling["anchor_score"] - f * math.log(scaling["anchor_odds"]) == pytest.approx(
        scaling["score_offset"]
    )
    _check_identity([*chars, *cells], pts, b, scaling)


@given(fit=fits(), pin=pins)
def test_a_pin_holds_where_it_fits_and_says_so_where_it_does_not(
    fit: tuple[list[np.ndarray], list[np.ndarray], float], pin: dict[str, Any]
) -> None:
    chars, cells, b = fit
    pts, scaling, caught = _scaled(chars, cells, b, pin)
    assert all(int(p.min()) >= 0 for p in pts)  # never a negative element, pinned or not
    assert all(int(p.min()) == 0 for p in pts[len(chars) :])  # pairs start at 0
    assert sum(int(p.max()) for p in pts) <= 1000
    assert scaling["method"] == "pinned"
    assert (scaling["pdo"], scaling["anchor_score"], scaling["anchor_odds"]) == tuple(
        float(pin[k]) for k in ("pdo", "anchor_score", "anchor_odds")
    )
    f = pin["pdo"] / math.log(2.0)
    offset = pin["anchor_score"] - f * math.log(pin["anchor_odds"])
    if scaling["compression"] == 1.0 and scaling["shift"] == 0.0:  # the pin holds exactly
        assert scaling["score_factor"] == f
        assert scaling["score_offset"] == offset
    assert scaling["compression"] <= 1.0
    if scaling["compression"] == 1.0 and abs(scaling["shift"]) < 0.5:
        assert not caught  # no score moves but by rounding
        assert scaling["score_offset"] == pytest.approx(offset, abs=0.5)
    else:
        assert [w.category for w in caught] == [TrustScoreWarning]
        assert "does not fit this model on 0..1000" in str(caught[0].message)
    # held or not, the record says exactly which scale the points are on
    assert scaling["score_factor"] == pytest.approx(f * scaling["compression"])
    _check_identity([*chars, *cells], pts, b, scaling)


# -- fits: every element from 0, sub-scores never negative, pairs included ---------------------
def _paired_data(seed: int, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "w": rng.normal(size=n),
            "v": rng.normal(size=n),
            "k": rng.choice(list("pqr"), size=n),
        }
    )
    logit = (
        -1.0
        + 0.7 * X["x"]
        - 0.4 * X["v"]
        + 2.0 * ((X["x"] > 0) & (X["w"] > 0))
        + 0.5 * ((X["v"] > 0.5) & (X["k"] == "p"))
    )
    X.loc[rng.random(n) < 0.05, "x"] = np.nan
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y.to_numpy()


DIMS = {
    "x": {"dimension": "payment_reliability"},
    "w": {"dimension": "payment_reliability"},
    "v": {"dimension": "credit_history"},
    "k": {"dimension": "credit_history"},
}


@pytest.mark.slow
@_FITS
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1500, 3000),
    method=st.sampled_from(["woe", "fused"]),
    k=st.integers(0, 4),
)
def test_no_element_and_no_sub_score_is_ever_negative(
    seed: int, n: int, method: str, k: int
) -> None:
    X, y = _paired_data(seed, n)
    sc = Scorecard(
        characteristics=DIMS, method=method, interactions=k if method == "fused" else 0
    ).fit(X, y)
    art = sc.artifact_
    for e in art.elements:
        assert min(o.points for o in e.outcomes) == 0, e.name
    lo, hi = art.score_range
    assert lo == 0
    assert 950 <= hi <= 1000
    for d in art.dimension_names:
        assert art.dimension_range(d)[0] == 0
    # rows off every grid too: missing, unseen and extreme values
    Xt, _ = _paired_data(seed + 1, 400)
    Xt.loc[:20, "w"] = np.nan
    Xt.loc[21:30, "k"] = "unseen"
    Xt.loc[31:40, "v"] = 1e9
    table = reference_table(art, pa.Table.from_pandas(Xt), reasons=False)
    for d in art.dimension_names:
        sub = table[d].to_numpy()
        assert (sub >= 0).all()
        assert (sub <= art.dimension_range(d)[1]).all()
    assert (table["score"].to_numpy() >= 0).all()


# -- the score means the fitted odds -----------------------------------------------------------
def _woe_data(seed: int, n: int, strength: float) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.random(n), "b": rng.random(n)})
    logit = -1.5 + strength * (1.5 * X["a"] - 2.0 * X["b"])
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y.to_numpy()


def _fitted_vs_score(sc: Scorecard) -> tuple[np.ndarray, np.ndarray]:
    """The fitted log-odds (good) of every combination of outcomes of a WoE card (intercept
    plus coefficient times WoE), beside the score the artifact gives it."""
    art = sc.artifact_
    outcomes = [c.outcomes for c in art.characteristics]
    coef = [c.extra["coefficient"] for c in art.characteristics]
    fitted, score = [], []
    for combo in itertools.product(*outcomes):
        bad = sc.intercept_ + sum(cf * o.stats["woe"] for cf, o in zip(coef, combo, strict=True))
        fitted.append(-bad)
        score.append(sum(o.points for o in combo))
    return np.array(fitted), np.array(score)


@pytest.mark.parametrize("scaling", ["spread", PIN])
def test_odds_from_scores_are_the_fitted_odds(scaling: Any) -> None:
    X, y = _woe_data(0, 4000, 1.0)
    sc = Scorecard(method="woe", max_n_bins=4, scaling=scaling).fit(X, y)
    fitted, score = _fitted_vs_score(sc)
    s = sc.artifact_.scaling
    k = len(sc.artifact_.characteristics)
    np.testing.assert_array_less(
        np.abs(odds_from_scores(score, s) - fitted), 0.5 * k / s["score_factor"] + 1e-9
    )
    # and predict_proba is that probability
    got = sc.predict_proba(X.head(50))[:, 1]
    want = 1 / (1 + np.exp(odds_from_scores(sc.score_points(X.head(50)), s)))
    np.testing.assert_allclose(got, want)


def test_a_pinned_scale_gives_the_same_score_for_the_same_odds_in_two_fits() -> None:
    one = Scorecard(method="woe", max_n_bins=4, scaling=PIN).fit(*_woe_data(1, 4000, 1.0))
    two = Scorecard(method="woe", max_n_bins=5, scaling=PIN).fit(*_woe_data(2, 3000, 0.6))
    s1, s2 = one.artifact_.scaling, two.artifact_.scaling
    f = 40.0 / math.log(2.0)
    for s in (s1, s2):
        assert (s["compression"], s["shift"]) == (1.0, 0.0)
        assert (s["score_factor"], s["score_offset"]) == (f, 600 - f * math.log(20.0))
    scores = np.arange(0, 1001)
    np.testing.assert_array_equal(odds_from_scores(scores, s1), odds_from_scores(scores, s2))
    # the two fits' different points put each fitted odds on the one line: 600 at 20:1, and
    # 40 points more for each doubling (up to each element's rounding)
    for sc in (one, two):
        fitted, score = _fitted_vs_score(sc)
        line = 600 + f * (fitted - math.log(20.0))
        assert np.abs(score - line).max() <= 0.5 * len(sc.artifact_.characteristics)
        assert all(c.worst_points >= 0 for c in sc.artifact_.characteristics)
    assert one.artifact_.characteristics != two.artifact_.characteristics


def test_a_pin_that_does_not_fit_warns_and_stays_in_range() -> None:
    X, y = _woe_data(0, 4000, 1.0)
    pin = {"pdo": 400.0, "anchor_score": 900, "anchor_odds": 0.5}
    with pytest.warns(TrustScoreWarning, match="does not fit this model on 0..1000"):
        sc = Scorecard(method="woe", max_n_bins=4, scaling=pin).fit(X, y)
    art = sc.artifact_
    s = art.scaling
    assert s["compression"] < 1.0
    lo, hi = art.score_range
    assert 0 <= lo <= hi <= 1000
    assert all(c.worst_points >= 0 for c in art.characteristics)
    fitted, score = _fitted_vs_score(sc)
    np.testing.assert_array_less(
        np.abs(odds_from_scores(score, s) - fitted), 0.5 * 2 / s["score_factor"] + 1e-9
    )


# -- the model card's score-to-odds table ------------------------------------------------------
@pytest.fixture(scope="module")
def spread() -> Scorecard:
    X, y = _paired_data(5, 3000)
    return Scorecard(characteristics=DIMS, method="fused", interactions=2).fit(X, y)


def test_the_card_publishes_the_odds_of_every_50th_score(spread: Scorecard) -> None:
    art = spread.artifact_
    table = art.model_card["score_to_odds"]
    lo, hi = art.score_range
    scores = [r["score"] for r in table["rows"]]
    assert scores[0] == lo == 0
    assert scores[-1] == hi
    assert scores[1:-1] == list(range(50, hi, 50))
    odds = np.array([r["odds"] for r in table["rows"]])
    np.testing.assert_allclose(np.log(odds), odds_from_scores(scores, art.scaling), rtol=1e-12)
    np.testing.assert_allclose([r["p_event"] for r in table["rows"]], 1 / (1 + odds))
    assert (np.diff(odds) > 0).all()
    assert table["method"] == "spread"
    assert table["odds"] == "good:bad"


def test_the_cards_pin_keeps_the_scale_in_a_refit(spread: Scorecard) -> None:
    X, y = _paired_data(5, 3000)
    pin = spread.artifact_.model_card["score_to_odds"]["pin"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the pin of this very fit holds: no warning
        again = Scorecard(characteristics=DIMS, method="fused", interactions=2, scaling=pin).fit(
            X, y
        )
    a, b = spread.artifact_, again.artifact_
    assert b.scaling["method"] == "pinned"
    assert b.scaling["compression"] == 1.0
    assert abs(b.scaling["shift"]) < 1e-6
    assert b.scaling["score_factor"] == pytest.approx(a.scaling["score_factor"], rel=1e-9)
    assert b.scaling["score_offset"] == pytest.approx(a.scaling["score_offset"], abs=1e-6)
    assert [[o.points for o in e.outcomes] for e in b.elements] == [
        [o.points for o in e.outcomes] for e in a.elements
    ]
    # the pin as a person copies it, to 4 digits: the scale moves by a fraction of a point
    rounded = {k: float(f"{v:.4g}") for k, v in pin.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        near = Scorecard(characteristics=DIMS, method="fused", interactions=2, scaling=rounded).fit(
            X, y
        )
    c = near.artifact_
    assert abs(c.scaling["shift"]) < 0.5
    gap = np.abs(near.score_points(X) - spread.score_points(X))
    assert gap.max() <= len(a.elements)  # each element's rounding at most
    # and the artifact round-trips its scaling into the estimator's parameter
    back = Scorecard.from_artifact(ScorecardArtifact.from_json(b.to_json()))
    assert back.scaling == {k: b.scaling[k] for k in ("pdo", "anchor_score", "anchor_odds")}
    assert Scorecard.from_artifact(a).scaling == "spread"
