"""Consents, review cases, identity links and reviews carry commitments in the audit log.

Their rows as they are now are committed in ``audit.baseline`` entries, so ``audit verify``
holds every later write of them to the log. Refused requests are committed again: their content
hashes are now salted by the subject the request named (as the rows of other tables about a
subject are), so the log no longer lets anyone test guesses of who a refusal was about.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import datetime as dt

from alembic import op
from sqlalchemy.orm import Session

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

#: The tables this revision starts committing, and the one whose commitments it salts.
TABLES = ("consent_events", "review_cases", "identity_links", "identity_reviews", "access_refusals")


def upgrade() -> None:
    """Commit the current rows of the newly committed tables."""
    import trustscore.ledger  # noqa: F401 - registers the committed tables
    from trustscore.ledger._commitments import append_baseline

    session = Session(bind=op.get_bind())
    append_baseline(session, "migration-0011", dt.datetime.now(dt.UTC), tables=TABLES)
    session.flush()


def downgrade() -> None:
    """Nothing to undo in the schema; the baseline entries stay in the log (it only grows)."""
