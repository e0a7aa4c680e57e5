"""The record store: committed parts only, reads, lookups and suppressions."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from trustscore.exceptions import NotFoundError, SchemaError
from trustscore.records import (
    RECORD_KINDS,
    SUPPRESSION_SCHEMA,
    BatchManifest,
    RecordStore,
    arrow_schema,
    bucket_of_part,
    ingest,
    subject_bucket,
)
from trustscore.records._store import write_atomic

AT = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)


@pytest.fixture
def store(tmp_path: Path) -> RecordStore:
    store = RecordStore(tmp_path / "store")
    (tmp_path / "subject.csv").write_text(
        "subject_id,kind,created_date\ns1,person,2020-01-01\ns2,organisation,2021-05-05\n"
    )
    (tmp_path / "inquiry.csv").write_text(
        "record_id,subject_id,furnisher,purpose,inquiry_date\n"
        "i1,s1,bank,credit_limit,2024-01-02\n"
        "i2,s2,bank,credit_limit,2024-01-03\n"
        "i3,s1,shop,deposit_waiver,2024-02-03\n"
    )
    ingest(tmp_path / "subject.csv", store, ingested_at=AT)
    ingest(tmp_path / "inquiry.csv", store, ingested_at=AT + dt.timedelta(hours=1), batch_rows=2)
    return store


def test_batches_counts_and_paths(store: RecordStore) -> None:
    batches = store.batches()
    assert [b.kind for b in batches] == ["subject", "inquiry"]
    inquiry = batches[1]
    assert (inquiry.rows_in, inquiry.rows_stored, inquiry.rows_quarantined) == (3, 3, 0)
    assert store.batch(inquiry.batch_id) == inquiry
    assert store.count("inquiry") == 3
    assert store.count("obligation") == 0
    # one file per bucket present: s1's two inquiries in one, s2's in another
    b1, b2 = subject_bucket("s1", 64), subject_bucket("s2", 64)
    assert b1 != b2
    assert sorted(str(p.relative_to(store.root / "inquiry")) for p in store.paths("inquiry")) == (
        sorted([f"bucket={b}/{inquiry.batch_id}-00000.parquet" for b in (b1, b2)])
    )
    rows = {
        bucket_of_part(str(p.relative_to(store.root / "inquiry"))): sorted(
            pq.read_table(p).column("record_id").to_pylist()
        )
        for p in store.paths("inquiry")
    }
    assert rows == {b1: ["i1", "i3"], b2: ["i2"]}
    with pytest.raises(NotFoundError, match="No committed batch 'nope'"):
        store.batch("nope")


def test_parts_without_a_manifest_are_invisible(store: RecordStore) -> None:
    [batch] = [b for b in store.batches() if b.kind == "subject"]
    stray = store.root / "subject" / "subject-crashed-00000.parquet"
    pq.write_table(pq.read_table(store.paths("subject")[0]), stray)
    assert stray not in store.paths("subject")
    assert store.read("subject").num_rows == 2
    store.manifest_path(batch.batch_id).unlink()  # as if the crash came before the manifest
    assert store.paths("subject") == []
    assert store.count("subject") == 0


def test_read_and_record(store: RecordStore) -> None:
    table = store.read("inquiry", subjects=["s1"])
    assert table.schema == arrow_schema("inquiry", stored=True)
    assert sorted(table.column("record_id").to_pylist()) == ["i1", "i3"]
    assert store.read("obligation").num_rows == 0
    record = store.record("inquiry", "i2")
    assert record["subject_id"] == "s2"
    assert record["inquiry_date"] == dt.date(2024, 1, 3)
    assert record["ingested_at"] == AT + dt.timedelta(hours=1)
    assert RECORD_KINDS["subject"].key == ("subject_id",)
    assert store.record("subject", "s2")["kind"] == "organisation"
    with pytest.raises(NotFoundError, match="subject_id 'zz'"):
        store.record("subject", "zz")
    with pytest.raises(SchemaError, match="unknown record kind 'loan'"):
        store.paths("loan")


def test_has_record_ids(store: RecordStore) -> None:
    assert store.has_record_ids("inquiry", ["i1", "i3", "i9", "s1"]) == {"i1", "i3"}
    assert store.has_record_ids("subject", ["s1", "i1"]) == {"s1"}
    assert store.has_record_ids("obligation", ["i1"]) == set()
    assert store.has_record_ids("inquiry", []) == set()


def test_suppress_appends_rows_and_never_edits_records(store: RecordStore) -> None:
    records_before = {p: p.read_bytes() for p in store.paths("inquiry")}
    assert store.suppressions().num_rows == 0
    at = dt.datetime(2024, 4, 1, 9, 30, tzinfo=dt.UTC)
    assert store.suppress("inquiry", ["i1", "i3", "i1"], reason="dispute D-1 upheld", at=at) == 2
    later = at + dt.timedelta(days=1)
    assert store.suppress("subject", ["s2"], reason="erasure", at=later) == 1
    table = store.suppressions()
    assert table.schema == SUPPRESSION_SCHEMA
    assert table.to_pylist() == [
        {"record_id": "i1", "kind": "inquiry", "suppressed_at": at, "reason": "dispute D-1 upheld"},
        {"record_id": "i3", "kind": "inquiry", "suppressed_at": at, "reason": "dispute D-1 upheld"},
        {"record_id": "s2", "kind": "subject", "suppressed_at": later, "reason": "erasure"},
    ]
    assert {p: p.read_bytes() for p in store.paths("inquiry")} == records_before
    assert store.count("inquiry") == 3


def test_suppress_refuses_unknown_ids_naive_times_and_empty_reasons(store: RecordStore) -> None:
    with pytest.raises(NotFoundError, match="'i9'"):
        store.suppress("inquiry", ["i1", "i9"], reason="x", at=AT)
    with pytest.raises(SchemaError, match="time-zone-aware"):
        store.suppress("inquiry", ["i1"], reason="x", at=dt.datetime(2024, 1, 1))
    with pytest.raises(SchemaError, match="needs a reason"):
        store.suppress("inquiry", ["i1"], reason=" ", at=AT)
    assert store.suppressions().num_rows == 0


def test_quarantine_dir_follows_the_workspace_layout(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "ws" / "store")
    assert store.quarantine_dir == tmp_path / "ws" / "quarantine"
    other = RecordStore(tmp_path / "s", quarantine_dir=tmp_path / "q")
    (tmp_path / "subject.csv").write_text("subject_id,kind,created_date\ns1,alien,2020-01-01\n")
    result = ingest(tmp_path / "subject.csv", other, ingested_at=AT)
    assert result.quarantine_path == tmp_path / "q" / f"{result.batch_id}.parquet"
    assert pq.read_table(result.quarantine_path).column("value").to_pylist() == ["alien"]
    assert isinstance(other.read("subject"), pa.Table)


def test_a_manifest_from_before_versions_counts_its_stored_rows_as_new() -> None:
    old = {
        "batch_id": "b1", "kind": "inquiry", "file": "inquiry.csv", "sha256": "ab",
        "rows_in": 3, "rows_stored": 2, "rows_quarantined": 1,
        "ingested_at": "2024-01-31T00:00:00+00:00", "manifest_version": 1,
    }  # fmt: skip
    m = BatchManifest.from_json(json.dumps(old))
    assert (m.rows_new, m.rows_versions, m.rows_unchanged, m.rows_deleted) == (2, 0, 0, 0)
    assert m.rows_in == m.rows_new + m.rows_versions + m.rows_unchanged + m.rows_quarantined
    assert json.loads(m.to_json())["manifest_version"] == 4


def _settle(folder: Path) -> None:
    """Date the folder's last change 10 s back, as if it had been written long ago."""
    st = folder.stat()
    os.utime(folder, ns=(st.st_atime_ns, st.st_mtime_ns - 10_000_000_000))


def test_kept_manifests_follow_every_commit_and_rewrite(store: RecordStore, tmp_path: Path) -> None:
    """A store keeps the manifests it read, and sees a new batch and a rewritten manifest."""
    _settle(store.batches_dir)
    first = store.batches()
    assert store.batches() == first  # kept
    (tmp_path / "more.csv").write_text(
        "record_id,subject_id,furnisher,purpose,inquiry_date\ni9,s2,shop,deposit_waiver,2024-02-09\n"
    )
    done = ingest(tmp_path / "more.csv", store, kind="inquiry", ingested_at=AT + dt.timedelta(1))
    assert [m.batch_id for m in store.batches()] == [*(m.batch_id for m in first), done.batch_id]
    assert "i9" in store.read("inquiry", subjects=["s2"])["record_id"].to_pylist()
    # a manifest rewritten in place (as `store migrate` does), long after the folder settled
    _settle(store.batches_dir)
    store.batches()
    rewritten = replace(store.batch(done.batch_id), file="renamed.csv")
    write_atomic(store.manifest_path(done.batch_id), rewritten.to_json())
    assert store.batches()[-1].file == "renamed.csv"
