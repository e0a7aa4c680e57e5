"""Check characters of China's two national identifiers.

- The **resident identity number** (GB 11643-1999): 17 digits, then a check character computed
  by ISO 7064 MOD 11-2 (weights ``2^(17-i) mod 11``; ``(12 - Σ mod 11) mod 11``, where 10 is
  written ``X``). Digits 7–14 are the holder's birth date ``YYYYMMDD``, which must be a real
  date, not after today's year 9999, and not before 1900.
- The **Unified Social Credit Code** of an organisation (GB 32100-2015): 17 characters of the
  31-character alphabet ``0-9`` and ``A-Y`` without ``I``, ``O``, ``Z``, ``S``, ``V``, then a
  check character ``31 - (Σ value × weight mod 31)`` (31 written ``0``).

Both are compared in upper case: a lower-case ``x`` (common when a number is typed by hand) or a
lower-case letter of a code is accepted and *normalised* to upper case, so the stored value and
every comparison use one spelling. Spaces around the value are removed; spaces or hyphens inside
it are not (a code is 18 characters, no more).

Examples
--------
>>> resident_id_check_char("11010519491231002")
'X'
>>> normalise_resident_id(" 11010519491231002x ")
'11010519491231002X'
>>> resident_id_problem("110105194912310021")
'check character is 1, expected X'
>>> uscc_check_char("91350100M000100Y4")
'3'
>>> uscc_problem("91350100M000100Y43") is None
True
"""

from __future__ import annotations

import datetime as dt
from typing import Final

__all__ = [
    "RESIDENT_ID_LENGTH",
    "USCC_ALPHABET",
    "USCC_LENGTH",
    "normalise_resident_id",
    "normalise_uscc",
    "resident_id_check_char",
    "resident_id_problem",
    "uscc_check_char",
    "uscc_problem",
]

RESIDENT_ID_LENGTH: Final = 18
USCC_LENGTH: Final = 18

_ID_WEIGHTS: Final = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_CHECK: Final = "0123456789X"

#: GB 32100-2015's alphabet: digits and capitals without I, O, Z, S, V (easily misread).
USCC_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE: Final = {c: i for i, c in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalise_resident_id(value: str) -> str:
    """``value`` stripped of surrounding spaces, in upper case (a lower-case ``x`` accepted)."""
    return value.strip().upper()


def normalise_uscc(value: str) -> str:
    """``value`` stripped of surrounding spaces, in upper case."""
    return value.strip().upper()


def resident_id_check_char(body: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the 17 leading digits ``body``."""
    if len(body) != RESIDENT_ID_LENGTH - 1 or not (body.isascii() and body.isdigit()):
        msg = f"A resident identity number's body is 17 digits; got {body!r}."
        raise ValueError(msg)
    total = sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[(12 - total % 11) % 11]


def resident_id_problem(value: str) -> str | None:
    """What is wrong with a resident identity number, or None if it is valid.

    The value is normalised first (:func:`normalise_resident_id`).
    """
    code = normalise_resident_id(value)
    if len(code) != RESIDENT_ID_LENGTH:
        return f"has {len(code)} characters, expected {RESIDENT_ID_LENGTH}"
    body, check = code[:17], code[17]
    if not (body.isascii() and body.isdigit()):
        return "the first 17 characters must be digits"
    if check not in _ID_CHECK:
        return f"check character {check!r} is not a digit or X"
    try:
        born = dt.date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    except ValueError:
        return f"embedded birth date {body[6:14]} is not a real date"
    if born.year < 1900:
        return f"embedded birth date {body[6:14]} is before 1900"
    expected = resident_id_check_char(body)
    if check != expected:
        return f"check character is {check}, expected {expected}"
    return None


def uscc_check_char(body: str) -> str:
    """The GB 32100-2015 check character of the 17 leading characters ``body``."""
    if len(body) != USCC_LENGTH - 1 or any(c not in _USCC_VALUE for c in body):
        msg = f"A credit code's body is 17 characters of {USCC_ALPHABET}; got {body!r}."
        raise ValueError(msg)
    total = sum(_USCC_VALUE[c] * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(value: str) -> str | None:
    """What is wrong with a Unified Social Credit Code, or None if it is valid.

    The value is normalised first (:func:`normalise_uscc`).
    """
    code = normalise_uscc(value)
    if len(code) != USCC_LENGTH:
        return f"has {len(code)} characters, expected {USCC_LENGTH}"
    bad = [c for c in code if c not in _USCC_VALUE]
    if bad:
        return f"character {bad[0]!r} is not in the code's alphabet (no I, O, Z, S or V)"
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        return f"check character is {code[17]}, expected {expected}"
    return None
