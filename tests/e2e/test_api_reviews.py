"""The review queue through the API: lenders hear "pending_review", reviewers decide, subjects ask.

The provider decides with the library's own policy (credit pricing tiers) and referral, over
fixed scores; the ledger is a real SQLite file.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import trustscore.ledger as lg
from trustscore.decisions import credit_pricing_policy, referral
from trustscore.exceptions import NotFoundError
from trustscore.service import DecisionResult, ScoreResult, create_app

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

POLICY = credit_pricing_policy("2.0.0")  # cut-offs 760, 700, 640, 580
#: subject: (score, quality flags); None is unscorable
SUBJECTS: dict[str, tuple[int | None, list[str]]] = {
    "near-decline": (575, []), "near-b": (703, []), "ns": (None, []),
    "flagged": (720, ["stale_records"]), "far": (800, []), "me": (578, []),
}  # fmt: skip


class PolicyProvider:
    """Scores from the table above; decisions by the real policy and referral."""

    def score(self, subject_id: str, purpose: str) -> ScoreResult:
        if subject_id not in SUBJECTS:
            raise NotFoundError(f"There is no subject {subject_id!r}.", subject_id=subject_id)
        points, _ = SUBJECTS[subject_id]
        return {
            "subject_id": subject_id, "as_of": "2026-03-31", "model_version": "2.0.0",
            "model_hash": "m" * 64, "score": points, "status": "NS" if points is None else "OK",
            "subscores": {} if points is None else {"payment": points},
            "reasons": [] if points is None else [
                {"code": "PR01", "text": "Bills paid late", "improve": "Pay on time"}],
            "feature_hash": "f" * 64, "score_range": {"min": 0, "max": 1000},
        }  # fmt: skip

    def decide(self, subject_id: str, purpose: str) -> DecisionResult:
        result = self.score(subject_id, purpose)
        points, flags = SUBJECTS[subject_id]
        band = None if points is None else POLICY.band_for(points)
        outcome = POLICY.ns_outcome if band is None else band.outcome
        adverse = band is not None and band.adverse
        near = points is not None and any(abs(points - c) < POLICY.review_margin
                                          for c in POLICY.cutoffs)  # fmt: skip
        review = points is None or near or bool(flags)
        return {
            "policy": POLICY.name, "outcome": outcome, "adverse": adverse, "score": result,
            "notice": {"outcome": outcome, "reasons": result["reasons"]} if adverse else None,
            "review": referral(POLICY, outcome=outcome, score=points,
                               status=result["status"], review=review, quality=flags),
        }  # fmt: skip

    def file(self, subject_id: str) -> dict[str, Any]:
        self.score(subject_id, "credit_pricing")
        return {"records": [], "score": SUBJECTS[subject_id][0]}

    def record_owner(self, kind: str, record_id: str) -> str:
        raise NotFoundError(f"There is no {kind} record {record_id!r}.", record_id=record_id)

    def record_inquiry(self, subject_id: str, requester: str, purpose: str, at: Any) -> None:
        return None

    def suppress(self, kind: str, record_id: str, reason: str) -> None:
        return None

    def check_correction(self, kind: str, record_id: str, correction: Any, d: str) -> None:
        return None

    def apply_resolution(self, suppression: lg.Suppression) -> None:
        return None

    def apply_identity_change(self, change: lg.IdentityChange) -> None:
        return None

    def rescore(self, subject_id: str) -> None:
        return None


@dataclass
class Env:
    api: TestClient
    ledger: lg.Ledger
    tokens: dict[str, str]
    clients: dict[str, lg.Client]

    def as_(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def decide(self, subject: str) -> dict[str, Any]:
        response = self.api.post(
            "/v1/decisions",
            headers=self.as_("lender"),
            json={"subject_id": subject, "purpose": "credit_pricing"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def env(tmp_path: Any) -> Iterator[Env]:
    ledger = lg.Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}", sqlite_synchronous="NORMAL")
    ledger.upgrade()
    specs = {
        "lender": ("lender", ["credit_pricing"], None), "reviewer": ("reviewer", [], None),
        "reviewer_me": ("reviewer", [], "me"), "auditor": ("auditor", [], None),
        "subject_far": ("subject", [], "far"), "subject_b": ("subject", [], "near-b"),
    }  # fmt: skip
    tokens, clients = {}, {}
    for who, (role, purposes, subject) in specs.items():
        clients[who], tokens[who] = lg.create_client(ledger, role, purposes, subject, name=who)
    api = TestClient(create_app(ledger=ledger, provider=PolicyProvider()))
    yield Env(api, ledger, tokens, clients)
    ledger.dispose()


def test_a_referred_decline_reaches_the_lender_as_pending_review_and_opens_one_case(
    env: Env,
) -> None:
    first, again = env.decide("near-decline"), env.decide("near-decline")
    for body in (first, again):
        assert (body["outcome"], body["adverse"], body["notice"]) == ("pending_review", False,
                                                                     None)  # fmt: skip
        assert body["review"]["state"] == "open"
    [case] = lg.review_cases(env.ledger)
    assert (case.kind, case.subject_id, case.proposed_outcome, case.score) == (
        "near_cutoff", "near-decline", "decline", 575)  # fmt: skip
    assert case.decision_id == first["decision_id"]
    assert first["review"]["case_id"] == again["review"]["case_id"] == case.case_id
    assert {(d.outcome, d.adverse) for d in lg.decisions(env.ledger, "near-decline")} == {
        ("pending_review", False)}  # fmt: skip


@pytest.mark.parametrize(("subject", "kind"), [
    ("ns", "unscorable"), ("flagged", "flagged_input"), ("near-b", "near_cutoff"),
])  # fmt: skip
def test_each_kind_of_referral_opens_exactly_one_case(env: Env, subject: str, kind: str) -> None:
    env.decide(subject)
    env.decide(subject)
    [case] = lg.review_cases(env.ledger)
    assert (case.subject_id, case.kind) == (subject, kind)
    assert case.quality == (("stale_records",) if kind == "flagged_input" else ())


def test_an_unreferred_decision_opens_no_case(env: Env) -> None:
    body = env.decide("far")
    assert (body["outcome"], body["review"]) == ("A", None)
    assert lg.review_cases(env.ledger) == []


def test_a_reviewer_decides_within_bounds_and_the_lender_then_hears_the_outcome(
    env: Env,
) -> None:
    pending = env.decide("near-decline")
    case_id = pending["review"]["case_id"]
    queue = env.api.get("/v1/reviews?state=pending", headers=env.as_("reviewer")).json()
    assert [c["case_id"] for c in queue] == [case_id]
    assert queue[0]["opened_by"] == env.clients["lender"].client_id
    bad = env.api.post(f"/v1/reviews/{case_id}/decision", headers=env.as_("reviewer"),
                       json={"outcome": "AAA", "reason": "data_error"})  # fmt: skip
    assert bad.status_code == 422
    assert "outside the policy's bounds" in bad.json()["error"]["message"]
    no_reason = env.api.post(f"/v1/reviews/{case_id}/decision", headers=env.as_("reviewer"),
                             json={"outcome": "D", "reason": "because"})  # fmt: skip
    assert no_reason.status_code == 422
    done = env.api.post(f"/v1/reviews/{case_id}/decision", headers=env.as_("reviewer"),
                        json={"outcome": "D", "reason": "additional_information",
                              "note": "A second income was not reported."})  # fmt: skip
    assert done.status_code == 200, done.text
    out = done.json()
    assert (out["state"], out["final_outcome"], out["reviewer"], out["reason"]) == (
        "decided", "D", env.clients["reviewer"].client_id, "additional_information")  # fmt: skip
    assert out["final_notice"]["reasons"][0]["code"] == "review:additional_information"
    after = env.decide("near-decline")
    assert (after["outcome"], after["adverse"]) == ("D", True)
    assert after["notice"]["reviewed"]["case_id"] == case_id
    actions = [e.action for e in lg.audit_entries(env.ledger)]
    assert actions.count("review.open") == 1
    assert actions.count("review.decide") == 1
    assert lg.audit_verify(env.ledger).ok
    again = env.api.post(f"/v1/reviews/{case_id}/decision", headers=env.as_("reviewer"),
                         json={"outcome": "decline", "reason": "confirmed"})  # fmt: skip
    assert again.status_code == 409


def test_a_reviewer_cannot_decide_their_own_case(env: Env) -> None:
    case_id = env.decide("me")["review"]["case_id"]
    refused = env.api.post(f"/v1/reviews/{case_id}/decision", headers=env.as_("reviewer_me"),
                           json={"outcome": "decline", "reason": "confirmed"})  # fmt: skip
    assert refused.status_code == 403
    assert refused.json()["error"]["details"] == {"conflict": "own_subject"}
    assert lg.get_review_case(env.ledger, case_id).state == "open"
    assert env.decide("me")["outcome"] == "pending_review"


def test_a_subject_asks_for_review_and_sees_the_case_on_their_file(env: Env) -> None:
    decided = env.decide("far")
    assert decided["outcome"] == "A"
    asked = env.api.post("/v1/reviews", headers=env.as_("subject_far"), json={
        "decision_id": decided["decision_id"], "statement": "My landlord reported late.",
        "documents": [{"name": "receipt.txt", "text": "paid 2026-01-03"}]})  # fmt: skip
    assert asked.status_code == 201, asked.text
    case = asked.json()
    assert (case["kind"], case["state"], case["proposed_outcome"], case["opened_by"]) == (
        "subject_request", "open", "A", None)  # fmt: skip
    assert [o["outcome"] for o in case["options"]] == ["A", "B", "C", "D", "decline"]
    mine = env.api.get("/v1/subjects/far/file", headers=env.as_("subject_far")).json()
    assert [(c["case_id"], c["statement"]) for c in mine["reviews"]] == [
        (case["case_id"], "My landlord reported late.")]  # fmt: skip
    # while a person has not decided, a new decision for the purpose is pending too
    assert env.decide("far")["outcome"] == "pending_review"
    other = env.api.post("/v1/reviews", headers=env.as_("subject_b"), json={
        "decision_id": decided["decision_id"], "statement": "not mine"})  # fmt: skip
    assert other.status_code == 404
    env.api.post(f"/v1/reviews/{case['case_id']}/decision", headers=env.as_("reviewer"),
                 json={"outcome": "A", "reason": "confirmed"})  # fmt: skip
    shown = env.api.get(f"/v1/reviews/{case['case_id']}", headers=env.as_("subject_far")).json()
    assert (shown["state"], shown["final_outcome"], shown["reviewer"]) == ("decided", "A", None)


def test_escalation_keeps_the_decision_pending_and_auditors_see_the_counts(env: Env) -> None:
    case_id = env.decide("ns")["review"]["case_id"]
    case = lg.get_review_case(env.ledger, case_id)
    [late] = lg.run_review_deadlines(env.ledger, case.deadline + dt.timedelta(hours=1))
    assert late.state == "escalated"
    body = env.decide("ns")
    assert (body["outcome"], body["adverse"], body["review"]["state"]) == (
        "pending_review", False, "escalated")  # fmt: skip
    seen = env.api.get(f"/v1/reviews/{case_id}", headers=env.as_("reviewer"))
    assert seen.status_code == 200
    assert [a.action for a in lg.accesses(env.ledger, "ns")][-1] == "review"
    env.api.post(f"/v1/reviews/{case_id}/decision", headers=env.as_("reviewer"),
                 json={"outcome": "C", "reason": "additional_information"})  # fmt: skip
    report = env.api.get("/v1/reviews/report", headers=env.as_("auditor"))
    assert report.status_code == 200
    counts = report.json()
    assert counts["by_kind"] == {"unscorable": {"open": 0, "escalated": 0, "decided": 1}}
    [who] = counts["reviewers"]
    assert (who["reviewer"], who["decided"], who["no_proposal"], who["decided_unseen"]) == (
        env.clients["reviewer"].client_id, 1, 1, 0)  # fmt: skip
    assert counts["override_rate_by_group"] is None  # no protected store beside this provider
