"""Properties: whatever a furnisher sends, every row is counted once.

rows in = new records + new versions + unchanged re-sends + rows quarantined, and the store
holds exactly the new records and versions.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store_helpers import add_subjects
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
    values[1] = draw(st.sampled_from(["s1", "s1", "s1", "S1", "s2"]))  # s1 only is known
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
        add_subjects(store, "s1")
        try:
            result = ingest(path, store, ingested_at=AT, batch_rows=3)
        except IngestError:
            assert [b.kind for b in store.batches()] == ["subject"]
            return
        # a first delivery has nothing to compare with: no versions, nothing unchanged
        assert (result.rows_versions, result.rows_unchanged) == (0, 0)
        assert result.rows_in == result.rows_stored + result.rows_quarantined
        assert result.rows_stored == result.rows_new
        assert sum(result.reasons.values()) == result.rows_quarantined
        assert store.count("obligation") == result.rows_stored
        stored = store.read("obligation")
        assert stored.num_rows == result.rows_stored
        ids = stored.column("record_id").to_pylist()
        assert len(ids) == len(set(ids))
        assert set(stored.column("subject_id").to_pylist()) <= {"s1"}
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


# -- versions -------------------------------------------------------------------------------------
version_row = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["o1", "o2", "o3", "o4"]),
        "subject": st.sampled_from(["s1", "s1", "s1", "s2", "S1"]),
        "furnisher": st.sampled_from(["power", "power", "power", "water"]),
        "due": st.sampled_from(["2024-01-05", "2024-01-10", "2024-01-20"]),
        "paid": st.sampled_from(["", "2024-01-04", "2024-02-01"]),
        "amount": st.sampled_from(["10.5", "11", "-1"]),
        "action": st.sampled_from(["", "", "", "delete"]),
    }
)


def _csv(rows: list[dict[str, str]]) -> str:
    lines = [HEADER + ",action"]
    for r in rows:
        amount_paid = r["amount"] if r["paid"] else ""
        lines.append(
            f"{r['id']},{r['subject']},{r['furnisher']},utility,a1,{r['due']},{r['amount']},"
            f"{r['paid']},{amount_paid},{r['action']}"
        )
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deliveries=st.lists(st.lists(version_row, max_size=6), min_size=1, max_size=4))
def test_counts_reconcile_with_versions(deliveries: list[list[dict[str, str]]]) -> None:
    """Deliveries a day apart: each row is new, a version, unchanged or quarantined, once; the
    latest stored version of each record is the last row of it that was not quarantined."""
    with tempfile.TemporaryDirectory() as tmp:
        store = RecordStore(Path(tmp) / "store")
        add_subjects(store, "s1", "s2")
        latest: dict[str, dict[str, str]] = {}
        versions_before: Counter[str] = Counter()
        total_stored = 0
        for day, rows in enumerate(deliveries):
            path = Path(tmp) / f"d{day}" / "obligation.csv"
            path.parent.mkdir()
            path.write_text(_csv(rows), encoding="utf-8")
            at = AT + dt.timedelta(days=day)
            before = dict(latest)
            try:
                result = ingest(path, store, ingested_at=at)
            except IngestError:  # an empty delivery (the header alone is fine; no rows at all)
                continue
            if result.already_ingested:
                continue
            assert result.rows_in == len(rows)
            assert result.rows_in == (
                result.rows_new + result.rows_versions + result.rows_unchanged
                + result.rows_quarantined
            )  # fmt: skip
            assert result.rows_stored == result.rows_new + result.rows_versions
            assert result.rows_deleted <= result.rows_versions
            assert sum(result.reasons.values()) == result.rows_quarantined
            total_stored += result.rows_stored
            assert store.count("obligation") == total_stored
            # what the store now holds as the latest version of each record
            stored = store.read("obligation").to_pylist()
            n_versions = Counter(r["record_id"] for r in stored)
            assert result.rows_new == len(set(n_versions) - set(before))
            assert result.rows_versions == sum(
                n - versions_before.get(rid, 0) for rid, n in n_versions.items() if rid in before
            )
            versions_before = n_versions
            for rid in {r["record_id"] for r in stored}:
                last = store.record("obligation", rid)
                latest[rid] = {
                    "subject": last["subject_id"],
                    "furnisher": last["furnisher"],
                    "due": last["due_date"].isoformat(),
                    "action": last["action"] or "",
                }
            assert store.read("obligation").num_rows == total_stored
            for rid, now in latest.items():
                was = before.get(rid)
                if was is None:
                    assert now["action"] == ""  # a record cannot start as a deletion
                else:
                    # a version never moves a record, nor its business date backwards
                    assert (now["subject"], now["furnisher"]) == (was["subject"], was["furnisher"])
                    assert now["due"] >= was["due"]
                assert now["subject"] in {"s1", "s2"}
            # unchanged rows are exactly those equal to the latest version before this delivery
            if result.rows_versions == 0 and result.rows_new == 0:
                assert latest == before
