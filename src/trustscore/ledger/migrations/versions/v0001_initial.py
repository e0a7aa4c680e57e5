"""The ledger's first schema: every table and the audit chain head.

Revision ID: 0001
Revises: none
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from trustscore.ledger._tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_GENESIS = "0" * 64


def upgrade() -> None:
    """Create the tables and the chain head row."""
    op.create_table(
        "ingest_batches",
        sa.Column("batch_id", sa.String(128), primary_key=True),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("rows_in", sa.Integer(), nullable=False),
        sa.Column("rows_stored", sa.Integer(), nullable=False),
        sa.Column("rows_quarantined", sa.Integer(), nullable=False),
        sa.Column("ingested_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "score_snapshots",
        sa.Column("snapshot_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("subject_id", sa.String(128), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("model_version", sa.String(128), nullable=False),
        sa.Column("model_hash", sa.String(128), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("subscores", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("feature_hash", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_score_snapshots_subject", "score_snapshots", ["subject_id", "as_of"])
    op.create_table(
        "decisions",
        sa.Column("decision_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("subject_id", sa.String(128), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("policy", sa.String(128), nullable=False),
        sa.Column("outcome", sa.String(128), nullable=False),
        sa.Column("adverse", sa.Boolean(), nullable=False),
        sa.Column("notice", sa.JSON(), nullable=True),
        sa.Column(
            "snapshot_id",
            sa.Integer(),
            sa.ForeignKey("score_snapshots.snapshot_id"),
            nullable=True,
        ),
        sa.Column("client_id", sa.String(64), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_decisions_subject", "decisions", ["subject_id"])
    op.create_table(
        "disputes",
        sa.Column("dispute_id", sa.String(64), primary_key=True),
        sa.Column("subject_id", sa.String(128), nullable=False),
        sa.Column("record_kind", sa.String(64), nullable=False),
        sa.Column("record_id", sa.String(256), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("deadline", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("resolver", sa.String(128), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
    )
    op.create_index("ix_disputes_status_deadline", "disputes", ["status", "deadline"])
    op.create_index("ix_disputes_subject", "disputes", ["subject_id"])
    op.create_table(
        "suppressions",
        sa.Column("suppression_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("record_kind", sa.String(64), nullable=False),
        sa.Column("record_id", sa.String(256), nullable=False),
        sa.Column("subject_id", sa.String(128), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("dispute_id", sa.String(64), sa.ForeignKey("disputes.dispute_id"), nullable=True),
        sa.Column("suppressed_at", UTCDateTime(), nullable=False),
        sa.Column("correction", sa.JSON(), nullable=True),
    )
    op.create_index("ix_suppressions_record", "suppressions", ["record_kind", "record_id"])
    op.create_table(
        "access_log",
        sa.Column("access_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("subject_id", sa.String(128), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_access_log_subject", "access_log", ["subject_id", "at"])
    op.create_table(
        "api_clients",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("subject_id", sa.String(128), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    head = op.create_table(
        "audit_head",
        sa.Column("head_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"head_id": 1, "seq": 0, "hash": _GENESIS}])


def downgrade() -> None:
    """Drop every table (the ledger's history goes with them)."""
    for table in (
        "audit_head", "audit_log", "api_clients", "access_log", "suppressions", "disputes",
        "decisions", "score_snapshots", "ingest_batches",
    ):  # fmt: skip
        op.drop_table(table)
