"""Reading the catalogues and translating one message.

A catalogue is every ``.po`` file in ``locales/<tag>/``, merged; read once per process (the files
ship with the package and do not change while it runs).
"""

from __future__ import annotations

import functools
import re
import string
from pathlib import Path
from typing import Any, Final

from babel.messages.pofile import read_po

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "N_",
    "catalogue",
    "placeholders",
    "translate",
    "unformat",
]

_LOCALE_DIR: Final = Path(__file__).with_name("locales")
#: The source language: its messages are their own ids and need no catalogue.
DEFAULT_LOCALE: Final = "en"
_TAG: Final = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def _discover() -> tuple[str, ...]:
    found = sorted(
        p.name for p in _LOCALE_DIR.iterdir() if p.is_dir() and _TAG.match(p.name) is not None
    )
    return (DEFAULT_LOCALE, *found)


#: Every language trustscore speaks, English first (BCP 47 tags, as browsers send them).
LOCALES: Final = _discover()


def N_(message: str) -> str:  # noqa: N802 - gettext's own name for a marker, known to extractors
    """Mark a message for the catalogues without translating it (it is translated where shown).

    Examples
    --------
    >>> N_("Bills paid after their due date")
    'Bills paid after their due date'
    """
    return message


@functools.cache
def catalogue(locale: str) -> dict[str, str]:
    """The messages of one language, id to text; ``{}`` for English (ids are the English text).

    Untranslated and fuzzy entries are left out, so they fall back to English.

    Examples
    --------
    >>> catalogue("en")
    {}
    >>> catalogue("zh-CN")["Payment reliability"]
    '缴费可靠性'
    """
    if locale not in LOCALES:
        msg = f"Unknown locale {locale!r}; trustscore speaks {', '.join(LOCALES)}."
        raise ValueError(msg)
    if locale == DEFAULT_LOCALE:
        return {}
    out: dict[str, str] = {}
    for path in sorted((_LOCALE_DIR / locale).glob("*.po")):
        with path.open("rb") as fh:
            cat = read_po(fh, locale=locale.replace("-", "_"))
        for message in cat:
            mid, text = message.id, message.string
            # plural entries (tuples) are not used: messages are phrased without plurals
            fuzzy = message.fuzzy
            if isinstance(mid, str) and isinstance(text, str) and mid and text and not fuzzy:
                out[mid] = text
    return out


def placeholders(message: str) -> frozenset[str]:
    """The named ``{placeholders}`` of a message.

    Examples
    --------
    >>> sorted(placeholders("{n} records from {furnisher}"))
    ['furnisher', 'n']
    """
    return frozenset(
        name for _, name, _, _ in string.Formatter().parse(message) if name is not None and name
    )


def translate(locale: str, message: str, /, **params: Any) -> str:
    """``message`` in ``locale`` (English where the catalogue lacks it), with ``params`` filled in.

    Parameters are filled in after translation, so a translation may move them; a parameter that
    is itself a message must be translated by the caller first.

    Examples
    --------
    >>> translate("zh-CN", "Declined")
    '已拒绝'
    >>> translate("zh-CN", "Credit limit {limit}", limit="2,500")
    '信用额度 2,500'
    >>> translate("zh-CN", "A message no catalogue has")
    'A message no catalogue has'
    """
    text = catalogue(locale).get(message, message) if locale != DEFAULT_LOCALE else message
    return text.format(**params) if params else text


@functools.lru_cache(maxsize=512)
def _pattern(message: str) -> re.Pattern[str]:
    parts = []
    for literal, name, _, _ in string.Formatter().parse(message):
        parts.append(re.escape(literal))
        if name:
            parts.append(f"(?P<{name}>.+?)")
    return re.compile("".join(parts), re.DOTALL)


def unformat(message: str, text: str) -> dict[str, str] | None:
    """The parameters that fill ``message`` in to give ``text`` (English), or None if they don't.

    For a text written in English before it reaches a reader (a library error, a sentence a
    record holds): match it against its catalogue message, then translate with the values.

    Examples
    --------
    >>> unformat("The purpose {purpose} has no champion.", "The purpose 'x' has no champion.")
    {'purpose': "'x'"}
    >>> unformat("The purpose {purpose} has no champion.", "Something else.") is None
    True
    """
    m = _pattern(message).fullmatch(text)
    return None if m is None else m.groupdict()
