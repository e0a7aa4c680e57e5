"""Interactions in the artifact: validation, exact round trip, hash, reference points, reasons."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings

from scoring_strategies import artifacts, artifacts_and_data
from trustscore.exceptions import ArtifactError
from trustscore.scoring._artifact import (
    MAX_REASONS,
    ScorecardArtifact,
    content_hash,
    example_artifact_dict,
)
from trustscore.scoring._reference import reference_points, reference_reasons
from trustscore.scoring._reference_table import reference_columns, reference_table

_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _pair_dict() -> dict[str, Any]:
    return example_artifact_dict(interaction=True)


def _cols(x: list[float], k: list[str | None]) -> dict[str, Any]:
    return {
        "on_time_rate": np.array(x, dtype=np.float64),
        "card_kind": np.array(k, dtype=object),
        "months_history": np.full(len(x), 12.0),
    }


# -- the format ---------------------------------------------------------------------------------
@_SETTINGS
@given(art=artifacts(interactions=True))
def test_round_trip_is_exact(art: ScorecardArtifact) -> None:
    assert art.interactions
    text = art.to_json()
    back = ScorecardArtifact.from_json(text)
    assert back == art
    assert back.to_json() == text
    assert back.interactions == art.interactions
    for p, q in zip(art.interactions, back.interactions, strict=True):
        assert [c.points for c in p.cells] == [c.points for c in q.cells]
        assert p.axes == q.axes
        assert len(p.cells) == p.shape[0] * p.shape[1]


def test_the_content_hash_covers_the_cells() -> None:
    d = ScorecardArtifact.from_dict(_pair_dict()).to_dict()
    assert ScorecardArtifact.from_dict(d).content_hash == d["content_hash"]
    for edit in (
        lambda x: x["interactions"][0]["cells"][2].update(points=14),
        lambda x: x["interactions"][0]["axes"][0].update(edges=[0.8]),
        lambda x: x["interactions"][0]["otherwise"].update(points=1),
        lambda x: x["interactions"][0].update(reason="edited"),
    ):
        edited = copy.deepcopy(d)
        edit(edited)
        assert content_hash(edited) != d["content_hash"]
        with pytest.raises(ArtifactError, match="fails its content hash"):
            ScorecardArtifact.from_dict(edited)
        ScorecardArtifact.from_dict(edited, verify_hash=False)  # valid once the hash is renewed


def test_an_artifact_without_pairs_is_unchanged() -> None:
    d = example_artifact_dict()
    art = ScorecardArtifact.from_dict(d)
    out = art.to_dict()
    # what an older trustscore wrote has no 'interactions': it reads back and re-saves as it was
    assert "interactions" not in out
    assert ScorecardArtifact.from_dict(out).to_dict() == out
    assert ScorecardArtifact.from_dict(out).content_hash == out["content_hash"]
    assert art.interactions == ()
    assert art.elements == art.characteristics
    empty = dict(d, interactions=[])
    assert ScorecardArtifact.from_dict(empty) == art


def _broken(path: str, value: Any) -> dict[str, Any]:
    d = _pair_dict()
    target: Any = d["interactions"][0]
    *keys, last = path.split(".")
    for k in keys:
        target = target[int(k)] if k.isdigit() else target[k]
    if value is _DELETE:
        del target[int(last) if last.isdigit() else last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return d


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("inputs", ["on_time_rate", "income"], r"input 'income' is not a characteristic"),
        ("inputs", ["on_time_rate"], r"inputs must be two characteristic names"),
        ("inputs", ["card_kind", "card_kind"], r"its two inputs are both 'card_kind'"),
        ("cells", [{"points": 0}] * 3, r"cell count mismatch: its axes have 2 x 2 = 4 cells"),
        ("cells.1.points", 2.5, r"cells\[1\]\.points must be an integer, got 2\.5"),
        ("cells.1.points", "10", r"cells\[1\]\.points must be an integer"),
        ("cells.1.points", True, r"cells\[1\]\.points must be an integer"),
        ("otherwise.points", None, r"otherwise\.points must be an integer"),
        ("axes", [{"edges": [0.9]}], r"one axis per input \(2\), got 1"),
        ("axes.0", {"groups": [["a"]]}, r"'on_time_rate' is numeric, so its axis needs 'edges'"),
        ("axes.1", {"edges": [1.0]}, r"'card_kind' is categorical, so its axis needs 'groups'"),
        ("axes.0.edges", [0.9, 0.5], r"edges must increase strictly"),
        ("axes.0.edges", [math.inf], r"edges must be finite numbers"),
        ("axes.1.groups", [["none"], ["card"]], r"in no group: \['loan'\]"),
        ("axes.1.groups", [["none", "card", "loan", "x"]], r"not in its bins: \['x'\]"),
        ("axes.1.groups", [["none", "card"], ["card", "loan"]], r"\['card'\] appear in more"),
        ("axes.1.groups", [["none"], []], r"each group must be a non-empty list"),
        ("dimension", "nowhere", r"Interaction 'on_time_rate x card_kind' names dimension"),
        ("reason_code", "PR01", r"Reason codes repeat"),
        ("name", "card_kind", r"Interaction names must differ"),
        ("name", "credit_history", r"Dimension names must differ"),
        ("cells", _DELETE, r"has no 'cells'"),
    ],
)
def test_invalid_interactions_are_refused_clearly(path: str, value: Any, message: str) -> None:
    with pytest.raises(ArtifactError, match=message):
        ScorecardArtifact.from_dict(_broken(path, value))


def test_one_pair_per_pair_of_inputs_and_the_range_is_checked() -> None:
    d = _pair_dict()
    twin = copy.deepcopy(d["interactions"][0])
    twin.update(name="twin", reason_code="PR03", inputs=["card_kind", "on_time_rate"])
    twin["axes"] = twin["axes"][::-1]
    d["interactions"].append(twin)
    with pytest.raises(ArtifactError, match="pair the same inputs"):
        ScorecardArtifact.from_dict(d)
    d = _pair_dict()
    d["interactions"][0]["cells"][3]["points"] = 900  # best total 60 + 90 + 900 > 1000
    with pytest.raises(ArtifactError, match=r"Attainable scores 20\.\.1050 leave 0\.\.1000"):
        ScorecardArtifact.from_dict(d)
    d["interactions"][0]["cells"][0]["points"] = -30
    with pytest.raises(ArtifactError, match=r"gives -30 points at worst"):
        ScorecardArtifact.from_dict(d)


# -- the reference scorer -------------------------------------------------------------------------
def test_reference_cells_on_edges_specials_and_unseen_levels() -> None:
    art = ScorecardArtifact.from_dict(_pair_dict())
    p = art.interactions[0]
    x = [0.5, 0.9, 0.9, 1.0, math.inf, -math.inf, -1.0, math.nan, 0.95, 0.95]
    k = ["none", "none", "loan", "card", "card", "loan", "card", "card", "zzz", None]
    got = reference_points(art, _cols(x, k)).points[:, 2].tolist()
    want = [
        p.cell(0, 0).points,  # 0.5 < 0.9
        p.cell(1, 0).points,  # on the edge: the interval above
        p.cell(1, 1).points,
        p.cell(1, 1).points,
        p.cell(1, 1).points,  # +inf: the last interval
        p.cell(0, 1).points,  # -inf: the first
        *[p.otherwise.points] * 4,  # special, missing, unseen level, missing level
    ]
    assert got == want == [0, 15, 25, 25, 25, 10, 0, 0, 0, 0]


@_SETTINGS
@given(case=artifacts_and_data(interactions=True))
def test_scores_stay_in_range_and_sub_scores_add_up(
    case: tuple[ScorecardArtifact, pa.Table],
) -> None:
    art, data = case
    lo, hi = art.score_range
    assert 0 <= lo <= hi <= 1000
    res = reference_points(art, reference_columns(art, data))
    assert res.points.shape == (data.num_rows, len(art.characteristics) + len(art.interactions))
    total = res.points.sum(axis=1)
    assert ((total >= lo) & (total <= hi)).all()
    for j, e in enumerate(art.elements):
        assert ((res.points[:, j] >= e.worst_points) & (res.points[:, j] <= e.best_points)).all()
    out = reference_table(art, data).to_pydict()
    for i, status in enumerate(out["status"]):
        if status == "OK":
            assert out["score"][i] == total[i]
            assert sum(out[d][i] for d in art.dimension_names) == total[i]
            assert out["score"][i] is not None
            dlo_hi = [art.dimension_range(d) for d in art.dimension_names]
            for d, (dlo, dhi) in zip(art.dimension_names, dlo_hi, strict=True):
                assert dlo <= out[d][i] <= dhi


@_SETTINGS
@given(case=artifacts_and_data(interactions=True))
def test_reasons_rank_pairs_with_the_characteristics(
    case: tuple[ScorecardArtifact, pa.Table],
) -> None:
    art, data = case
    res = reference_points(art, reference_columns(art, data))
    codes = art.reason_codes
    owner = [j for j, _ in art.reason_slots]  # the element of each reason slot
    for i, reasons in enumerate(reference_reasons(art, res)):
        lost = res.lost[i]
        assert (lost >= 0).all()  # losses against the baseline, never below 0
        idx = [owner[codes.index(c)] for c in reasons]
        # each reason is the code of the outcome the row landed in
        assert [codes[res.slot[i, j]] for j in idx] == reasons
        # most points lost first, ties in artifact order (characteristics, then pairs)
        assert idx == sorted(idx, key=lambda j: (-lost[j], j))
        assert all(lost[j] > 0 for j in idx)
        assert len(idx) == min(MAX_REASONS, int((lost > 0).sum()))
        if idx:
            cut = lost[idx[-1]]
            # nothing left out lost more than the last reason, or as much and came earlier
            for j in set(range(len(art.elements))) - set(idx):
                assert lost[j] < cut or (lost[j] == cut and j > idx[-1]) or lost[j] == 0


def test_a_pair_ranks_after_a_characteristic_that_lost_as_much() -> None:
    art = ScorecardArtifact.from_dict(_pair_dict())
    # on_time_rate 0.95 (60, its best: no reason); card_kind none (10 against 90: loses 80);
    # cell (1, 0): 15 against the pair's best 25, loses 10. card_kind missing: 40, loses 50
    # under its no-information code, and the pair's otherwise is never a reason
    res = reference_points(art, _cols([0.95, 0.95], ["none", None]))
    assert res.points.tolist() == [[60, 10, 15], [60, 40, 0]]
    assert reference_reasons(art, res) == [["CH01", "PR02"], ["CH01N"]]
    d = _pair_dict()
    d["characteristics"][1]["bins"][0]["points"] = 80  # card_kind none loses 10: a tie
    art = ScorecardArtifact.from_dict(d)
    res = reference_points(art, _cols([0.95], ["none"]))
    assert res.points.tolist() == [[60, 80, 15]]
    assert reference_reasons(art, res) == [["CH01", "PR02"]]  # tie: the characteristic first


def test_reason_text_and_lookup_cover_pairs() -> None:
    art = ScorecardArtifact.from_dict(_pair_dict())
    reason, improve = art.reason_text("PR02", {"on_time_rate": 0.5, "card_kind": "card"})
    assert reason == (
        "Your on time rate, 0.5, together with your card kind, 'card', scores lower than the best "
        "combination (on time rate >= 0.9 with card kind card, loan)"
    )
    assert improve == "Pay each bill by its due date"
    assert art.interaction("on_time_rate x card_kind").reason_code == "PR02"
    assert art.dimension_range("payment_reliability") == (10 + 0, 60 + 25)
    with pytest.raises(KeyError):
        art.interaction("nope")
    assert json.loads(art.to_json())["interactions"][0]["inputs"] == ["on_time_rate", "card_kind"]
