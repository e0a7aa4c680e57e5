"""The audit log becomes a Merkle tree log with signed checkpoints and state commitments.

Every existing entry keeps its chain hash and gets its RFC 9162 leaf hash, so the existing chain
becomes the tree's first leaves; the head gets the tree's right edge; signed checkpoints get
their table; and the rows of the tables whose state the log vouches for (API clients, disputes,
suppressions) are committed as they are now in ``audit.baseline`` entries.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from trustscore.ledger._tables import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_BATCH = 5000


def upgrade() -> None:
    """Add the tree's columns and table, fill them from the chain, commit the current rows."""
    from trustscore.ledger._audit import encode_frontier, entry_leaf_hash
    from trustscore.ledger._merkle import append_leaf

    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("leaf_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("state", sa.Text(), nullable=True))
    op.add_column("audit_head", sa.Column("frontier", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "audit_checkpoints",
        sa.Column("checkpoint_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("tree_size", sa.Integer(), nullable=False),
        sa.Column("root_hash", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
    )
    op.create_index("ix_audit_checkpoints_size", "audit_checkpoints", ["tree_size"])
    op.create_table(
        "audit_salts",
        sa.Column("subject_id", sa.String(128), primary_key=True),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )

    conn = op.get_bind()
    log = sa.table(
        "audit_log", sa.column("seq", sa.Integer()), sa.column("at", UTCDateTime()),
        sa.column("actor", sa.String()), sa.column("action", sa.String()),
        sa.column("payload", sa.Text()), sa.column("leaf_hash", sa.String()),
    )  # fmt: skip
    frontier: list[bytes] = []
    last = size = 0
    while True:
        rows = conn.execute(
            sa.select(log.c.seq, log.c.at, log.c.actor, log.c.action, log.c.payload)
            .where(log.c.seq > last)
            .order_by(log.c.seq)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        updates = []
        for seq, at, actor, action, payload in rows:
            leaf = entry_leaf_hash(seq, at, actor, action, payload)
            # the tree follows the entries as stored; a gap in seq is `audit verify`'s to report
            frontier = append_leaf(frontier, size, bytes.fromhex(leaf))
            size += 1
            updates.append({"s": seq, "h": leaf})
            last = seq
        conn.execute(
            sa.update(log)
            .where(log.c.seq == sa.bindparam("s"))
            .values(leaf_hash=sa.bindparam("h")),
            updates,
        )
    conn.execute(sa.text("UPDATE audit_head SET frontier = :f"), {"f": encode_frontier(frontier)})
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column("leaf_hash", existing_type=sa.String(64), nullable=False)

    import trustscore.ledger  # noqa: F401 - registers the committed tables
    from trustscore.ledger._commitments import append_baseline

    session = Session(bind=conn)
    append_baseline(session, "migration-0002", dt.datetime.now(dt.UTC))
    session.flush()


def downgrade() -> None:
    """Drop the tree's table and columns; refused once entries carry state commitments.

    The chain hash of such an entry covers its ``state``, which revision 0001 has no column
    for: dropping it would leave a chain that no longer verifies.
    """
    committed = (
        op.get_bind()
        .execute(sa.text("SELECT COUNT(*) FROM audit_log WHERE state IS NOT NULL"))
        .scalar()
    )
    if committed:
        msg = (
            f"Cannot downgrade below 0002: {committed} audit entries carry state commitments "
            "that the 0001 schema cannot hold, and their chain hashes cover them. Restore a "
            "backup taken before the upgrade instead."
        )
        raise RuntimeError(msg)
    op.drop_table("audit_salts")
    op.drop_index("ix_audit_checkpoints_size", "audit_checkpoints")
    op.drop_table("audit_checkpoints")
    op.drop_column("audit_head", "frontier")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("state")
        batch.drop_column("leaf_hash")
