"""The sentences of input-quality flags, in English and in every catalogue's language.

A flag's sentence is built in English where the flag is found (the scores and the records keep
it so); :func:`translate_flag` gives a sentence so built in a reader's language, matching it
against its catalogue message. The characteristic keeps its name (the model's own word, the
same as in the flag's ``characteristic``); a declared bound's reason is translated where a
catalogue holds it (the features' bounds are marked), and kept in English where not.

Examples
--------
>>> translate_flag("card_utilisation = 3.5 is impossible: a share lies between 0 and 1", "zh-CN")
'card_utilisation = 3.5 不可能出现：比例介于 0 与 1 之间'
>>> translate_flag("n_open_accounts is missing, and training saw no missing value", "zh-CN")
'n_open_accounts 缺失，而训练数据中没有缺失值'
>>> translate_flag("x = -2 is impossible: it is never negative", "zh-CN")
'x = -2 不可能出现：该值从不为负'
>>> translate_flag("A sentence of another kind", "zh-CN")
'A sentence of another kind'
"""

from __future__ import annotations

from typing import Final

from trustscore.i18n import DEFAULT_LOCALE, N_, catalogue, translate, unformat
from trustscore.scoring._quality_facts import BOUNDS_TEXTS

__all__ = ["MISSING", "SENTENCES", "translate_flag"]

#: How a missing value is shown in a sentence.
MISSING: Final = N_("missing")

#: The sentence of each kind of flag; ``{name} = {value}`` names the characteristic and value.
SENTENCES: Final = {
    "unexpected_missing": N_("{name} is missing, and training saw no missing value"),
    "impossible": N_("{name} = {value} is impossible: {bounds}"),
    "out_of_range": N_("{name} = {value} is outside the range seen in training ({min} to {max})"),
    "unseen_level": N_("{name} = {value} is a level not seen in training"),
}


def _bounds(text: str, locale: str) -> str:
    if text in catalogue(locale):
        return translate(locale, text)
    for message in BOUNDS_TEXTS:
        params = unformat(message, text)
        if params is not None:
            return translate(locale, message, **params)
    return text


def translate_flag(text: str, locale: str) -> str:
    """A flag's sentence, as built in English, in ``locale`` (as it is where it is no flag's)."""
    if locale == DEFAULT_LOCALE or not text:
        return text
    for message in SENTENCES.values():
        params = unformat(message, text)
        if params is None:
            continue
        if params.get("value") == MISSING:
            params["value"] = translate(locale, MISSING)
        if "bounds" in params:
            params["bounds"] = _bounds(params["bounds"], locale)
        return translate(locale, message, **params)
    return text
