"""The purpose guard, policies, decisions and adverse-action notices."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pytest

from trustscore.decisions import (
    DISPUTE_ENDPOINT,
    NS_EXPLANATION,
    Band,
    Policy,
    adverse_notices,
    check_purpose,
    credit_limit_policy,
    credit_pricing_policy,
    decide,
    decide_one,
    deposit_waiver_policy,
    negative_list,
    policy_for,
)
from trustscore.exceptions import (
    BlacklistError,
    NeverApprovablePurposeError,
    PurposeError,
    SchemaError,
)
from trustscore.safeguards import APPROVABLE_PURPOSES, NEVER_APPROVABLE_PURPOSES
from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict


def _artifact(purposes: list[str] | None = None) -> ScorecardArtifact:
    d = example_artifact_dict()
    if purposes is not None:
        d["model_card"] = {"approved_purposes": purposes}
    return ScorecardArtifact.from_dict(d)


@pytest.fixture(scope="module")
def art() -> ScorecardArtifact:
    return _artifact(sorted(APPROVABLE_PURPOSES))


@pytest.fixture(scope="module")
def policy() -> Policy:
    # The example artifact scores 20..150, so the cut-offs sit in that range.
    return credit_pricing_policy("example-1", cutoffs=(140, 120, 100, 80), review_margin=5)


@pytest.mark.parametrize("purpose", sorted(NEVER_APPROVABLE_PURPOSES))
def test_never_approvable_purposes_are_refused(purpose: str, art: ScorecardArtifact) -> None:
    reason = NEVER_APPROVABLE_PURPOSES[purpose]
    with pytest.raises(NeverApprovablePurposeError, match="can never be approved") as exc:
        check_purpose(art, purpose)
    assert reason in str(exc.value)
    with pytest.raises(NeverApprovablePurposeError, match=reason):
        policy_for(purpose, "example-1")


def test_unknown_purpose_lists_the_approvable_ones(art: ScorecardArtifact) -> None:
    for call in (lambda: check_purpose(art, "dating"), lambda: policy_for("dating", "m1")):
        with pytest.raises(PurposeError, match="Unknown purpose 'dating'") as exc:
            call()
        assert not isinstance(exc.value, NeverApprovablePurposeError)
        assert "credit_limit, credit_pricing, deposit_waiver" in str(exc.value)


def test_purpose_not_in_model_card_names_model_and_purposes() -> None:
    art = _artifact(["credit_pricing"])
    with pytest.raises(PurposeError, match="Model example-1 is not approved for 'credit_limit'"):
        check_purpose(art, "credit_limit")
    with pytest.raises(PurposeError, match="credit_pricing"):
        decide(credit_limit_policy("example-1"), art, pa.table({"score": [1], "status": ["OK"]}))
    with pytest.raises(PurposeError, match="approved purposes as: none"):
        check_purpose(_artifact([]), "credit_pricing")


def test_policy_for_builds_each_approvable_purpose() -> None:
    for purpose in APPROVABLE_PURPOSES:
        p = policy_for(purpose, "m9")
        assert (p.purpose, p.model_version) == (purpose, "m9")
        assert p.bands[-1].min_score == 0
        assert p.ns_outcome == "refer"


def test_policy_validates_itself() -> None:
    decline = Band(0, "decline", "Declined", adverse=True)
    tier = Band(600, "A", "Tier A", terms={"rate_margin_pct": 2.0})
    with pytest.raises(NeverApprovablePurposeError):
        Policy("p", "employment", "m1", (tier, decline))
    with pytest.raises(SchemaError, match="ordered from the highest"):
        Policy("p", "credit_pricing", "m1", (decline, tier))
    with pytest.raises(SchemaError, match="last band starts at 600"):
        Policy("p", "credit_pricing", "m1", (tier,))
    with pytest.raises(SchemaError, match=r"rate_margin_pct=40.0.*0.0..15.0"):
        Policy(
            "p",
            "credit_pricing",
            "m1",
            (Band(600, "A", "A", terms={"rate_margin_pct": 40.0}), decline),
        )
    with pytest.raises(SchemaError, match="exactly one term, 'credit_limit'"):
        Policy("p", "credit_limit", "m1", (tier, decline))
    with pytest.raises(SchemaError, match="never declined"):
        Policy("p", "credit_pricing", "m1", (tier, decline), ns_outcome="decline")
    with pytest.raises(SchemaError, match="review_margin"):
        Policy("p", "credit_pricing", "m1", (tier, decline), review_margin=-1)


def test_decide_bands_review_and_ns(art: ScorecardArtifact, policy: Policy) -> None:
    scores = pa.table(
        {
            "subject_id": ["s1", "s2", "s3", "s4", "s5", "s6", "s7"],
            "score": pa.array([150, 142, 138, 110, 81, 60, None], pa.int32()),
            "status": ["OK", "OK", "OK", "OK", "OK", "OK", "NS"],
        }
    )
    out = decide(policy, art, scores)
    assert out.column_names[:3] == ["subject_id", "score", "status"]
    assert out.column("outcome").to_pylist() == ["A", "A", "B", "C", "D", "decline", "refer"]
    # 142 and 138 are 2 points from 140, 81 is 1 point from 80; NS always goes to a person
    assert out.column("review").to_pylist() == [False, True, True, False, True, False, True]
    assert out.column("adverse").to_pylist() == [False, False, False, False, True, True, False]
    terms = [json.loads(t) for t in out.column("terms").to_pylist()]
    assert terms[0] == {"rate_margin_pct": 1.5}
    assert terms[3] == {"rate_margin_pct": 5.0}
    assert terms[5] == {}
    assert terms[6] == {}
    assert "unscorable is not bad" in out.column("label")[6].as_py()


def test_decide_never_makes_ns_adverse(art: ScorecardArtifact) -> None:
    for purpose in APPROVABLE_PURPOSES:
        p = policy_for(purpose, "example-1")
        out = decide(p, art, pa.table({"score": pa.array([None], pa.int32()), "status": ["NS"]}))
        assert out.column("outcome").to_pylist() == ["refer"]
        assert out.column("adverse").to_pylist() == [False]


def test_decide_refuses_another_models_scores(art: ScorecardArtifact) -> None:
    with pytest.raises(PurposeError, match="bound to model other-2"):
        decide(credit_pricing_policy("other-2"), art, pa.table({"score": [1], "status": ["OK"]}))
    table = pa.table({"score": [1], "status": ["OK"], "model_version": ["old-1"]})
    with pytest.raises(PurposeError, match="old-1"):
        decide(credit_pricing_policy("example-1"), art, table)


def test_decide_rejects_bad_rows(art: ScorecardArtifact, policy: Policy) -> None:
    with pytest.raises(SchemaError, match="status 'OK' but no score"):
        decide(policy, art, pa.table({"score": pa.array([None], pa.int32()), "status": ["OK"]}))
    with pytest.raises(SchemaError, match="'BAD'"):
        decide(policy, art, pa.table({"score": [1], "status": ["BAD"]}))
    with pytest.raises(SchemaError, match="no column"):
        decide(policy, art, pa.table({"score": [1]}))


def _row(score: int | None, status: str = "OK", **reasons: Any) -> dict[str, Any]:
    return {"subject_id": "s1", "score": score, "status": status, **reasons}


def test_adverse_decision_has_notice_with_artifact_text(
    art: ScorecardArtifact, policy: Policy
) -> None:
    d = decide_one(policy, art, _row(60, reason_1="PR01", reason_2="CH01", reason_3=None))
    assert (d.outcome, d.adverse, d.score) == ("decline", True, 60)
    assert d.notice is not None
    assert [(r.code, r.reason, r.improve) for r in d.notice.reasons] == [
        ("PR01", "Bills paid after their due date", "Pay each bill by its due date"),
        ("CH01", "Your card kind is outside the range that scores best (card, loan)", ""),
    ]
    assert d.notice.score_range == (20, 150)
    text = d.notice.text()
    assert "1. Bills paid after their due date (PR01)" in text
    assert "How this clears: Pay each bill by its due date." in text
    assert "60 on a range of 20 to 150 (model example-1)" in text
    assert DISPUTE_ENDPOINT in text
    assert "POST /v1/disputes" in text
    assert "free copy of your file" in text
    assert "subject page" in text
    assert json.loads(json.dumps(d.notice.to_dict()))["reasons"][0]["code"] == "PR01"


def test_notice_keeps_at_most_four_reasons() -> None:
    d = example_artifact_dict()
    base = d["characteristics"][0]
    d["characteristics"] = [
        {
            **base,
            "name": f"c{i}",
            "reason_code": f"R{i}",
            "missing_reason_code": f"R{i}N",
            "reason": f"Reason {i}",
            "bins": [{"upper": 0.5, "points": 0}, {"upper": None, "points": 20}],
            "missing": {"points": 0},
            "special": [],
        }
        for i in range(6)
    ]
    art = ScorecardArtifact.from_dict(d)
    p = credit_pricing_policy("example-1", cutoffs=(110, 100, 90, 80))
    row = _row(20, **{f"reason_{i}": f"R{i}" for i in range(1, 5)}, reason_5="R5")
    dec = decide_one(p, art, row)
    assert dec.notice is not None
    assert [r.reason for r in dec.notice.reasons] == [f"Reason {i}" for i in range(1, 5)]


def test_unknown_reason_code_is_an_error(art: ScorecardArtifact, policy: Policy) -> None:
    with pytest.raises(SchemaError, match="'ZZ99'"):
        decide_one(policy, art, _row(30, reason_1="ZZ99"))


def test_favourable_and_ns_decisions_have_no_notice(art: ScorecardArtifact, policy: Policy) -> None:
    good = decide_one(policy, art, _row(150, reason_1="PR01"))
    assert (good.outcome, good.adverse, good.notice) == ("A", False, None)
    assert good.terms == {"rate_margin_pct": 1.5}
    ns = decide_one(policy, art, _row(None, "NS"))
    assert (ns.outcome, ns.adverse, ns.review, ns.notice) == ("refer", False, True, None)
    assert ns.explanation == NS_EXPLANATION


def test_adverse_notices_for_a_table(art: ScorecardArtifact, policy: Policy) -> None:
    scores = pa.table(
        {
            "subject_id": ["s1", "s2", "s3"],
            "score": pa.array([150, 60, None], pa.int32()),
            "status": ["OK", "OK", "NS"],
            "reason_1": ["CH01", "PR01", None],
        }
    )
    notices = adverse_notices(policy, art, decide(policy, art, scores))
    assert [(n.subject_id, n.reasons[0].code) for n in notices] == [("s2", "PR01")]


def test_other_default_policies(art: ScorecardArtifact) -> None:
    limit = credit_limit_policy("example-1", cutoffs=(140, 100, 60), review_margin=0)
    out = decide(limit, art, pa.table({"score": [145, 100, 30], "status": ["OK"] * 3}))
    assert out.column("outcome").to_pylist() == ["limit_5000", "limit_2500", "decline"]
    assert out.column("review").to_pylist() == [False, False, False]
    waiver = deposit_waiver_policy("example-1", cutoff=100)
    d = decide_one(waiver, art, _row(90, reason_1="PR01"))
    assert (d.outcome, d.adverse, d.terms) == ("deposit_required", True, {"deposit_waived": False})
    assert d.notice is not None
    assert d.notice.purpose == "deposit_waiver"


def test_negative_list_is_refused() -> None:
    with pytest.raises(BlacklistError, match="never publishes subject-level negative lists"):
        negative_list(threshold=300, purpose="credit_pricing")
