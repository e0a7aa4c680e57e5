"""Prometheus metrics of one app, and the middleware that counts requests and gives request ids.

Each app has its own registry (two apps in one process, as in tests, count apart). With several
uvicorn workers each worker serves its own ``/metrics``: scrape them through the load balancer's
per-worker targets, or sum what it returns (prometheus-client's multiprocess mode is not used).

Every response carries ``X-Request-ID``: the request's own if it sent a sane one (up to 128
printable ASCII characters), else a new one; log lines written while the request runs carry it.
"""

from __future__ import annotations

import contextvars
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any, Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["REQUEST_ID", "Metrics", "ObservedApp"]

#: The id of the request being served in this context (None outside a request).
REQUEST_ID: Final[contextvars.ContextVar[str | None]] = contextvars.ContextVar(
    "trustscore_request_id", default=None
)

_access_log = logging.getLogger("trustscore.service.access")

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

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)


def _request_id(scope: dict[str, Any]) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            if 0 < len(value) <= 128 and all(33 <= b < 127 for b in value):
                return str(value.decode("ascii"))
            break
    return uuid.uuid4().hex


class ObservedApp:
    """ASGI middleware: a request id for each request, its metrics, its access log line.

    A plain ASGI wrapper (not Starlette's ``BaseHTTPMiddleware``, which costs a task per request).
    The route label is the matched route's template (``/v1/subjects/{subject_id}/file``), never
    the raw path, so the metric's label set stays bounded; an unmatched path counts as
    ``unmatched``.
    """

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _request_id(scope)
        token = REQUEST_ID.set(rid)
        start = time.perf_counter()
        status = 500
        header = (b"x-request-id", rid.encode("ascii"))

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - start
            route = scope.get("route")
            label = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.observe(method, label, status, seconds)
            if _access_log.isEnabledFor(logging.INFO):
                _access_log.info(
                    "%s %s %d", method, scope["path"], status,
                    extra={"method": method, "path": scope["path"], "route": label,
                           "status": status, "duration_ms": round(seconds * 1000, 3)},
                )  # fmt: skip
            REQUEST_ID.reset(token)
