"""Finding every message the code shows a person, so a test can hold each catalogue complete.

Three kinds of source are read:

- Python: the message argument of ``translate(locale, "...")`` and of the marker ``N_("...")``;
- the web pages' scripts: ``t("...")``;
- the web pages' HTML: the text of an element carrying ``data-i18n`` (whitespace collapsed), and
  the value of an attribute named by ``data-i18n-attr`` (``data-i18n-attr="placeholder"``).
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final

from babel.messages.extract import extract

__all__ = ["extract_messages"]

_PY_KEYWORDS: Final = {"translate": (2,), "N_": None}
_JS_KEYWORDS: Final = {"t": None}
_HTML_TEXT: Final = re.compile(
    r"<(?P<tag>[a-zA-Z][a-zA-Z0-9]*)\b(?P<attrs>[^>]*\bdata-i18n\b(?!-)[^>]*)>(?P<text>.*?)</(?P=tag)>",
    re.DOTALL,
)
_HTML_ATTR_NAMES: Final = re.compile(r'data-i18n-attr="(?P<names>[^"]+)"')
_TAG_WITH_ATTR: Final = re.compile(r"<[a-zA-Z][^>]*\bdata-i18n-attr=\"[^\"]+\"[^>]*>")


def _collapse(text: str) -> str:
    return " ".join(html.unescape(text).split())


def _from_html(source: str) -> Iterator[str]:
    for m in _HTML_TEXT.finditer(source):
        text = _collapse(m.group("text"))
        if text:
            yield text
    for tag in _TAG_WITH_ATTR.finditer(source):
        names = _HTML_ATTR_NAMES.search(tag.group(0))
        if names is None:
            continue
        for name in names.group("names").split():
            value = re.search(rf'\b{re.escape(name)}="(?P<v>[^"]*)"', tag.group(0))
            if value is not None and value.group("v").strip():
                yield _collapse(value.group("v"))


def _from_code(path: Path, method: str) -> Iterator[str]:
    keywords = _PY_KEYWORDS if method == "python" else _JS_KEYWORDS
    with path.open("rb") as fh:
        data = fh.read()
    for _, message, _, _ in extract(method, io.BytesIO(data), keywords=keywords):
        if isinstance(message, str) and message:
            yield message


def extract_messages(paths: Iterable[Path]) -> dict[str, list[str]]:
    """Every message found under ``paths`` (files or folders), each with where it was found.

    Examples
    --------
    >>> import trustscore.i18n as i18n
    >>> found = extract_messages([Path(i18n.__file__).parent])
    >>> "Bills paid after their due date" in found
    False
    """
    found: dict[str, list[str]] = {}
    for root in paths:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            if path.suffix == ".py":
                messages: Iterable[str] = _from_code(path, "python")
            elif path.suffix == ".js":
                messages = _from_code(path, "javascript")
            elif path.suffix == ".html":
                messages = _from_html(path.read_text(encoding="utf-8"))
            else:
                continue
            for message in messages:
                found.setdefault(message, []).append(str(path))
    return found
