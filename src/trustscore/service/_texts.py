"""The texts of recorded answers (snapshots, notices, review cases) in the request's language.

The ledger keeps what it recorded in English, the source language; an answer shows those texts
in the request's language, looked up in the catalogue by their English text (a text no catalogue
holds, such as a third party's own reason, stays in English). Codes, ids and outcomes are left
as they are. In English every body is returned unchanged.

Examples
--------
>>> localize_reasons([{"code": "PR03N", "text": "No bill on file", "improve": ""}], "zh-CN")
[{'code': 'PR03N', 'text': '档案中没有账单', 'improve': ''}]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from trustscore.decisions import band_label, localize_notice
from trustscore.i18n import DEFAULT_LOCALE
from trustscore.scoring import translate_flag
from trustscore.scoring._statements import translate_statement

__all__ = ["localize_flags", "localize_reasons", "localize_review"]

#: The keys of a reason that hold text a person reads.
_TEXT_KEYS: Final = ("text", "reason", "statement", "improve")


def localize_reasons(reasons: Iterable[Any], locale: str) -> list[Any]:
    """Reasons (``code`` with ``text`` or ``reason``, and ``improve``) in ``locale``; a reason
    recorded as its bare code is left as it is."""
    if locale == DEFAULT_LOCALE:
        return list(reasons)
    out = []
    for r in reasons:
        if isinstance(r, Mapping):
            r = dict(r)
            for key in _TEXT_KEYS:
                if isinstance(r.get(key), str) and r[key]:
                    r[key] = translate_statement(r[key], locale)
        out.append(r)
    return out


def localize_flags(flags: Iterable[Mapping[str, Any]], locale: str) -> list[Any]:
    """Input-quality flags (``characteristic``, ``kind``, ``value``, ``text``) with their
    sentence in ``locale``.

    Examples
    --------
    >>> flag = {"characteristic": "x", "kind": "unseen_level", "value": "gold",
    ...         "text": "x = 'gold' is a level not seen in training"}
    >>> localize_flags([flag], "zh-CN")[0]["text"]
    "x = 'gold' 是训练数据中未出现过的取值"
    """
    if locale == DEFAULT_LOCALE:
        return list(flags)
    return [
        {**f, "text": translate_flag(f["text"], locale)} if isinstance(f.get("text"), str) else f
        for f in flags
    ]


def localize_review(case: dict[str, Any], locale: str) -> dict[str, Any]:
    """A review case as :class:`~trustscore.service._review_schemas.ReviewOut` dumps it, with
    its reasons, its options' labels and its final notice in ``locale``."""
    if locale == DEFAULT_LOCALE:
        return case
    out = dict(case)
    out["reasons"] = localize_reasons(case.get("reasons") or [], locale)
    out["options"] = [
        {**o, "label": band_label(str(o["label"]), locale)} if o.get("label") else o
        for o in case.get("options") or []
    ]
    if case.get("final_notice"):
        out["final_notice"] = localize_notice(case["final_notice"], locale)
    return out
