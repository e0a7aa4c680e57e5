"""The web pages as the app serves them, without a browser: routes, headers, what the files hold.

The browser tests (tests/e2e/test_web_pages.py) drive the pages; these check what must hold of
every answer and every file: no token needed for a page, a strict Content-Security-Policy, no
external URL, no HTML built from data, every element the script looks up present, and the web
routes kept out of the OpenAPI schema.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Iterator
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from trustscore import ledger as lg
from trustscore.exceptions import NotFoundError
from trustscore.i18n import LOCALES, catalogue, extract_messages
from trustscore.service import create_app
from trustscore.service._web import SECURITY_HEADERS

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

WEB = files("trustscore.service").joinpath("web")
PAGES = {"/web/": "subject.html", "/web/operator": "operator.html", "/web/reviews": "reviews.html",
         "/web/identity": "identity.html"}  # fmt: skip
#: every script: i18n.js and web.js on every page, then each page's own; the same rules hold
#: for all
SCRIPT_NAMES = ("i18n.js", "web.js", "chart.js", "subject.js", "records.js", "whatif.js",
                "operator.js", "reviews.js", "consent.js", "identity.js")  # fmt: skip
SCRIPT = "\n".join(
    WEB.joinpath("static", name).read_text(encoding="utf-8") for name in SCRIPT_NAMES
)
SCRIPTS = {
    "subject.html": {
        f"/web/static/{n}"
        for n in ("chart.js", "subject.js", "records.js", "whatif.js", "reviews.js", "consent.js")
    },
    "operator.html": {"/web/static/operator.js"},
    "reviews.html": {"/web/static/reviews.js"},
    "identity.html": {"/web/static/identity.js"},
}


class _Refs(HTMLParser):
    """The ids, the referenced URLs and the inline scripts and styles of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self.labels_for: set[str] = set()
        self.controls: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        for key in ("src", "href", "action"):
            if a.get(key):
                self.urls.append(str(a[key]))
        if "style" in a or any(k.startswith("on") for k in a):
            self.inline.append(f"<{tag} {a}>")
        if tag == "script" and "src" not in a:
            self.inline.append("<script> without src")
        if tag == "style":
            self.inline.append("<style>")
        if tag == "label" and a.get("for"):
            self.labels_for.add(str(a["for"]))
        if tag in ("input", "select", "textarea"):
            self.controls.append(str(a.get("id")))


def _refs(name: str) -> _Refs:
    parser = _Refs()
    parser.feed(WEB.joinpath(name).read_text(encoding="utf-8"))
    return parser


class _Provider:
    """Just enough of a SubjectProvider for the file endpoint: one subject, no records."""

    def file(self, subject_id: str) -> dict[str, Any]:
        if subject_id != "s1":
            raise NotFoundError(f"No subject {subject_id!r}.", subject_id=subject_id)
        return {"records": {}, "current_score": {"score": 700, "status": "OK", "reasons": []}}


@pytest.fixture
def env() -> Iterator[tuple[TestClient, lg.Ledger]]:
    ledger = lg.Ledger("sqlite://")
    ledger.upgrade()
    api = TestClient(create_app(ledger=ledger, provider=_Provider()))  # type: ignore[arg-type]
    yield api, ledger
    ledger.dispose()


@pytest.mark.parametrize(("path", "name"), sorted(PAGES.items()))
def test_pages_load_without_a_token_with_a_strict_policy(
    env: tuple[TestClient, lg.Ledger], path: str, name: str
) -> None:
    api, _ = env
    got = api.get(path)
    assert got.status_code == 200
    assert got.headers["content-type"] == "text/html; charset=utf-8"
    assert got.text == WEB.joinpath(name).read_text(encoding="utf-8")
    for header, value in SECURITY_HEADERS.items():
        assert got.headers[header] == value
    policy = got.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self';" in policy
    assert "form-action 'none'" in policy
    assert "unsafe" not in policy
    assert "set-cookie" not in got.headers


