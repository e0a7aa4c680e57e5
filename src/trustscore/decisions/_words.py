"""Purposes, policies and outcomes in a person's language.

A policy's band labels and names are English data (a third party's policy may have its own); in
another language they are looked up in the catalogue by their English text, and the labels of the
built-in policies, which carry numbers, are rebuilt from their templates.

Examples
--------
>>> band_label("Tier B: base rate + 3.00%", "zh-CN")
'B 档：基准利率 + 3.00%'
>>> band_label("Credit limit 2500", "zh-CN")
'信用额度 2,500'
>>> band_label("Declined", "en"), purpose_words("deposit_waiver", "zh-CN")
('Declined', '押金减免')
"""

from __future__ import annotations

import re
from typing import Final

from trustscore.i18n import DEFAULT_LOCALE, N_, format_decimal, translate

__all__ = ["band_label", "policy_words", "purpose_words"]

_TIER: Final = re.compile(r"^Tier (?P<tier>[A-Z]): base rate \+ (?P<margin>\d+\.\d\d)%$")
_LIMIT: Final = re.compile(r"^Credit limit (?P<limit>\d+)$")

#: The purposes in words (the machine names stay as they are in every response).
PURPOSE_WORDS: Final = {
    "credit_pricing": N_("credit pricing"),
    "credit_limit": N_("credit limit"),
    "deposit_waiver": N_("deposit waiver"),
    "subject_access": N_("subject access"),
    "dispute_handling": N_("dispute handling"),
}

# The built-in policies' fixed labels and names (decisions._policy), for the catalogues.
_FIXED: Final = (
    N_("Declined"),
    N_("Deposit waived"),
    N_("Deposit required"),
    N_("credit pricing tiers A-D"),
    N_("credit limits"),
    N_("deposit waiver"),
)


def band_label(label: str, locale: str) -> str:
    """A band's label in ``locale`` (English, the label itself, where none is known)."""
    if locale == DEFAULT_LOCALE:
        return label
    tier = _TIER.match(label)
    if tier is not None:
        return translate(
            locale, "Tier {tier}: base rate + {margin}%",
            tier=tier["tier"], margin=tier["margin"],
        )  # fmt: skip
    limit = _LIMIT.match(label)
    if limit is not None:
        return translate(
            locale, "Credit limit {limit}", limit=format_decimal(int(limit["limit"]), locale)
        )
    return translate(locale, label)


def purpose_words(purpose: str, locale: str) -> str:
    """A purpose as a person reads it (``credit_pricing``: credit pricing)."""
    return translate(locale, PURPOSE_WORDS.get(purpose, purpose.replace("_", " ")))


def policy_words(name: str, locale: str) -> str:
    """A policy's name in ``locale`` (looked up by its English name)."""
    return translate(locale, name)
