"""Message catalogues and locale formatting: every string a person reads, in their language.

English is the source language: a message's id is its English text, with named ``{placeholders}``
(``str.format`` style, the same in the web pages' script). Every other language is a folder
``locales/<tag>/`` of gettext ``.po`` files (one per domain: ``server.po``, ``web.po``, ...), read
with Babel; adding a language is adding such a folder. A message missing from a catalogue falls
back to English at run time, and ``tests/unit/i18n`` fails on it.

Examples
--------
>>> from trustscore.i18n import translate, negotiate
>>> translate("en", "Your score is {score}.", score=712)
'Your score is 712.'
>>> negotiate("zh-CN,zh;q=0.9,en;q=0.8")
'zh-CN'
>>> negotiate("fr-FR")
'en'
"""

from __future__ import annotations

from trustscore.i18n._catalogue import (
    DEFAULT_LOCALE,
    LOCALES,
    N_,
    catalogue,
    placeholders,
    translate,
    unformat,
)
from trustscore.i18n._extract import extract_messages
from trustscore.i18n._format import format_date, format_decimal, format_percent
from trustscore.i18n._negotiate import negotiate

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "N_",
    "catalogue",
    "extract_messages",
    "format_date",
    "format_decimal",
    "format_percent",
    "negotiate",
    "placeholders",
    "translate",
    "unformat",
]
