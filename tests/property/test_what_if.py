"""The what-if is the scorer's answer for the changed row, on every embedded engine.

For random artifacts (pairs included), rows and changes, :func:`trustscore.pipeline.what_if_row`
gives the reference scorer's score, status and sub-scores for the row with the changes applied,
and the reasons the engine gives that row, each with its statement from ``reason_text``.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from tests.scoring_strategies import artifacts, data_for

from trustscore.exceptions import SchemaError
from trustscore.pipeline import what_if_row
from trustscore.scoring import ScorecardArtifact, apply_changes, score
from trustscore.scoring._artifact import example_artifact_dict
from trustscore.scoring._changes import row_table
from trustscore.scoring._reference import reference_points


@st.composite
def _cases(draw: st.DrawFn) -> tuple[ScorecardArtifact, dict[str, Any], dict[str, Any]]:
    art = draw(artifacts(4, interactions=draw(st.booleans())))
    data = draw(data_for(art, max_rows=6))
    assume(data.num_rows >= 2)
    row, other = data.slice(0, 2).to_pylist()
    names = draw(st.sets(st.sampled_from([c.name for c in art.characteristics]), min_size=1))
    # the changes take another row's values: numbers, levels, unseen levels and missing ones
    changes = {n: other[n] for n in names}
    return art, row, changes


@pytest.mark.parametrize("engine", ["kernel", "duckdb"])
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(case=_cases())
def test_what_if_is_the_scorers_answer_for_the_changed_row(
    engine: str, case: tuple[ScorecardArtifact, dict[str, Any], dict[str, Any]]
) -> None:
    art, row, changes = case
    # NaN and infinities are refused (null is "none on file"): see the test below
    changes = {
        k: v for k, v in changes.items() if not (isinstance(v, float) and not math.isfinite(v))
    }
    got = what_if_row(art, row, changes, purposes=[], engine=engine)
    changed = apply_changes(art, row, changes)
    ref = reference_points(art, {n: [changed.get(n)] for n in art.input_columns})
    ok = bool(ref.ok[0])
    assert got["status"] == ("OK" if ok else "NS")
    assert got["score"] == (int(ref.points[0].sum()) if ok else None)
    by_dim = {
        d: sum(int(p) for e, p in zip(art.elements, ref.points[0], strict=True) if e.dimension == d)
        for d in art.dimension_names
    }
    assert got["subscores"] == ({d: by_dim[d] for d in by_dim} if ok else dict.fromkeys(by_dim))
    [scored] = score(art, row_table(art, [changed]), engine=engine).to_pylist()  # type: ignore[arg-type]
    assert [r["code"] for r in got["reasons"]] == [
        scored[f"reason_{i}"] for i in range(1, 5) if scored[f"reason_{i}"]
    ]
    for r in got["reasons"]:
        assert r["statement"]


def test_unknown_names_and_bad_values_are_refused() -> None:
    art = ScorecardArtifact.from_dict(example_artifact_dict())
    row = {"on_time_rate": 0.5, "card_kind": "none", "months_history": 12}
    with pytest.raises(SchemaError, match="'shoe_size' is not a characteristic"):
        what_if_row(art, row, {"shoe_size": 44})
    with pytest.raises(SchemaError, match="'on_time_rate' is a number"):
        what_if_row(art, row, {"on_time_rate": "high"})
    with pytest.raises(SchemaError, match="finite"):
        what_if_row(art, row, {"on_time_rate": float("inf")})
    with pytest.raises(SchemaError, match="'card_kind' is a level"):
        what_if_row(art, row, {"card_kind": 1.5})


def test_a_what_if_names_the_changed_value_in_its_statements() -> None:
    art = ScorecardArtifact.from_dict(example_artifact_dict())
    row = {"on_time_rate": 0.95, "card_kind": "card", "months_history": 12}
    got = what_if_row(art, row, {"card_kind": "none"}, purposes=["credit_pricing"])
    assert got["score"] == 70
    [reason] = got["reasons"]
    assert (reason["code"], reason["value"]) == ("CH01", "none")
    assert reason["statement"] == art.reason_text("CH01", {"card_kind": "none"})[0]
    assert got["decisions"][0]["purpose"] == "credit_pricing"
