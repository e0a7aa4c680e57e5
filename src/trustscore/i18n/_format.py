"""Numbers and dates as the locale writes them (Babel's CLDR data)."""

from __future__ import annotations

import datetime as dt

from babel import dates, numbers

__all__ = ["format_date", "format_decimal", "format_percent"]


def _babel(locale: str) -> str:
    return locale.replace("-", "_")


def format_decimal(value: float, locale: str, *, digits: int | None = None) -> str:
    """A number with the locale's separators; ``digits`` fixes the decimals shown.

    Examples
    --------
    >>> format_decimal(1234567.891, "en", digits=2)
    '1,234,567.89'
    >>> format_decimal(1234567, "zh-CN")
    '1,234,567'
    """
    fmt = None if digits is None else "#,##0" + ("." + "0" * digits if digits else "")
    return numbers.format_decimal(value, format=fmt, locale=_babel(locale))


def format_percent(value: float, locale: str) -> str:
    """A share as a percentage.

    Examples
    --------
    >>> format_percent(0.25, "en")
    '25%'
    """
    return numbers.format_percent(value, locale=_babel(locale))


def format_date(value: dt.date, locale: str, *, style: str = "medium") -> str:
    """A date in the locale's own form.

    Examples
    --------
    >>> format_date(dt.date(2026, 3, 1), "en")
    'Mar 1, 2026'
    >>> format_date(dt.date(2026, 3, 1), "zh-CN")
    '2026年3月1日'
    """
    return dates.format_date(value, format=style, locale=_babel(locale))
