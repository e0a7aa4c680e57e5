"""An in-process cache of authenticated clients, so a request does not read the ledger.

Keyed by the SHA-256 of the bearer token (the token itself is never kept), bounded in size
(least recently used out first) and short-lived: an entry is trusted for ``ttl_s`` seconds.
Only successful authentications are cached; an unknown or revoked token always reads the ledger.

Revocation through this process (``DELETE /v1/clients/{id}``) calls :meth:`TokenCache.invalidate`,
so it takes effect at once here. A revocation by another process (another uvicorn worker, the
``trustscore client revoke`` command) cannot reach this cache: it takes effect here within
``ttl_s`` seconds.

An entry in use is read again before it expires: :meth:`TokenCache.check` tells the first
request that finds it past half its TTL to :meth:`TokenCache.refresh` it in the background, so
under steady traffic no request waits for the ledger, and the requests that arrive together
when an entry would expire do not all read the ledger at once. A refreshed entry is trusted
for ``ttl_s`` from its read, so a revocation elsewhere is still seen within ``ttl_s``.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from trustscore import ledger as lg
from trustscore.exceptions import SchemaError

__all__ = ["TokenCache"]

logger = logging.getLogger(__name__)


class TokenCache:
    """Authenticated clients by token digest, for ``ttl_s`` seconds, at most ``max_size``.

    Parameters
    ----------
    ttl_s : float
        How long an authentication is trusted; 0 disables the cache (every request reads the
        ledger). It bounds how late another process's revocation is seen here.
    max_size : int
        Most tokens kept; the least recently used goes first.
    clock : callable, optional
        Monotonic seconds; :func:`time.monotonic` unless a test passes its own.

    Examples
    --------
    >>> from trustscore.ledger import Ledger, create_client, revoke_client
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> client, token = create_client(ledger, "auditor")
    >>> cache = TokenCache(ttl_s=5.0)
    >>> cache.authenticate(ledger, token) == client
    True
    >>> _ = revoke_client(ledger, client.client_id)
    >>> cache.invalidate(client.client_id)
    >>> cache.authenticate(ledger, token) is None
    True
    """

    def __init__(
        self,
        ttl_s: float = 5.0,
        max_size: int = 10_000,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_s < 0 or max_size < 1:
            msg = (
                f"TokenCache needs ttl_s >= 0 and max_size >= 1; got ttl_s={ttl_s} and "
                f"max_size={max_size}. Pass ttl_s=0 to disable the cache."
            )
            raise SchemaError(msg, ttl_s=ttl_s, max_size=max_size)
        self.ttl_s = ttl_s
        self.max_size = max_size
        self._clock = clock
        # client, when the entry expires, when it should be read again
        self._entries: OrderedDict[bytes, tuple[lg.Client, float, float]] = OrderedDict()
        self._refreshing: set[bytes] = set()
        self._lock = threading.Lock()
        # bumped by every invalidation: a ledger read that began before it is not cached
        self._generation = 0

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, token: str) -> lg.Client | None:
        """The cached client for ``token`` if its entry is still fresh, else None (a miss)."""
        return self.check(token)[0]

    def check(self, token: str) -> tuple[lg.Client | None, bool]:
        """:meth:`lookup`, and whether the caller should :meth:`refresh` the entry now.

        True for the first caller that finds the entry past half its TTL (the others get False
        until that refresh is done), so one read refreshes a token in use before it expires.
        """
        if self.ttl_s == 0:
            return None, False
        key = _key(token)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None, False
            client, expires, refresh_at = entry
            now = self._clock()
            if now >= expires:
                del self._entries[key]
                return None, False
            self._entries.move_to_end(key)
            if now < refresh_at or key in self._refreshing:
                return client, False
            self._refreshing.add(key)
            return client, True

    def refresh(self, ledger: lg.Ledger, token: str) -> None:
        """Read ``token``'s client from the ledger again: keep it anew, or drop it if revoked.

        For a caller that :meth:`check` told to; meant to run in the background, so it logs a
        failure to read the ledger rather than raise it (the entry then simply expires).
        """
        key = _key(token)
        try:
            generation = self.generation()
            client = lg.authenticate(ledger, token)
            if client is None:
                with self._lock:
                    self._entries.pop(key, None)
            else:
                self.store(token, client, generation)
        except Exception:  # a background task: nobody would see it raised
            logger.warning("Refreshing a cached authentication failed", exc_info=True)
        finally:
            with self._lock:
                self._refreshing.discard(key)

    def generation(self) -> int:
        """A counter that every :meth:`invalidate` and :meth:`clear` moves on."""
        with self._lock:
            return self._generation

    def store(self, token: str, client: lg.Client, generation: int) -> None:
        """Keep ``client`` for ``token`` if nothing was invalidated since ``generation``.

        ``generation`` is :meth:`generation` taken *before* the ledger was read, so a read that
        raced a revocation in this process never puts the revoked client back.
        """
        if self.ttl_s == 0:
            return
        key = _key(token)
        with self._lock:
            if generation != self._generation:
                return
            now = self._clock()
            self._entries[key] = (client, now + self.ttl_s, now + self.ttl_s / 2)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_size:
                self._entries.popitem(last=False)

    def authenticate(self, ledger: lg.Ledger, token: str) -> lg.Client | None:
        """:func:`trustscore.ledger.authenticate` through the cache (reads the ledger on a miss)."""
        client = self.lookup(token)
        if client is not None:
            return client
        generation = self.generation()
        client = lg.authenticate(ledger, token)
        if client is not None:
            self.store(token, client, generation)
        return client

    def invalidate(self, client_id: str) -> None:
        """Forget every token of ``client_id`` (after its revocation), effective at once."""
        with self._lock:
            self._generation += 1
            stale = [k for k, (c, _, _) in self._entries.items() if c.client_id == client_id]
            for key in stale:
                del self._entries[key]

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._generation += 1
            self._entries.clear()


def _key(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()
