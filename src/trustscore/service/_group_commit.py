"""Group commit: the ledger facts of concurrent score requests, written in one transaction.

Each ``POST /v1/scores`` must record a snapshot and an access (each with its audit entry) before
it answers. Written one request at a time, that is two SQLite transactions, each with its own
lock, chain-head update and disk sync, and the writes of all requests queue behind one another.
:class:`GroupCommit` hands every request's facts to one writer thread, which writes whatever has
gathered while the previous commit ran in a single transaction
(:func:`trustscore.ledger.record_score_accesses`), then wakes each request with its own rows. A
request still answers only after its facts are committed: nothing is acknowledged early.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from typing import Final

from trustscore import ledger as lg

__all__ = ["GroupCommit"]

logger = logging.getLogger(__name__)

_STOP: Final = None


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
    >>> import datetime as dt
    >>> from trustscore.ledger import Ledger, ScoreAccess, snapshots
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> commits = GroupCommit(ledger)
    >>> item = ScoreAccess(subject_id="s1", as_of=dt.date(2026, 1, 31), model_version="1.0.0",
    ...     model_hash="m" * 64, score=712, status="OK", subscores={"payment": 300},
    ...     reasons=["R01"], feature_hash="f" * 64, client_id="cl_bank", purpose="credit_limit")
    >>> snapshot, access = commits.record(item)
    >>> (snapshot.score, access.purpose, len(snapshots(ledger, "s1")))
    (712, 'credit_limit', 1)
    >>> commits.close()
    """

    def __init__(self, ledger: lg.Ledger, *, max_group: int = 256) -> None:
        self.ledger = ledger
        self.max_group = max_group
        self._queue: queue.SimpleQueue[
            tuple[lg.ScoreAccess, Future[tuple[lg.Snapshot, lg.Access]]] | None
        ] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def record(self, item: lg.ScoreAccess) -> tuple[lg.Snapshot, lg.Access]:
        """Record one item; returns once it is committed (raises what recording it raised)."""
        future: Future[tuple[lg.Snapshot, lg.Access]] = Future()
        with self._lock:
            if self._closed:
                return lg.record_score_accesses(self.ledger, [item])[0]
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="ledger-group-commit", daemon=True
                )
                self._thread.start()
            self._queue.put((item, future))
        return future.result()

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
            self._write([g for g in group if g is not None])
            if stop:
                return

    def _write(
        self, group: list[tuple[lg.ScoreAccess, Future[tuple[lg.Snapshot, lg.Access]]]]
    ) -> None:
        try:
            results = lg.record_score_accesses(self.ledger, [item for item, _ in group])
        except Exception as exc:  # handed to the waiting requests
            if len(group) == 1:
                group[0][1].set_exception(exc)
                return
            # one bad item fails the whole group: write them one by one, so only it fails
            logger.warning("A group of %d ledger writes failed; writing each alone", len(group))
            for item, future in group:
                try:
                    future.set_result(lg.record_score_accesses(self.ledger, [item])[0])
                except Exception as exc:  # handed to the waiting request
                    future.set_exception(exc)
            return
        for (_, future), result in zip(group, results, strict=True):
            future.set_result(result)
