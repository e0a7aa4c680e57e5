"""Prometheus metrics of one app (counted by :mod:`trustscore.service._middleware`).

Each app has its own registry (two apps in one process, as in tests, count apart). With several
uvicorn workers each worker serves its own ``/metrics``: scrape them through the load balancer's
per-worker targets, or sum what it returns (prometheus-client's multiprocess mode is not used).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any, Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["REQUEST_ID", "Metrics"]

#: The id of the request being served in this context (None outside a request).
REQUEST_ID: Final[contextvars.ContextVar[str | None]] = contextvars.ContextVar(
    "trustscore_request_id", default=None
)

_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The service's metrics in a registry of their own.

    Examples
    --------
    >>> from prometheus_client import generate_latest
    >>> m = Metrics(queue_depth=lambda: 3)
    >>> m.observe("GET", "/v1/health", 200, 0.002)
    >>> m.refusals.labels("invalid_token").inc()
    >>> text = generate_latest(m.registry).decode()
    >>> 'trustscore_http_requests_total{method="GET",route="/v1/health",status="200"} 1.0' in text
    True
    >>> 'trustscore_refusals_total{kind="invalid_token"} 1.0' in text
    True
    >>> "trustscore_ledger_queue_depth 3.0" in text
    True
    """

    def __init__(self, *, queue_depth: Callable[[], float]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "trustscore_http_requests", "HTTP requests answered, by route and status.",
            ["method", "route", "status"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "trustscore_http_request_duration_seconds",
            "Time from a request's arrival to its response's last byte, by route.",
            ["method", "route"], buckets=_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.refusals = Counter(
            "trustscore_refusals", "Refused requests, by kind (each is in the ledger too).",
            ["kind"], registry=self.registry,
        )  # fmt: skip
        self.queue_depth = Gauge(
            "trustscore_ledger_queue_depth",
            "Ledger writes (accesses, refusals) waiting for the group commit.",
            registry=self.registry,
        )
        self.queue_depth.set_function(queue_depth)
        self.open_disputes = Gauge(
            "trustscore_open_disputes", "Disputes open now (read from the ledger at each scrape).",
            registry=self.registry,
        )  # fmt: skip
        self.deadline_runs = Counter(
            "trustscore_deadline_job_runs", "Runs of the dispute deadline job by this worker.",
            registry=self.registry,
        )  # fmt: skip

        # the labelled children by (method, route, status): ``labels()`` validates and locks on
        # every call, and a request needs two of them
        self._observers: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        key = (method, route, status)
        children = self._observers.get(key)
        if children is None:
            children = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
            self._observers[key] = children
        children[0].inc()
        children[1].observe(seconds)
