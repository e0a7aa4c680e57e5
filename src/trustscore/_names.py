"""How :mod:`trustscore.safeguards` reads a column name: its words, and whose age an age is.

The rule for ``age`` is in the docstring of :mod:`trustscore.safeguards`.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["AGE_WORDS", "is_person_age", "words_of"]

#: ``age`` is a person's age unless a thing owns it (see the module docstring).
# "aged" is left out: before a noun it is the thing's age ("aged_debt_ratio").
AGE_WORDS: Final = frozenset({"age", "ages"})
# Words that make the owner of an age a person (or say nothing of the owner).
_PERSON_WORDS: Final = frozenset(
    {
        "applicant",
        "applicants",
        "borrower",
        "client",
        "customer",
        "person",
        "subject",
        "owner",
        "holder",
        "cardholder",
        "user",
        "member",
        "employee",
        "head",
        "spouse",
        "partner",
        "debtor",
        "guarantor",
        "tenant",
        "individual",
        "resident",
        "child",
        "children",
        "main",
        "primary",
        "co",
        "legal",
        "retirement",
        "working",
        "my",
        "your",
        "their",
    }
)
# Words that qualify a quantity without owning it: passed over when looking for the owner.
_MODIFIERS: Final = frozenset(
    {
        "avg",
        "average",
        "mean",
        "median",
        "max",
        "min",
        "maximum",
        "minimum",
        "current",
        "approx",
        "estimated",
        "reported",
        "declared",
        "stated",
        "log",
        "raw",
        "years",
        "months",
        "in",
        "at",
        "the",
    }
)

_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def words_of(name: str) -> list[str]:
    """The lower-case words of a snake_case, camelCase, dotted or spaced name.

    Examples
    --------
    >>> words_of("OwnCarAge"), words_of("DAYS_BIRTH")
    (['own', 'car', 'age'], ['days', 'birth'])
    """
    return [w for w in _WORD_SPLIT.split(_CAMEL.sub("_", name).lower()) if w]


def is_person_age(words: list[str], i: int) -> bool:
    """Whether the age word at ``words[i]`` is a person's age, not a thing's."""
    j = i - 1
    while j >= 0 and (words[j] in _MODIFIERS or words[j].isdigit()):
        j -= 1
    if j >= 0 and words[j] not in _PERSON_WORDS:
        return False  # OWN_CAR_AGE, account_age_months
    if i + 2 < len(words) and words[i + 1] == "of":
        k = i + 2
        while k < len(words) and words[k] in _MODIFIERS:
            k += 1
        return k >= len(words) or words[k] in _PERSON_WORDS  # age_of_oldest_account: a thing
    return True
