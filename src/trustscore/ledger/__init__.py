"""The system of record: SQLAlchemy tables, Alembic migrations and the functions over them.

Everything that must not be lost lives here: ingest batches and their counts, score snapshots,
decisions, disputes with their 30-day deadline, suppressions and corrections, who looked at which
subject for what purpose, API clients, and an append-only audit log in which each entry carries
the hash of the one before and is a leaf of an RFC 9162 Merkle tree, whose roots are signed in
checkpoints that witnesses keep outside the database. Every write appends its audit entry in the
same transaction; writes of clients, disputes and suppressions commit the rows they leave, and
entries hold salted commitments of personal data, never the data (docs/audit-log.md).

SQLite (a file in the workspace) is the default; PostgreSQL works the same. SQLAlchemy is used
only inside this package: callers get plain dataclasses.

Examples
--------
>>> import datetime as dt
>>> ledger = Ledger("sqlite://")
>>> ledger.upgrade()
>>> t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
>>> d = open_dispute(ledger, "s1", "obligation", "ob-1", "I paid on time", t0)
>>> [x.record_id for x in run_deadline_job(ledger, t0 + dt.timedelta(days=31))]
['ob-1']
>>> audit_verify(ledger).ok
True
"""

from __future__ import annotations

from trustscore.ledger._audit import (
    AuditEntry,
    audit_append,
    audit_entries,
    canonical_json,
)
from trustscore.ledger._audit_checkpoints import (
    Checkpoint,
    SigningKey,
    audit_checkpoints,
    generate_signing_key,
    latest_checkpoint,
    load_signing_key,
    read_witness,
    sign_checkpoint,
    write_witness,
)
from trustscore.ledger._audit_tree import (
    ConsistencyProof,
    InclusionProof,
    audit_consistency,
    audit_inclusion,
    tree_head,
)
from trustscore.ledger._audit_verify import AuditVerification, audit_verify
from trustscore.ledger._backup import BackupInfo, backup_ledger, restore_ledger
from trustscore.ledger._clients import (
    authenticate,
    clients,
    create_client,
    get_client,
    revoke_client,
)
from trustscore.ledger._commitments import (
    CommittedTable,
    commitments,
    committed_tables,
    register_committed_table,
    removal,
)
from trustscore.ledger._consents import (
    CONSENT_ACTIONS,
    CONSENT_SCOPE_KINDS,
    CONSENT_SOURCES,
    ConsentEvent,
    consent_events,
    consents_in_force,
    import_consents,
    record_consent,
    record_consents,
)
from trustscore.ledger._db import Ledger
from trustscore.ledger._disputes import (
    disputes,
    due_disputes,
    get_dispute,
    open_dispute,
    record_suppression,
    resolve_dispute,
    run_deadline_job,
    suppressions,
    unrescored_subjects,
)
from trustscore.ledger._holds import (
    HOLD_OUTCOMES,
    HOLD_STATUSES,
    HeldBatch,
    held_batches,
    record_hold,
    resolve_hold,
)
from trustscore.ledger._identity import (
    IDENTITY_REVIEW_OUTCOMES,
    IdentityLink,
    IdentityReview,
    IdentityReviewItem,
    decide_identity_review,
    identity_links,
    identity_reviews,
    open_identity_reviews,
    record_links,
)
from trustscore.ledger._identity_changes import (
    IDENTITY_CHANGE_ACTIONS,
    IdentityChange,
    IdentityMove,
    identity_change,
    identity_changes,
    record_identity_change,
    report_split_file,
    unlink_change_id,
    unlinked_subject_id,
)
from trustscore.ledger._leases import acquire_lease, lease_holder, release_lease
from trustscore.ledger._records import (
    accesses,
    aggregates,
    batches,
    decisions,
    latest_snapshot,
    log_access,
    record_batch,
    record_decision,
    record_score_accesses,
    record_scored_accesses,
    record_snapshot,
    snapshots,
)
from trustscore.ledger._refusals import (
    REFUSAL_KINDS,
    Refusal,
    RefusalAttempt,
    record_refusals,
    refusals,
)
from trustscore.ledger._registry import (
    approve_model,
    promote_model,
    register_model,
    retire_model,
    rollback_model,
    set_challenger,
)
from trustscore.ledger._registry_read import (
    MODEL_SLOTS,
    MODEL_SUBJECT_KINDS,
    ModelApproval,
    ModelEvent,
    RegisteredModel,
    challenger,
    champion,
    find_model,
    model_events,
    model_subject_kind,
    registered_models,
)
from trustscore.ledger._review_decide import decide_review_case
from trustscore.ledger._review_requests import record_review_view, request_review, review_report
from trustscore.ledger._review_types import (
    REFERRAL_KINDS,
    REVIEW_REASONS,
    REVIEW_REQUEST_DAYS,
    REVIEW_STATES,
    ReviewCase,
    ReviewOpening,
    ReviewState,
)
from trustscore.ledger._reviews import (
    add_business_days,
    get_review_case,
    open_review_cases,
    pending_review_case,
    review_cases,
    run_review_deadlines,
)
from trustscore.ledger._salts import erase_salt, personal_matches
from trustscore.ledger._types import (
    DISPUTE_DAYS,
    DISPUTE_KINDS,
    DISPUTE_OUTCOMES,
    DISPUTE_STATUSES,
    ROLES,
    Access,
    Batch,
    Client,
    Decision,
    DecisionTaken,
    Dispute,
    DisputeStatus,
    RecordedAccess,
    Role,
    ScoreAccess,
    Snapshot,
    Suppression,
)

