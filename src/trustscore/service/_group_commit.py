"""Group commit: the ledger facts of concurrent requests, written in one transaction.

Each ``POST /v1/scores`` (and ``POST /v1/decisions``) must record a snapshot and an access (and
a decision), each with its audit entry, before it answers. Written one request at a time, that
is a transaction per request, each with its own lock, chain-head update and disk sync, and the
writes of all requests queue behind one another. :class:`GroupCommit` hands every request's
facts to one writer thread, which writes whatever has gathered while the previous commit ran in
a single transaction (:func:`trustscore.ledger.record_scored_accesses`), then wakes each request
with its own rows. A request still answers only after its facts are committed: nothing is
acknowledged early.

Refused requests go the same way (:meth:`GroupCommit.refuse`): a refusal is in the ledger
before the refusal is answered, and a flood of refused requests costs a transaction per group,
not per request.

A request on the event loop awaits :meth:`GroupCommit.submit`: its result comes back through
the loop (one ``call_soon_threadsafe`` per group and loop), so no thread waits for it. Code in
threads calls :meth:`GroupCommit.record`, which blocks.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, Final

from trustscore import ledger as lg

__all__ = ["GroupCommit"]

logger = logging.getLogger(__name__)

_STOP: Final = None

Item = lg.ScoreAccess | lg.RefusalAttempt
Waiter = Future[Any] | asyncio.Future[Any]
Outcome = tuple[Waiter, Any, BaseException | None]


class GroupCommit:
    """Writes :class:`~trustscore.ledger.ScoreAccess` facts in groups, one writer thread.

    Parameters
    ----------
    ledger : Ledger
        Where to write.
    max_group : int, default 256
        The most items written in one transaction.

    Examples
    --------
    >>> import asyncio, datetime as dt
    >>> from trustscore.ledger import Ledger, ScoreAccess, snapshots
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> commits = GroupCommit(ledger)
    >>> item = ScoreAccess(subject_id="s1", as_of=dt.date(2026, 1, 31), model_version="1.0.0",
    ...     model_hash="m" * 64, score=712, status="OK", subscores={"payment": 300},
    ...     reasons=["R01"], feature_hash="f" * 64, client_id="cl_bank", purpose="credit_limit")
    >>> recorded = commits.record(item)
    >>> (recorded.snapshot.score, recorded.access.purpose, len(snapshots(ledger, "s1")))
    (712, 'credit_limit', 1)
    >>> asyncio.run(commits.submit(item)).snapshot.snapshot_id
    2
    >>> commits.close()
    """

    def __init__(self, ledger: lg.Ledger, *, max_group: int = 256) -> None:
        self.ledger = ledger
        self.max_group = max_group
        self._queue: queue.SimpleQueue[tuple[Item, Waiter] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def pending(self) -> int:
        """Items queued for the writer thread (a gauge of how far the ledger lags)."""
        return self._queue.qsize()

    def _put(self, item: Item, waiter: Waiter) -> bool:
        """Queue ``item`` for the writer thread; False once closed (the caller writes it)."""
        with self._lock:
            if self._closed:
                return False
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="ledger-group-commit", daemon=True
                )
                self._thread.start()
            self._queue.put((item, waiter))
            return True

    def record(self, item: lg.ScoreAccess) -> lg.RecordedAccess:
        """Record one item; returns once it is committed (raises what recording it raised)."""
        future: Future[lg.RecordedAccess] = Future()
        if not self._put(item, future):
            return lg.record_scored_accesses(self.ledger, [item])[0]
        return future.result()

    async def submit(self, item: lg.ScoreAccess) -> lg.RecordedAccess:
        """Record one item from the event loop; resumes once it is committed.

        Nothing blocks the loop while the group is written. If the awaiting request is
        cancelled, its item is still written (the access happened).
        """
        recorded: lg.RecordedAccess = await self._submit(item)
        return recorded

    async def refuse(self, item: lg.RefusalAttempt) -> lg.Refusal:
        """Record a refused request from the event loop, as :meth:`submit` records an access."""
        refusal: lg.Refusal = await self._submit(item)
        return refusal

    async def _submit(self, item: Item) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if not self._put(item, future):
            # closed (the app is shutting down): write it in a thread, not on the loop
            return (await asyncio.to_thread(_writer_of(item), self.ledger, [item]))[0]
        return await future

    def close(self) -> None:
        """Write what is queued, then stop the writer thread."""
        with self._lock:
            self._closed = True
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            group = [first]
            stop = False
            while len(group) < self.max_group:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                group.append(more)
            _deliver(self._write([g for g in group if g is not None]))
            if stop:
                return

    def _write(self, group: Sequence[tuple[Item, Waiter]]) -> list[Outcome]:
        """Write the group, a transaction per kind of item; each waiter's result or error."""
        looks = [g for g in group if isinstance(g[0], lg.ScoreAccess)]
        refused = [g for g in group if not isinstance(g[0], lg.ScoreAccess)]
        out: list[Outcome] = []
        for part in (looks, refused):
            if part:
                out.extend(self._write_part(_writer_of(part[0][0]), part))
        return out

    def _write_part(
        self, write: Callable[[lg.Ledger, Any], list[Any]], group: Sequence[tuple[Item, Waiter]]
    ) -> list[Outcome]:
        """Write items of one kind in one transaction; each waiter's result or error."""
        try:
            results = write(self.ledger, [item for item, _ in group])
        except Exception as exc:  # handed to the waiting requests
            if len(group) == 1:
                return [(group[0][1], None, exc)]
            # one bad item fails the whole group: write them one by one, so only it fails
            logger.warning("A group of %d ledger writes failed; writing each alone", len(group))
            out: list[Outcome] = []
            for item, waiter in group:
                try:
                    out.append((waiter, write(self.ledger, [item])[0], None))
                except Exception as one:  # handed to the waiting request
                    out.append((waiter, None, one))
            return out
        return [(waiter, result, None) for (_, waiter), result in zip(group, results, strict=True)]


def _writer_of(item: Item) -> Callable[[lg.Ledger, Any], list[Any]]:
    """The ledger function that records items of ``item``'s kind, many in one transaction."""
    if isinstance(item, lg.ScoreAccess):
        return lg.record_scored_accesses
    return lg.record_refusals


def _deliver(outcomes: list[Outcome]) -> None:
    """Wake the waiters: thread futures at once, each event loop's futures in one callback."""
    by_loop: dict[asyncio.AbstractEventLoop, list[Outcome]] = {}
    for outcome in outcomes:
        waiter = outcome[0]
        if isinstance(waiter, asyncio.Future):
            by_loop.setdefault(waiter.get_loop(), []).append(outcome)
        else:
            _settle(outcome)
    for loop, mine in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle_all, mine)
        except RuntimeError:  # the loop is closed: nobody waits any more
            logger.warning("%d ledger writes committed after their event loop closed", len(mine))


def _settle_all(outcomes: list[Outcome]) -> None:
    for outcome in outcomes:
        _settle(outcome)


def _settle(outcome: Outcome) -> None:
    waiter, result, error = outcome
    if waiter.done():  # an awaiting request was cancelled; its rows are committed anyway
        return
    if error is not None:
        waiter.set_exception(error)
    elif result is not None:
        waiter.set_result(result)
