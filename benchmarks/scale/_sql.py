"""The feature table as hand-written DuckDB SQL, the yardstick of the feature stage.

Written from the definitions in ``trustscore.features._definitions`` (and the as-of rule of
docs/architecture.md), not generated from the Ibis expressions: what a DuckDB user would write
to get the same table from the same store. It must give exactly the values of
``trustscore features`` (the benchmark compares the two tables cell by cell):

- a record counts if ingested by the cutoff (the end of the as-of day), not suppressed by then,
  its latest version so ingested (by ``ingested_at``, then ``batch_id``) is not a deletion, and
  its business date is on or before the as-of date;
- bills of a category that needs consent count only with a grant in force for the bill's
  furnisher or category (the latest event per subject and scope decides);
- sums of amounts are exact (DECIMAL(38, 6)), ratios one IEEE double division, NULL on 0;
- windows are "business date after as-of minus N months" (negative items also after the
  horizon, seven years).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence
from pathlib import Path

__all__ = ["feature_sql", "left_out_sql"]


def _months_before(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    next_month = dt.date(year + month // 12, month % 12 + 1, 1)
    return dt.date(year, month, min(day.day, (next_month - dt.timedelta(days=1)).day))


def _files(paths: Sequence[Path]) -> str:
    quoted = ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths)
    return f"read_parquet([{quoted}])"


def _committed(root: Path, kind: str) -> list[Path]:
    """The parts of committed batches: ``<kind>/<batch>-<part>.parquet`` (a version-1 store) or
    ``<kind>/bucket=<b>/<batch>-<part>.parquet`` (hash buckets) whose batch has a manifest
    ``_batches/<batch>.json`` (docs/architecture.md)."""
    batches = {p.stem for p in (root / "_batches").glob("*.json") if not p.name.startswith(".")}
    parts = []
    found = [*(root / kind).glob("*.parquet"), *(root / kind).glob("bucket=*/*.parquet")]
    for p in sorted(found):
        m = re.match(r"^(?P<batch>.+)-\d+\.parquet$", p.name)
        if m is not None and m["batch"] in batches and not p.name.startswith((".", "_")):
            parts.append(p)
    return parts


def _extra(root: Path, folder: str) -> list[Path]:
    return sorted(p for p in (root / folder).glob("*.parquet") if not p.name.startswith((".", "_")))


def left_out_sql(
    store: str | Path,
    as_of: dt.date,
    *,
    consent_categories: Collection[str] = ("platform", "rent", "telecom", "utility"),
) -> str:
    """How many visible bills lack the consent they need (what ``trustscore features`` says)."""
    full = feature_sql(store, as_of, consent_categories=consent_categories)
    ctes = full[: full.index("\nSELECT s.subject_id")]
    return ctes + "\nSELECT (SELECT count(*) FROM o_visible) - (SELECT count(*) FROM bills) AS n"


def feature_sql(
    store: str | Path,
    as_of: dt.date,
    *,
    consent_categories: Collection[str] = ("platform", "rent", "telecom", "utility"),
    horizon_years: int = 7,
) -> str:
    """One DuckDB query giving the feature table of ``store`` as of ``as_of``, by subject."""
    root = Path(store)
    a = f"DATE '{as_of.isoformat()}'"
    cutoff = f"TIMESTAMPTZ '{as_of.isoformat()} 23:59:59.999999+00'"
    horizon = _months_before(as_of, 12 * horizon_years)

    def window(months: int) -> str:
        return f"DATE '{max(_months_before(as_of, months), horizon).isoformat()}'"

    start_12m = f"DATE '{_months_before(as_of, 12).isoformat()}'"
    start_6m = f"DATE '{_months_before(as_of, 6).isoformat()}'"
    h = f"DATE '{horizon.isoformat()}'"

    def months_since(col: str) -> str:
        return (
            f"CAST(({as_of.year} - year({col})) * 12 + ({as_of.month} - month({col})) "
            f"- CASE WHEN day({col}) > {as_of.day} THEN 1 ELSE 0 END AS DOUBLE)"
        )

    suppressions = _extra(root, "_suppressions")
    gone = (
        f"SELECT record_id, kind FROM {_files(suppressions)} WHERE suppressed_at <= {cutoff}"
        if suppressions
        else "SELECT NULL::VARCHAR AS record_id, NULL::VARCHAR AS kind WHERE false"
    )

    def visible(kind: str, key: str, business: str, *, deletable: bool = True) -> str:
        parts = _committed(root, kind)
        if not parts:
            msg = f"The store {root} holds no {kind} records; the hand-written SQL needs them."
            raise ValueError(msg)
        alive = "AND (action IS NULL OR action <> 'delete')" if deletable else ""
        return (
            f"SELECT * FROM (SELECT * FROM {_files(parts)} AS r "
            f"WHERE ingested_at <= {cutoff} AND NOT EXISTS (SELECT 1 FROM gone AS g "
            f"WHERE g.kind = '{kind}' AND g.record_id = r.{key}) "
            f"QUALIFY row_number() OVER (PARTITION BY {key} "
            f"ORDER BY ingested_at DESC, batch_id DESC) = 1) "
            f"WHERE {business} <= {a} {alive}"
        )

    consents = _extra(root, "_consents")
    cats = sorted(set(consent_categories))
    if not cats:
        counted_bills = "SELECT * FROM o_visible"
    else:
        in_cats = ", ".join(f"'{c}'" for c in cats)
        granted = (
            f"SELECT subject_id, scope_kind, scope FROM {_files(consents)} "
            f"WHERE recorded_at <= {cutoff} AND effective_at <= {cutoff} "
            "QUALIFY row_number() OVER (PARTITION BY subject_id, scope_kind, scope "
            "ORDER BY effective_at DESC, recorded_at DESC, consent_id DESC) = 1 "
            "AND action = 'grant'"
            if consents
            else "SELECT NULL::VARCHAR AS subject_id, NULL::VARCHAR AS scope_kind, "
            "NULL::VARCHAR AS scope WHERE false"
        )
        counted_bills = (
            f"SELECT o.* FROM o_visible AS o WHERE o.category NOT IN ({in_cats}) "
            f"OR EXISTS (SELECT 1 FROM ({granted}) AS g WHERE g.subject_id = o.subject_id "
            "AND ((g.scope_kind = 'furnisher' AND g.scope = o.furnisher) "
            "OR (g.scope_kind = 'category' AND g.scope = o.category)))"
        )

    def ratio(num: str, den: str) -> str:
        return f"CAST({num} AS DOUBLE) / NULLIF(CAST({den} AS DOUBLE), 0.0)"

    def exact(x: str, where: str) -> str:
        return f"CAST(sum(CAST({x} AS DECIMAL(38, 6))) FILTER (WHERE {where}) AS DOUBLE)"

    return f"""
