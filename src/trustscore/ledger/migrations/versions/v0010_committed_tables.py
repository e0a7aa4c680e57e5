"""Held batches and refused requests carry commitments in the audit log.

Their rows as they are now are committed in ``audit.baseline`` entries, so ``audit verify``
holds every later write of them to the log (each write commits its row from now on).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import datetime as dt

from alembic import op
from sqlalchemy.orm import Session

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

#: The tables this revision starts committing.
TABLES = ("held_batches", "access_refusals")


def upgrade() -> None:
    """Commit the current rows of the newly committed tables."""
    import trustscore.ledger  # noqa: F401 - registers the committed tables
    from trustscore.ledger._commitments import append_baseline

    session = Session(bind=op.get_bind())
    append_baseline(session, "migration-0010", dt.datetime.now(dt.UTC), tables=TABLES)
    session.flush()


def downgrade() -> None:
    """Nothing to undo in the schema; the baseline entries stay in the log (it only grows)."""