@pytest.mark.parametrize("path", ["/", "/web"])
def test_the_home_page_is_the_subjects_page(env: tuple[TestClient, lg.Ledger], path: str) -> None:
    api, _ = env
    got = api.get(path, follow_redirects=False)
    assert (got.status_code, got.headers["location"]) == (307, "/web/")


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("web.js", "text/javascript; charset=utf-8"),
        ("web.css", "text/css; charset=utf-8"),
        ("reviews.js", "text/javascript; charset=utf-8"),
        ("i18n.js", "text/javascript; charset=utf-8"),
        ("chart.js", "text/javascript; charset=utf-8"),
        ("identity.js", "text/javascript; charset=utf-8"),
    ],
)
def test_assets_are_served_with_their_type(
    env: tuple[TestClient, lg.Ledger], name: str, media_type: str
) -> None:
    api, _ = env
    got = api.get(f"/web/static/{name}")
    assert got.status_code == 200
    assert got.headers["content-type"] == media_type
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.content == WEB.joinpath("static", name).read_bytes()


@pytest.mark.parametrize(
    "path",
    ["/web/static/nope.js", "/web/static/..%2F..%2F_web.py", "/web/static/../subject.html",
     "/web/static/", "/web/nowhere"],
)  # fmt: skip
def test_anything_else_under_web_is_a_404_in_the_one_error_shape(
    env: tuple[TestClient, lg.Ledger], path: str
) -> None:
    api, _ = env
    got = api.get(path)
    assert got.status_code == 404
    assert set(got.json()["error"]) == {"code", "message", "details"}
    assert got.json()["error"]["code"] == "not_found"


def test_the_web_routes_stay_out_of_the_openapi_schema(env: tuple[TestClient, lg.Ledger]) -> None:
    api, _ = env
    paths = api.get("/openapi.json").json()["paths"]
    assert paths
    assert all(p.startswith("/v1/") for p in paths)


@pytest.mark.parametrize("name", sorted(PAGES.values()))
def test_pages_use_only_their_own_script_and_style(name: str) -> None:
    refs = _refs(name)
    assert refs.inline == []  # the policy would block them anyway
    external = [u for u in refs.urls if re.match(r"^([a-z]+:)?//", u)]
    assert external == []
    assets = {u for u in refs.urls if u.startswith("/web/static/")}
    assert assets == {"/web/static/i18n.js", "/web/static/web.js", "/web/static/web.css",
                      *SCRIPTS.get(name, set())}  # fmt: skip


@pytest.mark.parametrize("name", sorted(PAGES.values()))
def test_every_form_control_has_a_label(name: str) -> None:
    refs = _refs(name)
    assert refs.controls
    assert [c for c in refs.controls if c not in refs.labels_for] == []


def test_the_script_never_builds_html_from_text() -> None:
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                 "new Function", "javascript:"):  # fmt: skip
        assert sink not in SCRIPT, sink
    assert "document.cookie" not in SCRIPT
    # the token lives in the tab only (sessionStorage); the browser keeps only the language
    uses = re.findall(r"localStorage\.(\w+)\((\w+)", SCRIPT)
    assert uses
    assert set(uses) <= {("getItem", "LANG_KEY"), ("setItem", "LANG_KEY")}


def test_every_element_the_script_looks_up_is_on_a_page() -> None:
    looked_up = set(re.findall(r"\$\(\"([\w-]+)\"\)", SCRIPT))
    assert len(looked_up) > 20
    on_pages = set().union(*(_refs(name).ids for name in PAGES.values()))
    assert looked_up - on_pages == set()


