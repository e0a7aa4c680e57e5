"""Request and response bodies of the API (pydantic models: they make the OpenAPI schema)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from trustscore import ledger as lg
from trustscore.i18n import DEFAULT_LOCALE, N_, format_date, translate
from trustscore.records import DISPUTABLE_KINDS

__all__ = [
    "DISPUTABLE_KINDS",
    "AuditVerificationOut",
    "CheckpointOut",
    "ClientCreate",
    "ClientCreated",
    "ClientOut",
    "ConsistencyOut",
    "DisputeCreate",
    "DisputeOut",
    "InclusionOut",
    "Resolution",
    "ResolutionOut",
    "ScoreRequest",
    "SuppressionOut",
]

# The OpenAPI enum needs the kinds spelled out; a test keeps them equal to DISPUTABLE_KINDS.
DisputableKind = Literal["inquiry", "obligation", "public_record", "supplier_payment", "tradeline"]

_STRICT = ConfigDict(extra="forbid")


class ClientCreate(BaseModel):
    """A new API client."""

    model_config = _STRICT
    role: Literal["subject", "lender", "operator", "auditor", "admin", "reviewer", "validator"]
    purposes: list[str] = Field(default_factory=list, description="lenders only")
    subject_id: str | None = Field(default=None, description="subject (and reviewer) clients only")
    name: str | None = Field(default=None, max_length=256)


class ClientOut(BaseModel):
    """An API client (its token is never shown again)."""

    client_id: str
    name: str
    role: str
    purposes: list[str]
    subject_id: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    @classmethod
    def of(cls, client: lg.Client) -> ClientOut:
        return cls(
            client_id=client.client_id, name=client.name, role=client.role,
            purposes=list(client.purposes), subject_id=client.subject_id,
            created_at=client.created_at, revoked_at=client.revoked_at,
        )  # fmt: skip


class ClientCreated(BaseModel):
    """The new client and its bearer token: shown this once, stored only as a hash."""

    client: ClientOut
    token: str


class DisputeCreate(BaseModel):
    """A dispute of one record. A subject may leave ``subject_id`` out (it is their own)."""

    model_config = _STRICT
    subject_id: str | None = Field(default=None, max_length=128)
    record_kind: DisputableKind
    record_id: str = Field(min_length=1, max_length=256)
    grounds: str = Field(min_length=1, max_length=4000)
    #: ``not_mine``: the record is someone else's; resolved for the subject it is unlinked from
    #: them (moved to a new subject of its own) and they are rescored.
    kind: Literal["inaccurate", "not_mine"] = "inaccurate"


#: Where a dispute stands, in a sentence: by its status, with its date.
_DISPUTE_MESSAGES: Final = {
    "open": N_(
        "Open: the record is checked with the organisation that reported it, and the dispute is "
        "resolved by {date}."
    ),
    "verified": N_(
        "Closed on {date}: the organisation that reported the record confirmed it, so it stays "
        "as it is."
    ),
    "corrected": N_("Closed on {date}: the record was corrected and your score recomputed."),
    "unverifiable": N_(
        "Closed on {date}: the record could not be verified, so it no longer counts in your score."
    ),
    "suppressed": N_("Closed on {date}: the record no longer counts in your score."),
}


def dispute_message(d: lg.Dispute, locale: str = DEFAULT_LOCALE) -> str:
    """Where a dispute stands, in a sentence in ``locale``, its date as the locale writes it."""
    day = d.deadline if d.status == "open" or d.resolved_at is None else d.resolved_at
    template = _DISPUTE_MESSAGES.get(d.status, _DISPUTE_MESSAGES["suppressed"])
    return translate(locale, template, date=format_date(day.date(), locale, style="long"))


class DisputeOut(BaseModel):
    """A dispute and where it stands (``message``: in a sentence, in the request's language)."""

    dispute_id: str
    subject_id: str
    record_kind: str
    record_id: str
    grounds: str
    status: str
    opened_at: dt.datetime
    deadline: dt.datetime
    resolved_at: dt.datetime | None
    resolver: str | None
    note: str | None
    message: str
    kind: str = "inaccurate"

    @classmethod
    def of(cls, d: lg.Dispute, locale: str = DEFAULT_LOCALE) -> DisputeOut:
        return cls(
            message=dispute_message(d, locale),
            dispute_id=d.dispute_id, subject_id=d.subject_id, record_kind=d.record_kind,
            record_id=d.record_id, grounds=d.grounds, status=d.status, opened_at=d.opened_at,
            deadline=d.deadline, resolved_at=d.resolved_at, resolver=d.resolver, note=d.note,
            kind=d.kind,
        )  # fmt: skip


class Resolution(BaseModel):
    """An operator's resolution of a dispute."""

    model_config = _STRICT
    outcome: Literal["verified", "corrected", "unverifiable"]
    note: str | None = Field(default=None, max_length=4000)
    correction: dict[str, Any] | None = Field(
        default=None, description="the corrected values; required when the outcome is corrected"
    )


class SuppressionOut(BaseModel):
    """A suppression or correction that supersedes a record."""

    suppression_id: int
    record_kind: str
    record_id: str
    reason: str
    dispute_id: str | None
    suppressed_at: dt.datetime
    correction: dict[str, Any] | None

    @classmethod
    def of(cls, s: lg.Suppression) -> SuppressionOut:
        return cls(
            suppression_id=s.suppression_id, record_kind=s.record_kind, record_id=s.record_id,
            reason=s.reason, dispute_id=s.dispute_id, suppressed_at=s.suppressed_at,
            correction=s.correction,
        )  # fmt: skip


class ResolutionOut(BaseModel):
    """The resolved dispute, the suppression it led to, and whether the subject was rescored."""

    dispute: DisputeOut
    suppression: SuppressionOut | None
    rescored: bool
    #: A ``not_mine`` dispute resolved for the subject: the identity change that unlinked the
    #: record (its id); None otherwise.
    identity_change: str | None = None


class ScoreRequest(BaseModel):
    """A score or a decision about one subject for one purpose."""

    model_config = _STRICT
    subject_id: str = Field(min_length=1, max_length=128)
    purpose: str = Field(min_length=1, max_length=64)


class AuditVerificationOut(BaseModel):
    """Whether the audit chain verifies, and where it breaks if not."""

    ok: bool
    n_entries: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None
    reason: str | None
    root_hash: str = ""
    checkpoints_checked: int = 0
    witnessed_checked: int = 0
    rows_checked: int = 0


class CheckpointOut(BaseModel):
    """A signed tree head: the audit tree's size and root at ``at``, signed with Ed25519.

    The signature covers ``"trustscore audit checkpoint v1\n{tree_size}\n{root_hash}\n{at}\n"``
    (``at`` in ISO form with microseconds and +00:00); ``public_key`` is the raw 32-byte key in
    hex, ``key_id`` the first 16 hex digits of its SHA-256.
    """

    tree_size: int
    root_hash: str
    at: str
    key_id: str
    public_key: str
    signature: str


class InclusionOut(BaseModel):
    """RFC 9162 §2.1.3: entry ``seq`` is leaf ``seq - 1`` of the tree of ``tree_size``."""

    seq: int
    tree_size: int
    leaf_hash: str
    path: list[str]
    root_hash: str


class ConsistencyOut(BaseModel):
    """RFC 9162 §2.1.4: the tree of ``size1`` leaves is a prefix of the tree of ``size2``."""

    size1: int
    size2: int
    root1: str
    root2: str
    path: list[str]


class WhatIfRequest(BaseModel):
    """Values to try in place of a subject's own: characteristic name -> value.

    A number for a numeric characteristic, a level (text) for a categorical one, null for
    "none on file". A lender names the purpose it asks for (one it is allowed); a subject may
    name one, or get the tier of every purpose the model approves.
    """

    model_config = _STRICT
    changes: dict[str, Any] = Field(
        max_length=64, examples=[{"card_utilisation": 0.1, "on_time_share_12m": 1.0}]
    )
    purpose: str | None = Field(default=None, min_length=1, max_length=64)
