"""Property: whatever a furnisher sends, rows in = rows stored + rows quarantined."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustscore.exceptions import IngestError
from trustscore.records import RecordStore, ingest

AT = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
HEADER = "record_id,subject_id,furnisher,category,account,due_date,amount_due,paid_date,amount_paid"
FIELDS = HEADER.split(",")
VALID = ["o1", "s1", "power", "utility", "a1", "2024-01-05", "10.5", "2024-01-04", "10.5"]

junk = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "abc",
            "-1",
            "nan",
            "1e999",
            "2024-02-30",
            "2099-01-01",
            "gas",
            "o1",
            "o2",
            '"',
            '"a,b"',
            '"x\ny"',
            "é",
            "NULL",
        ]
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6),
)


@st.composite
def rows(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["valid", "mutate", "short", "long", "blank", "raw"]))
    values = list(VALID)
    values[0] = draw(st.sampled_from(["o1", "o2", "o3", "o4", "o5"]))
    if kind == "mutate":
        for _ in range(draw(st.integers(1, 3))):
            values[draw(st.integers(0, len(values) - 1))] = draw(junk)
    elif kind == "short":
        values = values[: draw(st.integers(1, len(values) - 1))]
    elif kind == "long":
        values = [*values, draw(junk)]
    elif kind == "blank":
        return ""
    elif kind == "raw":
        return draw(junk)
    return ",".join(values)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(rows(), max_size=12), crlf=st.booleans(), trailing=st.booleans())
def test_counts_reconcile_on_malformed_csv(lines: list[str], crlf: bool, trailing: bool) -> None:
    newline = "\r\n" if crlf else "\n"
    text = newline.join([HEADER, *lines]) + (newline if trailing else "")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "obligation.csv"
        path.write_bytes(text.encode("utf-8"))
        store = RecordStore(Path(tmp) / "store")
        try:
            result = ingest(path, store, ingested_at=AT, batch_rows=3)
        except IngestError:
            assert not (Path(tmp) / "store").exists() or store.batches() == []
            return
        assert result.rows_in == result.rows_stored + result.rows_quarantined
        assert sum(result.reasons.values()) == result.rows_quarantined
        assert store.count("obligation") == result.rows_stored
        stored = store.read("obligation")
        assert stored.num_rows == result.rows_stored
        ids = stored.column("record_id").to_pylist()
        assert len(ids) == len(set(ids))
        if result.quarantine_path is None:
            assert result.rows_quarantined == 0
        else:
            quarantine = pq.read_table(result.quarantine_path)
            assert quarantine.num_rows == result.rows_quarantined
            line_numbers = quarantine.column("line").to_pylist()
            # a line ends at LF, CRLF or a lone CR, as the CSV reader splits records
            n_lines = len(re.split(r"\r\n|\r|\n", text))
            assert all(2 <= n <= n_lines for n in line_numbers)
        body = "\n".join(lines)
        if not crlf and "\r" not in body and '"' not in body:
            # without quotes or carriage returns every line after the header is one record
            physical = text.split("\n")[1:]
            if text.endswith("\n"):
                physical = physical[:-1]
            assert result.rows_in == len(physical)
