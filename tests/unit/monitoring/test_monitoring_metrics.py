"""Metrics against hand-computed and scikit-learn values."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score, roc_curve

from trustscore.exceptions import ModelError
from trustscore.monitoring import (
    adverse_impact_ratio,
    bootstrap_ci,
    calibration_by_band,
    csi,
    fairness_report,
    gini,
    ks,
    psi,
    roc_auc,
    standardised_mean_difference,
)


@pytest.fixture(scope="module")
def sample() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, size=400)
    # Rounded risk gives many ties, the case rank averaging must get right.
    risk = np.round(y * 0.6 + rng.normal(size=400), 1)
    return y, risk


def test_roc_auc_matches_sklearn_with_ties(sample: tuple[np.ndarray, np.ndarray]) -> None:
    y, risk = sample
    assert roc_auc(y, risk) == pytest.approx(roc_auc_score(y, risk), abs=1e-12)


def test_roc_auc_hand_example() -> None:
    # bad (0.35, 0.8) vs good (0.1, 0.4): 3 of 4 pairs ordered right
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    assert roc_auc([1, 1, 0, 0], [0.1, 0.4, 0.35, 0.8]) == 0.25
    assert roc_auc([0, 1], [3, 3]) == 0.5


def test_gini_is_two_auc_minus_one(sample: tuple[np.ndarray, np.ndarray]) -> None:
    y, risk = sample
    assert gini(y, risk) == pytest.approx(2 * roc_auc_score(y, risk) - 1, abs=1e-12)


def test_ks_matches_roc_curve(sample: tuple[np.ndarray, np.ndarray]) -> None:
    y, risk = sample
    fpr, tpr, _ = roc_curve(y, risk)
    assert ks(y, risk) == pytest.approx(float(np.max(tpr - fpr)), abs=1e-12)
    assert ks([0, 0, 1, 1], [1, 2, 3, 4]) == 1.0


def test_one_class_raises_model_error() -> None:
    with pytest.raises(ModelError, match="both classes"):
        roc_auc([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="both classes"):
        ks([0, 0], [0.1, 0.2])


def test_bad_inputs_raise() -> None:
    with pytest.raises(ModelError, match="same length"):
        roc_auc([0, 1], [0.1])
    with pytest.raises(ModelError, match="0 \\(good\\) or 1"):
        roc_auc([0, 2], [0.1, 0.2])
    with pytest.raises(ModelError, match="finite"):
        roc_auc([0, 1], [0.1, float("nan")])


def test_bootstrap_ci_brackets_the_estimate(sample: tuple[np.ndarray, np.ndarray]) -> None:
    y, risk = sample
    low, high = bootstrap_ci(roc_auc, y, risk, n_boot=100, random_state=1)
    auc = roc_auc(y, risk)
    assert low < auc < high
    assert 0.02 < high - low < 0.2
    assert bootstrap_ci(roc_auc, y, risk, n_boot=100, random_state=1) == (low, high)
    with pytest.raises(ModelError, match="n_boot"):
        bootstrap_ci(roc_auc, y, risk, n_boot=0)


def test_psi_hand_example() -> None:
    # expected shares (0.5, 0.5), actual (0.25, 0.75)
    want = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5)
    assert psi([1, 1, 2, 2], [1, 2, 2, 2], bins=2) == pytest.approx(want)
    assert psi(list(range(50)), list(range(50))) == 0.0
    assert csi(["a", "a", "b", "b"], ["a", "b", "b", "b"]) == pytest.approx(want)


def test_psi_empty_bin_and_missing_are_finite() -> None:
    value = psi([1.0, 2.0, 3.0, 4.0], [10.0, 11.0, None, None], bins=4)
    assert math.isfinite(value)
    assert value > 1.0


def test_calibration_by_band_values() -> None:
    rows = calibration_by_band([0, 1, 1, 0, 0], [0.2, 0.6, 0.4, 0.1, 0.1], [2, 2, 2, 1, 1])
    assert [r["band"] for r in rows] == [1, 2]
    one, two = rows
    assert (one["n"], one["n_event"], one["observed_event_rate"]) == (2, 0, 0.0)
    assert one["observed_log_odds"] is None
    assert one["expected_log_odds"] == pytest.approx(math.log(0.1 / 0.9))
    assert two["observed_event_rate"] == pytest.approx(2 / 3)
    assert two["observed_log_odds"] == pytest.approx(math.log(2))
    assert two["expected_event_rate"] == pytest.approx(0.4)
    logits = [math.log(p / (1 - p)) for p in (0.2, 0.6, 0.4)]
    assert two["expected_log_odds"] == pytest.approx(sum(logits) / 3)
    json.dumps(rows, allow_nan=False)


def test_adverse_impact_ratio_hand_example() -> None:
    approved = [True, True, True, False, True, False, False, False]
    group = ["m", "m", "m", "m", "f", "f", "f", "f"]
    # m approves 3/4, f 1/4
    assert adverse_impact_ratio(approved, group) == {"f": pytest.approx(1 / 3), "m": 1.0}
    assert adverse_impact_ratio(approved, group, reference="f") == {"f": 1.0, "m": 3.0}
    with pytest.raises(ModelError, match="not among"):
        adverse_impact_ratio(approved, group, reference="x")
    with pytest.raises(ModelError, match="undefined"):
        adverse_impact_ratio([False, False], ["a", "b"])


def test_smd_hand_example() -> None:
    score = [600, 620, 640, 560, 580, 600, None]
    group = ["a", "a", "a", "b", "b", "b", "b"]
    # means 620 and 580, both SD 20: d = -2 for b against a
    smd = standardised_mean_difference(score, group, reference="a")
    assert smd == {"a": 0.0, "b": pytest.approx(-2.0)}
    # default reference is the largest group (b counts 4 rows, 3 scored)
    assert standardised_mean_difference(score, group)["a"] == pytest.approx(2.0)


def test_fairness_report_is_json_ready_and_flags_four_fifths() -> None:
    score = [650, 700, 720, 580, 610, 640, 590, None]
    group = ["a", "a", "a", "b", "b", "b", "b", "b"]
    y = [0, 0, 0, 1, 0, 0, 1, 0]
    p = [0.05, 0.04, 0.03, 0.3, 0.2, 0.1, 0.25, 0.5]
    report = fairness_report(score, group, y=y, p=p, cutoffs=(600, 700))
    json.dumps(report, allow_nan=False)
    at600, at700 = report["cutoffs"]
    assert at600["cutoff"] == 600
    assert at600["approval_rate"] == {"a": 1.0, "b": 0.5}
    assert at600["air"] == {"a": 1.0, "b": 0.5}
    assert at600["flagged"] == ["b"]
    assert at600["passes_four_fifths"] is False
    assert at700["approval_rate"] == {"a": pytest.approx(2 / 3), "b": 0.0}
    assert report["n_ns"] == {"a": 0, "b": 1}
    assert report["smd_reference"] == "b"  # the largest scored group
    assert report["smd"]["b"] == 0.0
    assert report["smd"]["a"] > 1.0
    cal = {(r["group"], r["band"]): r for r in report["calibration"]}
    low_b = cal[("b", "< 600")]
    assert (low_b["n"], low_b["n_event"], low_b["observed_event_rate"]) == (2, 2, 1.0)
    assert low_b["expected_event_rate"] == pytest.approx(0.275)
    assert ("a", ">= 700") in cal


def test_fairness_report_nobody_approved_gives_none() -> None:
    report = fairness_report([100, 200], ["a", "b"], cutoffs=(900,))
    assert report["cutoffs"][0]["air"] == {"a": None, "b": None}
    assert report["calibration"] == []
    json.dumps(report, allow_nan=False)
