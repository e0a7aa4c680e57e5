"""Refusals beyond names: a renamed prohibited column is caught by lineage or the proxy screen.

The prohibited columns here carry a protected attribute under neutral names: ``x1``, minutes
a day on sites of a kind (browsing history); ``col_b``, the topic searched most (web queries);
``f_07``, a favourite among 150 brands (a preference). The innocent columns measure conduct and
are drawn independently of the attribute.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from trustscore.exceptions import ModelError, ProhibitedInputError, ProxyWarning, SchemaError
from trustscore.model import Scorecard
from trustscore.model._proxy import MIN_GROUP_ROWS, PROXY_THRESHOLD, proxy_screen

N = 3000
PROXIES = {
    "x1": ["clickstream.minutes_on_site"],
    "col_b": ["web_search.query_text"],
    "f_07": ["survey_preferences.favourite_brand"],
}
INNOCENT = ["on_time_rate", "utilisation", "OWN_CAR_AGE"]


def _data(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    g = rng.choice(["a", "b", "c"], size=N, p=[0.5, 0.3, 0.2])
    b, c = g == "b", g == "c"
    browsing = rng.poisson(20 + 25 * b - 10 * c).astype(np.float64)
    topics = np.array(["news", "sport", "recipes", "games", "prayer times"])
    p_topic = np.where(b[:, None], [0.1, 0.1, 0.2, 0.2, 0.4], [0.3, 0.3, 0.2, 0.15, 0.05])
    query = topics[(rng.random(N)[:, None] > np.cumsum(p_topic, axis=1)).sum(axis=1)]
    brand_b = rng.integers(0, 50, N)  # group b favours the first 50 of 150 brands
    brand_other = rng.integers(40, 150, N)
    brand = np.where(b, brand_b, brand_other).astype(str)
    on_time = rng.random(N)
    util = rng.random(N)
    car_age = rng.integers(0, 20, N).astype(np.float64)
    logit = -1.0 - 2.5 * on_time + 1.5 * util + 0.02 * browsing
    y = (rng.random(N) < 1 / (1 + np.exp(-logit))).astype(int)
    X = pd.DataFrame(
        {
            "x1": browsing,
            "col_b": query,
            "f_07": pd.Series(["brand_" + v for v in brand], dtype=object),
            "on_time_rate": on_time,
            "utilisation": util,
            "OWN_CAR_AGE": car_age,
        }
    )
    return X, y, pd.DataFrame({"ethnicity": g})


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    return _data()


def _model(**kw: object) -> Scorecard:
    return Scorecard(method="woe", interactions=0, random_state=0, **kw)  # type: ignore[arg-type]


def test_the_proxy_screen_flags_renamed_columns_and_not_innocent_ones(
    data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame],
) -> None:
    X, y, prot = data
    with pytest.warns(ProxyWarning) as record:
        sc = _model().fit(X, y, protected=prot)
    warned = {str(w.message).split("'")[1] for w in record}
    assert warned == set(PROXIES)
    for w in record:
        assert "'ethnicity'" in str(w.message)
        assert "AUC 0." in str(w.message)
    screen = sc.artifact_.model_card["proxy_screen"]
    assert screen["threshold"] == PROXY_THRESHOLD
    assert sorted(screen["flagged"]) == sorted(PROXIES)
    rows = {c["name"]: c for c in screen["characteristics"]}
    assert set(rows) == set(X.columns)  # every characteristic is listed with its AUC
    for name in PROXIES:
        assert rows[name]["auc"] >= PROXY_THRESHOLD
        assert rows[name]["attribute"] == "ethnicity"
        assert rows[name]["flagged"] is True
    for name in INNOCENT:
        assert rows[name]["auc"] < 0.56
        assert rows[name]["flagged"] is False
    # the group a browsing column tells apart best is the one it was drawn for
    assert rows["x1"]["group"] == "b"
    assert rows["on_time_rate"]["selected"] is True


def test_refuse_proxies_refuses_with_the_column_and_auc(
    data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame],
) -> None:
    X, y, prot = data
    with pytest.raises(ProhibitedInputError, match="'x1' predicts the protected") as info:
        _model(refuse_proxies=True).fit(X, y, protected=prot)
    assert info.value.context["field"] == "x1"
    assert info.value.context["attribute"] == "ethnicity"
    assert info.value.context["auc"] >= PROXY_THRESHOLD


def test_innocent_columns_train_without_a_warning(
    data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame],
) -> None:
    X, y, prot = data
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProxyWarning)
        sc = _model().fit(X[INNOCENT], y, protected=prot)
    assert sc.artifact_.model_card["proxy_screen"]["flagged"] == []


def test_the_threshold_is_a_parameter(data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame]) -> None:
    X, y, prot = data
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProxyWarning)
        sc = _model(proxy_threshold=1.0).fit(X, y, protected=prot)
    assert sc.artifact_.model_card["proxy_screen"]["flagged"] == []
    with pytest.raises(ModelError, match=r"'proxy_threshold' parameter of Scorecard must be"):
        _model(proxy_threshold=0.4).fit(X, y)


@pytest.mark.parametrize(("column", "lineage"), sorted(PROXIES.items()))
def test_a_renamed_prohibited_column_is_caught_by_lineage_or_the_proxy_screen(
    data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame], column: str, lineage: list[str]
) -> None:
    """The acceptance test: the name passes, the lineage is refused, the screen flags it."""
    X, y, prot = data
    one = X[[column, "on_time_rate", "utilisation"]]
    _model().fit(one.iloc[:400], y[:400])  # the name screen lets it through
    declared = {column: lineage, "on_time_rate": ["obligation.due_date", "obligation.paid_date"]}
    with pytest.raises(ProhibitedInputError) as info:
        _model().fit(one, y, lineage=declared)
    assert info.value.context["field"] == column
    assert info.value.context["source"] == lineage[0]
    assert info.value.context["category"] == "browsing, web queries or preferences"
    with pytest.raises(ProhibitedInputError, match=f"{column!r} predicts"):
        _model(refuse_proxies=True).fit(one, y, protected=prot)


def test_lineage_is_checked_and_recorded(
    data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame],
) -> None:
    X, y, _ = data
    X2 = X[INNOCENT]
    lineage = {"on_time_rate": ["obligation.due_date", "obligation.paid_date"]}
    sc = _model().fit(X2, y, lineage=lineage)
    assert sc.artifact_.model_card["lineage"] == {
        "declared": lineage,
        "undeclared": ["utilisation", "OWN_CAR_AGE"],
    }
    with pytest.raises(SchemaError, match="has no field 'limit'"):
        _model().fit(X2, y, lineage={"utilisation": ["tradeline.limit"]})
    with pytest.raises(SchemaError, match="not a column"):
        _model().fit(X2, y, lineage={"utilization": ["tradeline.balance"]})
    with pytest.raises(ProhibitedInputError, match="held apart"):
        _model().fit(X2, y, lineage={"OWN_CAR_AGE": ["protected.group"]})


def test_multi_level_and_numeric_attributes() -> None:
    rng = np.random.default_rng(3)
    n = 4000
    age = rng.integers(18, 80, n).astype(np.float64)
    group = rng.choice(["p", "q", "r", "s"], size=n)
    X = pd.DataFrame(
        {
            "years_at_job": np.clip(age - 18 - rng.integers(0, 10, n), 0, None),
            "tenure_code": np.where(group == "s", "long", rng.choice(["short", "long"], n)),
            "row_id": np.arange(n).astype(str),  # one level per row: no signal, not a proxy
        }
    )
    prot = pd.DataFrame({"age": age, "group": group})
    kinds = {"years_at_job": "numeric", "tenure_code": "categorical", "row_id": "categorical"}
    s = proxy_screen(X, kinds, prot, threshold=0.6, seed=0)
    assert s["attributes"]["age"]["groups"] == "numeric attribute cut at its quartiles"
    assert len(s["attributes"]["age"]["screened"]) == 4
    assert s["attributes"]["group"] == {
        "groups": "each value a group",
        "screened": ["p", "q", "r", "s"],
        "min_group_rows": MIN_GROUP_ROWS,
    }
    rows = {c["name"]: c for c in s["characteristics"]}
    assert rows["years_at_job"]["attribute"] == "age"
    assert rows["years_at_job"]["auc"] > 0.8
    assert rows["tenure_code"]["by_attribute"]["group"]["group"] == "s"
    assert rows["tenure_code"]["flagged"] is True
    assert rows["row_id"]["auc"] < 0.55
    assert s["flagged"] == ["years_at_job", "tenure_code"]


def test_groups_too_small_are_not_screened() -> None:
    rng = np.random.default_rng(1)
    n = 500
    group = np.where(np.arange(n) < MIN_GROUP_ROWS - 1, "tiny", "big")
    X = pd.DataFrame({"v": (group == "tiny").astype(float) + rng.normal(0, 0.01, n)})
    s = proxy_screen(X, {"v": "numeric"}, pd.DataFrame({"g": group}), threshold=0.6, seed=0)
    assert s["characteristics"][0]["auc"] is None
    assert s["attributes"]["g"]["screened"] == []
    assert s["flagged"] == []
