"""The search for a less discriminatory alternative: frontier, choice, evidence, refusals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from trustscore.exceptions import ModelError, ProhibitedInputError
from trustscore.model import (
    EVIDENCE_KEY,
    Scorecard,
    SearchResult,
    pareto_front,
    search_less_discriminatory,
)
from trustscore.model._search import _split
from trustscore.model._shrink import cap_factors, shrink_points, spreads
from trustscore.monitoring import roc_auc
from trustscore.scoring import ScorecardArtifact
from trustscore.scoring._artifact import example_artifact_dict

N = 3000
# the WoE method: no cross-validation, so each of the family's fits takes a fraction of a second
BASE = {"method": "woe", "interactions": 0}


def _data(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray[Any, Any], pd.Series]:
    """Risk from 'a' and 'b'; 'p' mostly says the group and adds a little to the risk."""
    rng = np.random.default_rng(seed)
    g = np.where(rng.random(N) < 0.4, "B", "A")
    a, b = rng.normal(size=N), rng.normal(size=N)
    p = (g == "B") * 1.5 + rng.normal(size=N)
    logit = -1.2 + 1.1 * a + 0.8 * b + 0.12 * p
    y = (rng.random(N) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    X = pd.DataFrame({"a": a, "b": b, "p": p})
    return X, y, pd.Series(g, name="group")


@pytest.fixture(scope="module")
def searched() -> SearchResult:
    X, y, g = _data()
    return search_less_discriminatory(X, y, g, base_params=BASE, cutoffs=(500, 600), seed=3)


def _measured(r: SearchResult) -> list[dict[str, Any]]:
    return [a for a in r.alternatives if "failed" not in a]


@pytest.mark.slow
def test_the_strongest_proxy_is_the_group_carrier_and_the_family_works_on_it(
    searched: SearchResult,
) -> None:
    assert searched.target_group == "B"  # the group the default treats worst
    assert searched.proxies[0]["name"] == "p"
    assert searched.proxies[0]["auc"] > 0.75
    names = [a["name"] for a in searched.alternatives]
    assert names[0] == "default"
    assert {"drop:p", "shrink:p:0.5", "bins:3"} <= set(names)
    assert {a["family"] for a in searched.alternatives} >= {"default", "subset", "binning",
                                                            "penalty"}  # fmt: skip


@pytest.mark.slow
def test_the_frontier_is_the_pareto_set_of_auc_and_air(searched: SearchResult) -> None:
    rows = _measured(searched)

    def beats(q: dict[str, Any], r: dict[str, Any]) -> bool:
        return (q["auc"] >= r["auc"] and q["air_median"] >= r["air_median"]) and (
            q["auc"] > r["auc"] or q["air_median"] > r["air_median"]
        )

    expected = {r["name"] for r in rows if not any(beats(q, r) for q in rows)}
    assert set(searched.frontier) == expected
    assert all(r["on_frontier"] == (r["name"] in expected) for r in rows)
    aucs = [searched.alternative(n)["auc"] for n in searched.frontier]
    assert aucs == sorted(aucs, reverse=True)


@pytest.mark.slow
def test_the_chosen_card_is_within_the_loss_and_has_the_highest_air_among_those(
    searched: SearchResult,
) -> None:
    rows = _measured(searched)
    default = searched.alternative("default")
    within = [r for r in rows if default["auc"] - r["auc"] <= 0.005 + 1e-12]
    assert searched.chosen is not None
    chosen = searched.alternative(searched.chosen)
    assert chosen["within_loss"]
    assert chosen["auc_loss"] <= 0.005
    assert chosen["air_median"] == max(r["air_median"] for r in within)
    assert chosen["air_median"] > default["air_median"]
    # what it changed is the proxy: left out, or its points shrunk
    assert "p" in chosen.get("drop", []) or "p" in chosen.get("shrink", {})
    assert searched.why.startswith(searched.chosen)


@pytest.mark.slow
def test_the_figures_are_the_default_cards_own_on_the_held_out_rows(
    searched: SearchResult,
) -> None:
    X, y, g = _data()
    _, ho = _split(y.astype(np.float64), 0.3, None, 3)  # the search's split for seed 3
    scores = Scorecard.from_artifact(searched.artifacts["default"]).score_points(X.iloc[ho])
    gh, yh = g.to_numpy()[ho], y[ho]
    median = float(np.median(scores))
    rate = {k: float((scores[gh == k] >= median).mean()) for k in ("A", "B")}
    d = searched.alternative("default")
    assert d["median_score"] == median
    assert d["air_median"] == rate["B"] / max(rate.values())
    assert d["auc"] == roc_auc(yh, -scores.astype(np.float64))
    assert searched.settings["n_holdout"] == ho.size


@pytest.mark.slow
def test_the_same_seed_gives_the_same_frontier_and_another_seed_another_split() -> None:
    X, y, g = _data(1)
    kw: dict[str, Any] = {"base_params": BASE, "cutoffs": (600,), "max_rows": 1000}
    r1 = search_less_discriminatory(X, y, g, seed=5, **kw)
    r2 = search_less_discriminatory(X, y, g, seed=5, **kw)
    assert r1.to_dict() == r2.to_dict()
    assert r1.settings["n_train"] + r1.settings["n_holdout"] == 1000
    r3 = search_less_discriminatory(X, y, g, seed=6, **kw)
    assert r3.alternative("default")["auc"] != r1.alternative("default")["auc"]


@pytest.mark.slow
def test_the_chosen_artifact_carries_the_evidence(searched: SearchResult) -> None:
    art = searched.chosen_artifact()
    again = ScorecardArtifact.from_json(art.to_json())  # the hash verifies
    ev = again.model_card[EVIDENCE_KEY]
    assert ev["found"] is True
    assert ev["chosen"] == searched.chosen
    assert ev["choice"]["name"] == searched.chosen
    assert ev["default"]["auc"] == searched.alternative("default")["auc"]
    assert [f["name"] for f in ev["frontier"]] == searched.frontier
    assert len(ev["family"]) == len(searched.alternatives)
    assert ev["why"] == searched.why
    assert ev["default_model_version"] == searched.artifacts["default"].model_version
    assert again.model_version == searched.artifacts[searched.chosen or ""].model_version


def test_the_protected_attribute_is_refused_as_an_input() -> None:
    X, y, g = _data()
    with pytest.raises(ProhibitedInputError, match="group"):
        search_less_discriminatory(X.assign(group=g), y, g, base_params=BASE)
    with pytest.raises(ProhibitedInputError, match="ethnicity"):
        search_less_discriminatory(X.assign(ethnicity=1.0), y, g.rename("sex"), base_params=BASE)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_auc_loss": -0.1}, "max_auc_loss must be a number in"),
        ({"target_group": "C"}, "target_group 'C' is not a group"),
        ({"base_params": {"bins": 3}}, "not parameters of Scorecard"),
        ({"holdout": 0.99}, "holdout must be a share"),
    ],
)
def test_bad_settings_get_a_clear_error(kwargs: dict[str, Any], match: str) -> None:
    X, y, g = _data()
    kw: dict[str, Any] = {"base_params": BASE, "max_rows": 600, **kwargs}
    with pytest.raises(ModelError, match=match):
        search_less_discriminatory(X, y, g, **kw)


def test_bad_groups_get_a_clear_error() -> None:
    X, y, g = _data()
    with pytest.raises(ModelError, match="one group only"):
        search_less_discriminatory(X, y, pd.Series(["A"] * N, name="group"), base_params=BASE)
    holed = g.copy().astype(object)
    holed.iloc[7] = None
    with pytest.raises(ModelError, match="missing in row 7"):
        search_less_discriminatory(X, y, holed, base_params=BASE)


def _row(name: str, auc: float, air: float) -> dict[str, Any]:
    return {"name": name, "family": "x", "description": name, "auc": auc, "air_median": air}


def _build(rows: list[dict[str, Any]], loss: float = 0.005) -> SearchResult:
    return SearchResult.build(
        rows, {}, attribute="group", target_group="B", max_auc_loss=loss, settings={},
        proxies=[], warnings=[],
    )  # fmt: skip


def test_the_choice_takes_the_highest_air_within_the_loss_bound_included() -> None:
    r = _build(
        [
            _row("default", 0.800, 0.70),
            _row("close", 0.7975, 0.78),
            _row("at_bound", 0.795, 0.80),
            _row("too_costly", 0.790, 0.95),
            _row("worse", 0.799, 0.60),
        ]
    )
    assert r.chosen == "at_bound"
    assert r.alternative("too_costly")["within_loss"] is False
    assert r.frontier == ["default", "close", "at_bound", "too_costly"]


def test_none_found_when_no_card_within_the_loss_beats_the_default() -> None:
    r = _build([_row("default", 0.80, 0.9), _row("b", 0.801, 0.85), _row("c", 0.70, 1.0)])
    assert r.chosen is None
    assert r.why.startswith("None found in the family searched")
    assert r.frontier == ["b", "default", "c"]


def test_pareto_front_keeps_ties_and_drops_the_dominated() -> None:
    pts = [("a", 0.8, 0.7), ("b", 0.8, 0.7), ("c", 0.79, 0.7), ("d", 0.7, 0.9)]
    assert pareto_front(pts) == ["a", "b", "d"]


def test_shrinking_keeps_the_shape_the_range_and_a_valid_artifact() -> None:
    d = example_artifact_dict()
    for alpha in (1.0, 0.6, 0.0):
        out = shrink_points(d, {"on_time_rate": alpha})
        art = ScorecardArtifact.from_dict(out)  # hash renewed, direction still holds
        pts = [b.points for b in art.characteristics[0].bins]
        old = [b["points"] for b in d["characteristics"][0]["bins"]]
        assert min(old) <= min(pts)
        assert max(pts) <= max(old)
        assert pts == sorted(pts)  # still rising as the original
        if alpha == 1.0:
            assert pts == old
        if alpha == 0.0:
            assert len(set(pts)) == 1
    assert spreads(shrink_points(d, {"card_kind": 0.5}))["card_kind"] == 40
    assert cap_factors(d, 1.0) == {}
    with pytest.raises(ModelError, match="not characteristics"):
        shrink_points(d, {"nope": 0.5})
    with pytest.raises(ModelError, match=r"must be in \[0, 1\]"):
        shrink_points(d, {"card_kind": 1.5})
