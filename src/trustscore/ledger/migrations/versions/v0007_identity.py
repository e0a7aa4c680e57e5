"""Identity linkage: every profile-to-subject link with its evidence, and the review queue.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from trustscore.ledger._tables import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``identity_links`` and ``identity_reviews``."""
    op.create_table(
        "identity_links",
        sa.Column("link_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("profile_id", sa.String(64), nullable=False),
        sa.Column("subject_id", sa.String(128), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("linked_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_identity_links_profile", "identity_links", ["profile_id"])
    op.create_index("ix_identity_links_subject", "identity_links", ["subject_id"])
    op.create_table(
        "identity_reviews",
        sa.Column("review_id", sa.String(64), primary_key=True),
        sa.Column("profile_id", sa.String(64), nullable=False),
        sa.Column("candidate_profile_id", sa.String(64), nullable=False),
        sa.Column("candidate_subject_id", sa.String(128), nullable=True),
        sa.Column("match_weight", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decider", sa.String(128), nullable=True),
    )
    op.create_index("ix_identity_reviews_status", "identity_reviews", ["status"])


def downgrade() -> None:
    """Drop the two tables."""
    op.drop_index("ix_identity_reviews_status", "identity_reviews")
    op.drop_table("identity_reviews")
    op.drop_index("ix_identity_links_subject", "identity_links")
    op.drop_index("ix_identity_links_profile", "identity_links")
    op.drop_table("identity_links")