__all__ = [
    "CONSENT_ACTIONS",
    "CONSENT_SCOPE_KINDS",
    "CONSENT_SOURCES",
    "DISPUTE_DAYS",
    "DISPUTE_KINDS",
    "DISPUTE_OUTCOMES",
    "DISPUTE_STATUSES",
    "HOLD_OUTCOMES",
    "HOLD_STATUSES",
    "IDENTITY_CHANGE_ACTIONS",
    "IDENTITY_REVIEW_OUTCOMES",
    "MODEL_SLOTS",
    "MODEL_SUBJECT_KINDS",
    "REFERRAL_KINDS",
    "REFUSAL_KINDS",
    "REVIEW_REASONS",
    "REVIEW_REQUEST_DAYS",
    "REVIEW_STATES",
    "ROLES",
    "Access",
    "AuditEntry",
    "AuditVerification",
    "BackupInfo",
    "Batch",
    "Checkpoint",
    "Client",
    "CommittedTable",
    "ConsentEvent",
    "ConsistencyProof",
    "Decision",
    "DecisionTaken",
    "Dispute",
    "DisputeStatus",
    "HeldBatch",
    "IdentityChange",
    "IdentityLink",
    "IdentityMove",
    "IdentityReview",
    "IdentityReviewItem",
    "InclusionProof",
    "Ledger",
    "ModelApproval",
    "ModelEvent",
    "RecordedAccess",
    "Refusal",
    "RefusalAttempt",
    "RegisteredModel",
    "ReviewCase",
    "ReviewOpening",
    "ReviewState",
    "Role",
    "ScoreAccess",
    "SigningKey",
    "Snapshot",
    "Suppression",
    "accesses",
    "acquire_lease",
    "add_business_days",
    "aggregates",
    "approve_model",
    "audit_append",
    "audit_checkpoints",
    "audit_consistency",
    "audit_entries",
    "audit_inclusion",
    "audit_verify",
    "authenticate",
    "backup_ledger",
    "batches",
    "canonical_json",
    "challenger",
    "champion",
    "clients",
    "commitments",
    "committed_tables",
    "consent_events",
    "consents_in_force",
    "create_client",
    "decide_identity_review",
    "decide_review_case",
    "decisions",
    "disputes",
    "due_disputes",
    "erase_salt",
    "find_model",
    "generate_signing_key",
    "get_client",
    "get_dispute",
    "get_review_case",
    "held_batches",
    "identity_change",
    "identity_changes",
    "identity_links",
    "identity_reviews",
    "import_consents",
    "latest_checkpoint",
    "latest_snapshot",
    "lease_holder",
    "load_signing_key",
    "log_access",
    "model_events",
    "model_subject_kind",
    "open_dispute",
    "open_identity_reviews",
    "open_review_cases",
    "pending_review_case",
    "personal_matches",
    "promote_model",
    "read_witness",
    "record_batch",
    "record_consent",
    "record_consents",
    "record_decision",
    "record_hold",
    "record_identity_change",
    "record_links",
    "record_refusals",
    "record_review_view",
    "record_score_accesses",
    "record_scored_accesses",
    "record_snapshot",
    "record_suppression",
    "refusals",
    "register_committed_table",
    "register_model",
    "registered_models",
    "release_lease",
    "removal",
    "report_split_file",
    "request_review",
    "resolve_dispute",
    "resolve_hold",
    "restore_ledger",
    "retire_model",
    "review_cases",
    "review_report",
    "revoke_client",
    "rollback_model",
    "run_deadline_job",
    "run_review_deadlines",
    "set_challenger",
    "sign_checkpoint",
    "snapshots",
    "suppressions",
    "tree_head",
    "unlink_change_id",
    "unlinked_subject_id",
    "unrescored_subjects",
    "write_witness",
]
