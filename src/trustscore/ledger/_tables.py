"""The ledger's tables, as SQLAlchemy ORM classes (private: callers get plain dataclasses).

Every timestamp is stored in UTC and read back timezone-aware, on SQLite (which has no time
zones) as on PostgreSQL, so hashes computed over timestamps agree on both backends.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AccessRow",
    "AuditCheckpointRow",
    "AuditHeadRow",
    "AuditRow",
    "Base",
    "BatchRow",
    "ClientRow",
    "ConsentRow",
    "DecisionRow",
    "DisputeRow",
    "HeldBatchRow",
    "IdentityLinkRow",
    "IdentityReviewRow",
    "LatestScoreBaseRow",
    "LatestScoreRow",
    "LeaseRow",
    "ModelApprovalRow",
    "ModelEventRow",
    "ModelRow",
    "RefusalRow",
    "ReviewCaseRow",
    "SaltRow",
    "SnapshotRow",
    "SuppressionRow",
    "UTCDateTime",
]


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            msg = f"Ledger timestamps must be timezone-aware; got the naive datetime {value!r}."
            raise ValueError(msg)
        value = value.astimezone(dt.UTC)
        # SQLite has no time zone type: store naive UTC, read back as UTC below.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self,
        value: Any,
        dialect: Dialect,  # noqa: ARG002
    ) -> dt.datetime | None:
        if value is None:
            return None
        # SQLite may hand back text for rows written by raw SQL.
        moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
        if moment.tzinfo is None:
            return moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of the ledger's tables."""


class BatchRow(Base):
    __tablename__ = "ingest_batches"

    batch_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    file: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    rows_in: Mapped[int] = mapped_column(Integer)
    rows_stored: Mapped[int] = mapped_column(Integer)
    rows_quarantined: Mapped[int] = mapped_column(Integer)
    ingested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class SnapshotRow(Base):
    __tablename__ = "score_snapshots"
    __table_args__ = (Index("ix_score_snapshots_subject", "subject_id", "as_of"),)

    snapshot_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject_id: Mapped[str] = mapped_column(String(128))
    as_of: Mapped[dt.date] = mapped_column(Date)
    model_version: Mapped[str] = mapped_column(String(128))
    model_hash: Mapped[str] = mapped_column(String(128))
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(8))
    subscores: Mapped[Any] = mapped_column(JSON)
    reasons: Mapped[Any] = mapped_column(JSON)
    feature_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class DecisionRow(Base):
    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_subject", "subject_id"),)

    decision_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject_id: Mapped[str] = mapped_column(String(128))
    purpose: Mapped[str] = mapped_column(String(64))
    policy: Mapped[str] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(128))
    adverse: Mapped[bool] = mapped_column(Boolean)
    notice: Mapped[Any] = mapped_column(JSON, nullable=True)
    snapshot_id: Mapped[int | None] = mapped_column(
        ForeignKey("score_snapshots.snapshot_id"), nullable=True
    )
    client_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class DisputeRow(Base):
    __tablename__ = "disputes"
    __table_args__ = (
        Index("ix_disputes_status_deadline", "status", "deadline"),
        Index("ix_disputes_subject", "subject_id"),
    )

    dispute_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(128))
    record_kind: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str] = mapped_column(String(256))
    grounds: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolver: Mapped[str | None] = mapped_column(String(128), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class ReviewCaseRow(Base):
    """A case of the human-review queue (see :mod:`trustscore.ledger._reviews`)."""

    __tablename__ = "review_cases"
    __table_args__ = (
        Index("ix_review_cases_state_deadline", "state", "deadline"),
        Index("ix_review_cases_subject", "subject_id"),
        Index("ix_review_cases_decision", "decision_id"),
    )

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    referral_key: Mapped[str] = mapped_column(String(512), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    kinds: Mapped[Any] = mapped_column(JSON)
    subject_id: Mapped[str] = mapped_column(String(128))
    purpose: Mapped[str] = mapped_column(String(64))
    policy: Mapped[str] = mapped_column(String(128))
    decision_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    score_status: Mapped[str] = mapped_column(String(8))
    reasons: Mapped[Any] = mapped_column(JSON)
    quality: Mapped[Any] = mapped_column(JSON)
    proposed_outcome: Mapped[str] = mapped_column(String(128))
    options: Mapped[Any] = mapped_column(JSON)
    basis: Mapped[Any] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    opened_by: Mapped[str] = mapped_column(String(128))
    deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    statement: Mapped[str | None] = mapped_column(Text, nullable=True)
    documents: Mapped[Any] = mapped_column(JSON)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    final_outcome: Mapped[str | None] = mapped_column(String(128), nullable=True)
    final_adverse: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    final_notice: Mapped[Any] = mapped_column(JSON, nullable=True)
    final_decision_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    reviewer: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SuppressionRow(Base):
    __tablename__ = "suppressions"
    __table_args__ = (Index("ix_suppressions_record", "record_kind", "record_id"),)

    suppression_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_kind: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str] = mapped_column(String(256))
    subject_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    dispute_id: Mapped[str | None] = mapped_column(ForeignKey("disputes.dispute_id"), nullable=True)
    suppressed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    correction: Mapped[Any] = mapped_column(JSON, nullable=True)


class AccessRow(Base):
    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_subject", "subject_id", "at"),)

    access_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(128))
    purpose: Mapped[str | None] = mapped_column(String(64), nullable=True)
    action: Mapped[str] = mapped_column(String(32))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class RefusalRow(Base):
    """A refused request: who (client, or an invalid token's fingerprint), on what, and why."""

    __tablename__ = "access_refusals"
    __table_args__ = (
        Index("ix_access_refusals_subject", "subject_id", "at"),
        Index("ix_access_refusals_kind_client", "kind", "client_id"),
    )

    refusal_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    client_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    token_fingerprint: Mapped[str | None] = mapped_column(String(16), nullable=True)
    subject_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    method: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(512))
    purpose: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class LeaseRow(Base):
    """Who runs a periodic job (the dispute deadlines) until when: one runner among workers."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ClientRow(Base):
    __tablename__ = "api_clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    purposes: Mapped[Any] = mapped_column(JSON)
    subject_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AuditRow(Base):
    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    # Canonical JSON text, exactly what was hashed (a JSON column may re-serialise it).
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # RFC 9162 leaf hash of the entry (migration 0002 fills it for older entries)
    leaf_hash: Mapped[str] = mapped_column(String(64))
    # Canonical JSON [[table, key, content hash], ...] of the rows this entry left behind
    state: Mapped[str | None] = mapped_column(Text, nullable=True)


class AuditHeadRow(Base):
    """One row: the last sequence number and hash. Locking it serialises appends."""

    __tablename__ = "audit_head"

    head_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    # The Merkle tree's right edge: hex roots of its perfect subtrees, largest first
    frontier: Mapped[str] = mapped_column(Text, default="", server_default="")


class AuditCheckpointRow(Base):
    """A signed tree head: the tree's size and root at a moment, signed with Ed25519."""

    __tablename__ = "audit_checkpoints"
    __table_args__ = (Index("ix_audit_checkpoints_size", "tree_size"),)

    checkpoint_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tree_size: Mapped[int] = mapped_column(Integer)
    root_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    key_id: Mapped[str] = mapped_column(String(64))
    public_key: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))


