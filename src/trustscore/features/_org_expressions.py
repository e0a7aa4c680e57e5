"""An organisation's as-of feature table as one Ibis expression, run unchanged on every engine.

The as-of rule, versions, deletions and suppressions are those of the person table
(:func:`trustscore.features.feature_table`, from whose module the record visibility comes);
only the subjects (organisations) and the features (:data:`ORG_FEATURES`) differ. The rows hold
organisations only, so no person's record reaches them, and the person table holds persons only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from trustscore.features._expressions import (
    _all_visible,
    _count,
    _exact_sum,
    _months_since,
    _ratio,
    _window_start,
    check_feature_arguments,
    months_before,
)
from trustscore.features._org_definitions import (
    ORG_FEATURES,
    PAYDEX_ANTICIPATE_DAYS,
    PAYDEX_STEPS,
)

__all__ = ["org_feature_table"]

_JUDGMENTS = ("court_judgment", "bankruptcy")


def _paydex_points(dbt: ir.IntegerValue, early: ir.BooleanValue) -> ir.IntegerValue:
    branches = [(early, 100)] + [(dbt <= days, points) for days, points in PAYDEX_STEPS]
    return ibis.cases(*branches, else_=20)


def _invoice_features(s: ir.Table, as_of: dt.date, horizon_start: dt.date) -> ir.Table:
    a = ibis.literal(as_of)
    paid = s.paid_date.notnull() & (s.paid_date <= as_of)
    end = paid.ifelse(s.paid_date, a)
    raw = end.delta(s.invoice_date, unit="day") - s.terms_days
    early = paid & (raw <= -PAYDEX_ANTICIPATE_DAYS)
    s = s.mutate(x_dbt=ibis.cases((raw > 0, raw), else_=0), x_early=early)
    s = s.mutate(x_points=_paydex_points(s.x_dbt, s.x_early))
    w12 = s.invoice_date > _window_start(as_of, 12, horizon_start)
    w24 = s.invoice_date > _window_start(as_of, 24, horizon_start)
    return s.group_by("subject_id").aggregate(
        paydex_12m=_ratio(
            _exact_sum(s.amount * s.x_points, where=w12), _exact_sum(s.amount, where=w12)
        ),
        max_days_beyond_terms_12m=s.x_dbt.max(where=w12).cast("float64"),
        n_beyond_terms_60_24m=_count(w24 & (s.x_dbt >= 60)),
        x_s_first=s.invoice_date.min(),
        x_s_12m=_count(s.invoice_date > months_before(as_of, 12)),
    )


def _credit_features(t: ir.Table, as_of: dt.date, horizon_start: dt.date) -> ir.Table:
    w12 = t.reported_date > _window_start(as_of, 12, horizon_start)
    return t.group_by("subject_id").aggregate(
        credit_worst_dpd_12m=t.days_past_due.max(where=w12).cast("float64"),
        x_t_first=t.reported_date.min(),
        x_t_12m=_count(t.reported_date > months_before(as_of, 12)),
    )


def _public_features(p: ir.Table, as_of: dt.date, horizon_start: dt.date) -> ir.Table:
    open_ = (p.filed_date > horizon_start) & (
        p.satisfied_date.isnull() | (p.satisfied_date > as_of)
    )
    tax = open_ & (p.kind == "tax_arrears")
    judgment = open_ & p.kind.isin(_JUDGMENTS)
    penalty = (p.kind == "regulatory_penalty") & (
        p.filed_date > _window_start(as_of, 36, horizon_start)
    )
    return p.group_by("subject_id").aggregate(
        n_tax_arrears=_count(tax),
        tax_arrears_amount=_exact_sum(p.amount, where=tax),
        n_regulatory_penalties_36m=_count(penalty),
        n_unsatisfied_judgments=_count(judgment),
        x_last_judgment=p.filed_date.max(where=judgment),
    )


def org_feature_table(
    tables: Mapping[str, ir.Table],
    as_of: dt.date,
    *,
    horizon_years: int = 7,
    known_at: dt.datetime | None = None,
) -> ir.Table:
    """The organisations' as-of feature table as an Ibis expression.

    Parameters are those of :func:`trustscore.features.feature_table` (bills' consent does not
    apply: an organisation's invoices are trade data, not a person's bills).

    Returns
    -------
    ibis.Table
        One row per organisation created on or before ``as_of``, ordered by ``subject_id``:
        ``subject_id``, every feature of :data:`ORG_FEATURES` (float64, NULL where undefined),
        ``months_history`` (from the earliest invoice or credit report) and ``n_records_12m``
        (invoices and credit reports dated in the last 12 months).

    Examples
    --------
    >>> import datetime as dt
    >>> import ibis, pyarrow as pa
    >>> from trustscore.records._schemas import arrow_schema
    >>> at = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    >>> firm = pa.Table.from_pylist(
    ...     [{"subject_id": "f1", "kind": "organisation", "created_date": dt.date(2020, 1, 1),
    ...       "batch_id": "b1", "ingested_at": at}], schema=arrow_schema("subject", stored=True))
    >>> inv = [{"record_id": f"i{n}", "subject_id": "f1", "furnisher": "steel", "category":
    ...         "supplier", "invoice": f"n{n}", "invoice_date": dt.date(2023, 6, 1),
    ...         "terms_days": 30, "amount": amount, "paid_date": dt.date(2023, 6, 1) + late,
    ...         "batch_id": "b1", "ingested_at": at}
    ...        for n, (amount, late) in enumerate([(300.0, dt.timedelta(days=30)),
    ...                                            (100.0, dt.timedelta(days=75))])]
    >>> sp = pa.Table.from_pylist(inv, schema=arrow_schema("supplier_payment", stored=True))
    >>> expr = org_feature_table(
    ...     {"subject": ibis.memtable(firm), "supplier_payment": ibis.memtable(sp)},
    ...     dt.date(2024, 1, 1))
    >>> from trustscore import engines
    >>> row = engines.connect("duckdb").to_pyarrow(expr).to_pylist()[0]
    >>> row["paydex_12m"], row["max_days_beyond_terms_12m"], row["months_history"]
    (70.0, 45.0, 7.0)
    """
    cutoff = check_feature_arguments(as_of, horizon_years, known_at)
    horizon_start = months_before(as_of, 12 * horizon_years)
    visible = _all_visible(tables, as_of, cutoff)
    subjects = visible["subject"]
    subjects = subjects.filter(subjects.kind == "organisation").select("subject_id")
    invoices = _invoice_features(visible["supplier_payment"], as_of, horizon_start)
    credit = _credit_features(visible["tradeline"], as_of, horizon_start)
    public = _public_features(visible["public_record"], as_of, horizon_start)
    j = subjects
    for part in (invoices, credit, public):
        j = j.left_join(part, "subject_id")
    first = ibis.cases(
        (j.x_s_first.isnull(), j.x_t_first),
        (j.x_t_first.isnull(), j.x_s_first),
        else_=ibis.least(j.x_s_first, j.x_t_first),
    )
    computed: dict[str, ir.Value] = {
        "n_beyond_terms_60_24m": j.n_beyond_terms_60_24m.coalesce(0),
        "n_tax_arrears": j.n_tax_arrears.coalesce(0),
        "tax_arrears_amount": j.tax_arrears_amount.coalesce(0.0),
        "n_regulatory_penalties_36m": j.n_regulatory_penalties_36m.coalesce(0),
        "n_unsatisfied_judgments": j.n_unsatisfied_judgments.coalesce(0),
        "months_since_judgment": _months_since(j.x_last_judgment, as_of),
    }
    columns: dict[str, ir.Value] = {"subject_id": j.subject_id}
    for f in ORG_FEATURES:
        columns[f.name] = (computed[f.name] if f.name in computed else j[f.name]).cast("float64")
    columns["months_history"] = _months_since(first, as_of)
    columns["n_records_12m"] = (j.x_s_12m.coalesce(0) + j.x_t_12m.coalesce(0)).cast("float64")
    return j.select(**columns).order_by("subject_id")
