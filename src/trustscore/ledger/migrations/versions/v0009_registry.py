"""The model registry: artifacts by content hash, validators' approvals, champion moves.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from trustscore.ledger._tables import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``model_registry``, ``model_approvals`` and ``model_events``."""
    op.create_table(
        "model_registry",
        sa.Column("model_hash", sa.String(128), primary_key=True),
        sa.Column("model_version", sa.String(128), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.Column("registered_by", sa.String(64), nullable=False),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "model_approvals",
        sa.Column("approval_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "model_hash",
            sa.String(128),
            sa.ForeignKey("model_registry.model_hash"),
            nullable=False,
        ),
        sa.Column("validator", sa.String(64), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("report_hash", sa.String(128), nullable=False),
        sa.Column("approved_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_model_approvals_model", "model_approvals", ["model_hash"])
    op.create_table(
        "model_events",
        sa.Column("event_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("slot", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column(
            "model_hash",
            sa.String(128),
            sa.ForeignKey("model_registry.model_hash"),
            nullable=True,
        ),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_model_events_purpose", "model_events", ["purpose", "slot", "event_id"])


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_index("ix_model_events_purpose", "model_events")
    op.drop_table("model_events")
    op.drop_index("ix_model_approvals_model", "model_approvals")
    op.drop_table("model_approvals")
    op.drop_table("model_registry")
