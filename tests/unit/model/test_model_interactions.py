"""Interactions in the scorecard: the screen, the joint fit, the artifact and the model card."""

from __future__ import annotations

from html import escape as html_escape
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sklearn.metrics import roc_auc_score

from trustscore.exceptions import ModelError
from trustscore.model import Scorecard, bin_categorical, bin_numeric
from trustscore.model._binning import BinnedCharacteristic
from trustscore.model._fused import FusedLayout, fit_fused
from trustscore.model._interactions import (
    FittedPair,
    PairSpec,
    best_grid,
    cell_codes,
    pair_dict,
    screen_pairs,
)
from trustscore.scoring._artifact import ScorecardArtifact
from trustscore.scoring._reference_table import reference_table


def _problem(n: int, seed: int, *, planted: float) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Additive effects of a, c and k, plus ``planted`` log-odds where a > 0.5 and b > 0.5."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "c": rng.normal(size=n),
            "k": rng.choice(list("pqrs"), size=n),
        }
    )
    additive = (
        -1.5 + 0.8 * X["a"] - 0.5 * X["c"] + X["k"].map({"p": 0.5, "q": 0, "r": -0.5, "s": 0})
    )
    logit = additive + planted * ((X["a"] > 0.5) & (X["b"] > 0.5))
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.float64)
    return X, y, additive.to_numpy()


def _bins(X: pd.DataFrame, y: np.ndarray) -> dict[str, BinnedCharacteristic]:
    out = {}
    for name in X.columns:
        if not pd.api.types.is_numeric_dtype(X[name].dtype):
            out[name] = bin_categorical(
                name, X[name].to_numpy(dtype=object), y, max_n_bins=8, min_size=40, rare_min=0
            )
        else:
            out[name] = bin_numeric(
                name, X[name].to_numpy(), y, max_n_bins=16, min_size=40, trend="none",
                special_values=(),
            )  # fmt: skip
    return out


# -- the screen ----------------------------------------------------------------------------------
def test_the_screen_finds_a_planted_interaction() -> None:
    X, y, additive = _problem(20_000, 0, planted=1.5)
    bins = _bins(X, y)
    found = screen_pairs(bins, list(X.columns), additive, y, k=6)
    assert (found[0].a, found[0].b) == ("a", "b")
    assert found[0].gain > 10 * found[1].gain
    # its grid cuts a and b near 0.5: a cut falls within a bin or two of the planted edge
    for name, starts in (("a", found[0].rows), ("b", found[0].cols)):
        edges = np.array(bins[name].edges)
        assert np.min(np.abs(edges[np.array(starts[1:]) - 1] - 0.5)) < 0.2
    assert len(found[0].rows) <= 3
    assert len(found[0].cols) <= 3


def test_the_screen_sees_no_interaction_in_an_additive_problem() -> None:
    X, y, additive = _problem(20_000, 0, planted=0.0)
    Xp, yp, additive_p = _problem(20_000, 0, planted=1.5)
    gain = screen_pairs(_bins(X, y), list(X.columns), additive, y, k=6)[0].gain
    planted = screen_pairs(_bins(Xp, yp), list(Xp.columns), additive_p, yp, k=6)[0].gain
    # what is left is noise: the best gain of all 6 pairs is a small fraction of a real one
    assert gain < planted / 10


def test_best_grid_is_greedy_up_to_three_by_three() -> None:
    rng = np.random.default_rng(3)
    H = rng.uniform(5, 10, size=(6, 5))
    effect = np.zeros((6, 5))
    effect[:2, :2] = 1.0
    effect[4:, 3:] = -1.0
    G = effect * H
    gain, rows, cols = best_grid(G, H, 3, 3)
    assert rows == (0, 2, 4)
    assert cols == (0, 2, 3)
    assert gain > best_grid(G, H, 2, 2)[0] > 0


def test_cell_codes_put_rows_off_the_bins_in_the_last_cell() -> None:
    ba = BinnedCharacteristic("a", "numeric", edges=(1.0, 2.0, 3.0), special_values=(-1.0,))
    bb = BinnedCharacteristic("b", "categorical", groups=(("x",), ("y",)))
    spec = PairSpec("a", "b", rows=(0, 2), cols=(0, 1), gain=1.0)
    codes_a = np.array([0, 1, 2, 3, 4, 5, 0, 1])  # bins 0-3, missing, special
    codes_b = np.array([0, 1, 0, 1, 0, 1, 2, 3])  # groups 0-1, missing, other
    assert cell_codes(spec, ba, bb, codes_a, codes_b).tolist() == [0, 1, 2, 3, 4, 4, 4, 4]


