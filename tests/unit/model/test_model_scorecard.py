"""The Scorecard estimator: fit, artifact, scoring, safeguards, sklearn compatibility."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from trustscore.exceptions import DataQualityWarning, ModelError, ProhibitedInputError
from trustscore.model import Scorecard
from trustscore.scoring._artifact import ScorecardArtifact

N = 3000


def _synthetic(n: int, seed: int) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    on_time = rng.random(n)
    util = rng.random(n)
    kind = rng.choice(["card", "loan", "none", "mortgage"], size=n, p=[0.4, 0.3, 0.2, 0.1])
    noise = rng.normal(size=n)
    logit = (
        -0.5
        - 3.0 * on_time
        + 2.0 * util
        + pd.Series(kind).map({"card": 0.0, "loan": 0.3, "none": 0.9, "mortgage": -0.8}).to_numpy()
    )
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    util[rng.random(n) < 0.05] = np.nan
    X = pd.DataFrame(
        {"on_time_rate": on_time, "utilisation": util, "card_kind": kind, "noise": noise}
    )
    group = pd.DataFrame({"group": rng.choice(["a", "b"], size=n)})
    return X, pd.Series(y, name="bad"), group


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    return _synthetic(N, 0)


@pytest.fixture(scope="module")
def fitted(data: tuple[pd.DataFrame, pd.Series, pd.DataFrame]) -> Scorecard:
    X, y, group = data
    Xh, yh, gh = _synthetic(1500, 1)
    return Scorecard(max_n_bins=6, random_state=0).fit(
        X, y, protected=group, eval_set=(Xh, yh, gh), data_window=("2025-01-01", "2025-12-31")
    )


def test_bins_follow_the_known_relation(fitted: Scorecard) -> None:
    art = fitted.artifact_
    on_time = art.characteristic("on_time_rate")
    util = art.characteristic("utilisation")
    assert on_time.extra["trend"] == "descending"  # more on time, fewer bads
    assert util.extra["trend"] == "ascending"
    assert np.all(np.diff([b.points for b in on_time.bins]) > 0)
    assert np.all(np.diff([b.points for b in util.bins]) < 0)
    woe = [b.stats["woe"] for b in util.bins]
    assert np.all(np.diff(woe) < 0)
    kind = art.characteristic("card_kind")
    by_cat = {c: b.points for b in kind.bins for c in b.categories}
    assert by_cat["mortgage"] > by_cat["card"] > by_cat["none"]
    assert kind.other is not None
    assert kind.other.stats["woe"] == 0.0
    # the noise column carries no information and is not selected
    assert "noise" not in [c.name for c in art.characteristics]
    assert fitted.iv_["noise"] < 0.02


def test_every_bin_holds_min_bin_size(fitted: Scorecard) -> None:
    for c in fitted.artifact_.characteristics:
        assert all(b.stats["n"] >= 0.05 * N for b in c.bins)
        assert len(c.bins) <= 6


def test_points_scale_and_range(fitted: Scorecard) -> None:
    # the default spreads the attainable scores over the scale: worst 0, best in [950, 1000]
    art = fitted.artifact_
    lo, hi = art.score_range
    assert lo == 0
    assert 950 <= hi <= 1000
    assert all(c.worst_points == 0 for c in art.elements)
    s = art.scaling
    assert s["method"] == "spread"
    assert s["pdo"] == pytest.approx(s["score_factor"] * np.log(2.0))
    # the derived anchor is on the recorded scale: score 500 has the recorded odds
    assert s["anchor_score"] == 500
    assert np.log(s["anchor_odds"]) == pytest.approx((500 - s["score_offset"]) / s["score_factor"])


def test_predict_proba_is_the_score_on_the_odds_scale(
    fitted: Scorecard, data: tuple[pd.DataFrame, pd.Series, pd.DataFrame]
) -> None:
    X, y, _ = data
    score = fitted.score_points(X)
    p = fitted.predict_proba(X)
    s = fitted.artifact_.scaling
    ln_odds = (score - s["score_offset"]) / s["score_factor"]
    np.testing.assert_allclose(p[:, 1], 1.0 / (1.0 + np.exp(ln_odds)))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert roc_auc_score(y, p[:, 1]) == pytest.approx(roc_auc_score(y, -score))
    # calibrated in the large: mean predicted bad rate near the observed one
    assert abs(p[:, 1].mean() - y.mean()) < 0.02
    np.testing.assert_array_equal(fitted.predict(X), (p[:, 1] >= 0.5).astype(int))


def test_auc_close_to_plain_logistic_regression(
    data: tuple[pd.DataFrame, pd.Series, pd.DataFrame], fitted: Scorecard
) -> None:
    X, y, _ = data
    Xh, yh, _ = _synthetic(1500, 1)

    def design(df: pd.DataFrame) -> np.ndarray:
        kinds = pd.get_dummies(df["card_kind"]).reindex(
            columns=["card", "loan", "none", "mortgage"], fill_value=False
        )
        util = df["utilisation"].fillna(0.5)
        return np.column_stack([df["on_time_rate"], util, kinds.to_numpy(float)])

    lr = LogisticRegression(max_iter=1000).fit(design(X), y)
    auc_lr = roc_auc_score(yh, lr.predict_proba(design(Xh))[:, 1])
    auc_sc = roc_auc_score(yh, fitted.predict_proba(Xh)[:, 1])
    assert auc_sc > auc_lr - 0.015
    card_auc = fitted.artifact_.model_card["metrics"]["auc"]
    assert card_auc["value"] == pytest.approx(auc_sc)
    assert card_auc["ci_low"] < auc_sc < card_auc["ci_high"]


def test_model_card(fitted: Scorecard) -> None:
    card = fitted.artifact_.model_card
    assert card["n"] == N
    assert card["event_rate"] == pytest.approx(card["n_event"] / N)
    assert card["data_window"] == {"start": "2025-01-01", "end": "2025-12-31"}
    assert card["approved_purposes"] == ["credit_pricing", "credit_limit", "deposit_waiver"]
    assert card["metrics"]["source"] == "holdout"
    assert card["metrics"]["n"] == 1500
    assert sum(r["n"] for r in card["metrics"]["calibration"]) == 1500
    names = [r["name"] for r in card["iv_table"]]
    assert set(names) == {"on_time_rate", "utilisation", "card_kind", "noise"}
    ivs = [r["iv"] for r in card["iv_table"]]
    assert ivs == sorted(ivs, reverse=True)
    fairness = card["fairness"]
    assert fairness["source"] == "holdout"
    assert set(fairness["attributes"]["group"]["groups"]) == {"a", "b"}
    assert fitted.artifact_.model_version.startswith("scorecard-20251231-")


def test_training_metrics_say_so(data: tuple[pd.DataFrame, pd.Series, pd.DataFrame]) -> None:
    X, y, _ = data
    sc = Scorecard(max_n_bins=4).fit(X.iloc[:800], y.iloc[:800])
    metrics = sc.artifact_.model_card["metrics"]
    assert metrics["source"] == "training"
    assert "training data" in metrics["note"]
    assert "fairness" not in sc.artifact_.model_card


def test_json_round_trip_gives_identical_points(
    fitted: Scorecard, data: tuple[pd.DataFrame, pd.Series, pd.DataFrame]
) -> None:
    X, _, _ = data
    text = fitted.to_artifact().to_json()
    again = Scorecard.from_artifact(ScorecardArtifact.from_json(text))
    np.testing.assert_array_equal(again.score_points(X), fitted.score_points(X))
    np.testing.assert_array_equal(again.predict_proba(X), fitted.predict_proba(X))
    assert again.reasons(X.head(50)) == fitted.reasons(X.head(50))
    assert again.to_artifact() == fitted.to_artifact()


def test_model_version_is_deterministic(
    data: tuple[pd.DataFrame, pd.Series, pd.DataFrame],
) -> None:
    X, y, _ = data
    a = Scorecard(max_n_bins=4).fit(X, y, data_window=("2025-01-01", "2025-06-30"))
    b = Scorecard(max_n_bins=4).fit(X, y, data_window=("2025-01-01", "2025-06-30"))
    c = Scorecard(max_n_bins=5).fit(X, y, data_window=("2025-01-01", "2025-06-30"))
    assert a.artifact_.model_version == b.artifact_.model_version
    assert a.artifact_.model_version != c.artifact_.model_version
    renamed = a.to_artifact("v7")
    assert renamed.model_version == "v7"
    assert ScorecardArtifact.from_json(renamed.to_json()).model_version == "v7"


def test_reasons_are_the_largest_losses(
    fitted: Scorecard, data: tuple[pd.DataFrame, pd.Series, pd.DataFrame]
) -> None:
    X, _, _ = data
    art = fitted.artifact_
    best = {c.reason_code: c.best_points for c in art.characteristics}
    row = X.iloc[[0]]
    reasons = fitted.reasons(row)[0]
    assert 0 < len(reasons) <= 4
    from trustscore.scoring._reference import reference_points

    cols = {c: row[c].to_numpy() for c in art.input_columns}
    pts = reference_points(art, cols).points[0]
    lost = {
        c.reason_code: best[c.reason_code] - int(p)
        for c, p in zip(art.characteristics, pts, strict=True)
    }
    assert [lost[r] for r in reasons] == sorted((lost[r] for r in reasons), reverse=True)
    assert all(lost[r] > 0 for r in reasons)


def test_edge_inputs(fitted: Scorecard) -> None:
    art = fitted.artifact_
    util = art.characteristic("utilisation")
    kind = art.characteristic("card_kind")
    X = pd.DataFrame(
        {
            "on_time_rate": [np.nan, np.inf, -np.inf, 0.5],
            "utilisation": [np.nan, np.inf, -np.inf, 0.5],
            "card_kind": [None, "never-seen", "card", np.nan],
            "noise": [0.0, 0.0, 0.0, 0.0],
        }
    )
    r = fitted.score_points(X)
    assert r.shape == (4,)
    from trustscore.scoring._reference import reference_points

    pts = reference_points(art, {c: X[c].to_numpy() for c in art.input_columns}).points
    j_util = [c.name for c in art.characteristics].index("utilisation")
    j_kind = [c.name for c in art.characteristics].index("card_kind")
    assert pts[0, j_util] == util.missing.points
    assert pts[1, j_util] == util.bins[-1].points  # +inf: last bin
    assert pts[2, j_util] == util.bins[0].points  # -inf: first bin
    assert kind.other is not None
    assert pts[1, j_kind] == kind.other.points  # unseen level: neutral "other"
    assert pts[0, j_kind] == pts[3, j_kind] == kind.missing.points


def test_constant_and_all_missing_columns_are_dropped_with_a_warning(
    data: tuple[pd.DataFrame, pd.Series, pd.DataFrame],
) -> None:
    X, y, _ = data
    X2 = X.assign(const=7.0, empty=np.nan)
    with pytest.warns(DataQualityWarning) as record:
        sc = Scorecard(max_n_bins=4).fit(X2, y)
    messages = " ".join(str(w.message) for w in record)
    assert "'const' is constant" in messages
    assert "'empty' is missing in all" in messages
    assert {"const", "empty"}.isdisjoint(sc.bins_)


def test_missing_values_get_their_own_woe(
    data: tuple[pd.DataFrame, pd.Series, pd.DataFrame],
) -> None:
    X, y, _ = data
    X2 = X.copy()
    bad = y.to_numpy() == 1
    X2.loc[bad, "on_time_rate"] = np.where(
        np.random.default_rng(5).random(int(bad.sum())) < 0.3, np.nan, X2.loc[bad, "on_time_rate"]
    )
    sc = Scorecard(max_n_bins=4).fit(X2, y)
    c = sc.artifact_.characteristic("on_time_rate")
    assert c.missing.stats["n"] > 30
    assert c.missing.points == c.worst_points  # missing here means "bad"


def test_thin_missing_outcome_is_neutral(
    data: tuple[pd.DataFrame, pd.Series, pd.DataFrame],
) -> None:
    X, y, _ = data
    X2 = X.copy()
    X2.loc[:4, "on_time_rate"] = np.nan
    sc = Scorecard(max_n_bins=4).fit(X2, y)
    c = sc.artifact_.characteristic("on_time_rate")
    assert c.missing.stats["n"] == 5
    assert c.missing.stats["woe"] == 0.0


def test_special_codes_get_their_own_outcome(
    data: tuple[pd.DataFrame, pd.Series, pd.DataFrame],
) -> None:
    X, y, _ = data
    X2 = X.copy()
    X2.loc[y == 1, "on_time_rate"] = np.where(
        np.arange(int((y == 1).sum())) % 3 == 0, -1.0, X2.loc[y == 1, "on_time_rate"]
    )
    sc = Scorecard(max_n_bins=4, special_codes={"on_time_rate": [-1.0]}).fit(X2, y)
    c = sc.artifact_.characteristic("on_time_rate")
    assert [s.values for s in c.special] == [(-1.0,)]
    assert c.special[0].points == c.worst_points
    assert c.bins[0].upper is not None
    assert c.bins[0].upper > 0.0  # -1 did not shape the bins


def test_one_class_and_one_row_are_refused(
    data: tuple[pd.DataFrame, pd.Series, pd.DataFrame],
) -> None:
    X, _, _ = data
    with pytest.raises(ModelError, match="only one class"):
        Scorecard().fit(X.iloc[:50], np.zeros(50))
    with pytest.raises(ModelError, match="at least 2 rows"):
        Scorecard().fit(X.iloc[:1], [1])
    with pytest.raises(ModelError, match="row 3 holds 2"):
        Scorecard().fit(X.iloc[:5], [0, 1, 0, 2, 1])


@pytest.mark.parametrize("column", ["party_affiliation", "age", "religion", "friends_score"])
def test_prohibited_characteristic_is_refused(
    data: tuple[pd.DataFrame, pd.Series, pd.DataFrame], column: str
) -> None:
    X, y, _ = data
    with pytest.raises(ProhibitedInputError, match=repr(column)):
        Scorecard().fit(X.assign(**{column: 1.0}), y)


def test_protected_in_x_is_refused(data: tuple[pd.DataFrame, pd.Series, pd.DataFrame]) -> None:
    X, y, _ = data
    prot = pd.DataFrame({"noise": X["noise"]})
    with pytest.raises(ProhibitedInputError, match="held apart"):
        Scorecard().fit(X, y, protected=prot)


def test_parameter_validation_message(data: tuple[pd.DataFrame, pd.Series, pd.DataFrame]) -> None:
    X, y, _ = data
    assert len(X) == len(y)
    with pytest.raises(
        ModelError,
        match=r"^The 'scaling' parameter of Scorecard must be 'spread' or a dict \{'pdo': a "
        r"float > 0, 'anchor_score': a number in \[0, 1000\], 'anchor_odds': a float > 0\}\. "
        r"Got \{'pdo': -20, 'anchor_score': 600, 'anchor_odds': 20\} instead\.$",
    ):
        Scorecard(scaling={"pdo": -20, "anchor_score": 600, "anchor_odds": 20}).fit(X, y)
    with pytest.raises(ModelError, match=r"'scaling'.*Got 'pinned' instead"):
        Scorecard(scaling="pinned").fit(X, y)
    with pytest.raises(ModelError, match=r"'scaling'.*Got \{'pdo': 20\} instead"):
        Scorecard(scaling={"pdo": 20}).fit(X, y)
    with pytest.raises(ModelError, match="'monotonic_trend' parameter of Scorecard must be one"):
        Scorecard(monotonic_trend="upward").fit(X, y)
    with pytest.raises(ModelError, match=r"'max_n_bins'.*Got 1 instead"):
        Scorecard(max_n_bins=1).fit(X, y)


def test_never_approvable_purpose_is_refused(
    data: tuple[pd.DataFrame, pd.Series, pd.DataFrame],
) -> None:
    from trustscore.exceptions import NeverApprovablePurposeError

    X, y, _ = data
    with pytest.raises(NeverApprovablePurposeError, match="employment"):
        Scorecard(approved_purposes=["credit_pricing", "employment"]).fit(X, y)


def test_declared_characteristics_and_criteria(
    data: tuple[pd.DataFrame, pd.Series, pd.DataFrame],
) -> None:
    X, y, _ = data
    X2 = X.assign(months_history=np.where(np.arange(len(X)) % 10 == 0, 2.0, 24.0))
    chars = {
        "on_time_rate": {
            "dimension": "payment_reliability",
            "reason_code": "PR01",
            "reason": "Bills paid late",
            "improve": "Pay on time",
        },
        "utilisation": {"dimension": "credit_history"},
    }
    crit = [{"column": "months_history", "op": ">=", "value": 6, "text": "6 months"}]
    sc = Scorecard(characteristics=chars, criteria=crit).fit(X2, y)
    art = sc.artifact_
    assert [c.name for c in art.characteristics] == ["on_time_rate", "utilisation"]
    assert art.dimension_names == ("payment_reliability", "credit_history")
    assert art.characteristic("on_time_rate").reason == "Bills paid late"
    assert art.characteristic("utilisation").reason_code == "CR01"
    ok = sc.scorable(X2)
    np.testing.assert_array_equal(ok, X2["months_history"].to_numpy() >= 6)
    assert art.model_card["metrics"]["n_not_scorable"] == int((~ok).sum())
    assert len(sc.score_points(X2)) == len(X2)  # NS rows still get the model's points


def test_pyarrow_and_numpy_inputs(data: tuple[pd.DataFrame, pd.Series, pd.DataFrame]) -> None:
    X, y, _ = data
    num = X[["on_time_rate", "utilisation"]]
    a = Scorecard(max_n_bins=4).fit(pa.Table.from_pandas(num), y)
    b = Scorecard(max_n_bins=4).fit(num, y)
    np.testing.assert_array_equal(a.score_points(num), b.score_points(num))
    c = Scorecard(max_n_bins=4).fit(num.to_numpy(), y.to_numpy())
    assert [ch.name for ch in c.artifact_.characteristics] == ["x0", "x1"]


def test_bin_edits_survive_refit(
    fitted: Scorecard, data: tuple[pd.DataFrame, pd.Series, pd.DataFrame]
) -> None:
    X, y, _ = data
    d = json.loads(fitted.to_artifact().to_json())
    util = next(c for c in d["characteristics"] if c["name"] == "utilisation")
    util["bins"] = [
        {"upper": 0.25, "points": 1},
        {"upper": 0.5, "points": 2},
        {"upper": 0.75, "points": 3},
        {"upper": None, "points": 4},
    ]
    util["edited"] = True
    kind = next(c for c in d["characteristics"] if c["name"] == "card_kind")
    kind["bins"] = [
        {"categories": ["card", "loan", "mortgage"], "points": 0},
        {"categories": ["none"], "points": 0},
    ]
    kind["edited"] = True
    text = json.dumps(d)  # an expert's edit: the content hash no longer matches
    sc = Scorecard(max_n_bins=6, fixed_bins=json.loads(text)).fit(X, y)
    art = sc.artifact_
    new_util = art.characteristic("utilisation")
    assert new_util.edges == (0.25, 0.5, 0.75)
    assert new_util.extra["edited"] is True
    pts = [b.points for b in new_util.bins]
    assert pts != [1, 2, 3, 4]  # re-estimated
    assert pts == sorted(pts, reverse=True)
    new_kind = art.characteristic("card_kind")
    assert [b.categories for b in new_kind.bins] == [("card", "loan", "mortgage"), ("none",)]
    assert new_kind.extra["edited"] is True
    assert "edited" not in art.characteristic("on_time_rate").extra
    # and again: a refit on the refit artifact keeps them
    again = Scorecard(max_n_bins=6, fixed_bins=art).fit(X, y)
    assert again.artifact_.characteristic("utilisation").edges == (0.25, 0.5, 0.75)


def test_sklearn_clone_cross_validate_pipeline(
    data: tuple[pd.DataFrame, pd.Series, pd.DataFrame],
) -> None:
    X, y, _ = data
    est = Scorecard(max_n_bins=5, scaling={"pdo": 20.0, "anchor_score": 600, "anchor_odds": 20})
    twin = clone(est)
    assert twin.get_params() == est.get_params()
    assert not hasattr(twin, "artifact_")
    res = cross_validate(est, X, y, cv=3, scoring="roc_auc")
    assert res["test_score"].shape == (3,)
    assert res["test_score"].min() > 0.65
    pipe = Pipeline(
        [
            (
                "ratio",
                FunctionTransformer(
                    lambda df: df.assign(gap=df["utilisation"] - df["on_time_rate"])
                ),
            ),
            ("card", Scorecard(max_n_bins=5)),
        ]
    )
    pipe.fit(X, y)
    assert "gap" in [c.name for c in pipe[-1].artifact_.characteristics]
    assert pipe.predict_proba(X).shape == (len(X), 2)
    est.set_params(scaling="spread")
    assert est.scaling == "spread"
