"""Identity changes: "this is not mine" disputes, and operators' merges and splits of subjects.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from trustscore.ledger._tables import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``dispute_kinds``, ``identity_changes`` and ``identity_moves``."""
    op.create_table(
        "dispute_kinds",
        sa.Column("dispute_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
    )
    op.create_table(
        "identity_changes",
        sa.Column("change_id", sa.String(64), primary_key=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(128), nullable=False),
        sa.Column("other_subject_id", sa.String(128), nullable=False),
        sa.Column("decided_by", sa.String(128), nullable=False),
        sa.Column("dispute_id", sa.String(64), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_identity_changes_subject", "identity_changes", ["subject_id"])
    op.create_index("ix_identity_changes_other", "identity_changes", ["other_subject_id"])
    op.create_table(
        "identity_moves",
        sa.Column("move_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("change_id", sa.String(64), nullable=False),
        sa.Column("record_kind", sa.String(64), nullable=False),
        sa.Column("record_id", sa.String(256), nullable=False),
        sa.Column("from_subject", sa.String(128), nullable=False),
        sa.Column("to_subject", sa.String(128), nullable=False),
        sa.Column("moved_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_identity_moves_change", "identity_moves", ["change_id"])


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_index("ix_identity_moves_change", "identity_moves")
    op.drop_table("identity_moves")
    op.drop_index("ix_identity_changes_other", "identity_changes")
    op.drop_index("ix_identity_changes_subject", "identity_changes")
    op.drop_table("identity_changes")
    op.drop_table("dispute_kinds")