WITH gone AS ({gone}),
subjects AS ({visible("subject", "subject_id", "created_date", deletable=False)}),
o_visible AS ({visible("obligation", "record_id", "due_date")}),
bills AS ({counted_bills}),
o AS (
  SELECT subject_id, due_date, amount_due,
    greatest(date_diff('day', due_date,
      CASE WHEN paid_date <= {a} THEN paid_date ELSE {a} END), 0) AS late,
    greatest(amount_due - CASE WHEN paid_date <= {a} THEN coalesce(amount_paid, amount_due)
      ELSE 0.0 END, 0.0) AS owed
  FROM bills),
o_f AS (
  SELECT subject_id,
    {
        ratio(
            f"count(*) FILTER (WHERE due_date > {window(12)} AND late = 0)",
            f"count(*) FILTER (WHERE due_date > {window(12)})",
        )
    } AS on_time_share_12m,
    {
        ratio(
            f"count(*) FILTER (WHERE due_date > {window(36)} AND late = 0)",
            f"count(*) FILTER (WHERE due_date > {window(36)})",
        )
    } AS on_time_share_36m,
    count(*) FILTER (WHERE due_date > {window(24)} AND late >= 30) AS n_late_30_24m,
    count(*) FILTER (WHERE due_date > {window(24)} AND late >= 90) AS n_late_90_24m,
    max(late) FILTER (WHERE due_date > {window(12)}) AS max_days_late_12m,
    max(due_date) FILTER (WHERE due_date > {h} AND late >= 30) AS last_late_30,
    {exact("owed", f"due_date > {window(12)}")}
      / NULLIF({exact("amount_due", f"due_date > {window(12)}")}, 0.0) AS unpaid_amount_ratio_12m,
    min(due_date) AS o_first,
    count(*) FILTER (WHERE due_date > {start_12m}) AS o_12m
  FROM o GROUP BY subject_id),
