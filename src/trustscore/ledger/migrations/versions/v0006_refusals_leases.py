"""Refused requests (the access log's other half) and job leases (one deadline runner).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from trustscore.ledger._tables import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``access_refusals`` and ``job_leases``."""
    op.create_table(
        "access_refusals",
        sa.Column("refusal_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=True),
        sa.Column("token_fingerprint", sa.String(16), nullable=True),
        sa.Column("subject_id", sa.String(128), nullable=True),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_access_refusals_subject", "access_refusals", ["subject_id", "at"])
    op.create_index("ix_access_refusals_kind_client", "access_refusals", ["kind", "client_id"])
    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("job_leases")
    op.drop_index("ix_access_refusals_kind_client", table_name="access_refusals")
    op.drop_index("ix_access_refusals_subject", table_name="access_refusals")
    op.drop_table("access_refusals")
