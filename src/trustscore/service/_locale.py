"""The language of an answer: ``?lang=<tag>``, else the ``Accept-Language`` header, else English.

The web pages send ``Accept-Language`` with the language chosen on the page; any client may send
``?lang=zh-CN`` instead. :class:`ContentLanguage` works the choice out once per request (it
is on the request's state for the routes and the error handlers) and puts it on every JSON
answer as ``Content-Language``, with ``Vary: Accept-Language`` for caches. The routes whose
bodies hold texts say their ``locale`` in the body too. Codes, ids and enums stay as they are
in every language.

Examples
--------
>>> locale_of(b"lang=zh-CN", None), locale_of(b"", b"zh-CN,zh;q=0.9"), locale_of(b"", None)
('zh-CN', 'zh-CN', 'en')
>>> locale_of(b"lang=xx", b"zh"), locale_of(b"lang=en", b"zh-CN")
('zh-CN', 'en')
"""

from __future__ import annotations

import functools
from typing import Annotated, Any, Final
from urllib.parse import parse_qs

from fastapi import Depends, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trustscore.i18n import negotiate

__all__ = ["ContentLanguage", "Locale", "get_locale", "locale_of", "request_locale"]

_STATE_KEY: Final = "locale"


@functools.lru_cache(maxsize=256)
def _negotiated(requested: str | None, accept_language: str | None) -> str:
    return negotiate(accept_language, requested=requested)


def locale_of(query_string: bytes, accept_language: bytes | None) -> str:
    """The locale of a request from its raw query string and ``Accept-Language`` header."""
    requested = None
    if b"lang=" in query_string:
        values = parse_qs(query_string.decode("latin-1")).get("lang")
        requested = values[0][:35] if values else None
    header = None if accept_language is None else accept_language.decode("latin-1")[:200]
    return _negotiated(requested, header)


def _scope_locale(scope: Scope) -> str:
    header = None
    for name, value in scope.get("headers", ()):
        if name == b"accept-language":
            header = value
            break
    return locale_of(scope.get("query_string", b""), header)


def request_locale(request: Request) -> str:
    """The locale chosen for ``request`` (worked out by :class:`ContentLanguage`)."""
    chosen = getattr(request.state, _STATE_KEY, None)
    if isinstance(chosen, str):
        return chosen
    return _scope_locale(request.scope)


async def get_locale(request: Request) -> str:
    """The dependency of a route whose answer holds texts a person reads."""
    return request_locale(request)


#: A route's parameter: the locale its texts are in.
Locale = Annotated[str, Depends(get_locale)]


class ContentLanguage:
    """ASGI middleware: the request's locale on its state, and ``Content-Language`` on every
    JSON answer (the web pages' HTML and scripts, one file for every language, go without)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        locale = _scope_locale(scope)
        state: dict[str, Any] = scope.setdefault("state", {})
        state[_STATE_KEY] = locale
        language = locale.encode("latin-1")

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if any(
                    k == b"content-type" and v.startswith(b"application/json") for k, v in headers
                ):
                    headers.append((b"content-language", language))
                    headers.append((b"vary", b"Accept-Language"))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_language)
