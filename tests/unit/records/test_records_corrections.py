"""Corrections from disputes: a new record beside the old, the old suppressed, never edited."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from trustscore.exceptions import NotFoundError, SchemaError
from trustscore.features import compute_features
from trustscore.records import (
    RecordStore,
    apply_correction,
    check_correction,
    ingest,
)

AT = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)  # when bills_store ingested its bills
LATER = AT + dt.timedelta(days=10)


@pytest.fixture
def store(bills_store: RecordStore) -> RecordStore:
    return bills_store


def _files(store: RecordStore) -> set[str]:
    return {str(p.relative_to(store.root)) for p in store.root.rglob("*") if p.is_file()}


def test_a_correction_is_a_new_record_and_the_original_is_suppressed(store: RecordStore) -> None:
    done = apply_correction(
        store, "obligation", "o1", {"paid_date": "2024-01-09", "amount_paid": 80.25},
        dispute_id="D-7", at=LATER,
    )  # fmt: skip
    assert done.applied
    assert done.corrected_record_id == "o1~cD-7"
    new = store.record("obligation", "o1~cD-7")
    old = store.record("obligation", "o1")
    # every field but the corrected ones and the key is the original's
    for name in ("subject_id", "furnisher", "category", "account", "due_date", "amount_due"):
        assert new[name] == old[name]
    assert (new["paid_date"], new["amount_paid"]) == (dt.date(2024, 1, 9), 80.25)
    assert (old["paid_date"], old["amount_paid"]) == (None, None)  # never edited in place
    # known only from the resolution on: a replay before it sees the original
    assert new["ingested_at"] == LATER
    assert new["batch_id"] == done.batch_id
    rows = store.suppressions().to_pylist()
    assert [(r["kind"], r["record_id"], r["suppressed_at"]) for r in rows] == [
        ("obligation", "o1", LATER)
    ]
    assert "dispute D-7" in rows[0]["reason"]
    assert "o1~cD-7" in rows[0]["reason"]
    # the evidence: the corrected record as a furnisher would have sent it
    assert (store.root / "_corrections" / "D-7-obligation.jsonl").is_file()
    assert store.count("obligation") == 4


def test_applying_again_stores_nothing_more(store: RecordStore) -> None:
    args = ("obligation", "o3", {"amount_paid": 9.99})
    first = apply_correction(store, *args, dispute_id="D-1", at=LATER)
    again = apply_correction(store, *args, dispute_id="D-1", at=LATER + dt.timedelta(hours=1))
    assert first.applied
    assert not again.applied
    assert again.batch_id == first.batch_id
    assert store.count("obligation") == 4
    assert store.suppressions().num_rows == 1


def test_a_crash_between_storing_and_suppressing_is_completed_by_a_retry(
    store: RecordStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: object, **kwargs: object) -> int:
        raise OSError("disk went away")

    monkeypatch.setattr(store, "suppress", crash)
    with pytest.raises(OSError, match="disk went away"):
        apply_correction(
            store, "obligation", "o2", {"amount_paid": 70.0}, dispute_id="D-2", at=LATER
        )
    assert store.count("obligation") == 4
    assert store.suppressions().num_rows == 0
    monkeypatch.undo()
    retry = apply_correction(
        store, "obligation", "o2", {"amount_paid": 70.0}, dispute_id="D-2", at=LATER
    )
    assert retry.applied
    assert store.count("obligation") == 4
    assert store.suppressions().column("record_id").to_pylist() == ["o2"]


@pytest.mark.parametrize(
    ("kind", "record_id", "correction", "error", "match"),
    [
        ("obligation", "o1", {"amount_due": -5}, SchemaError,
         r"not a valid record: amount_due is below the minimum 0 \(amount_due = '-5'\)"),
        ("obligation", "o1", {"due_date": "2024-13-01"}, SchemaError,
         r"due_date is not a valid date in YYYY-MM-DD form \(due_date = '2024-13-01'\)"),
        ("obligation", "o1", {"category": "gambling"}, SchemaError,
         r"category is not one of: utility, telecom, rent, platform"),
        ("obligation", "o1", {"due_date": "2024-04-01"}, SchemaError,
         r"due_date is after the ingestion date 2024-03-11"),
        ("obligation", "o1", {"colour": "red"}, SchemaError, r"unknown field\(s\) 'colour'"),
        ("obligation", "o1", {"subject_id": "s2"}, SchemaError, r"may not change subject_id"),
        ("obligation", "o1", {"record_id": "o9"}, SchemaError, r"may not change record_id"),
        ("obligation", "o1", {"amount_due": 80.25}, SchemaError, r"changes nothing"),
        ("obligation", "o9", {"amount_due": 1.0}, NotFoundError, r"No stored obligation record"),
        ("subject", "s1", {"kind": "person"}, SchemaError, r"cannot be corrected"),
        ("gossip", "o1", {"x": 1}, SchemaError, r"gossip"),
    ],
)  # fmt: skip
def test_a_bad_correction_is_refused_and_nothing_is_written(
    store: RecordStore,
    kind: str,
    record_id: str,
    correction: dict[str, object],
    error: type[Exception],
    match: str,
) -> None:
    before = _files(store)
    with pytest.raises(error, match=match):
        check_correction(store, kind, record_id, correction, dispute_id="D-3", at=LATER)
    with pytest.raises(error, match=match):
        apply_correction(store, kind, record_id, correction, dispute_id="D-3", at=LATER)
    assert _files(store) == before


def test_a_correction_may_clear_an_optional_field(store: RecordStore) -> None:
    values = check_correction(
        store, "obligation", "o2", {"paid_date": None, "amount_paid": None},
        dispute_id="D-4", at=LATER,
    )  # fmt: skip
    assert values["paid_date"] is None
    assert values["amount_paid"] is None
    assert values["record_id"] == "o2~cD-4"
    done = apply_correction(
        store, "obligation", "o2", {"paid_date": None, "amount_paid": None},
        dispute_id="D-4", at=LATER,
    )  # fmt: skip
    [part] = store.part_paths(store.batch(done.batch_id))
    [row] = pq.read_table(part).to_pylist()
    assert (row["record_id"], row["paid_date"], row["amount_due"]) == ("o2~cD-4", None, 80.25)


def _live(store: RecordStore) -> set[str]:
    held = set(store.suppressions().column("record_id").to_pylist())
    return set(store.read("obligation").column("record_id").to_pylist()) - held


def test_a_record_corrected_again_keeps_only_the_latest_correction(store: RecordStore) -> None:
    """Issue 15: every correction of a twice-corrected bill stayed live and counted."""
    apply_correction(store, "obligation", "o1", {"amount_paid": 10}, dispute_id="D-1", at=LATER)
    apply_correction(
        store, "obligation", "o1", {"amount_paid": 20}, dispute_id="D-2",
        at=LATER + dt.timedelta(hours=1),
    )  # fmt: skip
    assert _live(store) == {"o2", "o3", "o1~cD-2"}
    # a correction of the live correction supersedes it, and its siblings stay superseded
    apply_correction(
        store, "obligation", "o1~cD-2", {"amount_paid": 30}, dispute_id="D-3",
        at=LATER + dt.timedelta(hours=2),
    )  # fmt: skip
    assert _live(store) == {"o2", "o3", "o1~cD-2~cD-3"}
    # applying the first again changes nothing: it stays superseded
    again = apply_correction(
        store, "obligation", "o1", {"amount_paid": 10}, dispute_id="D-1",
        at=LATER + dt.timedelta(hours=3),
    )  # fmt: skip
    assert not again.applied
    assert _live(store) == {"o2", "o3", "o1~cD-2~cD-3"}


def test_concurrent_corrections_of_one_record_leave_one_live(store: RecordStore) -> None:
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def correct(i: int) -> None:
        start.wait()
        try:
            apply_correction(
                store, "obligation", "o1", {"amount_paid": i + 1}, dispute_id=f"D-{i}",
                at=LATER + dt.timedelta(minutes=i),
            )  # fmt: skip
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=correct, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _live(store) == {"o2", "o3", "o1~cD-3"}


def test_corrections_compose_with_furnisher_versions(store: RecordStore, tmp_path: Path) -> None:
    """A correction starts from the record's latest version; a later furnisher version of the
    corrected record does not undo the dispute (the original stays suppressed, by its key)."""
    header = (
        "record_id,subject_id,furnisher,category,account,due_date,amount_due,paid_date,amount_paid"
    )
    update = tmp_path / "update" / "obligation.csv"
    update.parent.mkdir()
    update.write_text(f"{header}\no1,s1,power,utility,A1,2024-01-10,80.25,2024-02-01,40\n")
    assert ingest(update, store, ingested_at=AT + dt.timedelta(days=1)).rows_versions == 1
    done = apply_correction(
        store, "obligation", "o1", {"amount_paid": 80.25}, dispute_id="D-9", at=LATER
    )
    corrected = store.record("obligation", done.corrected_record_id)
    # the furnisher's latest version, with the dispute's correction on top
    assert (corrected["paid_date"], corrected["amount_paid"]) == (dt.date(2024, 2, 1), 80.25)
    again = tmp_path / "again" / "obligation.csv"
    again.parent.mkdir()
    again.write_text(f"{header}\no1,s1,power,utility,A1,2024-01-10,80.25,2024-02-01,41\n")
    assert ingest(again, store, ingested_at=LATER + dt.timedelta(days=1)).rows_versions == 1
    [row] = compute_features(store, dt.date(2024, 3, 31), known_at=LATER + dt.timedelta(days=2),
                             subjects=["s1"]).to_pylist()  # fmt: skip
    # o1 counts once, as corrected (fully paid): only o2 and o1~cD-9 are in the window
    assert row["unpaid_amount_ratio_12m"] == 0.0
    assert row["n_records_12m"] == 2.0
