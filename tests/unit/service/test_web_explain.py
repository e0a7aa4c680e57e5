"""The explanation the subject's page shows: the same points, score and reasons as the scorers.

``explain_row`` must agree with the compiled scorer (:func:`trustscore.scoring.score`) on every
row: the sum of its points is the score, its dimensions are the sub-scores and its reasons are the
score's reasons, in order; each reason's gap is the characteristic's baseline (its best bin)
minus the points the row earned, never below 0; and only a characteristic that lost points says
anything (a statement about one that did not could be untrue).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from trustscore.pipeline import explain_row
from trustscore.scoring import ScorecardArtifact, load_artifact, score
from trustscore.scoring._artifact import example_artifact_dict


@pytest.fixture(scope="module")
def art() -> ScorecardArtifact:
    return load_artifact(example_artifact_dict())


def _rows(n: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        rows.append(
            {
                "on_time_rate": None if rng.random() < 0.1 else float(rng.choice(
                    [-1.0, rng.uniform(0, 1), 0.8, 0.9])),
                "card_kind": rng.choice(["card", "none", "zzz", None]),  # type: ignore[arg-type]
                "months_history": None if rng.random() < 0.1 else float(rng.integers(0, 30)),
            }
        )  # fmt: skip
    return rows


def test_explanations_agree_with_the_compiled_scorer(art: ScorecardArtifact) -> None:
    rows = _rows(300, seed=7)
    scored = score(art, pa.Table.from_pylist(rows)).to_pylist()
    n_ok = 0
    for row, out in zip(rows, scored, strict=True):
        got = explain_row(art, row)
        assert (got["status"], got["score"]) == (out["status"], out["score"])
        reasons = [out[f"reason_{i}"] for i in range(1, 5) if out[f"reason_{i}"]]
        assert [r["reason_code"] for r in got["reasons"]] == reasons
        if out["status"] != "OK":
            assert got["characteristics"] == []
            assert all(d["points"] is None for d in got["dimensions"])
            assert not all(c["met"] for c in got["criteria"])
            continue
        n_ok += 1
        assert {d["name"]: d["points"] for d in got["dimensions"]} == {
            d: out[d] for d in art.dimension_names
        }
        assert sum(c["points"] for c in got["characteristics"]) == out["score"]
        for c in got["characteristics"]:
            spec = art.characteristic(c["name"])
            assert c["best_points"] == spec.baseline_points
            assert c["points_to_best"] == max(spec.baseline_points - c["points"], 0)
            missing = c["value"] is None or c["value"] == -1.0  # missing or special
            assert c["reason_code"] == (spec.missing_reason_code if missing else spec.reason_code)
            statement, improve = art.reason_text(c["reason_code"], row)
            assert c["improve"] == improve
            assert c["reason"] == (statement if c["points_to_best"] else None)
        gaps = [r["points_to_best"] for r in got["reasons"]]
        assert gaps == sorted(gaps, reverse=True)
        assert all(g > 0 for g in gaps)
        assert all(c["met"] for c in got["criteria"])
    assert 0 < n_ok < len(rows)  # both kinds of row were checked


def test_a_reason_says_how_far_the_subject_is_from_the_best(art: ScorecardArtifact) -> None:
    got = explain_row(art, {"on_time_rate": 0.5, "card_kind": "none", "months_history": 12})
    by_code = {r["reason_code"]: r for r in got["reasons"]}
    on_time = art.characteristic("on_time_rate")
    card = art.characteristic("card_kind")
    assert by_code[on_time.reason_code]["points_to_best"] == on_time.baseline_points - 35
    assert by_code[card.reason_code]["points_to_best"] == card.baseline_points - 10
    assert by_code[on_time.reason_code]["reason"] == "Bills paid after their due date"
    assert by_code[card.reason_code]["reason"] == (
        "Your card kind, 'none', is outside the range that scores best (card, loan)"
    )
    assert by_code[on_time.reason_code]["value"] == 0.5
    dims = {d["name"]: d for d in got["dimensions"]}
    for name, d in dims.items():
        members = [c for c in art.characteristics if c.dimension == name]
        assert d["max_points"] == sum(c.best_points for c in members)
        assert d["min_points"] == sum(c.worst_points for c in members)
    assert got["score_range"] == dict(zip(("min", "max"), art.score_range, strict=True))


def test_an_unscorable_subject_gets_the_criteria_not_a_number(art: ScorecardArtifact) -> None:
    got = explain_row(art, {"on_time_rate": 0.5, "card_kind": "none", "months_history": 3})
    assert (got["status"], got["score"], got["reasons"]) == ("NS", None, [])
    assert [(c["column"], c["met"]) for c in got["criteria"]] == [
        (c.column, False) for c in art.criteria
    ]
    assert got["criteria"][0]["text"] == art.criteria[0].text


def test_a_missing_value_is_null_not_nan(art: ScorecardArtifact) -> None:
    got = explain_row(art, {"on_time_rate": float("nan"), "card_kind": None, "months_history": 9})
    values = {c["name"]: c["value"] for c in got["characteristics"]}
    assert values == {"on_time_rate": None, "card_kind": None}
    missing = {c["name"]: c["points"] for c in got["characteristics"]}
    assert missing == {c.name: c.missing.points for c in art.characteristics}


def test_a_pair_scored_together_is_explained_with_both_values() -> None:
    import inspect

    if "interaction" not in inspect.signature(example_artifact_dict).parameters:
        pytest.skip("this trustscore's artifacts have no interactions yet")
    art = load_artifact(example_artifact_dict(interaction=True))  # type: ignore[call-arg]
    [pair] = art.interactions  # type: ignore[attr-defined]
    row = {"on_time_rate": 0.3, "card_kind": "none", "months_history": 12}
    got = explain_row(art, row)
    explained = {c["name"]: c for c in got["characteristics"]}
    assert list(explained) == [*(c.name for c in art.characteristics), pair.name]
    assert explained[pair.name]["value"] == {name: row[name] for name in pair.inputs}
    assert explained[pair.name]["best_points"] == pair.baseline_points
    assert got["score"] == sum(c["points"] for c in got["characteristics"])
    assert pair.reason_code in [r["reason_code"] for r in got["reasons"]]
