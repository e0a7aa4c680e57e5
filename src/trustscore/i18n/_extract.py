"""Finding every message the code shows a person, so a test can hold each catalogue complete.

Three kinds of source are read:

- Python: the message argument of ``translate(locale, "...")`` and of the marker ``N_("...")``;
- the web pages' scripts: ``t("...")``, wherever it is: Babel's lexer reads calls in code, and
  a second pass finds those it does not see, inside a template literal's ``${...}`` or inside
  another call's arguments;
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
#: A string literal, in double or single quotes.
_JS_STRING: Final = r""" (?: "(?:\\.|[^"\\\n])*" | '(?:\\.|[^'\\\n])*' ) """
#: ``t("...")`` with a literal first argument (or literals joined by ``+``), anywhere in a script.
_JS_CALL: Final = re.compile(
    rf"(?<![\w$]) t \( \s* (?P<text> {_JS_STRING} (?: \s* \+ \s* {_JS_STRING} )* ) \s* [,)]",
    re.VERBOSE,
)
#: A string (kept: it may hold ``t("...")`` no more than code does) or a comment (dropped).
_JS_COMMENT: Final = re.compile(
    rf"{_JS_STRING} | (?P<c> /\*.*?\*/ | //[^\n]* )",
    re.VERBOSE | re.DOTALL,
)
_JS_ESCAPE: Final = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)")
_JS_SIMPLE: Final = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
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


def _js_unescape(m: re.Match[str]) -> str:
    code = m.group(1)
    if code.startswith("u{"):
        return chr(int(code[2:-1], 16))
    if code[0] in "ux" and len(code) > 1:
        return chr(int(code[1:], 16))
    return _JS_SIMPLE.get(code, code)


def _from_script(source: str) -> Iterator[str]:
    r"""``t("...")`` calls Babel's lexer misses (in template literals, in other calls' arguments).

    Examples
    --------
    >>> list(_from_script("x = `${t('Hello {name}', {name: t('you')})}!`"))
    ['Hello {name}', 'you']
    >>> list(_from_script("f('x'); shift('no'); t(name); /* t('old') */ t('it\\'s') // t('x')"))
    ["it's"]
    """
    code = _JS_COMMENT.sub(lambda m: " " if m.group("c") else m.group(0), source)
    for m in _JS_CALL.finditer(code):
        literals = re.finditer(_JS_STRING, m.group("text"), re.VERBOSE)
        text = "".join(_JS_ESCAPE.sub(_js_unescape, lit.group(0).strip()[1:-1]) for lit in literals)
        if text:
            yield text


def _from_code(path: Path, method: str) -> Iterator[str]:
    keywords = _PY_KEYWORDS if method == "python" else _JS_KEYWORDS
    with path.open("rb") as fh:
        data = fh.read()
    for _, message, _, _ in extract(method, io.BytesIO(data), keywords=keywords):
        if isinstance(message, str) and message:
            yield message
    if method == "javascript":
        yield from _from_script(data.decode("utf-8"))


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
                where = found.setdefault(message, [])
                if str(path) not in where:
                    where.append(str(path))
    return found
