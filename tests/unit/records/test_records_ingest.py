"""Ingest: validation, quarantine, refusals, atomicity and idempotence."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from store_helpers import add_subjects
from trustscore.exceptions import IngestError, ProhibitedInputError, SchemaError
from trustscore.records import RecordStore, arrow_schema, ingest

AT = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)
OBLIGATION_HEADER = (
    "record_id,subject_id,furnisher,category,account,due_date,amount_due,paid_date,amount_paid"
)
GOOD = "o1,s1,power,utility,a1,2024-01-05,10.5,2024-01-04,10.5"


def write(path: Path, *lines: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def files_under(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def quarantined(path: Path | None) -> list[dict[str, object]]:
    assert path is not None
    return pq.read_table(path).to_pylist()


@pytest.fixture
def store(tmp_path: Path) -> RecordStore:
    """A store that knows the subjects s1 and s2 (records of other subjects are quarantined)."""
    store = RecordStore(tmp_path / "ws" / "store")
    add_subjects(store, "s1", "s2")
    _BASELINE[store.root] = files_under(tmp_path / "ws")
    return store


_BASELINE: dict[Path, dict[str, bytes]] = {}


def nothing_written(store: RecordStore) -> bool:
    """Whether the workspace holds only what the fixture put there (the known subjects)."""
    return files_under(store.root.parent) == _BASELINE[store.root]


@pytest.mark.parametrize(
    ("row", "field", "value", "reason"),
    [
        (
            "o2,s1,power,utility,a1,2024-01-05,abc,,",
            "amount_due",
            "abc",
            "amount_due is not a finite number",
        ),
        (
            "o2,s1,power,utility,a1,2024-02-30,1,,",
            "due_date",
            "2024-02-30",
            "due_date is not a valid date in YYYY-MM-DD form",
        ),
        (
            "o2,s1,power,utility,a1,05/01/2024,1,,",
            "due_date",
            "05/01/2024",
            "due_date is not a valid date in YYYY-MM-DD form",
        ),
        (
            "o2,s1,power,gas,a1,2024-01-05,1,,",
            "category",
            "gas",
            "category is not one of: utility, telecom, rent, platform",
        ),
        (
            "o2,s1,power,utility,a1,2024-01-05,-3,,",
            "amount_due",
            "-3",
            "amount_due is below the minimum 0",
        ),
        ("o2,s1,power,utility,,2024-01-05,1,,", "account", "", "account is required but empty"),
        (
            "o2,s1,power,utility,a1,2024-01-05,1,,nan",
            "amount_paid",
            "nan",
            "amount_paid is not a finite number",
        ),
        (
            "o2,s1,power,utility,a1,2024-03-02,1,,",
            "due_date",
            "2024-03-02",
            "due_date is after the ingestion date 2024-03-01",
        ),
    ],
)
def test_bad_value_is_quarantined_with_line_field_and_reason(
    tmp_path: Path, store: RecordStore, row: str, field: str, value: str, reason: str
) -> None:
    path = write(
        tmp_path / "obligation.csv", OBLIGATION_HEADER, GOOD, row, GOOD.replace("o1", "o3")
    )
    result = ingest(path, store, ingested_at=AT)
    assert (result.rows_in, result.rows_stored, result.rows_quarantined) == (3, 2, 1)
    assert dict(result.reasons) == {reason: 1}
    [bad] = quarantined(result.quarantine_path)
    assert (bad["line"], bad["field"], bad["value"], bad["reason"]) == (3, field, value, reason)
    assert bad["record_id"] == "o2"
    assert bad["category"] == row.split(",")[3]
    assert sorted(store.read("obligation").column("record_id").to_pylist()) == ["o1", "o3"]


def test_tradeline_int_and_not_before_checks(tmp_path: Path, store: RecordStore) -> None:
    header = (
        "record_id,subject_id,furnisher,account,kind,opened_date,closed_date,credit_limit,"
        "balance,reported_date,days_past_due,status"
    )
    path = write(
        tmp_path / "tradeline.csv",
        header,
        "t1,s1,bank,acc,card,2020-01-01,,1000,10,2024-01-31,0,current",
        "t2,s1,bank,acc,card,2020-01-01,,1000,10,2024-01-31,1.5,current",
        "t3,s1,bank,acc,card,2020-01-01,2019-12-31,1000,10,2024-01-31,0,closed",
        "t4,s1,bank,acc,card,2020-01-01,,1000,10,2024-01-31,10001,delinquent",
    )
    result = ingest(path, store, ingested_at=AT)
    got = [(r["line"], r["field"], r["reason"]) for r in quarantined(result.quarantine_path)]
    assert got == [
        (3, "days_past_due", "days_past_due is not a whole number"),
        (4, "closed_date", "closed_date is before opened_date"),
        (5, "days_past_due", "days_past_due is above the maximum 10000"),
    ]
    table = store.read("tradeline")
    assert table.column("days_past_due").to_pylist() == [0]
    assert table.column("opened_date").to_pylist() == [dt.date(2020, 1, 1)]


def test_missing_required_column_refuses_the_file(tmp_path: Path, store: RecordStore) -> None:
    header = OBLIGATION_HEADER.replace("account,", "")
    path = write(tmp_path / "obligation.csv", header, "o1,s1,power,utility,2024-01-05,1,,")
    with pytest.raises(SchemaError, match=r"obligation\.csv.*'account'") as err:
        ingest(path, store, ingested_at=AT)
    assert err.value.context["field"] == "account"
    assert nothing_written(store)


def test_prohibited_column_refuses_the_file(tmp_path: Path, store: RecordStore) -> None:
    path = write(tmp_path / "obligation.csv", OBLIGATION_HEADER + ",religion", GOOD + ",x")
    with pytest.raises(ProhibitedInputError, match="religion"):
        ingest(path, store, ingested_at=AT)
    assert nothing_written(store)


def test_unexpected_column_refuses_the_file(tmp_path: Path, store: RecordStore) -> None:
    path = write(tmp_path / "obligation.csv", OBLIGATION_HEADER + ",notes", GOOD + ",hi")
    with pytest.raises(SchemaError, match=r"unexpected column\(s\) 'notes'.*data minimisation"):
        ingest(path, store, ingested_at=AT)
    assert nothing_written(store)


def test_unknown_kind_names_file_and_known_kinds(tmp_path: Path, store: RecordStore) -> None:
    path = write(tmp_path / "payments.csv", OBLIGATION_HEADER, GOOD)
    with pytest.raises(SchemaError, match=r"payments\.csv.*'payments'.*obligation, tradeline"):
        ingest(path, store)
    assert ingest(path, store, kind="obligation", ingested_at=AT).rows_stored == 1


def test_malformed_rows_and_quoted_line_breaks_keep_physical_lines(
    tmp_path: Path, store: RecordStore
) -> None:
    path = write(
        tmp_path / "obligation.csv",
        OBLIGATION_HEADER,
        GOOD,
        "o2,s1,power,utility,a1,2024-01-05",  # line 3: too few fields
        'o3,s1,"power',  # lines 4-5: one record with a line break in a quoted value
        'co",utility,a1,2024-01-05,1,,',
        "o4,s1,power,utility,a1,2024-01-05,1,,,extra",  # line 6: too many fields
        "",  # line 7: blank
        "o5,s1,power,utility,a1,2024-01-05,x,,",  # line 8
    )
    result = ingest(path, store, ingested_at=AT)
    assert (result.rows_in, result.rows_stored, result.rows_quarantined) == (6, 2, 4)
    got = [
        (r["line"], r["field"], r["value"], r["reason"])
        for r in quarantined(result.quarantine_path)
    ]
    assert got == [
        (3, None, "o2,s1,power,utility,a1,2024-01-05", "malformed row: expected 9 fields, found 6"),
        (
            6,
            None,
            "o4,s1,power,utility,a1,2024-01-05,1,,,extra",
            "malformed row: expected 9 fields, found 10",
        ),
        (7, None, None, "empty row: no field has a value"),
        (8, "amount_due", "x", "amount_due is not a finite number"),
    ]
    assert store.record("obligation", "o3")["furnisher"] == "power\nco"


@pytest.mark.parametrize(
    ("name", "content", "pattern"),
    [
        ("obligation.csv", b"", r"obligation\.csv: the file is empty"),
        ("obligation.csv", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", r"obligation\.csv at line 1"),
        ("obligation.parquet", b"PAR1 this is not parquet", r"obligation\.parquet.*Parquet"),
        ("obligation.jsonl", b"hello\nworld\n", r"obligation\.jsonl.*not a JSON Lines file"),
        ("obligation.xlsx", b"PK..", r"unsupported file type '\.xlsx'"),
    ],
)
def test_unparseable_file_raises_ingest_error_naming_the_file(
    tmp_path: Path, store: RecordStore, name: str, content: bytes, pattern: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError, match=pattern):
        ingest(path, store, ingested_at=AT)
    assert nothing_written(store)


def test_bad_encoding_midway_raises_with_line_and_writes_nothing(
    tmp_path: Path, store: RecordStore
) -> None:
    body = (OBLIGATION_HEADER + "\n" + GOOD + "\n").encode()
    path = tmp_path / "obligation.csv"
    path.write_bytes(body + b"o2,s1,p\xff\xfewer,utility,a1,2024-01-05,1,,\n")
    with pytest.raises(IngestError, match=r"obligation\.csv at line 3: cannot be read") as err:
        ingest(path, store, ingested_at=AT)
    assert err.value.context["file"] == str(path)
    assert nothing_written(store)


def test_truncated_parquet_raises_ingest_error(tmp_path: Path, store: RecordStore) -> None:
    good = tmp_path / "good.parquet"
    pq.write_table(
        pa.table({"subject_id": ["s1"], "kind": ["person"], "created_date": [dt.date(2020, 1, 1)]}),
        good,
    )
    path = tmp_path / "subject.parquet"
    path.write_bytes(good.read_bytes()[:-20])
    with pytest.raises(IngestError, match=r"subject\.parquet"):
        ingest(path, store, ingested_at=AT)
    assert nothing_written(store)


def test_reingest_is_a_no_op(tmp_path: Path, store: RecordStore) -> None:
    path = write(
        tmp_path / "obligation.csv", OBLIGATION_HEADER, GOOD, "o2,s1,x,gas,a,2024-01-05,1,,"
    )
    first = ingest(path, store, ingested_at=AT)
    before = files_under(tmp_path / "ws")
    again = ingest(path, store)
    copy = write(
        tmp_path / "renamed" / "obligation.csv",
        OBLIGATION_HEADER,
        GOOD,
        "o2,s1,x,gas,a,2024-01-05,1,,",
    )
    by_content = ingest(copy, store)
    assert files_under(tmp_path / "ws") == before
    assert again.already_ingested
    assert by_content.already_ingested
    assert not first.already_ingested
    for result in (again, by_content):
        assert (result.batch_id, result.rows_in, result.rows_stored, result.rows_quarantined) == (
            first.batch_id,
            2,
            1,
            1,
        )
        assert result.ingested_at == AT
        assert result.quarantine_path == first.quarantine_path
        assert dict(result.reasons) == dict(first.reasons)


def test_failure_after_first_part_leaves_store_unchanged(
    tmp_path: Path, store: RecordStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trustscore.records import _ingest

    earlier = write(
        tmp_path / "subject.csv", "subject_id,kind,created_date", "s1,person,2020-01-01"
    )
    ingest(earlier, store, ingested_at=AT)
    before = files_under(tmp_path / "ws")
    rows = [GOOD.replace("o1", f"o{i}") for i in range(7)] + ["bad,s1,p,gas,a,2024-01-05,1,,"]
    path = write(tmp_path / "obligation.csv", OBLIGATION_HEADER, *rows)
    real = _ingest._write_part
    calls: list[Path] = []

    def fail_after_first(table: pa.Table, part: Path) -> None:
        calls.append(part)
        if len(calls) > 1:
            raise OSError("disk full")
        real(table, part)

    monkeypatch.setattr(_ingest, "_write_part", fail_after_first)
    with pytest.raises(OSError, match="disk full"):
        ingest(path, store, ingested_at=AT, batch_rows=2)
    assert len(calls) >= 2
    assert files_under(tmp_path / "ws") == before
    assert store.count("obligation") == 0
    monkeypatch.setattr(_ingest, "_write_part", real)
    result = ingest(path, store, ingested_at=AT, batch_rows=2)
    assert (result.rows_stored, result.rows_quarantined) == (7, 1)
    assert len(store.paths("obligation")) == 4


def test_duplicates_within_file_and_against_store(tmp_path: Path, store: RecordStore) -> None:
    first = write(
        tmp_path / "a" / "obligation.csv", OBLIGATION_HEADER, GOOD, GOOD.replace("o1", "o2"), GOOD
    )
    r1 = ingest(first, store, ingested_at=AT)
    assert [
        (q["line"], q["field"], q["value"], q["reason"]) for q in quarantined(r1.quarantine_path)
    ] == [(4, "record_id", "o1", "record_id appears more than once in this file")]
    second = write(
        tmp_path / "obligation.csv",
        OBLIGATION_HEADER,
        GOOD,  # identical re-send
        GOOD.replace("o1", "o2").replace("10.5,2024-01-04,10.5", "99,,"),  # conflicting
        GOOD.replace("o1", "o3"),
    )
    later = AT + dt.timedelta(days=1)
    r2 = ingest(second, store, ingested_at=later)
    # Re-sent records are no longer quarantined: identical is unchanged, different a version.
    assert r2.quarantine_path is None
    assert (r2.rows_in, r2.rows_new, r2.rows_versions, r2.rows_unchanged) == (3, 1, 1, 1)
    assert (r2.rows_stored, r2.rows_quarantined) == (2, 0)
    assert store.count("obligation") == 4
    assert store.record("obligation", "o2")["amount_due"] == 99
    assert [v["amount_due"] for v in store.versions("obligation", "o2")] == [10.5, 99]
    # A version ingested at the same moment as the stored one could not be ordered after it.
    third = write(
        tmp_path / "b" / "obligation.csv",
        OBLIGATION_HEADER,
        GOOD.replace("o1", "o2").replace("10.5,2024-01-04,10.5", "98,,"),
    )
    r3 = ingest(third, store, ingested_at=later)
    [row] = quarantined(r3.quarantine_path)
    assert (row["line"], row["field"], row["value"]) == (2, "record_id", "o2")
    assert row["reason"].startswith(
        f"record_id has a version ingested at {later.isoformat()} (batch {r2.batch_id}), not "
        "before this batch's ingestion time"
    )
    assert store.record("obligation", "o2")["amount_due"] == 99


def test_parquet_input_nan_becomes_null_and_rows_are_numbered(
    tmp_path: Path, store: RecordStore
) -> None:
    path = tmp_path / "obligation.parquet"
    pq.write_table(
        pa.table(
            {
                "record_id": ["o1", "o2", "o3"],
                "subject_id": ["s1", "s1", "s2"],
                "furnisher": ["power"] * 3,
                "category": ["utility", "rent", "telecom"],
                "account": ["a", "b", "c"],
                "due_date": pa.array([dt.date(2024, 1, 5)] * 3),
                "amount_due": [10.0, -1.0, 3.0],
                "amount_paid": [float("nan"), 1.0, None],
            }
        ),
        path,
    )
    result = ingest(path, store, ingested_at=AT)
    assert (result.rows_stored, result.rows_quarantined) == (2, 1)
    [bad] = quarantined(result.quarantine_path)
    assert (bad["line"], bad["field"], bad["value"]) == (2, "amount_due", "-1")
    parts = store.paths("obligation")
    for part in parts:
        assert pq.read_schema(part).remove_metadata() == arrow_schema("obligation", stored=True)
    table = pa.concat_tables(pq.read_table(p) for p in parts).sort_by("record_id")
    assert table.column("amount_paid").to_pylist() == [None, None]
    assert table.column("paid_date").null_count == 2
    con = duckdb.connect()
    nan = con.execute(f"SELECT count(*) FROM '{part}' WHERE isnan(amount_paid)").fetchone()
    assert nan == (0,)
    assert table.column("ingested_at").to_pylist() == [AT, AT]
    assert table.column("batch_id").to_pylist() == [result.batch_id] * 2


def test_csv_empty_optional_values_are_stored_as_null(tmp_path: Path, store: RecordStore) -> None:
    path = write(tmp_path / "obligation.csv", OBLIGATION_HEADER, "o1,s1,p,rent,a,2024-01-05,5,,")
    ingest(path, store, ingested_at=AT)
    table = pq.read_table(store.paths("obligation")[0])
    assert table.column("amount_paid").null_count == 1
    assert table.column("paid_date").null_count == 1


def test_jsonl_input(tmp_path: Path, store: RecordStore) -> None:
    rows = [
        json.dumps(
            {
                "record_id": "i1",
                "subject_id": "s1",
                "furnisher": "bank",
                "purpose": "credit_limit",
                "inquiry_date": "2024-01-02",
            }
        ),
        "{not json",
        json.dumps(
            {
                "record_id": "i2",
                "subject_id": "s1",
                "furnisher": "bank",
                "purpose": "credit_limit",
                "inquiry_date": 20240102,
            }
        ),
        json.dumps(
            {
                "record_id": "i3",
                "subject_id": "s2",
                "furnisher": "bank",
                "inquiry_date": "2024-01-03",
            }
        ),
    ]
    path = write(tmp_path / "inquiry.jsonl", *rows)
    result = ingest(path, store, ingested_at=AT)
    got = [
        (q["line"], q["field"], q["value"], q["reason"])
        for q in quarantined(result.quarantine_path)
    ]
    assert got == [
        (2, None, "{not json", "not a JSON object"),
        (3, "inquiry_date", "20240102", "inquiry_date is not a valid date in YYYY-MM-DD form"),
        (4, "purpose", None, "purpose is required but empty"),
    ]
    assert store.read("inquiry").column("record_id").to_pylist() == ["i1"]


def test_jsonl_with_a_prohibited_key_is_refused(tmp_path: Path, store: RecordStore) -> None:
    path = write(
        tmp_path / "subject.ndjson",
        json.dumps(
            {"subject_id": "s1", "kind": "person", "created_date": "2020-01-01", "ethnicity": "x"}
        ),
    )
    with pytest.raises(ProhibitedInputError, match="ethnicity"):
        ingest(path, store, ingested_at=AT)
    assert nothing_written(store)


def test_progress_and_header_only_file(tmp_path: Path, store: RecordStore) -> None:
    seen: list[int] = []
    path = write(tmp_path / "obligation.csv", OBLIGATION_HEADER, GOOD, GOOD.replace("o1", "o2"))
    ingest(path, store, ingested_at=AT, progress=seen.append)
    assert seen[-1] == 2
    assert seen == sorted(seen)
    empty = write(tmp_path / "subject.csv", "subject_id,kind,created_date")
    result = ingest(empty, store, ingested_at=AT)
    assert (result.rows_in, result.rows_stored, result.quarantine_path) == (0, 0, None)
    assert store.batch(result.batch_id).parts == ()
    no_newline = tmp_path / "other" / "subject.csv"
    no_newline.parent.mkdir()
    no_newline.write_text("subject_id,kind,created_date")
    assert ingest(no_newline, store, ingested_at=AT).rows_in == 0


def test_ingested_at_must_be_aware_and_defaults_to_now(tmp_path: Path, store: RecordStore) -> None:
    path = write(tmp_path / "subject.csv", "subject_id,kind,created_date", "s1,person,2020-01-01")
    with pytest.raises(SchemaError, match="time-zone-aware"):
        ingest(path, store, ingested_at=dt.datetime(2024, 1, 1))
    before = dt.datetime.now(dt.UTC)
    result = ingest(path, store)
    assert before <= result.ingested_at <= dt.datetime.now(dt.UTC)
    back_fill = ingest(
        path,
        store,
        kind="subject",
        ingested_at=dt.datetime(2020, 6, 1, 8, tzinfo=dt.timezone(dt.timedelta(hours=8))),
    )
    assert back_fill.already_ingested


def _every_outcome(root: Path, batch_rows: int) -> tuple[object, ...]:
    """Ingest a first file, then one with every outcome (new, version, deletion, unchanged,
    each refusal), in parts of ``batch_rows`` rows; what the second ingest decided and stored."""
    store = RecordStore(root / "ws" / "store")
    add_subjects(store, "s1", "s2")
    head = OBLIGATION_HEADER + ",action"
    first = write(
        root / "first" / "obligation.csv",
        head,
        "o1,s1,power,utility,a1,2024-01-05,10.5,2024-01-04,10.5,",
        "o2,s1,power,utility,a1,2024-01-06,20,,,",
        "o3,s2,power,utility,a2,2024-01-07,30,,,",
        "o4,s2,water,utility,a3,2024-01-08,5,,,",
        "o8,s2,water,utility,a3,2024-01-09,5,,,",
        "o10,s1,power,utility,a1,2024-01-10,7,,,",
    )
    ingest(first, store, ingested_at=AT, batch_rows=batch_rows)
    second = write(
        root / "obligation.csv",
        head,
        "o1,s1,power,utility,a1,2024-01-05,10.5,2024-01-04,10.5,",  # unchanged
        "o2,s1,power,utility,a1,2024-01-06,25,,,",  # a version
        "o3,s1,power,utility,a2,2024-01-07,30,,,",  # moves to another subject
        "o4,s2,power,utility,a3,2024-01-08,5,,,",  # another furnisher
        "o5,s1,power,utility,a1,2024-01-11,1,,,",  # new
        "o6,s9,power,utility,a1,2024-01-11,1,,,",  # unknown subject
        "o5,s1,power,utility,a1,2024-01-12,2,,,",  # repeated in the file
        "o8,s2,water,utility,a3,2024-01-01,5,,,",  # business date backwards
        "o9,s1,power,utility,a1,2024-01-11,1,,,delete",  # nothing to delete
        "o10,s1,power,utility,a1,2024-01-10,7,,,delete",  # a deletion
        "o11,s1,power,utility,a1,2024-01-11,abc,,,",  # invalid
        "o12,s2,water,utility,a3,2024-01-13,3,,,",  # new
    )
    r = ingest(second, store, ingested_at=AT + dt.timedelta(days=1), batch_rows=batch_rows)
    stored = sorted(
        store.read("obligation").drop_columns(["ingested_at"]).to_pylist(),
        key=lambda row: (str(row["record_id"]), str(row["batch_id"])),
    )
    counts = (r.rows_in, r.rows_new, r.rows_versions, r.rows_deleted, r.rows_unchanged)
    return counts, dict(r.reasons), dict(r.furnishers), quarantined(r.quarantine_path), stored


def test_outcomes_do_not_depend_on_the_parts(tmp_path: Path) -> None:
    # rows are matched to their outcomes by their position across the staging parts: one part,
    # or a part every two rows, decides and stores the same
    whole = _every_outcome(tmp_path / "whole", 500_000)
    split = _every_outcome(tmp_path / "split", 2)
    assert split == whole
    counts, reasons, furnishers, rows, _ = whole
    assert counts == (12, 2, 2, 1, 1)
    assert [(q["line"], q["field"]) for q in rows] == [
        (4, "subject_id"),
        (5, "furnisher"),
        (7, "subject_id"),
        (8, "record_id"),
        (9, "due_date"),
        (10, "action"),
        (12, "amount_due"),
    ]
    assert sum(reasons.values()) == 7
    assert furnishers["power"]["versions"] == 2
    assert furnishers["power"]["deleted"] == 1
    assert furnishers["power"]["unchanged"] == 1
    assert furnishers["water"]["new"] == 1
