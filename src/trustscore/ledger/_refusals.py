"""Refused requests: the access log's record of who tried, on what, and why they were refused.

A lender asking for a forbidden purpose, a client reading another subject's file, an invalid
token, a rate-limited request: each refusal is a row of ``access_refusals`` with its audit entry
(``access.refused``), written in one transaction with the others of its group, so a regulator
sees who tried to use scores for what they may not, and a subject sees the attempts on their file.
An invalid token is named by a fingerprint of it (the first 16 hex digits of its SHA-256), never
by the token. The entry names the subject of a refusal only by salted commitments (of the id, and
of the path or reason where they name it); the row keeps them, for the subject's own file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trustscore.ledger._audit import append_entries
from trustscore.ledger._checks import check_choice, check_text, moment
from trustscore.ledger._commitments import register_committed_table, stored_commitments
from trustscore.ledger._rows import RowWriter
from trustscore.ledger._salts import salt_commitment, subject_salts
from trustscore.ledger._tables import RefusalRow

if TYPE_CHECKING:
    from trustscore.ledger._db import Ledger

__all__ = [
    "REFUSAL_KINDS",
    "Refusal",
    "RefusalAttempt",
    "record_refusals",
    "refusal_counts",
    "refusals",
]

# The refusals a regulator reads: a row deleted or edited behind the ledger fails `audit verify`.
# Salted by the subject the request named, like their other rows: the entry holds only
# commitments of what names them, so an unsalted content hash would let anyone test guesses.
register_committed_table(RefusalRow, subject="subject_id")

#: Why a request was refused: a purpose the client may not use, another subject's file, no
#: valid token, over the client's rate, a role that may not use the endpoint, a model's
#: registrant approving it themselves.
REFUSAL_KINDS: Final = (
    "four_eyes",
    "invalid_token",
    "not_own_file",
    "purpose_refused",
    "rate_limited",
    "role_refused",
)


@dataclass(frozen=True)
class RefusalAttempt:
    """A refused request, as the service saw it (to record with :func:`record_refusals`)."""

    kind: str
    method: str
    path: str
    reason: str
    client_id: str | None = None
    token_fingerprint: str | None = None
    subject_id: str | None = None
    purpose: str | None = None
    at: dt.datetime | None = None


@dataclass(frozen=True)
class Refusal:
    """A recorded refusal."""

    refusal_id: int
    kind: str
    client_id: str | None
    token_fingerprint: str | None
    subject_id: str | None
    method: str
    path: str
    purpose: str | None
    reason: str
    at: dt.datetime

    @property
    def actor(self) -> str:
        """Who tried: the client id, else ``token:<fingerprint>``, else ``anonymous``."""
        return _actor(self.client_id, self.token_fingerprint)


def _actor(client_id: str | None, fingerprint: str | None) -> str:
    if client_id is not None:
        return client_id
    return "anonymous" if fingerprint is None else f"token:{fingerprint}"


def _row(item: RefusalAttempt) -> dict[str, Any]:
    check_choice(item.kind, "kind", REFUSAL_KINDS)
    if item.client_id is not None:
        check_text(item.client_id, "client_id", max_length=64)
    if item.token_fingerprint is not None:
        check_text(item.token_fingerprint, "token_fingerprint", max_length=16)
    check_text(item.method, "method", max_length=16)
    check_text(item.reason, "reason", max_length=4000)
    return {
        "kind": item.kind, "client_id": item.client_id,
        "token_fingerprint": item.token_fingerprint,
        # what the request named is kept as far as the columns go: a refusal is never lost
        # for a path or subject id too long to store whole
        "subject_id": None if item.subject_id is None else item.subject_id[:128],
        "method": item.method, "path": item.path[:512] or "/",
        "purpose": None if item.purpose is None else item.purpose[:64],
        "reason": item.reason, "at": moment(item.at, name="at"),
    }  # fmt: skip


def record_refusals(ledger: Ledger, items: Sequence[RefusalAttempt]) -> list[Refusal]:
    """Record refused requests and their audit entries (``access.refused``) in one transaction.

    Every item is checked before anything is written; one bad item fails the call.

    Examples
    --------
    >>> from trustscore.ledger import Ledger, audit_entries
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> [r] = record_refusals(ledger, [RefusalAttempt(
    ...     "purpose_refused", "POST", "/v1/scores", "employment is never approvable",
    ...     client_id="cl_bank", subject_id="s1", purpose="employment")])
    >>> (r.kind, r.actor, [e.action for e in audit_entries(ledger)])
    ('purpose_refused', 'cl_bank', ['access.refused'])
    """
    if not items:
        return []
    rows = [_row(item) for item in items]
    with ledger.writing() as conn:
        writer = RowWriter(conn)
        ids = writer.insert_returning_ids(RefusalRow, "refusal_id", rows)
        named = [row["subject_id"] for row in rows if row["subject_id"] is not None]
        salts = subject_salts(writer, named, rows[0]["at"])
        states = stored_commitments(conn, RefusalRow, ids, rows[0]["at"])
        append_entries(
            conn,
            [
                (_actor(row["client_id"], row["token_fingerprint"]), "access.refused",
                 _payload(rid, row, salts.get(row["subject_id"])), row["at"], [state])
                for rid, row, state in zip(ids, rows, states, strict=True)
            ],
        )  # fmt: skip
    return [Refusal(refusal_id=rid, **row) for rid, row in zip(ids, rows, strict=True)]


def _payload(refusal_id: int, row: dict[str, Any], salt: str | None) -> dict[str, Any]:
    """The ``access.refused`` entry's payload: with a subject, what may name them committed."""
    out = {"refusal_id": refusal_id, **{k: v for k, v in row.items() if k != "at"}}
    subject = row["subject_id"]
    if salt is not None:
        out["subject_id"] = salt_commitment(salt, subject)
        for name in ("path", "reason"):  # /v1/subjects/<id>/file names them
            if subject in row[name]:
                out[name] = salt_commitment(salt, row[name])
    return out


def _refusal(row: RefusalRow) -> Refusal:
    return Refusal(
        row.refusal_id, row.kind, row.client_id, row.token_fingerprint, row.subject_id,
        row.method, row.path, row.purpose, row.reason, row.at,
    )  # fmt: skip


def refusals(
    ledger: Ledger,
    *,
    subject_id: str | None = None,
    client_id: str | None = None,
    kind: str | None = None,
) -> list[Refusal]:
    """Refused requests, oldest first: all, or those on a subject, by a client, of a kind."""
    stmt = select(RefusalRow).order_by(RefusalRow.refusal_id)
    if subject_id is not None:
        stmt = stmt.where(RefusalRow.subject_id == subject_id)
    if client_id is not None:
        stmt = stmt.where(RefusalRow.client_id == client_id)
    if kind is not None:
        stmt = stmt.where(RefusalRow.kind == check_choice(kind, "kind", REFUSAL_KINDS))
    with ledger.reading() as session:
        return [_refusal(row) for row in session.scalars(stmt)]


def refusal_counts(session: Session) -> list[dict[str, Any]]:
    """Refusals by kind and client (no subject ids): part of the ledger's aggregates.

    An invalid token has no client: its refusals count under ``client_id`` None.
    """
    counted = session.execute(
        select(RefusalRow.kind, RefusalRow.client_id, func.count()).group_by(
            RefusalRow.kind, RefusalRow.client_id
        )
    ).all()
    return [
        {"kind": kind, "client_id": client, "count": n}
        for kind, client, n in sorted(counted, key=lambda r: (r[0], r[1] or ""))
    ]
