"""Invariants of every score table: sub-scores add up, NS rows are empty, scores in range."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import HealthCheck, given, settings

from scoring_strategies import artifacts_and_data
from trustscore.scoring import ScorecardArtifact, score


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=artifacts_and_data())
def test_score_table_invariants(case: tuple[ScorecardArtifact, pa.Table]) -> None:
    art, data = case
    out = score(art, data).to_pydict()
    lo, hi = art.score_range
    # every code a row can give (adverse and no-information ones) and the element it belongs to
    element_of = {code: j for code, (j, _) in zip(art.reason_codes, art.reason_slots, strict=True)}
    assert len(out["score"]) == data.num_rows
    for i, status in enumerate(out["status"]):
        subs = [out[d][i] for d in art.dimension_names]
        reasons = [out[f"reason_{r}"][i] for r in range(1, 5)]
        if status == "NS":
            assert out["score"][i] is None
            assert subs == [None] * len(subs)
            assert reasons == [None] * 4
            continue
        assert status == "OK"
        assert sum(subs) == out["score"][i]
        assert 0 <= lo <= out["score"][i] <= hi <= 1000
        given_reasons = [r for r in reasons if r is not None]
        assert reasons == given_reasons + [None] * (4 - len(given_reasons))  # no gaps
        assert len(set(given_reasons)) == len(given_reasons)
        assert set(given_reasons) <= set(element_of)
        owners = [element_of[r] for r in given_reasons]
        assert len(set(owners)) == len(owners)  # an element gives one reason at most
