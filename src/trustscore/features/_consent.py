"""Consent to use alternative data, as the features see it: which bills may count.

Bills (``obligation`` records) of a category that needs consent count only while a consent that
covers them is in force: a grant for the bill's furnisher, or for its category, by the same
subject. Which categories need consent is the caller's choice (the CLI and the service read it
from their settings; :data:`DEFAULT_CONSENT_CATEGORIES` is the documented default: every bill
category). Tradelines, public records and inquiries never need it here.

The rule, with ``cutoff`` the knowledge cutoff of the feature table (``known_at``, by default
the end of the ``as_of`` day): an event counts if it was recorded by ``cutoff`` and took effect
by the later of the end of the ``as_of`` day and ``cutoff``. Per subject and scope the latest
counting event (by effective time, then recording time, then id) decides: a grant is in force,
a withdrawal is not. So:

- features as of a day, computed with the default cutoff, use the consents in force that day;
- a score computed now uses the consents in force now: a withdrawal stops the bills counting
  in every score computed after it, whatever the as-of date;
- a replay (``known_at`` = when the score was given) uses the consents in force then, so a
  withdrawal made after a score does not change its replay.

A store with no consent events holds no consent: with categories that need consent, none of
their bills count. :func:`~trustscore.features.bills_without_consent` lists the bills left out,
so the doors (the demo's summary, ``trustscore features``, the subject's file) say how many.

The consent events enter as a table (``<store>/_consents/*.parquet``, written from the ledger by
``trustscore.pipeline``): the features never read the ledger.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Final

import ibis
import ibis.expr.types as ir

from trustscore.exceptions import SchemaError
from trustscore.records._consents import CONSENT_SCHEMA
from trustscore.records._schemas import OBLIGATION_CATEGORIES

__all__ = [
    "CONSENTS",
    "DEFAULT_CONSENT_CATEGORIES",
    "check_consent_categories",
    "consent_moment",
    "consents_schema",
    "end_of_day",
    "split_by_consent",
]

#: Key of the consent events table in the mapping given to ``feature_table``.
CONSENTS: Final = "_consents"
#: The documented default: every bill category needs the subject's consent (opt-in).
DEFAULT_CONSENT_CATEGORIES: Final = ("platform", "rent", "telecom", "utility")


def consents_schema() -> ibis.Schema:
    """The schema of ``<store>/_consents/*.parquet``."""
    return ibis.Schema.from_pyarrow(CONSENT_SCHEMA)


def check_consent_categories(categories: Collection[str]) -> tuple[str, ...]:
    """The categories, sorted, if each is a bill category; a :class:`SchemaError` otherwise.

    Examples
    --------
    >>> check_consent_categories(["utility", "rent"])
    ('rent', 'utility')
    >>> check_consent_categories(["tradeline"])
    Traceback (most recent call last):
    ...
    trustscore.exceptions.SchemaError: 'tradeline' is not a bill category that can need consent; the categories are platform, rent, telecom, utility.
    """  # noqa: E501
    if isinstance(categories, str):
        categories = [categories]
    allowed = OBLIGATION_CATEGORIES
    for c in categories:
        if c not in allowed:
            msg = (
                f"{c!r} is not a bill category that can need consent; the categories are "
                f"{', '.join(sorted(allowed))}."
            )
            raise SchemaError(msg, field="consent_categories", value=str(c))
    return tuple(sorted(set(categories)))


def consent_moment(as_of: dt.date, cutoff: dt.datetime) -> dt.datetime:
    """When a consent must have taken effect to count: the later of the end of the ``as_of``
    day and ``cutoff`` (the module's rule).

    Examples
    --------
    >>> consent_moment(dt.date(2025, 1, 31), dt.datetime(2025, 3, 1, tzinfo=dt.UTC)).isoformat()
    '2025-03-01T00:00:00+00:00'
    """
    return max(end_of_day(as_of), cutoff)


def end_of_day(as_of: dt.date) -> dt.datetime:
    """The last moment of the ``as_of`` day (UTC): a feature table's knowledge cutoff when no
    ``known_at`` is given. What became known or took effect after it is news to that table.

    Examples
    --------
    >>> end_of_day(dt.date(2025, 12, 31)).isoformat()
    '2025-12-31T23:59:59.999999+00:00'
    """
    return dt.datetime.combine(as_of, dt.time.max, tzinfo=dt.UTC)


def _granted(
    consents: ir.Table, moment: dt.datetime | ir.TimestampValue,
    cutoff: dt.datetime | ir.TimestampValue,
) -> ir.Table:  # fmt: skip
    """Per subject and scope, the grants in force: the latest counting event is a grant."""
    c = consents.filter((consents.recorded_at <= cutoff) & (consents.effective_at <= moment))
    order = [ibis.desc(c.effective_at), ibis.desc(c.recorded_at), ibis.desc(c.consent_id)]
    latest = c.mutate(
        x_n=ibis.row_number().over(group_by=[c.subject_id, c.scope_kind, c.scope], order_by=order)
    )
    latest = latest.filter((latest.x_n == 0) & (latest.action == "grant"))
    return latest.select("subject_id", "scope_kind", "scope")


def split_by_consent(
    bills: ir.Table,
    consents: ir.Table,
    categories: Collection[str],
    as_of: dt.date,
    cutoff: dt.datetime | ir.TimestampValue,
    *,
    moment: dt.datetime | ir.TimestampValue | None = None,
) -> tuple[ir.Table, ir.Table]:
    """The bills that count and the bills left out for lack of consent (same columns).

    ``bills`` are the visible obligation records; the rule is the module's. ``moment``, when
    consents must have taken effect, is the later of the end of the ``as_of`` day and
    ``cutoff`` (:func:`consent_moment`); give it where ``cutoff`` is an expression.
    """
    cats = check_consent_categories(categories)
    if not cats:
        return bills, bills.filter(ibis.literal(False))
    if moment is None:
        if not isinstance(cutoff, dt.datetime):
            msg = "split_by_consent: with a cutoff expression, give the moment too."
            raise TypeError(msg)
        moment = consent_moment(as_of, cutoff)
    missing = [c for c in consents_schema() if c not in consents.columns]
    if missing:
        msg = f"The consent events table lacks the column(s) {missing}; see consents_schema()."
        raise SchemaError(msg, field=missing[0])
    granted = _granted(consents, moment, cutoff)
    by_furnisher = granted.filter(granted.scope_kind == "furnisher").select(
        x_fs=granted.subject_id, x_fscope=granted.scope, x_f=ibis.literal(1)
    )
    by_category = granted.filter(granted.scope_kind == "category").select(
        x_cs=granted.subject_id, x_cscope=granted.scope, x_c=ibis.literal(1)
    )
    o = bills.left_join(
        by_furnisher,
        [bills.subject_id == by_furnisher.x_fs, bills.furnisher == by_furnisher.x_fscope],
    )
    o = o.left_join(
        by_category, [o.subject_id == by_category.x_cs, o.category == by_category.x_cscope]
    )
    covered = ~o.category.isin(cats) | o.x_f.notnull() | o.x_c.notnull()
    columns = bills.columns
    return o.filter(covered).select(*columns), o.filter(~covered).select(*columns)
