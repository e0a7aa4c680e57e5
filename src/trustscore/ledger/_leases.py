"""Leases on periodic jobs: one runner among the service's workers and processes.

Each worker of ``trustscore serve`` starts the dispute deadline job; before each run it takes
(or renews) the job's lease row, and only the holder runs. A holder that dies stops renewing,
and another worker takes the lease once it has expired. One row per job in ``job_leases``;
taking it is one write transaction (SQLite's ``BEGIN IMMEDIATE``, a row lock on PostgreSQL),
and two processes creating the first row at once leave one of them refused by the primary key.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from trustscore.exceptions import SchemaError
from trustscore.ledger._checks import check_text, moment
from trustscore.ledger._tables import LeaseRow

if TYPE_CHECKING:
    from trustscore.ledger._db import Ledger

__all__ = ["acquire_lease", "lease_holder", "release_lease"]


def acquire_lease(
    ledger: Ledger, name: str, holder: str, *, ttl_s: float, now: dt.datetime | None = None
) -> bool:
    """Take or renew the lease ``name`` for ``holder`` until ``now + ttl_s``; False if held.

    The lease is ``holder``'s if nobody holds it, if ``holder`` already does, or if the other
    holder's lease expired at or before ``now``.

    Examples
    --------
    >>> import datetime as dt
    >>> from trustscore.ledger import Ledger
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    >>> acquire_lease(ledger, "deadlines", "w1", ttl_s=60, now=t0)
    True
    >>> acquire_lease(ledger, "deadlines", "w2", ttl_s=60, now=t0 + dt.timedelta(seconds=30))
    False
    >>> acquire_lease(ledger, "deadlines", "w2", ttl_s=60, now=t0 + dt.timedelta(seconds=60))
    True
    """
    check_text(name, "name", max_length=64)
    check_text(holder, "holder", max_length=128)
    if not ttl_s > 0:
        msg = f"A lease's ttl_s must be > 0 seconds; got {ttl_s!r} for lease {name!r}."
        raise SchemaError(msg, field="ttl_s", value=ttl_s)
    at = moment(now)
    until = at + dt.timedelta(seconds=ttl_s)
    try:
        with ledger.transaction() as session:
            row = session.get(LeaseRow, name, with_for_update=True)
            if row is None:
                session.add(LeaseRow(name=name, holder=holder, expires_at=until))
                session.flush()
                return True
            if row.holder != holder and row.expires_at > at:
                return False
            row.holder, row.expires_at = holder, until
            return True
    except IntegrityError:  # another process created the row first: it holds the lease
        return False


def lease_holder(ledger: Ledger, name: str, now: dt.datetime | None = None) -> str | None:
    """Who holds the lease ``name`` at ``now`` (None if nobody, or if it expired)."""
    at = moment(now)
    with ledger.reading() as session:
        row = session.get(LeaseRow, name)
        return None if row is None or row.expires_at <= at else row.holder


def release_lease(ledger: Ledger, name: str, holder: str) -> bool:
    """Give the lease up (a worker shutting down); False if ``holder`` did not hold it."""
    with ledger.transaction() as session:
        done = session.execute(
            delete(LeaseRow).where(LeaseRow.name == name, LeaseRow.holder == holder)
        )
        return bool(getattr(done, "rowcount", 0))
