"""The web pages: a subject's file and the operators' dispute queue, on top of the /v1 API.

The pages are static files shipped in the package (``service/web/``): four HTML pages, a few
JavaScript files (one per page or part of a page) and one stylesheet, no build step and no
external URL. They hold no data, so
they load without a token; the script calls the /v1 endpoints with the token the user pastes
(kept in the tab's ``sessionStorage``, sent as a bearer header; no cookies, so no CSRF). Every
answer is served with a Content-Security-Policy that allows only this origin's script, style
and API, and no form submission and no framing.

``GET /`` redirects to ``/web/``, the subject's page; ``/web/operator`` is the dispute queue;
``/web/reviews`` the human-review queue; ``/web/identity`` the identity review queue of uncertain
linkage pairs and split-file reports (operators); assets are under ``/web/static/``. None of
them is in the OpenAPI schema.

Every string the pages show is an English message id translated in the browser from
``GET /web/i18n/<locale>.json`` (the ``web.po`` catalogue of that language, see
:mod:`trustscore.i18n`); ``GET /web/i18n/`` lists the languages, so adding one is adding a
catalogue. The page picks one from the browser's languages, lets the reader switch, and asks the
API in the same language (``Accept-Language``).

Examples
--------
>>> sorted(_PAGES)
['/web/', '/web/identity', '/web/operator', '/web/reviews']
>>> sorted(_ASSETS)
['chart.js', 'consent.js', 'i18n.js', 'identity.js', 'operator.js', 'records.js', 'reviews.js', \
'subject.js', 'web.css', 'web.js', 'whatif.js']
>>> _messages("zh-CN")["Your trust file"]
'您的信用档案'
>>> _messages("en")
{}
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Final

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from trustscore.i18n import LOCALES, N_, catalogue
from trustscore.service._errors import ApiError

__all__ = ["SECURITY_HEADERS", "router"]

#: Sent with every page and asset. ``form-action 'none'``: the forms are handled by the script;
#: should it not run, a form cannot send the pasted token anywhere.
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}

_PAGES: Final = {
    "/web/": "subject.html",
    "/web/operator": "operator.html",
    "/web/reviews": "reviews.html",
    "/web/identity": "identity.html",
}
_JS: Final = "text/javascript; charset=utf-8"
_ASSETS: Final = {
    "chart.js": _JS,
    "consent.js": _JS,
    "i18n.js": _JS,
    "identity.js": _JS,
    "operator.js": _JS,
    "records.js": _JS,
    "reviews.js": _JS,
    "subject.js": _JS,
    "web.css": "text/css; charset=utf-8",
    "web.js": _JS,
    "whatif.js": _JS,
}

router = APIRouter(include_in_schema=False)


@cache
def _read(*parts: str) -> bytes:
    """A file of ``service/web/``, read once per process (works from a wheel or a zip)."""
    return files("trustscore.service").joinpath("web", *parts).read_bytes()


def _page(name: str) -> Response:
    return Response(_read(name), media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)


@router.get("/")
def root() -> RedirectResponse:
    """The home page is the subject's page."""
    return RedirectResponse("/web/", status_code=307)


@router.get("/web")
def web_root() -> RedirectResponse:
    """``/web`` without its slash: the subject's page."""
    return RedirectResponse("/web/", status_code=307)


@router.get("/web/")
def subject_page() -> Response:
    """The subject's page: score, reasons, what would change it, records, who looked, disputes."""
    return _page(_PAGES["/web/"])


@router.get("/web/operator")
def operator_page() -> Response:
    """The operators' dispute queue: open disputes by deadline, and their resolution."""
    return _page(_PAGES["/web/operator"])


@router.get("/web/reviews")
def reviews_page() -> Response:
    """The reviewers' queue: decisions waiting for a person, and the reviewer's decision."""
    return _page(_PAGES["/web/reviews"])


@router.get("/web/identity")
def identity_page() -> Response:
    """The operators' identity review queue: uncertain pairs and split-file reports to decide."""
    return _page(_PAGES["/web/identity"])


@router.get("/web/static/{name}")
def asset(name: str) -> Response:
    """The script and the stylesheet; any other name is a 404 in the API's error shape."""
    media_type = _ASSETS.get(name)
    if media_type is None:
        raise ApiError(
            404, "not_found", N_("There is no web asset {name}."), params={"name": repr(name)}
        )
    return Response(_read("static", name), media_type=media_type, headers=SECURITY_HEADERS)


def _messages(locale: str) -> dict[str, str]:
    """The messages of one language the pages show, id (English) to text."""
    return catalogue(locale)


@router.get("/web/i18n/")
def languages() -> Response:
    """The languages the pages speak, English (the source language) first."""
    body = json.dumps({"locales": list(LOCALES)}).encode()
    return Response(body, media_type="application/json", headers=SECURITY_HEADERS)


@router.get("/web/i18n/{locale}.json")
def messages(locale: str) -> Response:
    """One language's messages; an unknown language is a 404 naming the ones there are."""
    if locale not in LOCALES:
        raise ApiError(
            404,
            "not_found",
            N_("The pages do not speak {locale}; they speak {locales}."),
            params={"locale": repr(locale), "locales": ", ".join(LOCALES)},
            details={"locales": list(LOCALES)},
        )
    body = json.dumps({"locale": locale, "messages": _messages(locale)}, ensure_ascii=False)
    return Response(
        body.encode(), media_type="application/json; charset=utf-8", headers=SECURITY_HEADERS
    )
