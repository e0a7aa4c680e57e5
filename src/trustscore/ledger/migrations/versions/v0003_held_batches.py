"""Held batches: one furnisher's rows of a batch held for review, and their resolution.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from trustscore.ledger._tables import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``held_batches``."""
    op.create_table(
        "held_batches",
        sa.Column("hold_id", sa.String(160), primary_key=True),
        sa.Column("batch_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("furnisher", sa.String(256), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("held_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("resolver", sa.String(128), nullable=True),
        sa.Column("release_batch_id", sa.String(128), nullable=True),
    )
    op.create_index("ix_held_batches_status", "held_batches", ["status", "held_at"])


def downgrade() -> None:
    """Drop ``held_batches``."""
    op.drop_index("ix_held_batches_status", table_name="held_batches")
    op.drop_table("held_batches")
