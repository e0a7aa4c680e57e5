"""Counts per furnisher, and batches held for review: released or rejected, counted throughout."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

import trustscore.ledger as lg
from store_helpers import add_subjects
from trustscore.exceptions import LedgerError, SchemaError
from trustscore.pipeline import furnisher_report
from trustscore.records import (
    RecordStore,
    furnisher_counts,
    get_hold,
    holds,
    ingest,
    reject_hold,
    release_hold,
)

HEADER = (
    "record_id,subject_id,furnisher,category,account,due_date,amount_due,paid_date,amount_paid,"
    "action\n"
)
T1 = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def _file(folder: Path, name: str, rows: list[str]) -> Path:
    path = folder / name
    path.write_text(HEADER + "".join(f"{r}\n" for r in rows), encoding="utf-8")
    return path


def _three_batches(tmp_path: Path) -> RecordStore:
    """New records, versions, a deletion, an unchanged re-send and a quarantine of each reason."""
    store = RecordStore(tmp_path / "store")
    add_subjects(store, "s1", "s2")
    batches = [
        ["o1,s1,power,utility,A,2024-01-10,80,,,", "o2,s1,power,utility,A,2024-02-10,80,,,",
         "o3,s2,phone,telecom,B,2024-02-01,20,,,", "o4,s1,phone,telecom,B,2024-02-01,abc,,,",
         "o5,S9,phone,telecom,B,2024-02-01,20,,,"],
        ["o1,s1,power,utility,A,2024-01-10,80,,,",  # unchanged
         "o2,s1,power,utility,A,2024-02-10,80,2024-02-09,80,",  # a version: paid
         "o3,s2,phone,telecom,B,2024-02-01,20,,,delete",  # a deletion
         "o3,s2,phone,telecom,B,2024-02-01,21,,,"],  # the same key again
        ["o1,s1,phone,utility,A,2024-01-10,80,,,",  # another furnisher's record
         "o9,s1,phone,telecom,B,2024-02-01,20,,,delete",  # nothing to delete
         "x,y,z,1,2,3,4,5,6,7,8,9"],  # malformed: no furnisher can be read
    ]  # fmt: skip
    for i, rows in enumerate(batches):
        ingest(_file(tmp_path, f"b{i}.csv", rows), store, kind="obligation",
               ingested_at=T1 + i * DAY)  # fmt: skip
    return store


def test_counts_per_furnisher_cover_every_fate_of_a_row(tmp_path: Path) -> None:
    counts = furnisher_counts(_three_batches(tmp_path))
    assert sorted(counts) == ["(none)", "phone", "power"]
    power, phone, none = counts["power"], counts["phone"], counts["(none)"]
    assert (power.received, power.new, power.versions, power.deleted, power.unchanged) == (
        4, 2, 1, 0, 1,
    )  # fmt: skip
    assert (power.quarantined, power.held, power.batches) == (0, 0, 2)
    assert (phone.received, phone.new, phone.versions, phone.deleted, phone.unchanged) == (
        7, 1, 1, 1, 0,
    )  # fmt: skip
    assert phone.quarantine_reasons == {
        "amount_due is not a finite number": 1,
        "record_id appears more than once in this file": 1,
        "record_id is not stored: there is nothing to delete": 1,
        "record_id is stored from another furnisher": 1,
        "subject_id is not a known subject": 1,
    }
    assert phone.quarantine_rate == pytest.approx(5 / 7)
    assert (none.received, none.quarantined) == (1, 1)
    assert all(c.reconciles() for c in counts.values())
    manifests = [m for m in RecordStore(tmp_path / "store").batches() if m.kind == "obligation"]
    assert sum(c.received for c in counts.values()) == sum(m.rows_in for m in manifests)


def test_the_report_adds_disputes_by_outcome_and_totals(tmp_path: Path) -> None:
    store = _three_batches(tmp_path)
    ledger = lg.Ledger("sqlite://")
    ledger.create_all()
    d = lg.open_dispute(ledger, "s1", "obligation", "o2", "paid on time")
    lg.resolve_dispute(ledger, d.dispute_id, "verified", "op-1")
    d = lg.open_dispute(ledger, "s2", "obligation", "o3", "not mine")
    lg.resolve_dispute(ledger, d.dispute_id, "unverifiable", "op-1")
    lg.open_dispute(ledger, "s1", "obligation", "o1", "wrong amount")
    report = furnisher_report(store, ledger)
    by_name = {r["furnisher"]: r for r in report["furnishers"]}
    assert by_name["power"]["disputes"] == {"opened": 2, "open": 1, "verified": 1}
    assert by_name["phone"]["disputes"] == {"opened": 1, "unverifiable": 1}
    total = report["total"]
    assert total["received"] == 12
    assert total["received"] == (
        total["new"] + total["versions"] + total["unchanged"] + total["quarantined"]
        + total["held"]
    )  # fmt: skip
    assert total["disputes"]["opened"] == 3


# --- holds ------------------------------------------------------------------------------


def _held_batch(tmp_path: Path, hold_above: float | None) -> tuple[RecordStore, Any]:
    """A store with o1 (power) and o7 (phone); then a batch where power has 1 of 3 rows bad
    (33%): a version of o1, a new o2 and a bad row; phone sends two good rows."""
    store = RecordStore(tmp_path / "store")
    add_subjects(store, "s1", "s2")
    ingest(_file(tmp_path, "first.csv", ["o1,s1,power,utility,A,2024-01-10,80,,,",
                                         "o7,s2,phone,telecom,B,2024-01-01,20,,,"]),
           store, kind="obligation", ingested_at=T1)  # fmt: skip
    batch = _file(tmp_path, "obligation.csv", [
        "o1,s1,power,utility,A,2024-01-10,80,2024-01-09,80,",
        "o2,s1,power,utility,A,2024-02-10,80,,,",
        "o3,s1,power,utility,A,2024-02-10,-5,,,",
        "o8,s2,phone,telecom,B,2024-02-01,20,,,",
        "o7,s2,phone,telecom,B,2024-01-01,20,2024-01-02,20,",
    ])  # fmt: skip
    return store, ingest(batch, store, ingested_at=T1 + DAY, hold_above=hold_above)


def _records(store: RecordStore, furnisher: str) -> list[dict[str, Any]]:
    rows = store.read("obligation").to_pylist()
    kept = [{k: v for k, v in r.items() if k not in ("batch_id", "ingested_at")} for r in rows]
    return sorted((r for r in kept if r["furnisher"] == furnisher), key=str)


def test_a_rate_above_the_threshold_holds_the_furnishers_rows(tmp_path: Path) -> None:
    store, result = _held_batch(tmp_path, 0.3)
    assert (result.rows_in, result.rows_stored, result.rows_quarantined, result.rows_held) == (
        5, 2, 1, 2,
    )  # fmt: skip
    assert (result.rows_new, result.rows_versions) == (1, 1)  # phone's only
    assert result.furnishers["power"]["held"] == 2
    [hold] = holds(store)
    assert (hold.furnisher, hold.rows, hold.status, hold.rate) == ("power", 2, "held", 1 / 3)
    assert "1 of 3 rows" in hold.reason
    assert "above the hold threshold 30.0%" in hold.reason
    assert [r["record_id"] for r in _records(store, "power")] == ["o1"]  # nothing of the batch
    assert len(_records(store, "phone")) == 3
    counts = furnisher_counts(store)
    assert (counts["power"].held, counts["power"].received) == (2, 4)
    assert all(c.reconciles() for c in counts.values())
    # re-ingesting the file stores nothing and holds nothing twice
    again = ingest(tmp_path / "obligation.csv", store, hold_above=0.3)
    assert again.already_ingested
    assert again.rows_held == 2
    assert len(holds(store)) == 1
    assert store.count("obligation") == 4


def test_a_rate_at_the_threshold_or_no_threshold_holds_nothing(tmp_path: Path) -> None:
    store, result = _held_batch(tmp_path, 1 / 3)
    assert (result.rows_held, result.rows_stored, holds(store)) == (0, 4, [])
    with pytest.raises(SchemaError, match="hold_above"):
        ingest(tmp_path / "first.csv", store, kind="obligation", hold_above=1.0)


def test_release_stores_exactly_what_ingest_would_have(tmp_path: Path) -> None:
    store, _result = _held_batch(tmp_path / "a", 0.3)
    plain, expected = _held_batch(tmp_path / "b", None)
    released = release_hold(store, holds(store)[0].hold_id, "alice", at=T1 + 2 * DAY)
    assert _records(store, "power") == _records(plain, "power")
    power = expected.furnishers["power"]
    assert (released.rows_new, released.rows_versions, released.rows_quarantined) == (
        power["new"], power["versions"], 0,
    )  # fmt: skip
    [hold] = holds(store)
    assert (hold.status, hold.resolved_by, hold.release_batch_id) == (
        "released", "alice", released.batch_id,
    )  # fmt: skip
    # the rows count from their release: a replay from before it sees the store it saw
    stamps = {r["ingested_at"] for r in store.read("obligation").to_pylist()
              if r["batch_id"] == released.batch_id}  # fmt: skip
    assert stamps == {T1 + 2 * DAY}
    counts = furnisher_counts(store)
    assert counts["power"].to_json() | {"batches": 0} == furnisher_counts(plain)[
        "power"
    ].to_json() | {"batches": 0}
    with pytest.raises(LedgerError, match="already released"):
        release_hold(store, hold.hold_id, "bob")
    assert ingest(tmp_path / "a" / "obligation.csv", store, hold_above=0.3).already_ingested
    assert store.count("obligation") == plain.count("obligation")


def test_reject_quarantines_the_held_rows_with_the_operator(tmp_path: Path) -> None:
    store, _ = _held_batch(tmp_path, 0.3)
    hold = reject_hold(store, holds(store)[0].hold_id, "alice", at=T1 + 2 * DAY)
    assert (hold.status, hold.resolved_by) == ("rejected", "alice")
    rows = pq.read_table(store.quarantine_dir / f"{hold.hold_id}.parquet").to_pylist()
    assert [(r["line"], r["record_id"], r["reason"]) for r in rows] == [
        (2, "o1", "batch rejected by operator alice"),
        (3, "o2", "batch rejected by operator alice"),
    ]
    assert rows[0]["paid_date"] == "2024-01-09"
    power = furnisher_counts(store)["power"]
    assert (power.held, power.quarantined, power.received) == (0, 3, 4)
    assert power.quarantine_reasons["batch rejected by operator alice"] == 2
    assert power.reconciles()
    assert [r["record_id"] for r in _records(store, "power")] == ["o1"]
    with pytest.raises(LedgerError, match="already rejected by alice"):
        release_hold(store, hold.hold_id, "bob")
    assert get_hold(store, hold.hold_id).status == "rejected"


def test_a_failure_while_holding_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import trustscore.records._holding as holding

    real = pq.write_table

    def failing(table: Any, where: Any, **kw: Any) -> None:
        if ".hold-" in str(where):
            raise OSError("disk full")
        real(table, where, **kw)

    monkeypatch.setattr(holding.pq, "write_table", failing)
    with pytest.raises(OSError, match="disk full"):
        _held_batch(tmp_path, 0.3)
    store = RecordStore(tmp_path / "store")
    assert [m.file for m in store.batches() if m.kind == "obligation"] == [
        str(tmp_path / "first.csv")
    ]
    assert holds(store) == []
    leftovers = [p.name for p in (store.root / "_held").glob("*")] if (
        store.root / "_held").is_dir() else []  # fmt: skip
    assert leftovers == []
    folder = store.root / "obligation"
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == [
        n for m in store.batches() for n in m.parts if m.kind == "obligation"
    ]
