"""API clients: roles, purposes, tokens stored only as hashes, revocation."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

import trustscore.ledger as lg
from trustscore.exceptions import (
    NeverApprovablePurposeError,
    NotFoundError,
    PurposeError,
    SchemaError,
)
from trustscore.safeguards import NEVER_APPROVABLE_PURPOSES


def test_token_is_shown_once_and_stored_only_as_its_hash(ledger: lg.Ledger) -> None:
    client, token = lg.create_client(ledger, "lender", ["credit_limit", "credit_limit"], name="B")
    assert client.purposes == ("credit_limit",)
    assert token.startswith(client.client_id + ".")
    with ledger.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM api_clients")).all()
        audit = conn.execute(sa.text("SELECT payload FROM audit_log")).scalars().all()
    dump = repr(rows) + repr(audit)
    assert token not in dump
    assert token.split(".", 1)[1] not in dump
    assert hashlib.sha256(token.encode()).hexdigest() in repr(rows)
    assert lg.authenticate(ledger, token) == client
    assert lg.get_client(ledger, client.client_id) == client
    assert lg.clients(ledger) == [client]


@pytest.mark.parametrize(
    "bad", ["", "nodot", ".secret", "cl_0000000000000000.secret", "cl_x.", "x" * 500]
)
def test_malformed_or_unknown_tokens_do_not_authenticate(ledger: lg.Ledger, bad: str) -> None:
    lg.create_client(ledger, "auditor")
    assert lg.authenticate(ledger, bad) is None


def test_a_wrong_secret_for_a_real_client_does_not_authenticate(ledger: lg.Ledger) -> None:
    client, token = lg.create_client(ledger, "operator")
    assert lg.authenticate(ledger, f"{client.client_id}.wrong") is None
    assert lg.authenticate(ledger, token[:-1] + ("A" if token[-1] != "A" else "B")) is None


def test_revoked_clients_cannot_authenticate(ledger: lg.Ledger) -> None:
    client, token = lg.create_client(ledger, "subject", subject_id="s1")
    first = lg.revoke_client(ledger, client.client_id)
    assert not first.active
    assert lg.revoke_client(ledger, client.client_id).revoked_at == first.revoked_at
    assert lg.authenticate(ledger, token) is None
    with pytest.raises(NotFoundError):
        lg.revoke_client(ledger, "cl_nope")
    assert [e.action for e in lg.audit_entries(ledger)] == ["client.create", "client.revoke"]


@pytest.mark.parametrize("purpose", sorted(NEVER_APPROVABLE_PURPOSES))
def test_a_lender_can_never_be_bound_to_a_never_approvable_purpose(
    ledger: lg.Ledger, purpose: str
) -> None:
    with pytest.raises(NeverApprovablePurposeError, match=NEVER_APPROVABLE_PURPOSES[purpose]):
        lg.create_client(ledger, "lender", ["credit_limit", purpose])
    assert lg.clients(ledger) == []


@pytest.mark.parametrize(
    ("role", "purposes", "subject", "error", "match"),
    [
        ("lender", [], None, SchemaError, "at least one purpose"),
        ("lender", ["astrology"], None, PurposeError, "Unknown purpose"),
        ("operator", ["credit_limit"], None, SchemaError, "Only lender"),
        ("subject", [], None, SchemaError, "subject_id"),
        ("admin", [], "s1", SchemaError, "Only subject"),
        ("root", [], None, SchemaError, "role"),
    ],
)
def test_client_arguments_are_checked(
    ledger: lg.Ledger, role: str, purposes: list[str], subject: str | None,
    error: type[Exception], match: str,
) -> None:  # fmt: skip
    with pytest.raises(error, match=match):
        lg.create_client(ledger, role, purposes, subject)
