"""Until a person decides, nothing adverse: for any score, status and flags, a decision the policy
refers to a person reaches the lender as ``pending_review``, however often it is asked, and only
the reviewer's outcome ends that."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import trustscore.ledger as lg
from trustscore.decisions import credit_pricing_policy, referral
from trustscore.service._routes_reviews import open_gated_case, review_gate

POLICY = credit_pricing_policy("m1")


def _result(score: int | None, flags: list[str], flagged_review: bool) -> dict[str, Any]:
    status = "NS" if score is None else "OK"
    band = None if score is None else POLICY.band_for(score)
    outcome = POLICY.ns_outcome if band is None else band.outcome
    adverse = band is not None and band.adverse
    near = score is not None and any(abs(score - c) < POLICY.review_margin for c in POLICY.cutoffs)
    review = score is None or near or (flagged_review and bool(flags))
    return {
        "policy": POLICY.name, "outcome": outcome, "adverse": adverse,
        "notice": {"outcome": outcome} if adverse else None,
        "score": {"subject_id": "s1", "as_of": "2026-03-31", "model_version": "m1",
                  "model_hash": "h", "score": score, "status": status, "subscores": {},
                  "reasons": [], "feature_hash": "f"},
        "review": referral(POLICY, outcome=outcome, score=score, status=status, review=review,
                           quality=flags),
    }  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    score=st.one_of(st.none(), st.integers(0, 1000)),
    flags=st.lists(st.sampled_from(["stale_records", "thin_file", "identity_doubt"]), max_size=2),
    flagged_review=st.booleans(),
    asks=st.integers(1, 3),
)
def test_a_referred_decision_is_never_adverse_until_a_person_decides(
    score: int | None, flags: list[str], flagged_review: bool, asks: int
) -> None:
    ledger = lg.Ledger("sqlite://")
    ledger.create_all()
    result = _result(score, flags, flagged_review)
    referred = result["review"]["referred"]
    for i in range(asks):
        gate = review_gate(ledger, result, "credit_pricing")  # type: ignore[arg-type]
        if not referred:
            assert (gate.outcome, gate.adverse) == (result["outcome"], result["adverse"])
            continue
        assert (gate.outcome, gate.adverse, gate.notice) == ("pending_review", False, None)
        gate = open_gated_case(ledger, gate, decision_id=100 + i, actor="lender")
    cases = lg.review_cases(ledger)
    assert len(cases) == (1 if referred else 0)
    if not referred:
        return
    [case] = cases
    assert case.kind == result["review"]["kinds"][0]
    # escalation changes nothing for the lender
    lg.run_review_deadlines(ledger, case.deadline + dt.timedelta(days=1))
    assert review_gate(ledger, result, "credit_pricing").outcome == "pending_review"  # type: ignore[arg-type]
    reviewer, _ = lg.create_client(ledger, "reviewer")
    worst = case.options[-1]
    lg.decide_review_case(ledger, case.case_id, reviewer.client_id, worst["outcome"],
                          "data_error", notice={"outcome": worst["outcome"]})  # fmt: skip
    after = review_gate(ledger, result, "credit_pricing")  # type: ignore[arg-type]
    assert (after.outcome, after.adverse) == (worst["outcome"], worst["adverse"])
