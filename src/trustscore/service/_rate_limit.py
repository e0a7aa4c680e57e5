"""Per-client rate limits: a token bucket per API client, answered with 429 and ``Retry-After``.

The buckets live in the worker process: with several uvicorn workers, a client may get up to
``workers`` times the rate (a load balancer that keeps a client on one worker, or one worker,
gives the exact limit). A shared bucket would put a ledger round trip on every request.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

from trustscore.exceptions import SchemaError

__all__ = ["RateLimiter"]


class RateLimiter:
    """Token buckets by key: ``burst`` requests at once, ``rate_per_s`` sustained.

    Parameters
    ----------
    rate_per_s : float
        Tokens added per second (> 0).
    burst : int
        The bucket's size: how many requests may come at once (>= 1).
    clock : callable, optional
        Monotonic seconds; :func:`time.monotonic` unless a test passes its own.
    max_keys : int, default 100_000
        Buckets kept; the least recently used goes first (it is full again by then, or soon).

    Examples
    --------
    >>> now = [0.0]
    >>> limiter = RateLimiter(rate_per_s=2.0, burst=2, clock=lambda: now[0])
    >>> [limiter.wait_s("cl_1") for _ in range(3)]
    [0.0, 0.0, 0.5]
    >>> now[0] = 0.5
    >>> limiter.wait_s("cl_1"), limiter.wait_s("cl_2")
    (0.0, 0.0)
    >>> RateLimiter.retry_after(0.5)
    '1'
    """

    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if not rate_per_s > 0 or burst < 1 or max_keys < 1:
            msg = (
                f"A rate limit needs rate_per_s > 0, burst >= 1 and max_keys >= 1; got "
                f"rate_per_s={rate_per_s}, burst={burst}, max_keys={max_keys}. Set "
                "TRUSTSCORE_RATE_LIMIT_PER_S=0 to serve without one."
            )
            raise SchemaError(msg, rate_per_s=rate_per_s, burst=burst)
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def wait_s(self, key: str) -> float:
        """Take a token for ``key``: 0.0 if there was one, else the seconds until there is.

        Called on the event loop only (no lock): a refused request takes no token.
        """
        now = self._clock()
        tokens, last = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate_per_s)
        if tokens >= 1.0:
            wait, tokens = 0.0, tokens - 1.0
        else:
            wait = (1.0 - tokens) / self.rate_per_s
        self._buckets[key] = (tokens, now)
        self._buckets.move_to_end(key)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait

    @staticmethod
    def retry_after(wait_s: float) -> str:
        """The ``Retry-After`` header's whole seconds for a wait (at least 1)."""
        return str(max(1, math.ceil(wait_s)))
