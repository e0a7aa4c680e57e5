"""Alembic environment of the ledger, run programmatically by :meth:`Ledger.upgrade`.

There is no ``alembic.ini``: :meth:`Ledger.upgrade` builds the configuration and passes the open
connection in ``config.attributes["connection"]``. Offline (SQL script) mode is not supported.
"""

from __future__ import annotations

from alembic import context

from trustscore.exceptions import LedgerError
from trustscore.ledger._tables import Base


def run_migrations() -> None:
    """Run the migrations on the connection that :meth:`Ledger.upgrade` opened."""
    connection = context.config.attributes.get("connection")
    if connection is None or context.is_offline_mode():
        msg = "The ledger's migrations run only through Ledger(url).upgrade(), online."
        raise LedgerError(msg)
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


# Alembic executes this file with its context set up; importing it elsewhere (doctest
# collection, mypy) must do nothing.
if hasattr(context, "config"):
    run_migrations()