def test_the_file_names_who_looked(env: tuple[TestClient, lg.Ledger]) -> None:
    api, ledger = env
    lender, _ = lg.create_client(ledger, "lender", ["credit_pricing"], name="Bank A")
    _, token = lg.create_client(ledger, "subject", subject_id="s1", name="me")
    at = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)
    lg.log_access(ledger, client_id=lender.client_id, subject_id="s1", purpose="credit_pricing",
                  action="score", now=at)  # fmt: skip
    got = api.get("/v1/subjects/s1/file", headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 200
    body = got.json()
    first, last = body["accesses"]
    assert first == {
        "client_id": lender.client_id, "purpose": "credit_pricing", "action": "score",
        "at": at.isoformat(), "client_name": "Bank A", "client_role": "lender",
    }  # fmt: skip
    assert (last["client_name"], last["client_role"], last["action"]) == ("me", "subject", "file")
    assert body["explanation"] is None  # only a workspace's provider can explain a score


def test_the_pages_languages_are_served_from_the_catalogues(
    env: tuple[TestClient, lg.Ledger],
) -> None:
    api, _ = env
    listed = api.get("/web/i18n/")
    assert listed.status_code == 200
    assert listed.json() == {"locales": list(LOCALES)}
    assert "zh-CN" in LOCALES
    got = api.get("/web/i18n/zh-CN.json")
    assert (got.status_code, got.headers["content-type"]) == (
        200, "application/json; charset=utf-8")  # fmt: skip
    assert got.headers["content-security-policy"] == SECURITY_HEADERS["Content-Security-Policy"]
    body = got.json()
    assert body["locale"] == "zh-CN"
    assert body["messages"] == catalogue("zh-CN")
    assert body["messages"]["Your trust file"] == "您的信用档案"
    # every message of the pages is there (the catalogue test holds the rest of the code)
    pages = extract_messages([Path(str(WEB))])
    assert sorted(m for m in pages if m not in body["messages"]) == []
    assert api.get("/web/i18n/en.json").json() == {"locale": "en", "messages": {}}
    unknown = api.get("/web/i18n/xx.json")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["details"] == {"locales": list(LOCALES)}


def test_every_visible_string_of_the_pages_is_marked_for_translation() -> None:
    """Text between tags outside a marked element: only the brand, code and the noscript note."""
    allowed = {"trustscore", "English"}
    for name in sorted(PAGES.values()):
        source = WEB.joinpath(name).read_text(encoding="utf-8")
        body = source[source.index("<body") :]
        body = re.sub(r"<noscript>.*?</noscript>|<code>.*?</code>", "", body, flags=re.DOTALL)
        # drop marked elements, innermost first
        marked = re.compile(r"<(\w+)\b[^>]*\bdata-i18n\b(?!-)[^>]*>[^<]*</\1>")
        while marked.search(body):
            body = marked.sub("", body)
        texts = {" ".join(t.split()) for t in re.findall(r">([^<]+)<", body)} - {""}
        assert texts <= allowed, (name, texts - allowed)


def test_me_names_the_tokens_role_and_subject(env: tuple[TestClient, lg.Ledger]) -> None:
    api, ledger = env
    subject, token = lg.create_client(ledger, "subject", subject_id="s1", name="me")
    got = api.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 200
    assert got.json() == {"client_id": subject.client_id, "role": "subject", "name": "me",
                          "subject_id": "s1", "purposes": []}  # fmt: skip
    lender, token = lg.create_client(ledger, "lender", ["credit_pricing"], name="Bank A")
    got = api.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert got.json() == {"client_id": lender.client_id, "role": "lender", "name": "Bank A",
                          "subject_id": None, "purposes": ["credit_pricing"]}  # fmt: skip
    # asking who one is reads no file: nothing is logged against the subject
    assert lg.accesses(ledger, "s1") == []
    refused = api.get("/v1/me", headers={"Authorization": "Bearer x.y"})
    assert refused.status_code == 401


def test_every_message_the_scripts_translate_is_seen_by_the_extractor() -> None:
    """A ``t("...")`` inside a template literal or inside another ``t()``'s arguments is missed
    by the extractor, so the catalogue test could not hold it: the scripts never write one."""
    pages = extract_messages([Path(str(WEB))])
    for name in SCRIPT_NAMES:
        source = WEB.joinpath("static", name).read_text(encoding="utf-8")
        source = re.sub(r"/\*.*?\*/", "", source, flags=re.DOTALL)
        source = re.sub(r"^\s*//.*$", "", source, flags=re.MULTILINE)
        # a whole literal (not the first part of a concatenation), unescaped as the lexer does
        called = {
            m.replace('\\"', '"') for m in re.findall(r'\bt\(\s*"((?:[^"\\]|\\.)*)"\s*[,)]', source)
        }
        assert called or name == "i18n.js", name  # i18n.js defines t()
        assert sorted(called - set(pages)) == [], name
