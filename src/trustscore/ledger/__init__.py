"""The system of record: SQLAlchemy tables, Alembic migrations and the functions over them.

Everything that must not be lost lives here: ingest batches and their counts, score snapshots,
decisions, disputes with their 30-day deadline, suppressions and corrections, who looked at which
subject for what purpose, API clients, and an append-only audit log in which each entry carries
the hash of the one before. Every write appends its audit entry in the same transaction.

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
    AuditVerification,
    audit_append,
    audit_entries,
    audit_verify,
    canonical_json,
)
from trustscore.ledger._clients import (
    authenticate,
    clients,
    create_client,
    get_client,
    revoke_client,
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
)
from trustscore.ledger._identity import (
    REVIEW_OUTCOMES,
    IdentityLink,
    Review,
    ReviewItem,
    decide_review,
    identity_links,
    open_reviews,
    record_links,
    reviews,
)
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
from trustscore.ledger._types import (
    DISPUTE_DAYS,
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
    "DISPUTE_DAYS",
    "DISPUTE_OUTCOMES",
    "DISPUTE_STATUSES",
    "REVIEW_OUTCOMES",
    "ROLES",
    "Access",
    "AuditEntry",
    "AuditVerification",
    "Batch",
    "Client",
    "Decision",
    "DecisionTaken",
    "Dispute",
    "DisputeStatus",
    "IdentityLink",
    "Ledger",
    "RecordedAccess",
    "Review",
    "ReviewItem",
    "Role",
    "ScoreAccess",
    "Snapshot",
    "Suppression",
    "accesses",
    "aggregates",
    "audit_append",
    "audit_entries",
    "audit_verify",
    "authenticate",
    "batches",
    "canonical_json",
    "clients",
    "create_client",
    "decide_review",
    "decisions",
    "disputes",
    "due_disputes",
    "get_client",
    "get_dispute",
    "identity_links",
    "latest_snapshot",
    "log_access",
    "open_dispute",
    "open_reviews",
    "record_batch",
    "record_decision",
    "record_links",
    "record_score_accesses",
    "record_scored_accesses",
    "record_snapshot",
    "record_suppression",
    "resolve_dispute",
    "reviews",
    "revoke_client",
    "run_deadline_job",
    "snapshots",
    "suppressions",
]