def test_pair_dict_merges_equal_neighbours_and_keeps_counts() -> None:
    ba = BinnedCharacteristic("a", "numeric", edges=(1.0, 2.0, 3.0))
    bb = BinnedCharacteristic("k", "categorical", groups=(("p",), ("q", "r"), ("s",)))
    spec = PairSpec("a", "k", rows=(0, 1, 3), cols=(0, 1, 2), gain=2.5)
    codes = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 4])
    y = np.array([1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1], dtype=np.float64)
    # rows 0 and 1 equal: one row; columns 1 and 2 equal in every row: one column
    points = np.array([5, 0, 0, 5, 0, 0, -7, 3, 3, 0])
    fp = FittedPair(spec, np.zeros(10), codes)
    specs = {
        "a": {"dimension": "pay", "improve": "Pay on time", "reason": ""},
        "k": {"dimension": "kind", "improve": "", "reason": ""},
    }
    d = pair_dict(fp, points, y, {"a": ba, "k": bb}, specs, "PAX01")
    assert d["axes"] == [{"edges": [3.0]}, {"groups": [["p"], ["q", "r", "s"]]}]
    assert [c["points"] for c in d["cells"]] == [5, 0, -7, 3]
    assert [c["n"] for c in d["cells"]] == [2, 5, 1, 2]
    assert [c["n_event"] for c in d["cells"]] == [2, 2, 0, 1]
    assert d["otherwise"] == {"points": 0, "n": 2, "n_event": 1}
    assert d["dimension"] == "pay"
    assert d["reason"] == "Combination of a and k"
    assert d["improve"] == "Pay on time"


# -- the joint fit ---------------------------------------------------------------------------------
def test_fused_cells_are_free_levels_with_the_last_fixed_at_zero() -> None:
    rng = np.random.default_rng(5)
    n = 20_000
    cells = rng.integers(0, 4, size=n)
    truth = np.array([0.0, 0.8, -0.6, 0.0])
    y = (rng.random(n) < 1 / (1 + np.exp(-(-1.0 + truth[cells])))).astype(np.float64)
    codes = cells[:, None].astype(np.int32)
    lay = FusedLayout(4, 0, cells=True)
    _, (t,) = fit_fused(codes, [lay], y, lam=5.0)
    assert t[3] == 0.0
    np.testing.assert_allclose(t[:3] - t[0], truth[:3] - truth[0], atol=0.15)
    assert t[1] > 0.5
    assert t[2] < -0.3
    _, (flat,) = fit_fused(codes, [lay], y, lam=5.0, lam_cells=1e5)
    assert np.all(flat == 0.0)  # a large penalty shrinks every cell to exactly 0


# -- the estimator ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def planted() -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]:
    X, y, _ = _problem(6000, 1, planted=1.5)
    Xh, yh, _ = _problem(6000, 2, planted=1.5)
    return X, y, Xh, yh


@pytest.fixture(scope="module")
def paired(planted: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]) -> Scorecard:
    X, y, _, _ = planted
    return Scorecard(method="fused", interactions=2, random_state=0).fit(X, y)


def test_a_fit_with_pairs_is_an_artifact_every_scorer_reads(
    planted: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray], paired: Scorecard
) -> None:
    X, y, Xh, yh = planted
    art = paired.artifact_
    p = art.interactions[0]
    assert p.inputs == ("a", "b")
    assert p.shape[0] <= 3
    assert p.shape[1] <= 3
    assert any(c.points != 0 for c in p.cells)
    # the pair's worst outcome earns 0 and the others more: off the grid (either input
    # missing, special or other) it earns what the fit's neutral 0 log-odds is worth
    assert min(c.points for c in p.outcomes) == 0
    assert p.otherwise.points > 0
    assert p.reason_code == "OVX01"
    assert "a" in p.reason
    assert "b" in p.reason
    assert sum(c.stats["n"] for c in p.outcomes) == len(y)
    lo, hi = art.score_range
    assert 0 <= lo <= hi <= 1000
    # the estimator's score is the reference scorer's, cells included
    table = pa.Table.from_pandas(Xh)
    ref = reference_table(art, table)
    assert paired.score_points(Xh).tolist() == ref["score"].to_pylist()
    back = Scorecard.from_artifact(ScorecardArtifact.from_json(art.to_json()))
    assert np.array_equal(back.score_points(Xh), paired.score_points(Xh))
    # the pair's code is among the reasons where its cell loses points
    codes = {r for row in paired.reasons(Xh) for r in row}
    assert p.reason_code in codes
    # and the pairs pay: better than the same fit without them on fresh rows
    plain = Scorecard(method="fused", random_state=0).fit(X, y)
    auc_pairs = roc_auc_score(yh, paired.predict_proba(Xh)[:, 1])
    auc_plain = roc_auc_score(yh, plain.predict_proba(Xh)[:, 1])
    assert auc_pairs > auc_plain + 0.005


