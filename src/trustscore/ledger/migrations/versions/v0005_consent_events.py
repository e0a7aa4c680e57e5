"""Consent events: a subject's grants and withdrawals of consent to use alternative data.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from trustscore.ledger._tables import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the consent events table."""
    op.create_table(
        "consent_events",
        sa.Column("consent_id", sa.String(64), primary_key=True),
        sa.Column("subject_id", sa.String(128), nullable=False),
        sa.Column("scope_kind", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(128), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("effective_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
    )
    op.create_index("ix_consent_events_subject", "consent_events", ["subject_id", "effective_at"])


def downgrade() -> None:
    """Drop the consent events (their audit entries stay in the chain)."""
    op.drop_index("ix_consent_events_subject", table_name="consent_events")
    op.drop_table("consent_events")
