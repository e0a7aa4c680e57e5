"""Malformed furnisher files that reached "internal error ... this is a bug" (issue 15).

Each now gets a clear error naming the file and line, or its row is quarantined with a reason
that names the field, and ``rows in = rows stored + rows quarantined`` still holds.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from trustscore.cli import app
from trustscore.records import RecordStore, ingest

AT = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)
OBLIGATION = {
    "record_id": "o2", "subject_id": "s1", "furnisher": "power", "category": "utility",
    "account": "a1", "due_date": "2024-01-05", "amount_due": "10.5",
}  # fmt: skip
TRADELINE_HEADER = (
    "record_id,subject_id,furnisher,account,kind,opened_date,closed_date,credit_limit,balance,"
    "reported_date,days_past_due,status"
)


@pytest.fixture
def store(tmp_path: Path) -> RecordStore:
    store = RecordStore(tmp_path / "store")
    subjects = tmp_path / "subjects" / "subject.csv"
    subjects.parent.mkdir()
    subjects.write_text("subject_id,kind,created_date\ns1,person,2020-01-01\n")
    ingest(subjects, store, ingested_at=AT)
    return store


def _reasons(store: RecordStore, path: Path) -> tuple[int, int, int, dict[str, int]]:
    result = ingest(path, store, ingested_at=AT)
    assert result.rows_in == result.rows_stored + result.rows_quarantined
    return result.rows_in, result.rows_stored, result.rows_quarantined, dict(result.reasons)


def test_a_plus_sign_in_an_integer_field_is_the_number(store: RecordStore, tmp_path: Path) -> None:
    path = tmp_path / "tradeline.csv"
    path.write_text(
        f"{TRADELINE_HEADER}\n"
        "t1,s1,bank,A1,card,2023-01-01,,1000,10,2024-01-01,+5,current\n"
        "t2,s1,bank,A2,card,2023-01-01,,1000,10,2024-01-01,-0,current\n"
    )
    assert _reasons(store, path) == (2, 2, 0, {})
    assert store.record("tradeline", "t1")["days_past_due"] == 5
    assert store.record("tradeline", "t2")["days_past_due"] == 0


def test_cr_only_line_endings_read_like_any_other(store: RecordStore, tmp_path: Path) -> None:
    """Old Mac files (lines ending in a lone CR) were an internal error: they now read as lines,
    quoted line breaks included, and quarantined rows name their line."""
    path = tmp_path / "obligation.csv"
    rows = [
        ",".join(OBLIGATION),
        "o1,s1,power,utility,a1,2024-01-05,10.5",
        '"o2\rx",s1,power,utility,a1,2024-01-05,10.5',
        "o3,s1,power",
        "o4,s1,power,utility,a1,2024-01-05,-1",
    ]
    path.write_bytes(("\r".join(rows) + "\r").encode())
    result = ingest(path, store, ingested_at=AT)
    assert (result.rows_in, result.rows_stored, result.rows_quarantined) == (4, 2, 2)
    assert store.record("obligation", "o2\rx")["amount_due"] == 10.5
    assert result.quarantine_path is not None
    quarantine = pq.read_table(result.quarantine_path).to_pylist()
    assert [(r["line"], r["field"]) for r in quarantine] == [(5, None), (6, "amount_due")]


def _jsonl(tmp_path: Path, first: str) -> Path:
    path = tmp_path / "obligation.jsonl"
    path.write_text(first + "\n" + json.dumps(OBLIGATION) + "\n")
    return path


def test_deeply_nested_json_is_quarantined(store: RecordStore, tmp_path: Path) -> None:
    deep = '{"record_id": ' + "[" * 100_000 + "]" * 100_000 + "}"
    path = _jsonl(tmp_path, deep)
    assert _reasons(store, path) == (
        2, 1, 1, {"not a JSON object this reader accepts: nested too deeply": 1},
    )  # fmt: skip


def test_an_escaped_lone_surrogate_is_quarantined_naming_the_field(
    store: RecordStore, tmp_path: Path
) -> None:
    line = json.dumps({**OBLIGATION, "record_id": "o1"}).replace('"o1"', '"o1\\ud800"')
    path = _jsonl(tmp_path, line)
    result = ingest(path, store, ingested_at=AT)
    assert (result.rows_in, result.rows_stored, result.rows_quarantined) == (2, 1, 1)
    [reason] = result.reasons
    assert reason.startswith("record_id holds an escaped lone surrogate")
    assert result.quarantine_path is not None
    [row] = pq.read_table(result.quarantine_path).to_pylist()
    assert row["line"] == 1
    # a valid pair (an emoji, escaped) is a character like any other
    pair = json.dumps({**OBLIGATION, "record_id": "o3", "account": "\U0001f600"})
    assert "\\ud83d\\ude00" in pair
    other = json.dumps({**OBLIGATION, "record_id": "o4"})
    both = tmp_path / "pair" / "obligation.jsonl"
    both.parent.mkdir()
    both.write_text(f"{pair}\n{other}\n")
    assert _reasons(store, both) == (2, 2, 0, {})
    assert store.record("obligation", "o3")["account"] == "\U0001f600"


def test_a_uint64_amount_beyond_2_53_is_quarantined(store: RecordStore, tmp_path: Path) -> None:
    path = tmp_path / "obligation.parquet"
    columns = {k: [v, v] for k, v in OBLIGATION.items() if k != "amount_due"}
    columns["record_id"] = ["o1", "o2"]
    columns["amount_due"] = pa.array([2**53 + 1, 5], pa.uint64())
    pq.write_table(pa.table(columns), path)
    assert _reasons(store, path) == (
        2, 1, 1, {"amount_due is an integer of 2^53 or more, not exact as an amount": 1},
    )  # fmt: skip
    assert store.record("obligation", "o2")["amount_due"] == 5.0


def test_none_of_them_is_an_internal_error_in_the_cli(tmp_path: Path) -> None:
    files = {
        "subjects/subject.csv": "subject_id,kind,created_date\ns1,person,2020-01-01\n",
        "cr/obligation.csv": f"{','.join(OBLIGATION)}\ro1,s1,power,utility,a1,2024-01-05,1\r",
        "plus/tradeline.csv": f"{TRADELINE_HEADER}\n"
        "t1,s1,bank,A1,card,2023-01-01,,1000,10,2024-01-01,+5,current\n",
        "surrogate/obligation.jsonl": json.dumps(OBLIGATION).replace('"o2"', '"\\udfff"')
        + "\n"
        + json.dumps(OBLIGATION)
        + "\n",
    }
    codes = {}
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir()
        path.write_bytes(text.encode())
        result = CliRunner().invoke(
            app, ["ingest", str(path), "--store", str(tmp_path / "store"),
                  "--ingested-at", "2024-03-01T12:00"],
        )  # fmt: skip
        assert "internal error" not in result.output, result.output
        codes[name] = result.exit_code
    assert codes == {
        "subjects/subject.csv": 0,
        "cr/obligation.csv": 0,
        "plus/tradeline.csv": 0,
        "surrogate/obligation.jsonl": 0,
    }
