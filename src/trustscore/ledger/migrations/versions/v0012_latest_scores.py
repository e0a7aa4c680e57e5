"""The service's keyed store of latest scores, and the store states they were computed from.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from trustscore.ledger._tables import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``latest_scores`` and ``latest_score_bases``."""
    op.create_table(
        "latest_scores",
        sa.Column("subject_id", sa.String(128), primary_key=True),
        sa.Column("base_id", sa.String(80), nullable=False),
        sa.Column("patch", sa.String(80), nullable=False),
        sa.Column("model_hash", sa.String(128), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("feature_hash", sa.String(80), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("features", sa.Text(), nullable=False),
    )
    op.create_table(
        "latest_score_bases",
        sa.Column("base_id", sa.String(80), primary_key=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("known_at", UTCDateTime(), nullable=False),
        sa.Column("listing", sa.Text(), nullable=False),
        sa.Column("times", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    """Drop both tables (they hold derived data only: the batch run fills them again)."""
    op.drop_table("latest_score_bases")
    op.drop_table("latest_scores")
