"""API clients: roles, the purposes a lender may use scores for, and bearer tokens.

A token is ``<client_id>.<secret>``; only ``sha256(token)`` is stored, and the check compares
digests with :func:`hmac.compare_digest` so its time does not depend on how much matched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from sqlalchemy import select

from trustscore.exceptions import NotFoundError, SchemaError
from trustscore.ledger._audit import append_entry
from trustscore.ledger._checks import check_choice, check_text, moment
from trustscore.ledger._commitments import commitments, register_committed_table
from trustscore.ledger._salts import personal
from trustscore.ledger._tables import ClientRow
from trustscore.ledger._types import ROLES, Client, Role
from trustscore.safeguards import check_purpose_approvable

if TYPE_CHECKING:
    from trustscore.ledger._db import Ledger

__all__ = ["authenticate", "clients", "create_client", "get_client", "revoke_client"]


# A client's role, purposes, subject, token hash and revocation are what it may do: an edit of
# any of them behind the ledger's back fails `audit verify`.
register_committed_table(ClientRow, subject="subject_id")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _client(row: ClientRow) -> Client:
    return Client(
        row.client_id, row.name, cast(Role, row.role), tuple(row.purposes), row.subject_id,
        row.created_at, row.revoked_at,
    )  # fmt: skip


def create_client(
    ledger: Ledger,
    role: str,
    purposes: Sequence[str] = (),
    subject_id: str | None = None,
    name: str | None = None,
    *,
    now: dt.datetime | None = None,
    actor: str = "admin",
) -> tuple[Client, str]:
    """Create an API client and return it with its bearer token, which is shown only here.

    A ``lender`` needs at least one purpose, each approvable (a never-approvable purpose such as
    ``employment`` raises :class:`~trustscore.exceptions.NeverApprovablePurposeError`); a
    ``subject`` needs its ``subject_id``; a ``reviewer`` may give their own (so that they are
    refused the review cases about themselves); other roles take neither.

    Examples
    --------
    >>> from trustscore.ledger import Ledger
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> client, token = create_client(ledger, "lender", ["credit_limit"], name="Bank A")
    >>> authenticate(ledger, token) == client
    True
    >>> authenticate(ledger, token + "x") is None
    True
    """
    check_choice(role, "role", ROLES)
    purposes = tuple(dict.fromkeys(purposes))
    if role == "lender":
        if not purposes:
            msg = "A lender client needs at least one purpose (e.g. --purpose credit_limit)."
            raise SchemaError(msg, field="purposes", role=role)
        for purpose in purposes:
            check_purpose_approvable(purpose)
    elif purposes:
        msg = f"Only lender clients are bound to purposes; a {role} client takes none."
        raise SchemaError(msg, field="purposes", role=role)
    if role == "subject":
        check_text(subject_id, "subject_id", max_length=128)
    elif subject_id is not None and role == "reviewer":
        # a reviewer who is also a scored person names their own subject id, so that the
        # review queue can refuse them every case about themselves
        check_text(subject_id, "subject_id", max_length=128)
    elif subject_id is not None:
        msg = (
            f"Only subject (and reviewer) clients are bound to a subject; a {role} client takes "
            "none."
        )
        raise SchemaError(msg, field="subject_id", role=role)
    client_id = f"cl_{secrets.token_hex(8)}"
    token = f"{client_id}.{secrets.token_urlsafe(32)}"
    display = name or (f"{role} {subject_id}" if subject_id else f"{role} {client_id}")
    check_text(display, "name", max_length=256)
    at = moment(now)
    with ledger.transaction() as session:
        row = ClientRow(
            client_id=client_id, name=display, role=role, purposes=list(purposes),
            subject_id=subject_id, token_hash=_digest(token), created_at=at, revoked_at=None,
        )  # fmt: skip
        session.add(row)
        session.flush()
        append_entry(
            session, actor, "client.create",
            {"client_id": client_id, "name": personal(session, subject_id, display, at),
             "role": role, "purposes": list(purposes),
             "subject_id": personal(session, subject_id, subject_id, at)},
            at, state=commitments(session, row),
        )  # fmt: skip
        return _client(row), token


def authenticate(ledger: Ledger, token: str) -> Client | None:
    """The active client holding ``token``, or None (unknown, malformed or revoked)."""
    client_id, sep, secret = token.partition(".")
    if not sep or not client_id or not secret:
        return None
    with ledger.reading() as session:
        row = session.get(ClientRow, client_id)
        if row is None:
            # Spend the same work as a real check so unknown ids are not faster to reject.
            hmac.compare_digest(_digest(token), "0" * 64)
            return None
        if not hmac.compare_digest(_digest(token), row.token_hash) or row.revoked_at is not None:
            return None
        return _client(row)


def get_client(ledger: Ledger, client_id: str) -> Client:
    """The client with this id; :class:`~trustscore.exceptions.NotFoundError` if none."""
    with ledger.reading() as session:
        row = session.get(ClientRow, client_id)
        if row is None:
            msg = f"There is no API client {client_id!r}."
            raise NotFoundError(msg, client_id=client_id)
        return _client(row)


def clients(ledger: Ledger) -> list[Client]:
    """Every client, oldest first (tokens are not stored, so none is returned)."""
    with ledger.reading() as session:
        rows = session.scalars(
            select(ClientRow).order_by(ClientRow.created_at, ClientRow.client_id)
        )
        return [_client(row) for row in rows]


def revoke_client(
    ledger: Ledger, client_id: str, *, now: dt.datetime | None = None, actor: str = "admin"
) -> Client:
    """Revoke a client's token; revoking twice keeps the first time.

    Examples
    --------
    >>> from trustscore.ledger import Ledger
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> client, token = create_client(ledger, "auditor")
    >>> revoke_client(ledger, client.client_id).active
    False
    >>> authenticate(ledger, token) is None
    True
    """
    at = moment(now)
    with ledger.transaction() as session:
        row = session.get(ClientRow, client_id)
        if row is None:
            msg = f"There is no API client {client_id!r}."
            raise NotFoundError(msg, client_id=client_id)
        if row.revoked_at is None:
            row.revoked_at = at
            session.flush()
            append_entry(
                session, actor, "client.revoke", {"client_id": client_id}, at,
                state=commitments(session, row),
            )  # fmt: skip
        return _client(row)
