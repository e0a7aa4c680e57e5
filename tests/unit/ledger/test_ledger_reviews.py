"""The review queue in the ledger: one case per decision, bounded decisions, escalation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import trustscore.ledger as lg
from trustscore.exceptions import LedgerError, NotFoundError, SchemaError

OPTIONS = [
    {"outcome": "A", "label": "Tier A", "adverse": False},
    {"outcome": "B", "label": "Tier B", "adverse": False},
    {"outcome": "decline", "label": "Declined", "adverse": True},
]
NOTICE = {"outcome": "decline", "reasons": [{"code": "R1"}]}


def _opening(key: str, kind: str = "near_cutoff", subject: str = "s1", **kw: Any) -> Any:
    args: dict[str, Any] = {
        "referral_key": key, "kind": kind, "subject_id": subject, "purpose": "credit_pricing",
        "policy": "tiers", "proposed_outcome": "B", "options": OPTIONS, "review_days": 5,
        "score": 701, "reasons": [{"code": "R1", "reason": "late bills", "improve": "pay"}],
    }  # fmt: skip
    args.update(kw)
    return lg.ReviewOpening(**args)


def _reviewer(ledger: lg.Ledger, subject: str | None = None) -> str:
    client, _ = lg.create_client(ledger, "reviewer", (), subject, name=f"rev {subject}")
    return client.client_id


@pytest.mark.parametrize("kind", ["near_cutoff", "unscorable", "flagged_input"])
def test_each_referral_opens_exactly_one_case_however_often_it_is_sent(
    ledger: lg.Ledger, t0: dt.datetime, kind: str
) -> None:
    op = _opening(f"run1|{kind}", kind, quality=["stale_records"] if kind == "flagged_input"
                  else [])  # fmt: skip
    first = lg.open_review_cases(ledger, [op, op], t0)
    again = lg.open_review_cases(ledger, [op], t0 + dt.timedelta(hours=1))
    assert first[0].case_id == first[1].case_id == again[0].case_id
    [case] = lg.review_cases(ledger)
    assert (case.kind, case.state, case.opened_at, case.proposed_outcome) == (kind, "open", t0,
                                                                              "B")  # fmt: skip
    assert case.quality == (("stale_records",) if kind == "flagged_input" else ())
    # T0 is a Sunday: five working days later is the Friday
    assert case.deadline == dt.datetime(2026, 3, 6, 9, 30, 15, 123456, tzinfo=dt.UTC)
    opened = [e for e in lg.audit_entries(ledger) if e.action == "review.open"]
    assert [e.payload["case_id"] for e in opened] == [case.case_id]


def test_a_case_about_a_decision_is_found_by_the_decision_too(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    d = lg.record_decision(ledger, subject_id="s1", purpose="credit_pricing", policy="tiers",
                           outcome="pending_review", adverse=False, now=t0)  # fmt: skip
    [a] = lg.open_review_cases(ledger, [_opening("k1", decision_id=d.decision_id)], t0)
    [b] = lg.open_review_cases(ledger, [_opening("k2", decision_id=d.decision_id)], t0)
    assert a.case_id == b.case_id
    assert [c.case_id for c in lg.review_cases(ledger, decision_id=d.decision_id)] == [a.case_id]


def test_bad_openings_are_refused_and_write_nothing(ledger: lg.Ledger, t0: dt.datetime) -> None:
    with pytest.raises(SchemaError, match="'kind' field must be one of"):
        lg.open_review_cases(ledger, [_opening("k", "gut_feeling")], t0)
    with pytest.raises(SchemaError, match="not among its options"):
        lg.open_review_cases(ledger, [_opening("k", proposed_outcome="Z")], t0)
    with pytest.raises(SchemaError, match="review_days"):
        lg.open_review_cases(ledger, [_opening("k", review_days=0)], t0)
    assert lg.review_cases(ledger) == []
    assert lg.audit_verify(ledger).n_entries == 0


def test_an_override_stays_in_bounds_and_is_recorded_with_reason_and_reviewer(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    [case] = lg.open_review_cases(ledger, [_opening("k")], t0)
    reviewer = _reviewer(ledger)
    later = t0 + dt.timedelta(minutes=7)
    with pytest.raises(SchemaError, match="outside the policy's bounds"):
        lg.decide_review_case(ledger, case.case_id, reviewer, "C", "data_error", now=later)
    with pytest.raises(SchemaError, match="needs another reason"):
        lg.decide_review_case(ledger, case.case_id, reviewer, "A", "confirmed", now=later)
    with pytest.raises(SchemaError, match="must carry its adverse-action notice"):
        lg.decide_review_case(ledger, case.case_id, reviewer, "decline", "data_error", now=later)
    assert lg.get_review_case(ledger, case.case_id).state == "open"
    done = lg.decide_review_case(ledger, case.case_id, reviewer, "A", "additional_information",
                                 note="payslips show a steady income", now=later)  # fmt: skip
    assert (done.state, done.final_outcome, done.final_adverse, done.reason, done.reviewer) == (
        "decided", "A", False, "additional_information", reviewer)  # fmt: skip
    assert (done.overridden, done.decided_at, done.note) == (
        True, later, "payslips show a steady income")  # fmt: skip
    [final] = lg.decisions(ledger, "s1")
    assert (final.decision_id, final.outcome, final.client_id) == (
        done.final_decision_id, "A", reviewer)  # fmt: skip
    actions = [e.action for e in lg.audit_entries(ledger)]
    assert actions[-2:] == ["decision.record", "review.decide"]
    decided = lg.audit_entries(ledger)[-1].payload
    assert (decided["proposed"], decided["outcome"], decided["overridden"], decided["reason"]) == (
        "B", "A", True, "additional_information")  # fmt: skip
    assert lg.audit_verify(ledger).ok
    with pytest.raises(LedgerError, match="already decided"):
        lg.decide_review_case(ledger, case.case_id, reviewer, "B", "confirmed", now=later)


def test_an_adverse_final_decision_carries_its_notice(ledger: lg.Ledger, t0: dt.datetime) -> None:
    [case] = lg.open_review_cases(ledger, [_opening("k")], t0)
    done = lg.decide_review_case(ledger, case.case_id, _reviewer(ledger), "decline",
                                 "policy_exception", notice=NOTICE, now=t0)  # fmt: skip
    assert (done.final_adverse, done.final_notice) == (True, NOTICE)
    assert lg.decisions(ledger, "s1")[-1].notice == NOTICE


def test_a_reviewer_cannot_decide_a_case_about_themselves_or_one_they_opened(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    me = _reviewer(ledger, subject="s1")
    [about_me] = lg.open_review_cases(ledger, [_opening("k1", subject="s1")], t0)
    with pytest.raises(LedgerError, match="themselves"):
        lg.decide_review_case(ledger, about_me.case_id, me, "B", "confirmed", now=t0)
    [mine] = lg.open_review_cases(ledger, [_opening("k2", subject="s2")], t0, actor=me)
    with pytest.raises(LedgerError, match="opened by"):
        lg.decide_review_case(ledger, mine.case_id, me, "B", "confirmed", now=t0)
    operator, _ = lg.create_client(ledger, "operator")
    with pytest.raises(LedgerError, match="not an active reviewer"):
        lg.decide_review_case(ledger, mine.case_id, operator.client_id, "B", "confirmed", now=t0)
    assert {c.state for c in lg.review_cases(ledger)} == {"open"}
    assert lg.decisions(ledger, "s1") == []
    other = _reviewer(ledger)
    assert lg.decide_review_case(ledger, about_me.case_id, other, "B", "confirmed",
                                 now=t0).final_outcome == "B"  # fmt: skip


def test_overdue_cases_are_escalated_once_and_stay_pending(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    [case] = lg.open_review_cases(ledger, [_opening("k")], t0)
    assert lg.run_review_deadlines(ledger, case.deadline) == []
    [late] = lg.run_review_deadlines(ledger, case.deadline + dt.timedelta(seconds=1))
    assert (late.state, late.pending, late.final_outcome) == ("escalated", True, None)
    assert lg.run_review_deadlines(ledger, case.deadline + dt.timedelta(days=9)) == []
    assert [c.case_id for c in lg.review_cases(ledger, "pending")] == [case.case_id]
    assert lg.pending_review_case(ledger, "s1", "credit_pricing") == late
    assert [e.action for e in lg.audit_entries(ledger)][-1] == "review.escalate"
    done = lg.decide_review_case(ledger, case.case_id, _reviewer(ledger), "B", "confirmed",
                                 now=case.deadline + dt.timedelta(days=2))  # fmt: skip
    assert (done.state, done.escalated_at) == ("decided", late.escalated_at)


def test_a_subject_request_opens_a_case_or_joins_the_waiting_one(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    snap = lg.record_snapshot(ledger, subject_id="s1", as_of=dt.date(2026, 2, 28),
        model_version="m1", model_hash="h" * 64, score=702, status="OK", subscores={"pay": 300},
        reasons=[{"code": "R1", "text": "late bills"}], feature_hash="f" * 64, now=t0)  # fmt: skip
    d = lg.record_decision(ledger, subject_id="s1", purpose="credit_pricing", policy="tiers",
                           outcome="B", adverse=False, snapshot_id=snap.snapshot_id,
                           now=t0)  # fmt: skip
    with pytest.raises(NotFoundError):
        lg.request_review(ledger, "s2", d.decision_id, "not mine", options=OPTIONS,
                          review_days=5, now=t0)  # fmt: skip
    with pytest.raises(LedgerError, match="more than 30 days ago"):
        lg.request_review(ledger, "s1", d.decision_id, "too late", options=OPTIONS,
                          review_days=5, now=t0 + dt.timedelta(days=31))  # fmt: skip
    case = lg.request_review(ledger, "s1", d.decision_id, "My income doubled.", options=OPTIONS,
        review_days=5, documents=[{"name": "payslip.txt", "text": "EUR 4000"}],
        now=t0 + dt.timedelta(days=30))  # fmt: skip
    assert (case.kind, case.state, case.decision_id, case.score, case.proposed_outcome) == (
        "subject_request", "open", d.decision_id, 702, "B")  # fmt: skip
    assert (case.statement, case.documents) == (
        "My income doubled.", ({"name": "payslip.txt", "text": "EUR 4000"},))  # fmt: skip
    again = lg.request_review(ledger, "s1", d.decision_id, "And I moved.", options=OPTIONS,
                              review_days=5, now=t0)  # fmt: skip
    assert again.case_id == case.case_id
    assert again.statement == "My income doubled.\n\nAnd I moved."
    last = lg.audit_entries(ledger)[-1]
    assert (last.action, last.payload["case_id"], last.actor) == (
        "review.statement", case.case_id, "s1")  # fmt: skip
    assert [c.case_id for c in lg.review_cases(ledger, subject_id="s1")] == [case.case_id]
    lg.decide_review_case(ledger, case.case_id, _reviewer(ledger), "A", "subject_statement",
                          now=t0)  # fmt: skip
    with pytest.raises(LedgerError, match="already reviewed"):
        lg.request_review(ledger, "s1", d.decision_id, "again", options=OPTIONS,
                          review_days=5, now=t0)  # fmt: skip
    assert lg.audit_verify(ledger).ok


def test_the_report_counts_confirmations_and_overrides_per_reviewer_and_group(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    cases = lg.open_review_cases(ledger, [_opening(f"k{i}", subject=f"s{i}") for i in range(4)],
                                 t0)  # fmt: skip
    fast, slow = _reviewer(ledger), _reviewer(ledger)
    at = t0 + dt.timedelta(seconds=30)
    lg.decide_review_case(ledger, cases[0].case_id, fast, "B", "confirmed", now=at)
    lg.decide_review_case(ledger, cases[1].case_id, fast, "B", "confirmed", now=at)
    # the slow reviewer opens the case half an hour in and decides at the hour
    lg.record_review_view(ledger, cases[2], slow, t0 + dt.timedelta(minutes=30))
    lg.record_review_view(ledger, cases[2], slow, t0 + dt.timedelta(minutes=50))
    lg.decide_review_case(ledger, cases[2].case_id, slow, "decline", "data_error", notice=NOTICE,
                          now=t0 + dt.timedelta(hours=1))  # fmt: skip
    report = lg.review_report(ledger, {"s0": "g1", "s1": "g1", "s2": "g2"})
    assert report["n_cases"] == 4
    assert report["by_kind"] == {"near_cutoff": {"open": 1, "escalated": 0, "decided": 3}}
    by = {r["reviewer"]: r for r in report["reviewers"]}
    assert (by[fast]["confirmed"], by[fast]["overridden"], by[fast]["override_rate"]) == (2, 0, 0)
    # the fast one never opened a case: no time spent on either
    assert (by[fast]["median_seconds_to_decide"], by[fast]["decided_unseen"]) == (0, 2)
    assert by[fast]["by_outcome"] == {"B": {"confirmed": 2, "overridden": 0, "no_proposal": 0}}
    assert (by[slow]["overridden"], by[slow]["median_seconds_to_decide"]) == (1, 1800)
    assert by[slow]["decided_unseen"] == 0
    looked = [a for a in lg.accesses(ledger, "s2") if a.action == "review"]
    assert [(a.client_id, a.purpose) for a in looked] == [(slow, "human_review")] * 2
    assert report["override_rate_by_group"] == [
        {"group": "g1", "decided": 2, "overridden": 0, "made_adverse": 0, "lifted_adverse": 0,
         "override_rate": 0.0},
        {"group": "g2", "decided": 1, "overridden": 1, "made_adverse": 1, "lifted_adverse": 0,
         "override_rate": 1.0},
    ]  # fmt: skip
    assert "s0" not in str(report)


def test_two_writers_opening_the_same_case_at_once_get_one_case(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    import threading

    op = _opening("raced")
    results: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def open_it() -> None:
        start.wait()
        try:
            results.append(lg.open_review_cases(ledger, [op], t0)[0].case_id)
        except BaseException as exc:  # handed to the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    [case] = lg.review_cases(ledger)
    assert results == [case.case_id] * 4
    assert [e.action for e in lg.audit_entries(ledger)].count("review.open") == 1
