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
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from trustscore.i18n import DEFAULT_LOCALE, catalogue, format_decimal, translate

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
    "translate_statement",
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


# The English relative statement, as a record of it (a snapshot, a notice) holds it: the label
# may hold commas, the value never does (a number as ``:g`` writes it, none, or a quoted level).
_RELATIVE: Final = re.compile(
    r"^Your (?P<label>.+?)(?:, (?P<value>'[^']*'|[^,']+),)? is outside the range that scores "
    r"best \((?P<best>.*)\)$"
)
_NUM: Final = r"(-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?|-?inf)"
_SPANS: Final[tuple[tuple[re.Pattern[str], Callable[[re.Match[str], str], str]], ...]] = (
    (re.compile(r"^any value"), lambda _m, loc: translate(loc, "any value")),
    (
        re.compile(rf"^{_NUM} to less than {_NUM}"),
        lambda m, loc: translate(
            loc,
            "{low} to less than {high}",
            low=number(float(m[1]), loc),
            high=number(float(m[2]), loc),
        ),
    ),
    (
        re.compile(rf"^less than {_NUM}"),
        lambda m, loc: translate(loc, "less than {high}", high=number(float(m[1]), loc)),
    ),
    (
        re.compile(rf"^{_NUM} or more"),
        lambda m, loc: translate(loc, "{low} or more", low=number(float(m[1]), loc)),
    ),
)


def _ranges(best: str, locale: str) -> str | None:
    """A numeric best range in ``locale``; None where it is not one (a categorical's levels)."""
    parts, rest = [], best
    while rest:
        for pattern, build in _SPANS:
            m = pattern.match(rest)
            if m is not None:
                parts.append(build(m, locale))
                rest = rest[m.end() :]
                break
        else:
            return None
        if rest.startswith(" or "):
            rest = rest[4:]
        elif rest:
            return None
    return joined_or(parts, locale)


def _value(said: str) -> Any:
    if said == "none":
        return None
    if said in ("True", "False"):
        return said == "True"
    if said.startswith("'"):
        return said[1:-1]
    try:
        return float(said)
    except ValueError:
        return said


def translate_statement(text: str, locale: str) -> str:
    """A statement as a record holds it (in English) in ``locale``.

    A statement in the catalogue is its translation; a characteristic's relative statement is
    rebuilt from its template, with its label looked up and its value and range formatted for
    the locale; anything else (a third party's own text) stays as it is.

    Examples
    --------
    >>> translate_statement("No bill on file", "zh-CN")
    '档案中没有账单'
    >>> translate_statement("Your number of open credit accounts, 12000, is outside the range "
    ...                     "that scores best (less than 1 or 3 or more)", "zh-CN")
    '您的有效信贷账户数为 12,000，不在得分最高的范围内（低于 1 或 3 或以上）'
    >>> translate_statement("A lender's own reason", "zh-CN")
    "A lender's own reason"
    """
    if locale == DEFAULT_LOCALE or not text:
        return text
    known = catalogue(locale).get(text)
    if known is not None:
        return known
    m = _RELATIVE.match(text)
    if m is None:
        return text
    best = _ranges(m["best"], locale)
    params = {"label": translate(locale, m["label"]), "best": m["best"] if best is None else best}
    if m["value"] is None:
        return translate(
            locale, "Your {label} is outside the range that scores best ({best})", **params
        )
    return translate(
        locale, "Your {label}, {value}, is outside the range that scores best ({best})",
        value=shown(_value(m["value"]), locale), **params,
    )  # fmt: skip
