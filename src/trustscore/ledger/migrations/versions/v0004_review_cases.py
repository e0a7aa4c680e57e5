"""The human-review queue: one case per decision referred to a person or asked for.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from trustscore.ledger._tables import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the review cases' table and its indexes."""
    op.create_table(
        "review_cases",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("referral_key", sa.String(512), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("subject_id", sa.String(128), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("policy", sa.String(128), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("score_status", sa.String(8), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("quality", sa.JSON(), nullable=False),
        sa.Column("proposed_outcome", sa.String(128), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("basis", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("opened_by", sa.String(128), nullable=False),
        sa.Column("deadline", UTCDateTime(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=True),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("escalated_at", UTCDateTime(), nullable=True),
        sa.Column("final_outcome", sa.String(128), nullable=True),
        sa.Column("final_adverse", sa.Boolean(), nullable=True),
        sa.Column("final_notice", sa.JSON(), nullable=True),
        sa.Column("final_decision_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reviewer", sa.String(128), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_review_cases_state_deadline", "review_cases", ["state", "deadline"])
    op.create_index("ix_review_cases_subject", "review_cases", ["subject_id"])
    op.create_index("ix_review_cases_decision", "review_cases", ["decision_id"])


def downgrade() -> None:
    """Drop the review cases (their history goes with them; the audit chain keeps its own)."""
    op.drop_table("review_cases")