t AS ({visible("tradeline", "record_id", "reported_date")}),
t_f AS (
  SELECT subject_id,
    max(days_past_due) FILTER (WHERE reported_date > {window(12)}) AS worst_dpd_12m,
    count(DISTINCT year(reported_date) * 12 + month(reported_date))
      FILTER (WHERE reported_date > {window(24)} AND days_past_due >= 30) AS n_months_30dpd_24m,
    min(opened_date) AS oldest_opened,
    CASE WHEN bool_or(reported_date > {window(36)}
      AND status IN ('default', 'charged_off')) THEN 1 ELSE 0 END AS any_default_36m,
    max(reported_date) FILTER (WHERE reported_date > {h}
      AND (days_past_due >= 30 OR status IN ('default', 'charged_off'))) AS last_delinquent,
    min(reported_date) AS t_first,
    count(*) FILTER (WHERE reported_date > {start_12m}) AS t_12m
  FROM t GROUP BY subject_id),
accounts AS (
  SELECT subject_id, kind, balance, credit_limit,
    (closed_date IS NULL OR closed_date > {a}) AND status <> 'closed' AS is_open
  FROM t
  QUALIFY row_number() OVER (PARTITION BY subject_id, furnisher, account
    ORDER BY reported_date DESC, ingested_at DESC, record_id DESC) = 1),
a_f AS (
  SELECT subject_id,
    {exact("balance", "is_open AND kind = 'card'")}
      / NULLIF({exact("credit_limit", "is_open AND kind = 'card'")}, 0.0) AS card_utilisation,
    count(*) FILTER (WHERE is_open) AS n_open_accounts
  FROM accounts GROUP BY subject_id),
p_f AS (
  SELECT subject_id, count(*) AS n_public, {exact("amount", "true")} AS public_amount,
    max(filed_date) AS last_filed
  FROM ({visible("public_record", "record_id", "filed_date")})
  WHERE filed_date > {h} AND (satisfied_date IS NULL OR satisfied_date > {a})
  GROUP BY subject_id),
i_f AS (
  SELECT subject_id, count(*) FILTER (WHERE inquiry_date > {start_6m}) AS n_inquiries_6m
  FROM ({visible("inquiry", "record_id", "inquiry_date")}) GROUP BY subject_id)
SELECT s.subject_id,
  on_time_share_12m, on_time_share_36m,
  CAST(n_late_30_24m AS DOUBLE) AS n_late_30_24m,
  CAST(n_late_90_24m AS DOUBLE) AS n_late_90_24m,
  CAST(max_days_late_12m AS DOUBLE) AS max_days_late_12m,
  {months_since("last_late_30")} AS months_since_late_30,
  unpaid_amount_ratio_12m,
  CAST(worst_dpd_12m AS DOUBLE) AS worst_dpd_12m,
  CAST(n_months_30dpd_24m AS DOUBLE) AS n_months_30dpd_24m,
  card_utilisation,
  {months_since("oldest_opened")} AS months_since_oldest_opened,
  CAST(n_open_accounts AS DOUBLE) AS n_open_accounts,
  CAST(any_default_36m AS DOUBLE) AS any_default_36m,
  {months_since("last_delinquent")} AS months_since_delinquency,
  CAST(coalesce(n_inquiries_6m, 0) AS DOUBLE) AS n_inquiries_6m,
  CAST(coalesce(n_public, 0) AS DOUBLE) AS n_unsatisfied_public_records,
  coalesce(public_amount, 0.0) AS unsatisfied_public_record_amount,
  {months_since("last_filed")} AS months_since_public_record,
  {months_since("least(o_first, t_first)")} AS months_history,
  CAST(coalesce(o_12m, 0) + coalesce(t_12m, 0) AS DOUBLE) AS n_records_12m
FROM subjects AS s
LEFT JOIN o_f USING (subject_id)
LEFT JOIN t_f USING (subject_id)
LEFT JOIN a_f USING (subject_id)
LEFT JOIN p_f USING (subject_id)
LEFT JOIN i_f USING (subject_id)
WHERE s.kind = 'person'
ORDER BY s.subject_id
"""
