"""Identity links and the review queue in the ledger, each in the audit chain."""

from __future__ import annotations

import datetime as dt

import pytest

import trustscore.ledger as lg
from trustscore.exceptions import NotFoundError, SchemaError

AT = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


@pytest.fixture
def ledger() -> lg.Ledger:
    led = lg.Ledger("sqlite://")
    led.upgrade()
    return led


def test_links_are_stored_with_evidence_and_audited(ledger: lg.Ledger) -> None:
    links = [
        lg.IdentityLink("p1", "s1", None, "deterministic:national_id", {"fields": {}}),
        lg.IdentityLink("p2", "s1", 12.5, "splink", {"fields": {"birth_date": 9.5}}),
    ]
    assert lg.record_links(ledger, links, at=AT) == 2
    stored = lg.identity_links(ledger, subject_id="s1")
    assert [(x.profile_id, x.match_weight, x.decided_by) for x in stored] == [
        ("p1", None, "deterministic:national_id"),
        ("p2", 12.5, "splink"),
    ]
    assert stored[1].evidence == {"fields": {"birth_date": 9.5}}
    entries = lg.audit_entries(ledger)
    assert [e.action for e in entries] == ["identity.link", "identity.link"]
    assert entries[1].payload["match_weight"] == 12.5
    assert lg.audit_verify(ledger).ok


def test_review_queue(ledger: lg.Ledger) -> None:
    item = lg.IdentityReviewItem("p2", "p1", "s1", 3.0, {"fields": {"family_name": 4.0}})
    (rid,) = lg.open_identity_reviews(ledger, [item], at=AT)
    # the same pair again, either way round, is not queued twice
    assert lg.open_identity_reviews(
        ledger, [lg.IdentityReviewItem("p1", "p2", None, 3.0, {})], at=AT
    ) == [rid]
    assert [r.review_id for r in lg.identity_reviews(ledger, status="open")] == [rid]
    decided = lg.decide_identity_review(
        ledger, rid, "distinct", "ops-1", at=AT, note="born ten years apart"
    )
    assert (decided.status, decided.decider) == ("distinct", "ops-1")
    assert lg.identity_reviews(ledger, status="open") == []
    with pytest.raises(SchemaError, match="decided already"):
        lg.decide_identity_review(ledger, rid, "match", "ops-1", at=AT)
    with pytest.raises(SchemaError):
        lg.decide_identity_review(ledger, "rev-x", "maybe", "ops-1", at=AT)
    with pytest.raises(NotFoundError):
        lg.decide_identity_review(ledger, "rev-x", "match", "ops-1", at=AT)
    actions = [e.action for e in lg.audit_entries(ledger)]
    assert actions == ["identity.review_open", "identity.review_decide"]
    # the operator's why is in the audit chain with the decision
    assert lg.audit_entries(ledger)[-1].payload == {
        "review_id": rid,
        "outcome": "distinct",
        "note": "born ten years apart",
    }
    assert lg.audit_verify(ledger).ok
