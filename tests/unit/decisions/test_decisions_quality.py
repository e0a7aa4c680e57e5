"""A policy may send scores whose inputs carry quality flags to human review."""

from __future__ import annotations

import dataclasses

import pyarrow as pa
import pytest

from trustscore.decisions import credit_pricing_policy, decide, decide_one
from trustscore.exceptions import SchemaError
from trustscore.scoring import ScorecardArtifact, score
from trustscore.scoring._artifact import example_artifact_dict


@pytest.fixture(scope="module")
def art() -> ScorecardArtifact:
    return ScorecardArtifact.from_dict(example_artifact_dict())


def test_review_flagged_sends_flagged_scores_to_review(art: ScorecardArtifact) -> None:
    data = pa.table(
        {
            "on_time_rate": [0.95, 3.5, 0.95],
            "card_kind": ["card", "card", "gold"],
            "months_history": [12.0, 12.0, 12.0],
        }
    )
    scored = score(art, data, quality=True)
    plain = credit_pricing_policy("example-1", review_margin=0)
    strict = dataclasses.replace(plain, review_flagged=True)
    assert decide(plain, art, scored)["review"].to_pylist() == [False, False, False]
    out = decide(strict, art, scored)
    assert out["review"].to_pylist() == [False, True, True]
    # the decision rows keep the flags that sent them to review
    assert out["quality"].to_pylist() == [
        None,
        "impossible:on_time_rate",
        "unseen_level:card_kind",
    ]
    assert out["outcome"].to_pylist() == decide(plain, art, scored)["outcome"].to_pylist()


def test_decide_one_names_the_flags(art: ScorecardArtifact) -> None:
    policy = dataclasses.replace(
        credit_pricing_policy("example-1", review_margin=0), review_flagged=True
    )
    row = {"score": 150, "status": "OK", "quality": "impossible:on_time_rate"}
    d = decide_one(policy, art, row)
    assert d.review is True
    assert d.quality_flags == ("impossible:on_time_rate",)
    assert "on_time_rate (impossible)" in d.explanation
    clean = decide_one(policy, art, {"score": 150, "status": "OK", "quality": None})
    assert (clean.review, clean.quality_flags, clean.explanation) == (False, (), "")


def test_review_flagged_needs_the_quality_column(art: ScorecardArtifact) -> None:
    policy = dataclasses.replace(credit_pricing_policy("example-1"), review_flagged=True)
    scores = pa.table({"score": pa.array([150], pa.int32()), "status": ["OK"]})
    with pytest.raises(SchemaError, match="score with quality=True"):
        decide(policy, art, scores)
    with pytest.raises(SchemaError, match="review_flagged must be True or False"):
        dataclasses.replace(policy, review_flagged="yes")  # type: ignore[arg-type]