class SaltRow(Base):
    """A subject's salt for the commitments of their personal data in the audit log.

    Erasure deletes it; the log keeps only commitments, which then lead to no one.
    """

    __tablename__ = "audit_salts"

    subject_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    salt: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class HeldBatchRow(Base):
    """One furnisher's rows of a batch held for review, and how the hold was resolved."""

    __tablename__ = "held_batches"
    __table_args__ = (Index("ix_held_batches_status", "status", "held_at"),)

    hold_id: Mapped[str] = mapped_column(String(160), primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(64))
    furnisher: Mapped[str] = mapped_column(String(256))
    rows: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    held_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolver: Mapped[str | None] = mapped_column(String(128), nullable=True)
    release_batch_id: Mapped[str | None] = mapped_column(String(128), nullable=True)


class ConsentRow(Base):
    """A subject's grant or withdrawal of consent to use one furnisher's or category's bills."""

    __tablename__ = "consent_events"
    __table_args__ = (Index("ix_consent_events_subject", "subject_id", "effective_at"),)

    consent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(128))
    scope_kind: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(16))
    effective_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(16))


class IdentityLinkRow(Base):
    """One identity profile assigned to a subject, with the evidence (``identity.link``)."""

    __tablename__ = "identity_links"
    __table_args__ = (
        Index("ix_identity_links_profile", "profile_id"),
        Index("ix_identity_links_subject", "subject_id"),
    )

    link_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(128))
    match_weight: Mapped[float | None] = mapped_column(Float, nullable=True)
    decided_by: Mapped[str] = mapped_column(String(64))
    evidence: Mapped[Any] = mapped_column(JSON)
    linked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class IdentityReviewRow(Base):
    """A pair of identity profiles whose match weight fell between the thresholds."""

    __tablename__ = "identity_reviews"
    __table_args__ = (Index("ix_identity_reviews_status", "status"),)

    review_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    profile_id: Mapped[str] = mapped_column(String(64))
    candidate_profile_id: Mapped[str] = mapped_column(String(64))
    candidate_subject_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    match_weight: Mapped[float] = mapped_column(Float)
    evidence: Mapped[Any] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decider: Mapped[str | None] = mapped_column(String(128), nullable=True)