def test_the_model_card_lists_the_pairs(
    planted: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray], paired: Scorecard
) -> None:
    X, y, _, _ = planted
    card: dict[str, Any] = dict(paired.artifact_.model_card)
    sec = card["interactions"]
    assert sec["requested"] == 2
    assert sec["taken"] is True
    assert "no cross-validation" in sec["how"]
    first = sec["pairs"][0]
    p = paired.artifact_.interactions[0]
    assert first["inputs"] == ["a", "b"]
    assert first["axes"] == [ax.to_dict() for ax in p.axes]
    assert [x for row in first["points"] for x in row] == [c.points for c in p.cells]
    assert first["screen_gain"] > 0
    assert card["estimator"]["params"]["interactions"] == 2
    # the training metrics count the cells: the card's AUC is the scores' AUC
    auc = roc_auc_score(y, -paired.score_points(X))
    assert card["metrics"]["auc"]["value"] == pytest.approx(auc, abs=1e-12)


def test_auto_takes_pairs_where_they_win_and_not_where_they_do_not() -> None:
    # a strong interaction: the cross-validation's gate (gain > its SE and 0.001) is strict
    X, y, _ = _problem(6000, 1, planted=2.5)
    sc = Scorecard(interactions="auto", random_state=0).fit(X, y)
    sec = sc.artifact_.model_card["interactions"]
    assert sc.artifact_.interactions
    assert sec["taken"] is True
    assert "taken, as its mean paired gain" in sec["how"]
    assert "pairs" in sc.artifact_.model_card["estimator"]["params"]["method_choice"]["cv_auc"]
    Xa, ya, _ = _problem(6000, 1, planted=0.0)
    sc = Scorecard(interactions="auto", random_state=0).fit(Xa, ya)
    sec = sc.artifact_.model_card["interactions"]
    assert sc.artifact_.interactions == ()
    assert sec["taken"] is False
    assert "not taken" in sec["how"]


def test_auto_is_not_tried_outside_the_cross_validation() -> None:
    X, y, _ = _problem(3000, 1, planted=1.5)
    sc = Scorecard(method="fused", interactions="auto").fit(X, y)
    assert sc.artifact_.interactions == ()
    assert sc.artifact_.model_card["interactions"]["how"].startswith("not tried")
    # the default is "auto": not tried outside the cross-validation either
    sc = Scorecard(method="fused").fit(X, y)
    assert sc.interactions == "auto"
    assert sc.artifact_.interactions == ()
    assert sc.artifact_.model_card["interactions"]["how"].startswith("not tried")
    # 0 asks for none, and the card says nothing of them
    sc = Scorecard(method="fused", interactions=0).fit(X, y)
    assert sc.artifact_.interactions == ()
    assert "interactions" not in sc.artifact_.model_card


def test_a_declared_trend_or_edited_bins_keep_a_characteristic_out_of_pairs() -> None:
    X, y, _ = _problem(6000, 1, planted=1.5)
    sc = Scorecard(method="fused", interactions=3, monotonic_trend={"a": "ascending"}).fit(X, y)
    assert all("a" not in p.inputs for p in sc.artifact_.interactions)
    free = Scorecard(method="fused", interactions=3).fit(X, y)
    assert any("a" in p.inputs for p in free.artifact_.interactions)
    d = free.artifact_.to_dict()
    for c in d["characteristics"]:
        if c["name"] == "b":
            c["edited"] = True
    edited = Scorecard(method="fused", interactions=3, fixed_bins=d).fit(X, y)
    assert all("b" not in p.inputs for p in edited.artifact_.interactions)


@pytest.mark.parametrize("bad", [-1, 33, 2.5, True, "yes", None])
def test_the_interactions_parameter_is_validated(bad: Any) -> None:
    X, y, _ = _problem(300, 0, planted=0.0)
    with pytest.raises(ModelError, match=r"The 'interactions' parameter of Scorecard must be"):
        Scorecard(interactions=bad).fit(X, y)


def test_pairs_need_the_fused_fit() -> None:
    X, y, _ = _problem(300, 0, planted=0.0)
    with pytest.raises(ModelError, match="needs the fused fit"):
        Scorecard(method="woe", interactions=2).fit(X, y)
    assert Scorecard(method="woe", interactions="auto").fit(X, y).artifact_.interactions == ()


def test_the_model_report_shows_the_pairs(
    planted: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray], paired: Scorecard
) -> None:
    from trustscore.reports import model_report

    _, _, Xh, _ = planted
    art = paired.artifact_
    scores = reference_table(art, pa.Table.from_pandas(Xh))
    scores = scores.append_column("subject_id", pa.array([str(i) for i in range(len(Xh))]))
    html = model_report(artifact=art, scores=scores)
    p = art.interactions[0]
    assert f"{p.name} <span" in html
    assert f"interaction of {p.inputs[0]} and {p.inputs[1]}" in html
    la, lb = p.axes[0].labels(), p.axes[1].labels()
    cell = f"{p.inputs[0]}: {la[-1]}; {p.inputs[1]}: {lb[-1]}".replace(">", "&gt;")
    assert cell in html
    statement = html_escape(art.reason_text(p.reason_code)[0], quote=False)
    assert f"<td>{p.reason_code}</td><td>{statement}</td>" in html  # among the reasons
