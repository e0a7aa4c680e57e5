"""The dispute deadline job, run inside the service: every worker tries, one runs.

Each worker's lifespan starts :meth:`DeadlineRunner.run_forever`, which runs the job at once and
then every ``interval_s`` seconds. Before each run a worker takes the job's lease in the ledger
(:func:`trustscore.ledger.acquire_lease`) for twice the interval; only the holder runs the job,
renewing the lease as it goes, so of N workers (or N servers on one ledger) one runs it. When
the holder stops (it gives the lease back on shutdown) or dies (its lease expires), another
worker takes over at its next try. The job is the one ``trustscore disputes run-deadlines``
runs: overdue disputes resolved as unverifiable, their records suppressed, subjects rescored.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Awaitable, Callable
from typing import Final

from trustscore import ledger as lg
from trustscore.service._provider import SubjectProvider, deadline_callback

__all__ = ["LEASE_NAME", "DeadlineRunner"]

logger = logging.getLogger(__name__)

#: The lease row's name in ``job_leases``.
LEASE_NAME: Final = "dispute-deadlines"


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DeadlineRunner:
    """Runs :func:`trustscore.ledger.run_deadline_job` while it holds the job's lease.

    Parameters
    ----------
    ledger : Ledger
        Where the disputes and the lease are.
    provider : SubjectProvider or None
        Suppresses records and rescores subjects (:func:`deadline_callback`); without one the
        ledger alone is updated (``trustscore disputes run-deadlines`` applies it later).
    interval_s : float
        Seconds between runs (> 0); the lease lasts twice as long.
    holder : str, optional
        This runner's name in the lease (host, process and a random part by default).
    clock : callable, optional
        The current UTC time; tests pass their own.
    on_run : callable, optional
        Called after each run this runner made (the service counts them in its metrics).

    Examples
    --------
    >>> from trustscore.ledger import Ledger, open_dispute
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    >>> _ = open_dispute(ledger, "s1", "obligation", "ob-1", "never billed", t0)
    >>> a = DeadlineRunner(ledger, None, interval_s=60, holder="a")
    >>> b = DeadlineRunner(ledger, None, interval_s=60, holder="b")
    >>> [d.status for d in a.run_once(t0 + dt.timedelta(days=31))]
    ['unverifiable']
    >>> b.run_once(t0 + dt.timedelta(days=31)) is None  # a holds the lease
    True
    """

    def __init__(
        self,
        ledger: lg.Ledger,
        provider: SubjectProvider | None,
        *,
        interval_s: float,
        holder: str | None = None,
        clock: Callable[[], dt.datetime] = _utc_now,
        on_run: Callable[[], None] | None = None,
    ) -> None:
        self.ledger = ledger
        self.provider = provider
        self.interval_s = interval_s
        self.holder = holder or f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.clock = clock
        self.on_run = on_run
        #: Runs this runner made while holding the lease; set after each try, run or not.
        self.runs = 0
        self.tried = threading.Event()

    @property
    def lease_ttl_s(self) -> float:
        """How long a taken lease lasts: two intervals, so one late run does not lose it."""
        return 2 * self.interval_s

    def run_once(self, now: dt.datetime | None = None) -> list[lg.Dispute] | None:
        """Run the job at ``now`` if this runner holds (or takes) the lease; None if not."""
        at = now or self.clock()
        try:
            if not lg.acquire_lease(
                self.ledger, LEASE_NAME, self.holder, ttl_s=self.lease_ttl_s, now=at
            ):
                return None
            on_suppress = (
                None if self.provider is None else deadline_callback(self.provider, self.ledger)
            )
            done = lg.run_deadline_job(self.ledger, at, on_suppress)
            self.runs += 1
            if self.on_run is not None:
                self.on_run()
        finally:
            self.tried.set()
        if done:
            logger.info(
                "Deadline job: %d overdue dispute(s) resolved as unverifiable", len(done),
                extra={"job": LEASE_NAME, "resolved": [d.dispute_id for d in done]},
            )  # fmt: skip
        return done

    async def run_forever(self, wait: Callable[[float], Awaitable[object]] = asyncio.sleep) -> None:
        """Try the job now and then after every ``wait(interval_s)``, until cancelled.

        A failed run is logged and tried again at the next interval.
        """
        while True:
            try:
                await asyncio.to_thread(self.run_once)
            except Exception:  # the next interval tries again; the failure must be seen
                logger.exception("The dispute deadline job failed; it runs again later")
            await wait(self.interval_s)

    def release(self) -> None:
        """Give the lease back (shutting down), so another worker need not wait it out."""
        try:
            lg.release_lease(self.ledger, LEASE_NAME, self.holder)
        except Exception:  # shutting down: the lease expires by itself
            logger.warning("Could not give back the deadline job's lease", exc_info=True)