class DisputeKindRow(Base):
    """The kind of a dispute that is not about accuracy (``not_mine``); none for the others.

    Kept beside ``disputes`` rather than as a column of it, so the commitments of disputes
    written before kinds existed still verify.
    """

    __tablename__ = "dispute_kinds"

    dispute_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))


class IdentityChangeRow(Base):
    """An operator's or a dispute's change of who owns which records (``unlink``, ``merge``,
    ``split``); its record moves are in ``identity_moves``."""

    __tablename__ = "identity_changes"
    __table_args__ = (
        Index("ix_identity_changes_subject", "subject_id"),
        Index("ix_identity_changes_other", "other_subject_id"),
    )

    change_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    action: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(128))
    other_subject_id: Mapped[str] = mapped_column(String(128))
    decided_by: Mapped[str] = mapped_column(String(128))
    dispute_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    evidence: Mapped[Any] = mapped_column(JSON)
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class IdentityMoveRow(Base):
    """One record moved from one subject to another by an identity change, from ``moved_at``."""

    __tablename__ = "identity_moves"
    __table_args__ = (Index("ix_identity_moves_change", "change_id"),)

    move_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    change_id: Mapped[str] = mapped_column(String(64))
    record_kind: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str] = mapped_column(String(256))
    from_subject: Mapped[str] = mapped_column(String(128))
    to_subject: Mapped[str] = mapped_column(String(128))
    moved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ModelRow(Base):
    """A registered model artifact, by content hash, with its card: the registry's inventory."""

    __tablename__ = "model_registry"

    model_hash: Mapped[str] = mapped_column(String(128), primary_key=True)
    model_version: Mapped[str] = mapped_column(String(128))
    card: Mapped[Any] = mapped_column(JSON)
    registered_by: Mapped[str] = mapped_column(String(64))
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ModelApprovalRow(Base):
    """A validator's approval of a model for named purposes, after reading its report."""

    __tablename__ = "model_approvals"
    __table_args__ = (Index("ix_model_approvals_model", "model_hash"),)

    approval_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_hash: Mapped[str] = mapped_column(ForeignKey("model_registry.model_hash"))
    validator: Mapped[str] = mapped_column(String(64))
    purposes: Mapped[Any] = mapped_column(JSON)
    report_hash: Mapped[str] = mapped_column(String(128))
    approved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ModelEventRow(Base):
    """One move of a purpose's champion or challenger: a new row each time, never an update.

    The model in a slot at a moment is that of the slot's latest event at or before it
    (``model_hash`` None: the slot is empty, after a retirement). A slot is a purpose's, a
    kind of subject's and a role's (champion or challenger).
    """

    __tablename__ = "model_events"
    __table_args__ = (Index("ix_model_events_purpose", "purpose", "slot", "event_id"),)

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    purpose: Mapped[str] = mapped_column(String(64))
    slot: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    model_hash: Mapped[str | None] = mapped_column(
        ForeignKey("model_registry.model_hash"), nullable=True
    )
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    #: whose model: a purpose has a champion (and a challenger) per subject kind, "person" or
    #: "organisation" (the model card's ``subject_kind``)
    subject_kind: Mapped[str] = mapped_column(String(16), default="person", server_default="person")


class LatestScoreRow(Base):
    """A subject's latest score with its features: what the service reads per request.

    Derived data, not a record: the batch run (``trustscore publish``) fills it and the service
    recomputes a row that is missing or stale, so it is outside the audit chain. ``base_id`` and
    ``patch`` name the state of the record store it was computed from, ``computed_at`` the
    moment whose knowledge it holds (see ``trustscore.pipeline._latest``).
    """

    __tablename__ = "latest_scores"

    subject_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    base_id: Mapped[str] = mapped_column(String(80))
    patch: Mapped[str] = mapped_column(String(80))
    model_hash: Mapped[str] = mapped_column(String(128))
    as_of: Mapped[dt.date] = mapped_column(Date)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(8))
    feature_hash: Mapped[str] = mapped_column(String(80))
    #: the service's ScoreResult (subscores, reasons, quality flags, ranges) as JSON text
    result: Mapped[str] = mapped_column(Text)
    #: the feature values the score is from, as JSON text
    features: Mapped[str] = mapped_column(Text)


class LatestScoreBaseRow(Base):
    """A state of the record store that rows of ``latest_scores`` were computed from.

    ``listing`` holds the committed batches, suppression files and consent files (JSON lists),
    ``times`` every event time in them later than ``known_at`` (ISO strings, sorted).
    """

    __tablename__ = "latest_score_bases"

    base_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    known_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    listing: Mapped[str] = mapped_column(Text)
    times: Mapped[str] = mapped_column(Text)
