"""The one middleware every request goes through: its id, its language, its metrics, its log line.

A plain ASGI wrapper (not Starlette's ``BaseHTTPMiddleware``, which runs the app in a task with
memory streams). It does in one pass what the request's bookkeeping needs, because each layer
of middleware costs a call, a ``send`` wrapper and a walk over the headers on every request:

- the request id: the request's ``X-Request-ID`` if it is sane (up to 128 printable ASCII
  characters), else a new one; echoed on the response and carried by the log lines written
  while the request runs (:data:`~trustscore.service._metrics.REQUEST_ID`);
- the answer's language (:mod:`trustscore.service._locale`), put on the request's state for the
  routes and the error handlers, and said on every JSON answer as ``Content-Language`` with
  ``Vary: Accept-Language`` (the web pages' HTML and scripts, one file for every language, go
  without);
- the request's count and duration in the app's metrics, labelled by the matched route's
  template (``/v1/subjects/{subject_id}/file``), never the raw path, so the label set stays
  bounded; an unmatched path counts as ``unmatched``;
- an access line (``trustscore.service.access``, INFO), only when that logger is enabled.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from typing import Any, Final

from trustscore.service._locale import STATE_KEY, locale_of
from trustscore.service._metrics import REQUEST_ID, Metrics

__all__ = ["ServiceMiddleware"]

_access_log = logging.getLogger("trustscore.service.access")

_VARY: Final = (b"vary", b"Accept-Language")


def _sane_request_id(value: bytes) -> bool:
    return 0 < len(value) <= 128 and all(33 <= b < 127 for b in value)


class ServiceMiddleware:
    """ASGI middleware: the request's id, language, metrics and access line (module docstring).

    A request id it makes is 32 hex digits: a random prefix drawn when the app is built (each
    worker builds its own) and a counter, unique without a system call per request.
    """

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self._prefix = os.urandom(8).hex()
        self._counter = itertools.count()

    def _new_id(self) -> str:
        return f"{self._prefix}{next(self._counter) & 0xFFFF_FFFF_FFFF_FFFF:016x}"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        rid = accept_language = None
        for name, value in scope["headers"]:
            if name == b"x-request-id" and rid is None:
                rid = value.decode("ascii") if _sane_request_id(value) else ""
            elif name == b"accept-language" and accept_language is None:
                accept_language = value
        if not rid:
            rid = self._new_id()
        locale = locale_of(scope.get("query_string", b""), accept_language)
        scope.setdefault("state", {})[STATE_KEY] = locale
        request_id = (b"x-request-id", rid.encode("ascii"))
        language = (b"content-language", locale.encode("ascii"))
        token = REQUEST_ID.set(rid)
        status = 500

        async def send_observed(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                for key, value in headers:
                    if key == b"content-type" and value.startswith(b"application/json"):
                        headers += (language, _VARY)
                        break
                headers.append(request_id)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
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
