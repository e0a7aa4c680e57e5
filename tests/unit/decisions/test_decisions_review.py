"""Referral to a person: which kind, the reviewer's bounds, the notice after a review."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pyarrow as pa
import pytest

import trustscore.ledger as lg
from trustscore.decisions import (
    credit_pricing_policy,
    decide,
    referral,
    review_notice,
    review_openings,
    review_options,
)
from trustscore.exceptions import SchemaError
from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict


@pytest.fixture
def art() -> ScorecardArtifact:
    return ScorecardArtifact.from_dict(example_artifact_dict())


def test_each_kind_of_referral_is_named_and_unreferred_rows_open_nothing(
    art: ScorecardArtifact,
) -> None:
    policy = credit_pricing_policy(art.model_version, cutoffs=[160, 120, 90, 60])
    scores = pa.table({
        "subject_id": ["near", "ns", "flagged", "far", "flagged_far"],
        "score": pa.array([122, None, 140, 150, 145], pa.int32()),
        "status": ["OK", "NS", "OK", "OK", "OK"],
        "reason_1": ["CH01", None, "PR01", None, None],
        "quality": [[], None, ["stale_records"], [], ["thin_file"]],
    })  # fmt: skip
    decided = decide(policy, art, scores)
    # the other engineer's policy option marks flagged rows for review: simulate it
    review = decided.column("review").to_pylist()
    review[2] = True
    decided = decided.set_column(decided.schema.get_field_index("review"), "review",
                                 pa.array(review))  # fmt: skip
    openings = review_openings(policy, art, decided, key_prefix="run-1")
    assert [(o.subject_id, o.kind) for o in openings] == [
        ("near", "near_cutoff"),
        ("ns", "unscorable"),
        ("flagged", "flagged_input"),
    ]
    near, ns, flagged = openings
    assert near.referral_key == "run-1|credit_pricing|near"
    assert (near.score, near.proposed_outcome, near.reasons[0]["code"]) == (122, "B", "CH01")
    assert near.reasons[0]["reason"] == art.reason_text("CH01")[0]
    assert (ns.score, ns.score_status, ns.proposed_outcome) == (None, "NS", "refer")
    assert flagged.quality == ["stale_records"]
    assert [o["outcome"] for o in near.options] == ["A", "B", "C", "D", "decline"]
    assert near.review_days == policy.review_days == 5


def test_a_referral_carries_the_bounds_even_when_nobody_must_look(
    art: ScorecardArtifact,
) -> None:
    narrow = replace(credit_pricing_policy("m1"), review_max_steps=1, review_days=3)
    r = referral(narrow, outcome="A", score=900, status="OK", review=False)
    assert (r["referred"], r["kinds"], r["review_days"]) == (False, [], 3)
    assert [o["outcome"] for o in r["options"]] == ["A", "B"]
    assert [o["outcome"] for o in review_options(narrow, "decline")] == ["D", "decline"]
    assert [(o["outcome"], o["adverse"]) for o in review_options(narrow, "refer")][-1] == (
        "decline", True)  # fmt: skip


@pytest.mark.parametrize("bad", [0, -1, True, 2.5])
def test_review_settings_are_checked(bad: object) -> None:
    with pytest.raises(SchemaError, match="review_days"):
        replace(credit_pricing_policy("m1"), review_days=bad)
    with pytest.raises(SchemaError, match="review_max_steps"):
        replace(credit_pricing_policy("m1"), review_max_steps=bad)


def _case(score: int | None, proposed: str = "B") -> lg.ReviewCase:
    ledger = lg.Ledger("sqlite://")
    ledger.create_all()
    policy = credit_pricing_policy("m1")
    [case] = lg.open_review_cases(ledger, [lg.ReviewOpening(
        "k", "near_cutoff" if score else "unscorable", "s1", "credit_pricing", policy.name,
        proposed, review_options(policy, proposed), 5, score=score,
        score_status="OK" if score else "NS",
        reasons=[{"code": "PR01", "reason": "Bills paid late", "improve": "Pay on time"}],
        basis={"model_version": "m1", "score_range": [0, 1000]})],
        dt.datetime(2026, 3, 2, tzinfo=dt.UTC))  # fmt: skip
    return case


def test_an_adverse_reviewed_outcome_gets_a_notice_with_the_reviewers_reason_first() -> None:
    case = _case(705)
    assert review_notice(case, "A", "additional_information") is None
    notice = review_notice(case, "decline", "data_error", "The income record is missing.")
    assert notice is not None
    assert (notice["outcome"], notice["label"], notice["score"]) == ("decline", "Declined", 705)
    assert [r["code"] for r in notice["reasons"]] == ["review:data_error", "PR01"]
    assert "The income record is missing." in notice["reasons"][0]["reason"]
    assert notice["reviewed"] == {"case_id": case.case_id, "reason": "data_error",
                                  "note": "The income record is missing."}  # fmt: skip
    assert "Notice of adverse action: Declined" in notice["text"]


def test_an_unscorable_subject_declined_by_a_person_is_never_given_a_zero() -> None:
    notice = review_notice(_case(None, "refer"), "decline", "additional_information")
    assert notice is not None
    assert (notice["score"], notice["status"]) == (None, "NS")
    assert "Your score: 0" not in notice["text"]
    assert "You have no score" in notice["text"]


def test_the_scorers_quality_flags_open_a_flagged_input_case_flag_by_flag(
    art: ScorecardArtifact,
) -> None:
    """The scorers' own ``quality`` column ("kind:characteristic;..."), not a hand-made list."""
    from trustscore.scoring import score

    rows = pa.table({
        "on_time_rate": [0.95, 3.5, -0.2],
        "card_kind": ["none", "none", "gold"],
        "months_history": [12, 12, 12],
    })  # fmt: skip
    scored = score(art, rows, quality=True)
    scored = scored.append_column("subject_id", pa.array(["clean", "one", "two"]))
    policy = replace(credit_pricing_policy(art.model_version), review_flagged=True)
    openings = review_openings(policy, art, decide(policy, art, scored), key_prefix="run-q")
    assert [(o.subject_id, o.kind, o.quality) for o in openings] == [
        ("one", "flagged_input", ["impossible:on_time_rate"]),
        ("two", "flagged_input", ["impossible:on_time_rate", "unseen_level:card_kind"]),
    ]
