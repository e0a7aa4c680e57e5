"""An in-process cache of authenticated clients, so a request does not read the ledger.

Keyed by the SHA-256 of the bearer token (the token itself is never kept), bounded in size
(least recently used out first) and short-lived: an entry is trusted for ``ttl_s`` seconds.
Only successful authentications are cached; an unknown or revoked token always reads the ledger.

Revocation through this process (``DELETE /v1/clients/{id}``) calls :meth:`TokenCache.invalidate`,
so it takes effect at once here. A revocation by another process (another uvicorn worker, the
``trustscore client revoke`` command) cannot reach this cache: it takes effect here within
``ttl_s`` seconds.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from trustscore import ledger as lg
from trustscore.exceptions import SchemaError

__all__ = ["TokenCache"]


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
        self._entries: OrderedDict[bytes, tuple[lg.Client, float]] = OrderedDict()
        self._lock = threading.Lock()
        # bumped by every invalidation: a ledger read that began before it is not cached
        self._generation = 0

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, token: str) -> lg.Client | None:
        """The cached client for ``token`` if its entry is still fresh, else None (a miss)."""
        if self.ttl_s == 0:
            return None
        key = _key(token)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            client, expires = entry
            if self._clock() >= expires:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return client

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
            self._entries[key] = (client, self._clock() + self.ttl_s)
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
            stale = [k for k, (c, _) in self._entries.items() if c.client_id == client_id]
            for key in stale:
                del self._entries[key]

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._generation += 1
            self._entries.clear()


def _key(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()
