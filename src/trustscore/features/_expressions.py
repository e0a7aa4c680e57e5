"""The as-of feature table as one Ibis expression, run unchanged on DuckDB and Spark.

The as-of rule: a record counts for ``as_of`` only if its business date is on or before
``as_of`` *and* it was ingested by the end of that day (23:59:59.999999 UTC), and it was not
suppressed by then. Where one ``record_id`` was stored several times (a furnisher's update or
deletion), the version ingested last by the cutoff is the one that counts, and a record whose
version is a deletion (``action = 'delete'``) does not count at all. So the same ``as_of``
over the same store always gives the same features, and facts learned later never leak into a
past date.

Only portable operations are used (filters, ``CASE``, ``NULLIF``, date parts, date differences
in days, grouped aggregates with ``FILTER``, ``ROW_NUMBER`` windows, left and anti joins): every
window boundary is computed here in Python and enters the expression as a literal date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Final, TypeAlias

import ibis
import ibis.expr.types as ir

from trustscore.exceptions import SchemaError
from trustscore.features._consent import (
    CONSENTS,
    consents_schema,
    end_of_day,
    split_by_consent,
)
from trustscore.features._definitions import FEATURES
from trustscore.records._schemas import DELETE, RECORD_KINDS, arrow_schema

__all__ = [
    "CRITERIA_COLUMNS",
    "SUPPRESSIONS",
    "check_feature_arguments",
    "empty_table",
    "feature_table",
    "months_before",
    "suppressions_schema",
    "unconsented_bills",
    "unconsented_bills_at",
]

#: Key of the suppressions table in the mapping given to :func:`feature_table`.
SUPPRESSIONS: Final = "_suppressions"
#: The minimum-scoring-criteria columns that follow the features.
CRITERIA_COLUMNS: Final = ("months_history", "n_records_12m")

_KINDS: Final = (
    "subject", "obligation", "tradeline", "public_record", "inquiry", "supplier_payment",
)  # fmt: skip
_BAD_STATUSES: Final = ("default", "charged_off")

#: A time the expression compares with: a literal, or a scalar expression read from a table.
Moment: TypeAlias = dt.datetime | ir.TimestampValue


def suppressions_schema() -> ibis.Schema:
    """The schema of ``<store>/_suppressions/*.parquet``."""
    return ibis.schema(
        {
            "record_id": "string",
            "kind": "string",
            "suppressed_at": "timestamp('UTC', 6)",
            "reason": "string",
        }
    )


def empty_table(kind: str) -> ir.Table:
    """An empty table of a record kind as stored (or of the suppressions, or the consents)."""
    if kind == SUPPRESSIONS:
        return ibis.memtable(suppressions_schema().to_pyarrow().empty_table())
    if kind == CONSENTS:
        return ibis.memtable(consents_schema().to_pyarrow().empty_table())
    return ibis.memtable(arrow_schema(kind, stored=True).empty_table())


def months_before(day: dt.date, months: int) -> dt.date:
    """``day`` moved back by whole months, clipped to the end of a shorter month.

    Examples
    --------
    >>> months_before(dt.date(2024, 3, 31), 1)
    datetime.date(2024, 2, 29)
    >>> months_before(dt.date(2024, 2, 29), 12)
    datetime.date(2023, 2, 28)
    """
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    next_month = dt.date(year + month // 12, month % 12 + 1, 1)
    last_day = (next_month - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last_day))


def _months_since(date: ir.DateValue, as_of: dt.date) -> ir.FloatingValue:
    """Whole months from ``date`` to ``as_of`` (a month counts once its day is reached)."""
    months = (as_of.year - date.year()) * 12 + (as_of.month - date.month())
    short = (date.day() > as_of.day).ifelse(1, 0)
    return (months - short).cast("float64")


def _count(cond: ir.BooleanValue) -> ir.IntegerScalar:
    # integer literals: Spark reads a literal 1.0 as DECIMAL(2,1), so a float sum there is a
    # decimal, and a decimal division keeps only as many places as its type allows
    return cond.ifelse(1, 0).sum()


def _exact_sum(x: ir.NumericColumn, where: ir.BooleanValue | None = None) -> ir.FloatingScalar:
    """A sum that does not depend on the order rows arrive in.

    A parallel float sum differs in the last bits from run to run, so the same as-of date and
    data would not give bit-identical features (and feature hashes) on every run. Summing as a
    fixed-point decimal is exact, hence order-free; amounts have at most six decimals.
    """
    return x.cast("decimal(38, 6)").sum(where=where).cast("float64")


def _ratio(num: ir.NumericValue, den: ir.NumericValue) -> ir.FloatingValue:
    """``num / den`` as one IEEE double division, NULL where ``den`` is 0: identical everywhere.

    Both sides become doubles first: dividing two decimals, Spark keeps a decimal of limited
    scale (0.86111111111111) where DuckDB gives the double 0.8611111111111112, a difference that
    moves a value across a bin edge. A decimal sum (six places, below 2**53 units) converts to
    the nearest double on both engines, and one double division is correctly rounded on both.
    """
    # NULLIF, not a CASE on the result: Spark in ANSI mode raises on a division by zero.
    return num.cast("float64") / den.cast("float64").nullif(0.0)


def _visible(
    table: ir.Table, kind: str, suppressions: ir.Table, as_of: dt.date, cutoff: Moment
) -> ir.Table:
    """Rows of ``kind`` known by ``cutoff``, not suppressed by then, business date <= as_of.

    ``cutoff`` is a literal time, or a scalar expression (one subject's file reads it from a
    one-row table, so that its SQL is compiled once, see ``features._subject``)."""
    spec = RECORD_KINDS[kind]
    key = spec.key[0]
    missing = [c for c in (*spec.field_names, "ingested_at") if c not in table.columns]
    if missing:
        msg = (
            f"The {kind!r} table lacks the column(s) {missing}; it must have the columns of "
            f"trustscore.records._schemas.arrow_schema({kind!r}, stored=True)."
        )
        raise SchemaError(msg, kind=kind, field=missing[0])
    known = table.filter(table.ingested_at <= cutoff)
    gone = suppressions.filter(
        (suppressions.kind == kind) & (suppressions.suppressed_at <= cutoff)
    ).select(suppressed_id=suppressions.record_id)
    known = known.anti_join(gone, known[key] == gone.suppressed_id)
    # The last version of a record ingested by the cutoff is the one that counts.
    order = [ibis.desc(known.ingested_at)]
    if "batch_id" in known.columns:
        order.append(ibis.desc(known.batch_id))
    latest = known.mutate(x_version=ibis.row_number().over(group_by=known[key], order_by=order))
    latest = latest.filter(latest.x_version == 0).drop("x_version")
    if "action" in spec.field_names:
        # A deletion is the record's latest version: from its ingestion time it stops counting.
        latest = latest.filter(latest.action.isnull() | (latest.action != DELETE))
    return latest.filter(latest[spec.business_date] <= as_of)


def _all_visible(
    tables: Mapping[str, ir.Table], as_of: dt.date, cutoff: Moment
) -> dict[str, ir.Table]:
    suppressions = tables.get(SUPPRESSIONS)
    if suppressions is None:
        suppressions = empty_table(SUPPRESSIONS)
    return {
        kind: _visible(tables.get(kind, empty_table(kind)), kind, suppressions, as_of, cutoff)
        for kind in _KINDS
    }


def unconsented_bills(
    tables: Mapping[str, ir.Table],
    as_of: dt.date,
    *,
    known_at: dt.datetime | None = None,
    consent_categories: Collection[str] = (),
) -> ir.Table:
    """The bills :func:`feature_table` leaves out for lack of consent, with the same arguments.

    Each is a visible ``obligation`` record (known by the cutoff, not suppressed or deleted,
    due on or before ``as_of``) of a category in ``consent_categories`` that no consent in
    force covers; the columns are the stored obligation's.
    """
    if known_at is not None and known_at.tzinfo is None:
        msg = f"known_at must be timezone-aware (UTC). Got {known_at!r} instead."
        raise ValueError(msg)
    cutoff = known_at or end_of_day(as_of)
    return unconsented_bills_at(tables, as_of, cutoff, consent_categories=consent_categories)


def unconsented_bills_at(
    tables: Mapping[str, ir.Table],
    as_of: dt.date,
    cutoff: Moment,
    *,
    moment: Moment | None = None,
    consent_categories: Collection[str] = (),
) -> ir.Table:
    """:func:`unconsented_bills` with the knowledge cutoff given, as a time or an expression.

    With ``cutoff`` an expression, ``moment`` (when consents must be in force, see
    :func:`~trustscore.features._consent.split_by_consent`) must be given too.
    """
    bills = _all_visible(tables, as_of, cutoff)["obligation"]
    consents = tables.get(CONSENTS, empty_table(CONSENTS))
    return split_by_consent(bills, consents, consent_categories, as_of, cutoff, moment=moment)[1]


def check_feature_arguments(
    as_of: dt.date, horizon_years: int, known_at: dt.datetime | None
) -> dt.datetime:
    """Check the arguments every feature table takes; the knowledge cutoff they give."""
    if isinstance(horizon_years, bool) or not isinstance(horizon_years, int) or horizon_years < 1:
        msg = f"horizon_years must be a whole number of years >= 1. Got {horizon_years!r} instead."
        raise ValueError(msg)
    if known_at is not None and known_at.tzinfo is None:
        msg = f"known_at must be timezone-aware (UTC). Got {known_at!r} instead."
        raise ValueError(msg)
    return known_at or end_of_day(as_of)


def _window_start(as_of: dt.date, months: int, horizon_start: dt.date) -> dt.date:
    return max(months_before(as_of, months), horizon_start)


def _obligation_features(
    o: ir.Table, as_of: dt.date, horizon_start: dt.date, start_12m: dt.date
) -> ir.Table:
    a = ibis.literal(as_of)
    paid = o.paid_date.notnull() & (o.paid_date <= as_of)
    end = paid.ifelse(o.paid_date, a)
    raw_late = end.delta(o.due_date, unit="day")
    o = o.mutate(
        x_late=ibis.cases((raw_late > 0, raw_late), else_=0),
        x_owed=o.amount_due - paid.ifelse(o.amount_paid.coalesce(o.amount_due), 0.0),
    )
    o = o.mutate(x_owed=ibis.cases((o.x_owed > 0, o.x_owed), else_=0.0))
    w12 = o.due_date > _window_start(as_of, 12, horizon_start)
    w24 = o.due_date > _window_start(as_of, 24, horizon_start)
    w36 = o.due_date > _window_start(as_of, 36, horizon_start)
    in_horizon = o.due_date > horizon_start
    on_time = o.x_late == 0
    return o.group_by("subject_id").aggregate(
        on_time_share_12m=_ratio(_count(w12 & on_time), _count(w12)),
        on_time_share_36m=_ratio(_count(w36 & on_time), _count(w36)),
        n_late_30_24m=_count(w24 & (o.x_late >= 30)),
        n_late_90_24m=_count(w24 & (o.x_late >= 90)),
        max_days_late_12m=o.x_late.max(where=w12).cast("float64"),
        x_last_late_30=o.due_date.max(where=in_horizon & (o.x_late >= 30)),
        unpaid_amount_ratio_12m=_ratio(
            _exact_sum(o.x_owed, where=w12), _exact_sum(o.amount_due, where=w12)
        ),
        x_o_first=o.due_date.min(),
        x_o_12m=_count(o.due_date > start_12m),
    )


def _tradeline_features(
    t: ir.Table, as_of: dt.date, horizon_start: dt.date, start_12m: dt.date
) -> tuple[ir.Table, ir.Table]:
    w12 = t.reported_date > _window_start(as_of, 12, horizon_start)
    w24 = t.reported_date > _window_start(as_of, 24, horizon_start)
    w36 = t.reported_date > _window_start(as_of, 36, horizon_start)
    bad = t.status.isin(_BAD_STATUSES)
    month = t.reported_date.year() * 12 + t.reported_date.month()
    history = t.group_by("subject_id").aggregate(
        worst_dpd_12m=t.days_past_due.max(where=w12).cast("float64"),
        n_months_30dpd_24m=month.nunique(where=w24 & (t.days_past_due >= 30)).cast("float64"),
        x_oldest_opened=t.opened_date.min(),
        any_default_36m=(w36 & bad).ifelse(1, 0).max(),
        x_last_delinquent=t.reported_date.max(
            where=(t.reported_date > horizon_start) & ((t.days_past_due >= 30) | bad)
        ),
        x_t_first=t.reported_date.min(),
        x_t_12m=_count(t.reported_date > start_12m),
    )
    account = [t.subject_id, t.furnisher, t.account]
    order = [ibis.desc(t.reported_date), ibis.desc(t.ingested_at), ibis.desc(t.record_id)]
    latest = t.mutate(x_n=ibis.row_number().over(group_by=account, order_by=order))
    latest = latest.filter(latest.x_n == 0)
    is_open = (latest.closed_date.isnull() | (latest.closed_date > as_of)) & (
        latest.status != "closed"
    )
    open_card = is_open & (latest.kind == "card")
    accounts = latest.group_by("subject_id").aggregate(
        card_utilisation=_ratio(
            _exact_sum(latest.balance, where=open_card),
            _exact_sum(latest.credit_limit, where=open_card),
        ),
        n_open_accounts=_count(is_open),
    )
    return history, accounts


def _public_record_features(p: ir.Table, as_of: dt.date, horizon_start: dt.date) -> ir.Table:
    counted = p.filter(
        (p.filed_date > horizon_start) & (p.satisfied_date.isnull() | (p.satisfied_date > as_of))
    )
    return counted.group_by("subject_id").aggregate(
        n_unsatisfied_public_records=counted.count().cast("float64"),
        unsatisfied_public_record_amount=_exact_sum(counted.amount),
        x_last_filed=counted.filed_date.max(),
    )


def feature_table(
    tables: Mapping[str, ir.Table],
    as_of: dt.date,
    *,
    horizon_years: int = 7,
    known_at: dt.datetime | None = None,
    consent_categories: Collection[str] = (),
) -> ir.Table:
    """The as-of feature table as an Ibis expression.

    Parameters
    ----------
    tables : Mapping[str, ibis.Table]
        Record tables by kind (``"subject"``, ``"obligation"``, ``"tradeline"``,
        ``"public_record"``, ``"inquiry"``), each with the columns of
        ``arrow_schema(kind, stored=True)``, and optionally the suppressions under
        :data:`SUPPRESSIONS` (``record_id``, ``kind``, ``suppressed_at``, ``reason``). A kind
        that is absent counts as empty. All tables must live on one backend (or be memtables).
    as_of : datetime.date
        The date the features describe.
    horizon_years : int, default 7
        Negative items (late bills, delinquencies, defaults, public records) older than this
        many years no longer count.
    known_at : datetime.datetime, optional
        What was known when: only records ingested, and suppressions made, on or before this
        moment count. Defaults to the end of the ``as_of`` day. The service scores with
        ``known_at`` = now, and a replay uses the moment the snapshot was taken, so a
        suppression made after a score does not change that score's replay.
    consent_categories : collection of str, default ()
        Bill categories that count only with the subject's consent (see
        :mod:`trustscore.features._consent` for the rule); the consent events come from
        ``tables[CONSENTS]`` (none: no bill of these categories counts). Empty by default:
        the callers that score people pass their configuration (the CLI and the service use
        :data:`~trustscore.features.DEFAULT_CONSENT_CATEGORIES` unless set otherwise).

    Returns
    -------
    ibis.Table
        One row per person created on or before ``as_of`` (organisations have their own
        table, ``org_feature_table``), ordered by ``subject_id``: the ``subject_id``, every
        feature of :data:`FEATURES` as float64 (NULL where undefined), then
        ``months_history`` (whole months from the earliest bill or credit report to ``as_of``;
        NULL if none) and ``n_records_12m`` (bills and credit reports with a business date in
        the last 12 months).

    Raises
    ------
    SchemaError
        If a table lacks a column its kind needs.
    ValueError
        If ``horizon_years`` is not a positive whole number.

    Examples
    --------
    >>> import datetime as dt
    >>> import ibis, pyarrow as pa
    >>> from trustscore.records._schemas import arrow_schema
    >>> at = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    >>> subject = pa.Table.from_pylist(
    ...     [{"subject_id": "s1", "kind": "person", "created_date": dt.date(2023, 1, 1),
    ...       "batch_id": "b1", "ingested_at": at}], schema=arrow_schema("subject", stored=True))
    >>> bills = pa.Table.from_pylist(
    ...     [{"record_id": "o1", "subject_id": "s1", "furnisher": "water", "category": "utility",
    ...       "account": "a", "due_date": dt.date(2023, 6, 1), "amount_due": 100.0,
    ...       "paid_date": dt.date(2023, 7, 11), "amount_paid": 100.0, "batch_id": "b1",
    ...       "ingested_at": at}], schema=arrow_schema("obligation", stored=True))
    >>> expr = feature_table(
    ...     {"subject": ibis.memtable(subject), "obligation": ibis.memtable(bills)},
    ...     dt.date(2024, 1, 1))
    >>> from trustscore import engines
    >>> row = engines.connect("duckdb").to_pyarrow(expr).to_pylist()[0]
    >>> row["max_days_late_12m"], row["n_late_30_24m"], row["months_history"]
    (40.0, 1.0, 7.0)
    >>> row["worst_dpd_12m"] is None, row["n_inquiries_6m"]
    (True, 0.0)
    """
    cutoff = check_feature_arguments(as_of, horizon_years, known_at)
    horizon_start = months_before(as_of, 12 * horizon_years)
    start_12m = months_before(as_of, 12)
    visible = _all_visible(tables, as_of, cutoff)
    visible["obligation"] = split_by_consent(
        visible["obligation"], tables.get(CONSENTS, empty_table(CONSENTS)), consent_categories,
        as_of, cutoff,
    )[0]  # fmt: skip
    # persons only: an organisation's records never reach a person's row (its own table is
    # trustscore.features._org_expressions.org_feature_table)
    people = visible["subject"]
    subjects = people.filter(people.kind == "person").select("subject_id")
    bills = _obligation_features(visible["obligation"], as_of, horizon_start, start_12m)
    history, accounts = _tradeline_features(visible["tradeline"], as_of, horizon_start, start_12m)
    public = _public_record_features(visible["public_record"], as_of, horizon_start)
    inq = visible["inquiry"]
    inquiries = inq.group_by("subject_id").aggregate(
        n_inquiries_6m=_count(inq.inquiry_date > months_before(as_of, 6))
    )

    joined = subjects
    for part in (bills, history, accounts, public, inquiries):
        joined = joined.left_join(part, "subject_id")
    j = joined
    first = ibis.least(j.x_o_first, j.x_t_first)
    # LEAST ignores NULLs on DuckDB but not on every engine: spell it out.
    first = ibis.cases(
        (j.x_o_first.isnull(), j.x_t_first), (j.x_t_first.isnull(), j.x_o_first), else_=first
    )
    computed: dict[str, ir.Value] = {
        "months_since_late_30": _months_since(j.x_last_late_30, as_of),
        "months_since_oldest_opened": _months_since(j.x_oldest_opened, as_of),
        "months_since_delinquency": _months_since(j.x_last_delinquent, as_of),
        "n_inquiries_6m": j.n_inquiries_6m.coalesce(0),
        "n_unsatisfied_public_records": j.n_unsatisfied_public_records.coalesce(0),
        "unsatisfied_public_record_amount": j.unsatisfied_public_record_amount.coalesce(0.0),
        "months_since_public_record": _months_since(j.x_last_filed, as_of),
    }
    columns: dict[str, ir.Value] = {"subject_id": j.subject_id}
    for f in FEATURES:
        value = computed[f.name] if f.name in computed else j[f.name]
        columns[f.name] = value.cast("float64")
    columns["months_history"] = _months_since(first, as_of)
    columns["n_records_12m"] = (j.x_o_12m.coalesce(0) + j.x_t_12m.coalesce(0)).cast("float64")
    return j.select(**columns).order_by("subject_id")
