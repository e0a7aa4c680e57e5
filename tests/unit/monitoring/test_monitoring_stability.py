"""PSI over given bins, the watch/act flags and CBPE's expected AUC, against hand computations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from trustscore.exceptions import ModelError
from trustscore.monitoring import (
    PSI_ACT,
    PSI_WATCH,
    expected_auc,
    psi_from_counts,
    stability_flag,
    stability_table,
)


def test_psi_from_counts_is_the_hand_sum() -> None:
    # shares (0.25, 0.25, 0.5) -> (0.375, 0.125, 0.5): (1/8) ln 1.5 + (1/8) ln 2 + 0 = ln(3) / 8
    assert psi_from_counts([1, 1, 2], [3, 1, 4]) == pytest.approx(math.log(3) / 8, rel=1e-12)
    assert psi_from_counts([5, 5], [5, 5]) == 0.0


def test_an_empty_bin_counts_as_one_in_ten_thousand() -> None:
    e, a = 1e-4, 0.5
    hand = (a - 0.5) * math.log(a / 0.5) + (e - 0.5) * math.log(e / 0.5) + (a - e) * math.log(a / e)
    assert psi_from_counts([1, 1, 0], [1, 0, 1]) == pytest.approx(hand, rel=1e-12)
    # a bin empty in both samples adds nothing
    assert psi_from_counts([1, 1, 0], [1, 1, 0]) == 0.0


def test_thresholds_are_documented_values() -> None:
    assert (PSI_WATCH, PSI_ACT) == (0.10, 0.25)
    assert [stability_flag(v) for v in (None, 0.0999, 0.1, 0.2499, 0.25)] == [
        "stable", "stable", "watch", "watch", "act",
    ]  # fmt: skip


def test_stability_table_gives_each_bins_share_and_part() -> None:
    t = stability_table([1, 1, 2], [3, 1, 4], ["a", "b", "c"])
    assert [b["label"] for b in t["bins"]] == ["a", "b", "c"]
    assert [b["expected_share"] for b in t["bins"]] == [0.25, 0.25, 0.5]
    assert [b["actual_share"] for b in t["bins"]] == [0.375, 0.125, 0.5]
    parts = [b["contribution"] for b in t["bins"]]
    assert parts[2] == 0.0
    assert parts[0] == pytest.approx(math.log(1.5) / 8, rel=1e-12)
    assert sum(parts) == pytest.approx(t["psi"], rel=1e-12)
    assert (t["n_expected"], t["n_actual"], t["flag"]) == (4, 8, "watch")  # ln(3) / 8 = 0.137


@pytest.mark.parametrize(
    ("expected", "actual", "labels"),
    [([1, 2], [1], ["a", "b"]), ([1, -1], [1, 1], ["a", "b"]), ([0, 0], [1, 1], ["a", "b"]),
     ([1, 1], [1, 1], ["a"])],
)  # fmt: skip
def test_bad_counts_are_refused(expected: list[int], actual: list[int], labels: list[str]) -> None:
    with pytest.raises(ModelError):
        stability_table(expected, actual, labels)


def _brute_force(p: np.ndarray, risk: np.ndarray) -> float:
    right = total = 0.0
    for i, j in itertools.permutations(range(p.size), 2):
        w = p[i] * (1 - p[j])
        total += w
        right += w * (1.0 if risk[i] > risk[j] else 0.5 if risk[i] == risk[j] else 0.0)
    return right / total


def test_expected_auc_hand_example() -> None:
    # right-ordered pairs weigh 0.5*0.8 + 0.8*0.8 + 0.8*0.5 = 1.44, wrong ones 0.24
    assert expected_auc([0.2, 0.5, 0.8]) == pytest.approx(1.44 / 1.68, rel=1e-12)
    # ranking by -score: the lower score is the riskier
    assert expected_auc([0.2, 0.5, 0.8], [-700, -600, -500]) == pytest.approx(1.44 / 1.68)


def test_expected_auc_matches_the_pairwise_definition_with_ties() -> None:
    rng = np.random.default_rng(3)
    p = np.round(rng.uniform(0.01, 0.6, size=40), 1)  # rounded: many ties
    assert expected_auc(p) == pytest.approx(_brute_force(p, p), rel=1e-12)
    risk = -np.round(rng.normal(size=40), 0)
    assert expected_auc(p, risk) == pytest.approx(_brute_force(p, risk), rel=1e-12)


def test_expected_auc_of_a_calibrated_model_is_its_mean_realised_auc() -> None:
    from trustscore.monitoring import roc_auc

    rng = np.random.default_rng(11)
    p = rng.uniform(0.02, 0.5, size=400)
    realised = [roc_auc(y, p) for y in (rng.uniform(size=(300, p.size)) < p).astype(int)]
    assert abs(float(np.mean(realised)) - expected_auc(p)) < 0.01


def test_expected_auc_refuses_what_is_not_a_probability() -> None:
    with pytest.raises(ModelError, match="probability"):
        expected_auc([0.2, 1.5])
    with pytest.raises(ModelError, match="risk"):
        expected_auc([0.2, 0.5], [1.0])
    assert math.isnan(expected_auc([0.0, 0.0]))
