"""The language of an answer: ``?lang=<tag>``, else the ``Accept-Language`` header, else English.

The web pages send ``Accept-Language`` with the language chosen on the page; any client may send
``?lang=zh-CN`` instead. The service's middleware (:mod:`trustscore.service._middleware`) works
the choice out once per request (it is on the request's state for the routes and the error
handlers) and puts it on every JSON answer as ``Content-Language``, with ``Vary:
Accept-Language`` for caches. The routes whose
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
from typing import Annotated, Final
from urllib.parse import parse_qs

from fastapi import Depends, Request
from starlette.types import Scope

from trustscore.i18n import negotiate

__all__ = ["STATE_KEY", "Locale", "get_locale", "locale_of", "request_locale"]

#: Where the request's state keeps its locale.
STATE_KEY: Final = "locale"


@functools.lru_cache(maxsize=256)
def _negotiated(requested: str | None, accept_language: bytes | None) -> str:
    # keyed by the raw header: a client sends the same one with every request
    header = None if accept_language is None else accept_language.decode("latin-1")
    return negotiate(header, requested=requested)


def locale_of(query_string: bytes, accept_language: bytes | None) -> str:
    """The locale of a request from its raw query string and ``Accept-Language`` header."""
    requested = None
    if b"lang=" in query_string:
        values = parse_qs(query_string.decode("latin-1")).get("lang")
        requested = values[0][:35] if values else None
    return _negotiated(requested, None if accept_language is None else accept_language[:200])


def _scope_locale(scope: Scope) -> str:
    header = None
    for name, value in scope.get("headers", ()):
        if name == b"accept-language":
            header = value
            break
    return locale_of(scope.get("query_string", b""), header)


def request_locale(request: Request) -> str:
    """The locale chosen for ``request`` (worked out by the service's middleware)."""
    chosen = getattr(request.state, STATE_KEY, None)
    if isinstance(chosen, str):
        return chosen
    return _scope_locale(request.scope)


async def get_locale(request: Request) -> str:
    """The dependency of a route whose answer holds texts a person reads."""
    return request_locale(request)


#: A route's parameter: the locale its texts are in.
Locale = Annotated[str, Depends(get_locale)]
