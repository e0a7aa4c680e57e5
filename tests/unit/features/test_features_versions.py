"""Versions through the real ingest: a furnisher's update counts from its ingestion time.

Features at a knowledge cutoff (``known_at``) use the version known then, so a replay of a past
score stays exact while a score computed now sees the update; a deletion stops a record counting
from its ingestion time; a version going backwards is quarantined and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from store_helpers import add_subjects
from trustscore.features import compute_features
from trustscore.records import RecordStore, ingest

AS_OF = dt.date(2024, 6, 30)
FIRST = dt.datetime(2024, 6, 1, 9, tzinfo=dt.UTC)  # the first delivery
UPDATE = dt.datetime(2024, 6, 10, 9, tzinfo=dt.UTC)  # the furnisher's update
BEFORE_UPDATE = UPDATE - dt.timedelta(seconds=1)  # a score given just before the update

PUBLIC = "record_id,subject_id,furnisher,kind,filed_date,amount,satisfied_date,action"
BILLS = "record_id,subject_id,furnisher,category,account,due_date,amount_due,paid_date,amount_paid,action"  # noqa: E501
REPORTS = (
    "record_id,subject_id,furnisher,account,kind,opened_date,closed_date,credit_limit,balance,"
    "reported_date,days_past_due,status,action"
)


@pytest.fixture
def store(tmp_path: Path) -> RecordStore:
    store = RecordStore(tmp_path / "store")
    add_subjects(store, "s1", "s2")
    return store


def deliver(store: RecordStore, kind: str, header: str, *rows: str, at: dt.datetime) -> Any:
    folder = store.root.parent / f"{kind}-{at:%Y%m%dT%H%M%S}-{abs(hash(rows)) % 10**8}"
    folder.mkdir(parents=True)
    path = folder / f"{kind}.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return ingest(path, store, ingested_at=at)


def features(store: RecordStore, as_of: dt.date = AS_OF, **kw: Any) -> dict[str, Any]:
    rows = compute_features(store, as_of, **kw).to_pylist()
    by_subject: dict[str, Any] = {r["subject_id"]: r for r in rows}
    return by_subject["s1"]


def test_a_settlement_sent_later_counts_from_its_ingestion_and_not_in_a_replay(
    store: RecordStore,
) -> None:
    deliver(store, "public_record", PUBLIC, "j1,s1,court,court_judgment,2024-03-01,900,,", at=FIRST)
    before = features(store)
    assert (before["n_unsatisfied_public_records"], before["unsatisfied_public_record_amount"]) == (
        1.0,
        900.0,
    )
    settled = deliver(
        store,
        "public_record",
        PUBLIC,
        "j1,s1,court,court_judgment,2024-03-01,900,2024-05-20,",
        at=UPDATE,
    )
    assert (settled.rows_versions, settled.rows_new, settled.rows_quarantined) == (1, 0, 0)
    # the next score sees the settlement...
    now = features(store)
    assert (now["n_unsatisfied_public_records"], now["unsatisfied_public_record_amount"]) == (
        0.0,
        0.0,
    )
    # ... a replay of a score given before it came does not, and equals that score's features
    replay = features(store, known_at=BEFORE_UPDATE)
    assert replay == before
    # and a score as of a day before the debt was settled still counts it, as it should
    late = UPDATE + dt.timedelta(seconds=1)
    assert features(store, dt.date(2024, 5, 19), known_at=late)["n_unsatisfied_public_records"] == 1
    # both versions are kept, oldest first
    versions = store.versions("public_record", "j1")
    assert [v["satisfied_date"] for v in versions] == [None, dt.date(2024, 5, 20)]
    assert [v["ingested_at"] for v in versions] == [FIRST, UPDATE]


def test_a_late_payment_sent_later_clears_the_unpaid_bill(store: RecordStore) -> None:
    deliver(store, "obligation", BILLS, "o1,s1,power,utility,a1,2024-05-01,80,,,", at=FIRST)
    before = features(store)
    assert before["unpaid_amount_ratio_12m"] == 1.0
    assert before["max_days_late_12m"] == 60.0  # unpaid: late until as_of
    deliver(
        store,
        "obligation",
        BILLS,
        "o1,s1,power,utility,a1,2024-05-01,80,2024-05-04,80,",
        at=UPDATE,
    )
    now = features(store)
    assert (now["unpaid_amount_ratio_12m"], now["max_days_late_12m"]) == (0.0, 3.0)
    assert features(store, known_at=BEFORE_UPDATE) == before


def test_an_account_closed_by_a_later_version_stops_being_open(store: RecordStore) -> None:
    deliver(
        store,
        "tradeline",
        REPORTS,
        "t1,s1,bank,c1,card,2020-01-01,,1000,400,2024-05-31,0,current,",
        at=FIRST,
    )
    assert features(store)["n_open_accounts"] == 1.0
    assert features(store)["card_utilisation"] == 0.4
    deliver(
        store,
        "tradeline",
        REPORTS,
        "t1,s1,bank,c1,card,2020-01-01,2024-06-05,1000,0,2024-06-05,0,closed,",
        at=UPDATE,
    )
    now = features(store)
    assert (now["n_open_accounts"], now["card_utilisation"]) == (0.0, None)
    replay = features(store, known_at=BEFORE_UPDATE)
    assert (replay["n_open_accounts"], replay["card_utilisation"]) == (1.0, 0.4)


def test_a_deletion_stops_a_record_counting_from_its_ingestion_time(store: RecordStore) -> None:
    bill = "o2,s1,power,utility,a1,2024-05-01,80,,"
    deliver(store, "obligation", BILLS, "o1,s1,power,utility,a1,2024-04-01,50,2024-04-01,50,",
            f"{bill},", at=FIRST)  # fmt: skip
    before = features(store)
    assert before["unpaid_amount_ratio_12m"] == 80 / 130
    deleted = deliver(store, "obligation", BILLS, f"{bill},delete", at=UPDATE)
    assert (deleted.rows_versions, deleted.rows_deleted) == (1, 1)
    assert features(store)["unpaid_amount_ratio_12m"] == 0.0
    assert features(store, known_at=BEFORE_UPDATE) == before
    # recorded as a version, never erased
    versions = store.versions("obligation", "o2")
    assert [v["action"] for v in versions] == [None, "delete"]
    # sending the record again reinstates it, from that ingestion time
    later = UPDATE + dt.timedelta(days=5)
    back = deliver(store, "obligation", BILLS, f"{bill},", at=later)
    assert back.rows_versions == 1
    assert features(store)["unpaid_amount_ratio_12m"] == 80 / 130
    assert features(store, known_at=later - dt.timedelta(seconds=1))["unpaid_amount_ratio_12m"] == 0


def test_a_deletion_of_a_record_never_stored_is_quarantined(store: RecordStore) -> None:
    result = deliver(store, "obligation", BILLS, "o9,s1,power,utility,a1,2024-05-01,80,,,delete",
                     at=FIRST)  # fmt: skip
    assert (result.rows_in, result.rows_stored, result.rows_quarantined) == (1, 0, 1)
    assert dict(result.reasons) == {"record_id is not stored: there is nothing to delete": 1}


def test_a_version_going_backwards_is_quarantined_and_changes_nothing(
    store: RecordStore,
) -> None:
    first = deliver(
        store,
        "tradeline",
        REPORTS,
        "t1,s1,bank,c1,card,2020-01-01,,1000,400,2024-05-31,0,current,",
        at=FIRST,
    )
    before = features(store)
    back = deliver(
        store,
        "tradeline",
        REPORTS,
        "t1,s1,bank,c1,card,2020-01-01,,1000,900,2024-04-30,60,delinquent,",
        at=UPDATE,
    )
    assert (back.rows_stored, back.rows_quarantined) == (0, 1)
    assert dict(back.reasons) == {"reported_date goes backwards against the stored version": 1}
    assert back.quarantine_path is not None
    [row] = pq.read_table(back.quarantine_path).to_pylist()
    assert (row["line"], row["field"], row["value"]) == (2, "reported_date", "2024-04-30")
    assert row["reason"] == (
        "reported_date goes backwards: 2024-04-30 is before 2024-05-31, the reported_date of the "
        f"stored version (batch {first.batch_id}); send versions in order"
    )
    assert features(store) == before
    assert len(store.versions("tradeline", "t1")) == 1


def test_a_version_may_not_move_a_record_to_another_subject_or_furnisher(
    store: RecordStore,
) -> None:
    deliver(store, "obligation", BILLS, "o1,s1,power,utility,a1,2024-05-01,80,,,", at=FIRST)
    moved = deliver(
        store,
        "obligation",
        BILLS,
        "o1,s2,power,utility,a1,2024-05-01,80,2024-05-02,80,",
        "o1,s1,water,utility,a1,2024-05-01,80,2024-05-02,80,",
        at=UPDATE,
    )
    # the second row repeats the key within the file; the first is refused for its subject
    assert dict(moved.reasons) == {
        "record_id is stored for another subject": 1,
        "record_id appears more than once in this file": 1,
    }
    other = deliver(
        store, "obligation", BILLS, "o1,s1,water,utility,a1,2024-05-01,80,2024-05-02,80,", at=UPDATE
    )
    assert dict(other.reasons) == {"record_id is stored from another furnisher": 1}
    assert store.record("obligation", "o1")["paid_date"] is None


def test_an_identical_resend_is_a_no_op(store: RecordStore) -> None:
    row = "o1,s1,power,utility,a1,2024-05-01,80,2024-05-02,80,"
    first = deliver(store, "obligation", BILLS, row, at=FIRST)
    again = deliver(
        store, "obligation", BILLS, row, "o2,s1,power,utility,a1,2024-06-01,80,,,", at=UPDATE
    )
    assert (first.rows_new, first.rows_unchanged) == (1, 0)
    assert (again.rows_in, again.rows_new, again.rows_versions, again.rows_unchanged) == (
        2,
        1,
        0,
        1,
    )
    assert (again.rows_quarantined, again.quarantine_path) == (0, None)
    assert len(store.versions("obligation", "o1")) == 1
    assert store.count("obligation") == 2


def test_duckdb_streams_the_same_table_into_parquet(tmp_path: Path) -> None:
    # the CLI's writer (DuckDB's COPY ... TO) against the in-process table, value for value
    from random_stores import write_random_store
    from trustscore.features import DEFAULT_CONSENT_CATEGORIES, write_features_duckdb

    store = write_random_store(tmp_path / "store", n_subjects=40, seed=5)
    as_of = dt.date(2024, 12, 31)
    expected = compute_features(store, as_of, consent_categories=DEFAULT_CONSENT_CATEGORIES)
    n = write_features_duckdb(
        store, as_of, tmp_path / "f.parquet", consent_categories=DEFAULT_CONSENT_CATEGORIES
    )
    written = pq.read_table(tmp_path / "f.parquet")
    assert n == expected.num_rows > 0
    assert written.schema == expected.schema
    assert written.to_pylist() == expected.to_pylist()  # same order: sorted by subject
