"""The model registry: four eyes, one champion per purpose, every move in the audit chain."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from trustscore import ledger as lg
from trustscore.exceptions import (
    ApprovalError,
    NeverApprovablePurposeError,
    NotFoundError,
    SchemaError,
)

CARD = {"approved_purposes": ["credit_pricing", "credit_limit"]}
H = dt.timedelta(hours=1)


@pytest.fixture
def people(ledger: lg.Ledger) -> dict[str, str]:
    """A model developer (operator), two validators and an admin."""
    return {
        role: lg.create_client(ledger, kind, name=role)[0].client_id
        for role, kind in (
            ("dev", "operator"), ("val", "validator"), ("val2", "validator"), ("admin", "admin"),
        )
    }  # fmt: skip


def _approved(
    ledger: lg.Ledger, people: dict[str, str], model_hash: str, at: dt.datetime
) -> lg.RegisteredModel:
    lg.register_model(
        ledger, model_hash, model_hash[-2:], CARD, registered_by=people["dev"], now=at
    )
    return lg.approve_model(
        ledger, model_hash, ["credit_pricing"], validator=people["val"], report_hash="sha256:r",
        now=at,
    )  # fmt: skip


def test_the_registrant_cannot_approve_and_the_refusal_is_on_record(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    # validators may develop models too: four eyes then keep them from approving their own
    first = lg.create_client(ledger, "validator", name="first")[0].client_id
    second = lg.create_client(ledger, "validator", name="second")[0].client_id
    admin = lg.create_client(ledger, "admin", name="admin")[0].client_id
    lg.register_model(ledger, "sha256:m1", "m1", CARD, registered_by=first, now=t0)
    with pytest.raises(ApprovalError, match="four eyes") as caught:
        lg.approve_model(
            ledger, "sha256:m1", ["credit_pricing"], validator=first, report_hash="sha256:r"
        )
    assert caught.value.context["client_id"] == first
    [refusal] = lg.refusals(ledger, kind="four_eyes")
    assert (refusal.client_id, refusal.path) == (first, "model approve")
    assert lg.find_model(ledger, "sha256:m1").approvals == ()
    # nor may an admin approve: only a validator
    with pytest.raises(ApprovalError, match="role validator"):
        lg.approve_model(
            ledger, "sha256:m1", ["credit_pricing"], validator=admin, report_hash="sha256:r"
        )
    assert [r.kind for r in lg.refusals(ledger)] == ["four_eyes", "role_refused"]
    assert [e.action for e in lg.audit_entries(ledger)][-2:] == ["access.refused"] * 2
    # the second validator may
    model = lg.approve_model(
        ledger, "sha256:m1", ["credit_pricing"], validator=second, report_hash="sha256:r"
    )
    assert model.approved_purposes == ("credit_pricing",)


def test_approval_by_another_validator_for_approvable_intended_purposes_only(
    ledger: lg.Ledger, people: dict[str, str], t0: dt.datetime
) -> None:
    lg.register_model(ledger, "sha256:m1", "m1", CARD, registered_by=people["dev"], now=t0)
    with pytest.raises(NeverApprovablePurposeError, match="employment"):
        lg.approve_model(
            ledger, "sha256:m1", ["employment"], validator=people["val"], report_hash="r"
        )
    with pytest.raises(ApprovalError, match="not meant for deposit_waiver"):
        lg.approve_model(
            ledger, "sha256:m1", ["deposit_waiver"], validator=people["val"], report_hash="r"
        )
    model = lg.approve_model(
        ledger, "sha256:m1", ["credit_limit"], validator=people["val"], report_hash="sha256:rep",
        now=t0 + H,
    )  # fmt: skip
    [approval] = model.approvals
    assert (approval.validator, approval.purposes, approval.report_hash, approval.approved_at) == (
        people["val"],
        ("credit_limit",),
        "sha256:rep",
        t0 + H,
    )
    # registering the same artifact again changes nothing, whoever asks
    again = lg.register_model(ledger, "sha256:m1", "m1", CARD, registered_by=people["admin"])
    assert (again.registered_by, again.approved_purposes) == (people["dev"], ("credit_limit",))


def test_an_unapproved_model_cannot_be_champion(
    ledger: lg.Ledger, people: dict[str, str], t0: dt.datetime
) -> None:
    _approved(ledger, people, "sha256:m1", t0)
    with pytest.raises(ApprovalError, match="not approved for 'credit_limit'"):
        lg.promote_model(ledger, "sha256:m1", "credit_limit", actor=people["admin"])
    with pytest.raises(ApprovalError, match="role admin or validator"):
        lg.promote_model(ledger, "sha256:m1", "credit_pricing", actor=people["dev"])
    assert lg.champion(ledger, "credit_limit") is None
    assert lg.model_events(ledger) == []


def test_promote_retire_rollback_are_events_in_the_audit_chain(
    ledger: lg.Ledger, people: dict[str, str], t0: dt.datetime
) -> None:
    _approved(ledger, people, "sha256:m1", t0)
    _approved(ledger, people, "sha256:m2", t0)
    admin = people["admin"]
    lg.promote_model(ledger, "sha256:m1", "credit_pricing", actor=admin, now=t0 + H)
    lg.promote_model(ledger, "sha256:m2", "credit_pricing", actor=admin, now=t0 + 2 * H)
    lg.retire_model(ledger, "credit_pricing", actor=people["val"], now=t0 + 3 * H)
    assert lg.champion(ledger, "credit_pricing") is None
    lg.rollback_model(ledger, "credit_pricing", actor=admin, now=t0 + 4 * H)
    champ = lg.champion(ledger, "credit_pricing")
    assert champ is not None
    assert champ.model_hash == "sha256:m2"  # the one before retiring
    lg.rollback_model(ledger, "credit_pricing", actor=admin, now=t0 + 5 * H)
    # the champion at each past moment is the one of the latest move at or before it
    at = {k: lg.champion(ledger, "credit_pricing", at=t0 + k * H) for k in range(6)}
    assert {k: None if m is None else m.model_hash for k, m in at.items()} == {
        0: None, 1: "sha256:m1", 2: "sha256:m2", 3: None, 4: "sha256:m2", 5: "sha256:m1",
    }  # fmt: skip
    events = lg.model_events(ledger, purpose="credit_pricing")
    assert [(e.action, e.model_hash) for e in events] == [
        ("promote", "sha256:m1"), ("promote", "sha256:m2"), ("retire", None),
        ("rollback", "sha256:m2"), ("rollback", "sha256:m1"),
    ]  # fmt: skip
    entries = [e for e in lg.audit_entries(ledger) if e.action.startswith("model.")]
    assert [e.action for e in entries] == [
        "model.register", "model.approve", "model.register", "model.approve",
        "model.promote", "model.promote", "model.retire", "model.rollback", "model.rollback",
    ]  # fmt: skip
    assert [e.payload["model_hash"] for e in entries[4:]] == [
        "sha256:m1",
        "sha256:m2",
        None,
        "sha256:m2",
        "sha256:m1",
    ]
    assert lg.audit_verify(ledger).ok
    # a move edited behind the ledger's back fails verification
    with ledger.writing() as conn:
        conn.execute(sa.text("UPDATE model_events SET model_hash = 'sha256:m2' WHERE event_id = 1"))
    assert not lg.audit_verify(ledger).ok


def test_rollback_and_retire_need_something_to_move(
    ledger: lg.Ledger, people: dict[str, str], t0: dt.datetime
) -> None:
    _approved(ledger, people, "sha256:m1", t0)
    with pytest.raises(NotFoundError, match="no champion to retire"):
        lg.retire_model(ledger, "credit_pricing", actor=people["admin"])
    lg.promote_model(ledger, "sha256:m1", "credit_pricing", actor=people["admin"])
    with pytest.raises(NotFoundError, match="no earlier champion"):
        lg.rollback_model(ledger, "credit_pricing", actor=people["admin"])


def test_a_challenger_needs_registration_only_and_takes_its_own_slot(
    ledger: lg.Ledger, people: dict[str, str], t0: dt.datetime
) -> None:
    _approved(ledger, people, "sha256:m1", t0)
    lg.register_model(ledger, "sha256:c1", "c1", CARD, registered_by=people["dev"])
    lg.promote_model(ledger, "sha256:m1", "credit_pricing", actor=people["admin"])
    lg.set_challenger(ledger, "sha256:c1", "credit_pricing", actor=people["admin"])
    champ = lg.champion(ledger, "credit_pricing")
    chall = lg.challenger(ledger, "credit_pricing")
    assert (champ and champ.model_hash, chall and chall.model_hash) == ("sha256:m1", "sha256:c1")
    lg.set_challenger(ledger, None, "credit_pricing", actor=people["admin"])
    assert lg.challenger(ledger, "credit_pricing") is None
    assert [e.action for e in lg.model_events(ledger, slot="challenger")] == [
        "challenge", "withdraw",
    ]  # fmt: skip


def test_a_purpose_has_a_champion_per_subject_kind(
    ledger: lg.Ledger, people: dict[str, str], t0: dt.datetime
) -> None:
    person = _approved(ledger, people, "sha256:p1", t0)
    org_card = {**CARD, "subject_kind": "organisation"}
    lg.register_model(ledger, "sha256:o1", "o1", org_card, registered_by=people["dev"], now=t0)
    lg.approve_model(
        ledger, "sha256:o1", ["credit_pricing"], validator=people["val"], report_hash="sha256:r",
        now=t0,
    )  # fmt: skip
    lg.promote_model(ledger, person.model_hash, "credit_pricing", actor=people["val"], now=t0)
    event = lg.promote_model(ledger, "sha256:o1", "credit_pricing", actor=people["val"], now=t0 + H)
    assert event.subject_kind == "organisation"
    # promoting the organisations' model leaves the persons' champion in place
    champ = lg.champion(ledger, "credit_pricing")
    assert champ is not None
    assert champ.model_hash == "sha256:p1"
    org = lg.champion(ledger, "credit_pricing", subject_kind="organisation")
    assert org is not None
    assert org.model_hash == "sha256:o1"
    assert lg.champion(ledger, "credit_pricing", subject_kind="organisation", at=t0) is None
    lg.retire_model(ledger, "credit_pricing", actor=people["val"], subject_kind="organisation")
    assert lg.champion(ledger, "credit_pricing", subject_kind="organisation") is None
    assert lg.champion(ledger, "credit_pricing") is not None
    entries = [e for e in lg.audit_entries(ledger) if e.action == "model.promote"]
    assert [e.payload["subject_kind"] for e in entries] == ["person", "organisation"]
    assert lg.audit_verify(ledger).ok
    with pytest.raises(SchemaError, match="subject_kind"):
        lg.champion(ledger, "credit_pricing", subject_kind="robot")


def test_migration_0011_keeps_earlier_champions_as_persons_and_recommits_them(
    tmp_path: Path, t0: dt.datetime
) -> None:
    old = lg.Ledger(f"sqlite:///{tmp_path / 'old.sqlite'}")
    old.upgrade("0010")
    dev = lg.create_client(old, "operator", name="dev")[0].client_id
    lg.register_model(old, "sha256:p1", "p1", CARD, registered_by=dev, now=t0)
    at = t0.replace(tzinfo=None)
    # an event as revision 0010 wrote it (the code of today writes the new column)
    with old._engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO model_events (purpose, slot, action, model_hash, actor, at) "
                    "VALUES ('credit_pricing', 'champion', 'promote', 'sha256:p1', 'val', :at)"),
            {"at": at},
        )  # fmt: skip
    old.upgrade()
    assert old.revision() == "0013"
    champ = lg.champion(old, "credit_pricing")
    assert champ is not None
    assert champ.model_hash == "sha256:p1"
    assert lg.champion(old, "credit_pricing", subject_kind="organisation") is None
    baseline = [e for e in lg.audit_entries(old) if e.action == "audit.baseline"][-1]
    assert [s[0] for s in baseline.state] == ["model_events"]
    assert lg.audit_verify(old).ok
    old.dispose()
