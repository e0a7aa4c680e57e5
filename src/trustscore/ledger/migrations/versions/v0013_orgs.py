"""A purpose has a champion and a challenger per subject kind (person, organisation).

``model_events`` gains ``subject_kind`` (every earlier event is a person model's, the only kind
there was); its rows, whose commitments now cover the new column, are committed again in an
``audit.baseline`` entry, so ``audit verify`` holds them to the log as before.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``model_events.subject_kind`` and recommit the events."""
    import trustscore.ledger  # noqa: F401 - registers the committed tables
    from trustscore.ledger._commitments import append_baseline

    with op.batch_alter_table("model_events") as batch:
        batch.add_column(
            sa.Column("subject_kind", sa.String(16), nullable=False, server_default="person")
        )
    session = Session(bind=op.get_bind())
    append_baseline(session, "migration-0013", dt.datetime.now(dt.UTC), tables=("model_events",))
    session.flush()


def downgrade() -> None:
    """Drop the column; organisations' slots go with it (the log keeps their entries)."""
    with op.batch_alter_table("model_events") as batch:
        batch.drop_column("subject_kind")
