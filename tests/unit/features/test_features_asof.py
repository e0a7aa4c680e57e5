"""The as-of rule, one rule per test, on tiny stores."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace
from typing import Any

import ibis
import pyarrow as pa
import pytest

from trustscore import engines
from trustscore.exceptions import NotFoundError, SchemaError
from trustscore.features import compute_features, feature_table
from trustscore.records._schemas import arrow_schema

D = dt.date
EARLY = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def _one(store: Any, as_of: dt.date, **kwargs: Any) -> dict[str, Any]:
    rows = compute_features(store.root, as_of, **kwargs).to_pylist()
    assert [r["subject_id"] for r in rows] == ["s1"]
    return rows[0]


@pytest.fixture
def s1(store: Any, kit: SimpleNamespace) -> Any:
    store.batch("subject", [kit.subject("s1", D(2010, 1, 1))], EARLY)
    return store


def test_ingested_after_the_as_of_day_does_not_count(s1: Any, kit: SimpleNamespace) -> None:
    # same business date, one microsecond apart in ingestion
    s1.batch("obligation", [kit.bill("a", "s1", D(2024, 3, 1), 10.0)],
             kit.at(2024, 6, 30, 23, 59, 59, 999999))  # fmt: skip
    s1.batch("obligation", [kit.bill("b", "s1", D(2024, 3, 1), 30.0)], kit.at(2024, 7, 1))
    on_day = _one(s1, D(2024, 6, 30))
    assert on_day["n_records_12m"] == 1.0
    assert on_day["unpaid_amount_ratio_12m"] == 1.0
    assert on_day["n_late_90_24m"] == 1.0  # 121 days
    next_day = _one(s1, D(2024, 7, 1))
    assert next_day["n_records_12m"] == 2.0


def test_business_date_after_as_of_does_not_count(s1: Any, kit: SimpleNamespace) -> None:
    s1.batch("obligation", [kit.bill("a", "s1", D(2024, 7, 1), 10.0)], EARLY)
    s1.batch("inquiry", [kit.inquiry("q", "s1", D(2024, 7, 1))], EARLY)
    before = _one(s1, D(2024, 6, 30))
    assert before["n_records_12m"] == 0.0
    assert before["on_time_share_12m"] is None
    assert before["n_inquiries_6m"] == 0.0
    assert before["months_history"] is None
    on = _one(s1, D(2024, 7, 1))
    assert (on["n_records_12m"], on["on_time_share_12m"], on["n_inquiries_6m"]) == (1.0, 1.0, 1.0)
    assert on["months_history"] == 0.0


def test_suppressed_only_from_suppressed_at_on(s1: Any, kit: SimpleNamespace) -> None:
    s1.batch("public_record", [kit.public("p", "s1", "tax_arrears", D(2023, 1, 5), 75.0)], EARLY)
    s1.suppress([("p", "public_record", kit.at(2024, 6, 1, 10))])
    before = _one(s1, D(2024, 5, 31))
    assert before["n_unsatisfied_public_records"] == 1.0
    assert before["unsatisfied_public_record_amount"] == 75.0
    assert before["months_since_public_record"] == 16.0
    after = _one(s1, D(2024, 6, 1))  # 10:00 is within the as-of day
    assert after["n_unsatisfied_public_records"] == 0.0
    assert after["months_since_public_record"] is None


def test_suppressed_subject_is_left_out(s1: Any, kit: SimpleNamespace) -> None:
    s1.suppress([("s1", "subject", kit.at(2024, 6, 1))])
    assert compute_features(s1.root, D(2024, 5, 31)).num_rows == 1
    assert compute_features(s1.root, D(2024, 6, 1)).num_rows == 0


def test_negative_items_age_out_after_the_horizon(s1: Any, kit: SimpleNamespace) -> None:
    day = D(2017, 6, 1)
    s1.batch("obligation", [kit.bill("a", "s1", day, 10.0, D(2017, 7, 31))], EARLY)
    s1.batch("tradeline",
             [kit.report("t", "s1", "l", "instalment", D(2015, 1, 1), 100.0, day, 50.0, 60,
                         "delinquent")], EARLY)  # fmt: skip
    s1.batch("public_record", [kit.public("p", "s1", "court_judgment", day, 5.0)], EARLY)
    last_day = _one(s1, D(2024, 5, 31))
    assert last_day["months_since_late_30"] == 83.0
    assert last_day["months_since_delinquency"] == 83.0
    assert last_day["months_since_public_record"] == 83.0
    assert last_day["n_unsatisfied_public_records"] == 1.0
    aged = _one(s1, D(2024, 6, 1))
    assert aged["months_since_late_30"] is None
    assert aged["months_since_delinquency"] is None
    assert aged["months_since_public_record"] is None
    assert aged["n_unsatisfied_public_records"] == 0.0
    # positive history does not age out
    assert aged["months_history"] == 84.0
    assert aged["months_since_oldest_opened"] == 113.0
    longer = _one(s1, D(2024, 6, 1), horizon_years=10)
    assert longer["months_since_late_30"] == 84.0
    assert longer["n_unsatisfied_public_records"] == 1.0


def test_satisfied_public_records_are_excluded(s1: Any, kit: SimpleNamespace) -> None:
    s1.batch("public_record",
             [kit.public("p", "s1", "court_judgment", D(2022, 1, 1), 5.0, D(2024, 6, 30))],
             EARLY)  # fmt: skip
    assert _one(s1, D(2024, 6, 29))["n_unsatisfied_public_records"] == 1.0
    assert _one(s1, D(2024, 6, 30))["n_unsatisfied_public_records"] == 0.0


def test_paid_after_as_of_is_unpaid_then(s1: Any, kit: SimpleNamespace) -> None:
    s1.batch("obligation", [kit.bill("a", "s1", D(2024, 1, 31), 40.0, D(2024, 4, 1), 40.0)],
             EARLY)  # fmt: skip
    feb = _one(s1, D(2024, 2, 29))
    assert (feb["max_days_late_12m"], feb["unpaid_amount_ratio_12m"]) == (29.0, 1.0)
    mar = _one(s1, D(2024, 3, 30))
    assert (mar["max_days_late_12m"], mar["months_since_late_30"]) == (59.0, 1.0)
    assert _one(s1, D(2024, 3, 31))["months_since_late_30"] == 2.0  # whole months
    may = _one(s1, D(2024, 5, 1))
    assert (may["max_days_late_12m"], may["unpaid_amount_ratio_12m"]) == (61.0, 0.0)


def test_partly_paid_bill_leaves_the_rest_unpaid(s1: Any, kit: SimpleNamespace) -> None:
    s1.batch("obligation", [kit.bill("a", "s1", D(2024, 1, 31), 40.0, D(2024, 1, 30), 10.0)],
             EARLY)  # fmt: skip
    row = _one(s1, D(2024, 3, 1))
    assert (row["unpaid_amount_ratio_12m"], row["on_time_share_12m"]) == (0.75, 1.0)


def test_a_batch_counts_once_its_manifest_is_written(s1: Any, kit: SimpleNamespace) -> None:
    bid = s1.batch("obligation", [kit.bill("a", "s1", D(2024, 1, 31), 4.0)], EARLY, commit=False)
    assert _one(s1, D(2024, 3, 1))["n_records_12m"] == 0.0
    (s1.root / "_batches" / f"{bid}.json").write_text(json.dumps({"batch_id": bid}))
    assert _one(s1, D(2024, 3, 1))["n_records_12m"] == 1.0


def test_several_parts_of_committed_and_uncommitted_batches(s1: Any, kit: SimpleNamespace) -> None:
    for i in range(3):
        s1.batch("obligation", [kit.bill(f"a{i}", "s1", D(2024, 1, 1 + i), 4.0)], EARLY)
    s1.batch("obligation", [kit.bill("z", "s1", D(2024, 1, 9), 4.0)], EARLY, commit=False)
    assert _one(s1, D(2024, 3, 1))["n_records_12m"] == 3.0


def test_missing_store_is_an_error(tmp_path: Any) -> None:
    with pytest.raises(NotFoundError, match="does not exist"):
        compute_features(tmp_path / "nope", D(2024, 1, 1))


def test_bad_arguments_are_errors(s1: Any) -> None:
    with pytest.raises(ValueError, match="horizon_years"):
        compute_features(s1.root, D(2024, 1, 1), horizon_years=0)
    with pytest.raises(ValueError, match=r"as_of must be a datetime\.date"):
        compute_features(s1.root, dt.datetime(2024, 1, 1))  # type: ignore[arg-type]


def test_feature_table_with_only_subjects_and_a_bad_table() -> None:
    at = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    subjects = pa.Table.from_pylist(
        [{"subject_id": "x", "kind": "person", "created_date": D(2023, 1, 1), "batch_id": "b",
          "ingested_at": at}],
        schema=arrow_schema("subject", stored=True),
    )  # fmt: skip
    con = engines.connect("duckdb")
    out = con.to_pyarrow(feature_table({"subject": ibis.memtable(subjects)}, D(2024, 1, 1)))
    assert out.num_rows == 1
    assert out["n_inquiries_6m"].to_pylist() == [0.0]
    assert out["months_history"].to_pylist() == [None]
    bad = ibis.memtable(pa.table({"subject_id": ["x"]}))
    with pytest.raises(SchemaError, match="lacks the column"):
        feature_table({"subject": ibis.memtable(subjects), "inquiry": bad}, D(2024, 1, 1))
