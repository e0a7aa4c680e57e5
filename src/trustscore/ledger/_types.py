"""The plain, immutable values the ledger's functions return (no SQLAlchemy objects leak)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

__all__ = [
    "DISPUTE_DAYS",
    "DISPUTE_KINDS",
    "DISPUTE_OUTCOMES",
    "DISPUTE_STATUSES",
    "ROLES",
    "Access",
    "Batch",
    "Client",
    "Decision",
    "DecisionTaken",
    "Dispute",
    "DisputeStatus",
    "RecordedAccess",
    "Role",
    "ScoreAccess",
    "Snapshot",
    "Suppression",
]

#: Days a furnisher has to verify a disputed record before it is suppressed (FCRA § 611).
DISPUTE_DAYS: Final = 30
DISPUTE_STATUSES: Final = ("open", "verified", "corrected", "unverifiable", "suppressed")
#: Outcomes an operator may resolve a dispute with; all but "verified" suppress the record.
DISPUTE_OUTCOMES: Final = ("verified", "corrected", "unverifiable", "suppressed")

#: What a dispute says: a record is wrong (``inaccurate``, the default), or it is someone
#: else's (``not_mine``: resolved for the subject, it is unlinked from them, not suppressed).
DISPUTE_KINDS: Final = ("inaccurate", "not_mine")

DisputeStatus = Literal["open", "verified", "corrected", "unverifiable", "suppressed"]
Role = Literal["subject", "lender", "operator", "auditor", "admin", "reviewer", "validator"]
ROLES: Final[tuple[Role, ...]] = (
    "subject",
    "lender",
    "operator",
    "auditor",
    "admin",
    "reviewer",
    "validator",
)


@dataclass(frozen=True)
class Batch:
    """A furnisher batch that was ingested, with its counts (``rows_in = stored + quarantined``)."""

    batch_id: str
    file: str
    kind: str
    sha256: str
    rows_in: int
    rows_stored: int
    rows_quarantined: int
    ingested_at: dt.datetime


@dataclass(frozen=True)
class Snapshot:
    """A score as it was given: enough to replay it (model hash, feature hash, as-of date)."""

    snapshot_id: int
    subject_id: str
    as_of: dt.date
    model_version: str
    model_hash: str
    score: int | None
    status: str
    subscores: dict[str, Any]
    reasons: list[Any]
    feature_hash: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Decision:
    """A purpose-bound decision and the notice that went with it."""

    decision_id: int
    subject_id: str
    purpose: str
    policy: str
    outcome: str
    adverse: bool
    notice: dict[str, Any] | None
    snapshot_id: int | None
    client_id: str | None
    decided_at: dt.datetime


@dataclass(frozen=True)
class Dispute:
    """A subject's dispute of one record, open until resolved or until its deadline passes."""

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
    kind: str = "inaccurate"

    @property
    def outcome(self) -> str | None:
        """The resolution (a status other than ``open``), or None while open."""
        return None if self.status == "open" else self.status


@dataclass(frozen=True)
class Suppression:
    """A new fact that supersedes a record: it no longer counts (``correction`` replaces it)."""

    suppression_id: int
    record_kind: str
    record_id: str
    subject_id: str | None
    reason: str
    dispute_id: str | None
    suppressed_at: dt.datetime
    correction: dict[str, Any] | None


@dataclass(frozen=True)
class Access:
    """Who looked at a subject, for what purpose, when."""

    access_id: int
    client_id: str
    subject_id: str
    purpose: str | None
    action: str
    at: dt.datetime


@dataclass(frozen=True)
class Client:
    """An API client. The token itself is never stored, only its SHA-256."""

    client_id: str
    name: str
    role: Role
    purposes: tuple[str, ...]
    subject_id: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    @property
    def active(self) -> bool:
        """Whether the client may still authenticate."""
        return self.revoked_at is None


@dataclass(frozen=True)
class DecisionTaken:
    """A purpose-bound decision taken on a score: recorded with the score's snapshot.

    An adverse decision must carry its ``notice`` (the adverse-action notice).
    """

    policy: str
    outcome: str
    adverse: bool
    notice: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class ScoreAccess:
    """A score given to a client: the snapshot to record and the access to log, together.

    What :func:`~trustscore.ledger.record_score_accesses` writes for each scored request; ``at``
    is when the score was given (None: when it is recorded). With a ``decision`` the score was
    given as a decision (``action`` is then ``"decision"``): the decision is recorded too,
    linked to the snapshot.
    """

    subject_id: str
    as_of: dt.date
    model_version: str
    model_hash: str
    score: int | None
    status: str
    subscores: Mapping[str, Any]
    reasons: Sequence[Any]
    feature_hash: str
    client_id: str
    purpose: str | None
    action: str = "score"
    at: dt.datetime | None = None
    decision: DecisionTaken | None = None


@dataclass(frozen=True)
class RecordedAccess:
    """What recording a :class:`ScoreAccess` wrote: its snapshot, access and decision if any."""

    snapshot: Snapshot
    access: Access
    decision: Decision | None = None
