"""The reason statements a person reads, in their language.

An artifact keeps its texts in English (the source language of the catalogues). A statement in
another language is looked up by that English text (:func:`trustscore.i18n.translate`), so the
project's own feature texts, all in the catalogues, read in every language trustscore speaks, and
a third party's own artifact falls back to its English. Relative statements (a characteristic
without a declared direction, an interaction) are built from the templates below, with the
values and ranges in them formatted for the locale. In English every statement is exactly the
text the artifact has always given.

Examples
--------
>>> shown(1234.5, "en"), shown(1234.5, "zh-CN"), shown(None, "zh-CN")
('1234.5', '1,234.5', '无')
>>> joined_or(["less than 1", "3 or more"], "en")
'less than 1 or 3 or more'
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from trustscore.i18n import DEFAULT_LOCALE, format_decimal, translate

if TYPE_CHECKING:
    from trustscore.scoring._artifact import Axis, Characteristic, Interaction

__all__ = [
    "axis_labels",
    "better_range",
    "interaction_statement",
    "joined_or",
    "number",
    "relative_statement",
    "shown",
]


def number(value: float, locale: str) -> str:
    """A number in a statement: ``:g`` in English (as always), the locale's digits elsewhere."""
    if locale == DEFAULT_LOCALE:
        return f"{value:g}"
    return format_decimal(value, locale)


def shown(value: Any, locale: str) -> str:
    """A subject's value as a statement names it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return translate(locale, "none")
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return number(value, locale)
    if locale == DEFAULT_LOCALE:
        return repr(str(value))
    return translate(locale, "'{level}'", level=str(value))


def joined_or(parts: Sequence[str], locale: str) -> str:
    """Alternatives joined by the locale's "or"."""
    if not parts:
        return ""
    out = parts[0]
    for part in parts[1:]:
        out = translate(locale, "{first} or {second}", first=out, second=part)
    return out


def better_range(c: Characteristic, locale: str) -> str:
    """The values that earn a characteristic's baseline: the range that scores best."""
    top = c.baseline_points
    if c.type == "categorical":
        return ", ".join(cat for b in c.bins if b.points == top for cat in b.categories)
    lows = (None, *c.edges)
    spans: list[list[float | None]] = []
    for b, lo in zip(c.bins, lows, strict=True):
        if b.points != top:
            continue
        if spans and spans[-1][1] == lo:
            spans[-1][1] = b.upper  # adjacent best bins read as one range
        else:
            spans.append([lo, b.upper])
    parts = []
    for lo, hi in spans:
        if lo is None and hi is None:
            parts.append(translate(locale, "any value"))
        elif lo is None:
            parts.append(translate(locale, "less than {high}", high=number(hi, locale)))  # type: ignore[arg-type]
        elif hi is None:
            parts.append(translate(locale, "{low} or more", low=number(lo, locale)))
        else:
            parts.append(
                translate(
                    locale,
                    "{low} to less than {high}",
                    low=number(lo, locale),
                    high=number(hi, locale),
                )
            )
    return joined_or(parts, locale)


def axis_labels(axis: Axis, locale: str) -> list[str]:
    """A short label per interval or group of an interaction's axis (``< 1``, ``[1, 2)``, ...)."""
    if axis.type == "categorical":
        return [", ".join(g) for g in axis.groups]
    if not axis.edges:
        return [translate(locale, "all values")]
    e = [number(v, locale) for v in axis.edges]
    mid = [f"[{a}, {b})" for a, b in itertools.pairwise(e)]
    return [f"< {e[0]}", *mid, f">= {e[-1]}"]


def relative_statement(c: Characteristic, row: Mapping[str, Any] | None, locale: str) -> str:
    """The statement of a characteristic without a declared direction: the range that scores
    better, and the subject's value where ``row`` is given."""
    label = translate(locale, c.label)
    best = better_range(c, locale)
    if row is None:
        return translate(
            locale, "Your {label} is outside the range that scores best ({best})",
            label=label, best=best,
        )  # fmt: skip
    return translate(
        locale, "Your {label}, {value}, is outside the range that scores best ({best})",
        label=label, value=shown(row.get(c.name), locale), best=best,
    )  # fmt: skip


def interaction_statement(
    it: Interaction,
    a: Characteristic,
    b: Characteristic,
    row: Mapping[str, Any] | None,
    locale: str,
) -> str:
    """The statement of an interaction: the best combination, and the subject's values."""
    best = max(range(len(it.cells)), key=lambda q: it.cells[q].points)
    ia, ib = divmod(best, it.shape[1])
    params = {
        "a": translate(locale, a.label),
        "b": translate(locale, b.label),
        "range_a": axis_labels(it.axes[0], locale)[ia],
        "range_b": axis_labels(it.axes[1], locale)[ib],
    }
    if row is None:
        return translate(
            locale,
            "Your {a} together with your {b} scores lower than the best combination "
            "({a} {range_a} with {b} {range_b})",
            **params,
        )
    return translate(
        locale,
        "Your {a}, {value_a}, together with your {b}, {value_b}, scores lower than the best "
        "combination ({a} {range_a} with {b} {range_b})",
        value_a=shown(row.get(a.name), locale),
        value_b=shown(row.get(b.name), locale),
        **params,
    )
