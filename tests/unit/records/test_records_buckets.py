"""Issue 13, step 3: the record store partitioned by a hash bucket of the subject."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trustscore import engines
from trustscore.exceptions import SchemaError
from trustscore.features import compute_features
from trustscore.records import (
    RECORD_KINDS,
    Layout,
    RecordStore,
    bucket_of_part,
    bucket_sql,
    ingest,
    init_store,
    read_layout,
    subject_bucket,
    subject_buckets,
)
from trustscore.synth import generate

AT = dt.datetime(2024, 7, 1, tzinfo=dt.UTC)
AS_OF = dt.date(2024, 6, 30)
#: ids a bucket function may trip on: empty, accents, CJK, emoji, a NUL, long, spaces
ODD_IDS = [
    "",
    "s1",
    "S000000001",
    "é",
    "e\u0301",
    "中文身份证",
    "😀🏳️‍🌈",
    "a\x00b",
    "x" * 500,
    " s ",
]


def _declared(subject_id: str, buckets: int) -> int:
    """The bucket as docs/architecture.md declares it, written out again here."""
    return int(hashlib.sha256(subject_id.encode("utf-8")).hexdigest()[:16], 16) % buckets


@pytest.mark.parametrize("buckets", [1, 7, 64, 16384, 1 << 20])
def test_the_bucket_function_is_the_declared_one_and_duckdb_computes_it_identically(
    buckets: int,
) -> None:
    ids = ODD_IDS + [f"S{i:09d}" for i in range(2000)]
    expected = [_declared(s, buckets) for s in ids]
    assert [subject_bucket(s, buckets) for s in ids] == expected
    assert subject_buckets(pa.array(ids), buckets).tolist() == expected
    con = duckdb.connect()
    con.register("ids", pa.table({"i": pa.array(range(len(ids))), "subject_id": ids}))
    rows = con.execute(
        f"SELECT {bucket_sql('subject_id', buckets, dialect='duckdb')} FROM ids ORDER BY i"
    ).fetchall()
    assert [r[0] for r in rows] == expected
    assert min(expected) >= 0
    assert max(expected) < buckets


@given(st.lists(st.text(max_size=40), min_size=1, max_size=50))
def test_duckdb_buckets_equal_python_buckets_on_any_text(ids: list[str]) -> None:
    con = duckdb.connect()
    con.register("ids", pa.table({"i": pa.array(range(len(ids))), "subject_id": ids}))
    rows = con.execute(
        f"SELECT {bucket_sql('subject_id', 1000, dialect='duckdb')} FROM ids ORDER BY i"
    ).fetchall()
    assert [r[0] for r in rows] == [subject_bucket(s, 1000) for s in ids]
    assert subject_buckets(pa.chunked_array([ids[:1], ids[1:]]), 1000).tolist() == [
        subject_bucket(s, 1000) for s in ids
    ]


def test_bucket_counts_and_layout_files_are_checked(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="whole number from 1"):
        RecordStore(tmp_path, buckets=0)
    with pytest.raises(SchemaError, match="dialect"):
        bucket_sql("s", 4, dialect="trino")  # type: ignore[arg-type]
    (tmp_path / "_layout.json").write_text('{"version": 3, "buckets": 8, "hash": "md5"}')
    with pytest.raises(SchemaError, match="unknown record store layout"):
        read_layout(tmp_path)
    (tmp_path / "_layout.json").write_text("{not json")
    with pytest.raises(SchemaError, match="not a record store layout file"):
        RecordStore(tmp_path).layout()


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synth")
    generate(root, n_subjects=120, seed=13, as_of=AS_OF)
    return root


def _ingest_all(synth_dir: Path, store: RecordStore, **kwargs: Any) -> None:
    for kind in RECORD_KINDS:  # subject first
        path = synth_dir / f"{kind}.parquet"
        if path.is_file():
            ingest(path, store, ingested_at=AT, **kwargs)


@pytest.fixture(scope="module")
def bucketed(synth_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> RecordStore:
    store = RecordStore(tmp_path_factory.mktemp("bucketed") / "store", buckets=8)
    _ingest_all(synth_dir, store, batch_rows=700)
    return store


def test_a_new_store_records_its_layout_and_every_record_lies_in_its_subjects_bucket(
    bucketed: RecordStore,
) -> None:
    store = bucketed
    assert json.loads((store.root / "_layout.json").read_text()) == {
        "version": 2, "buckets": 8, "hash": "sha256-u64be-mod"
    }  # fmt: skip
    assert store.layout() == Layout(2, 8, "sha256-u64be-mod")
    for m in store.batches():
        assert m.rows_stored > 0
        folder = store.kind_dir(m.kind)
        assert not list(folder.glob("*.parquet"))  # nothing outside the bucket folders
        seen: dict[int, int] = {}
        for name in m.parts:
            bucket = bucket_of_part(name)
            assert bucket is not None
            subjects = pq.read_table(folder / name, columns=["subject_id"]).column(0)
            assert set(subject_buckets(subjects, 8).tolist()) == {bucket}
            seen[bucket] = seen.get(bucket, 0) + len(subjects)
        # one file per bucket present, a second one only past batch_rows (700) rows
        for bucket, rows in seen.items():
            files = [n for n in m.parts if bucket_of_part(n) == bucket]
            assert len(files) == -(-rows // 700)
        assert sum(seen.values()) == m.rows_stored
    assert sum(m.rows_stored for m in store.batches()) == sum(
        store.read(kind).num_rows for kind in RECORD_KINDS
    )


def test_a_subjects_read_opens_only_its_bucket(
    bucketed: RecordStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = bucketed
    subject = "S000000042"
    bucket = subject_bucket(subject, 8)
    for kind in RECORD_KINDS:
        paths = store.paths(kind, subjects=[subject])
        if kind == "supplier_payment" and not paths:
            continue  # organisations' invoices: none in this person's bucket
        assert paths
        assert {bucket_of_part(str(p.relative_to(store.kind_dir(kind)))) for p in paths} == {bucket}
        assert len(paths) < len(store.paths(kind))
        whole = store.read(kind)
        mine = whole.filter(pc.equal(whole.column("subject_id"), subject))
        assert _rows(store.read(kind, subjects=[subject])) == _rows(mine)

    opened: list[str] = []
    real = engines.read_parquet

    def spy(con: Any, paths: Any, **kwargs: Any) -> Any:
        opened.extend([str(paths)] if isinstance(paths, str | Path) else map(str, paths))
        return real(con, paths, **kwargs)

    monkeypatch.setattr(engines, "read_parquet", spy)
    one = compute_features(store, AS_OF, subjects=[subject], known_at=AT)
    records = [p for p in opened if "/_suppressions/" not in p and "/_consents/" not in p]
    assert records
    assert all(f"/bucket={bucket}/" in p for p in records)
    opened.clear()
    everyone = compute_features(store, AS_OF, known_at=AT)
    assert any("bucket=*" in p for p in opened)  # the whole store: every bucket in one read
    [row] = everyone.filter(pc.equal(everyone.column("subject_id"), subject)).to_pylist()
    assert one.to_pylist() == [row]


def test_a_version_1_store_is_read_and_written_flat_as_before(
    synth_dir: Path, bucketed: RecordStore, tmp_path: Path
) -> None:
    store = RecordStore(tmp_path / "store")
    # a store written before buckets: the test writes the old layout by hand, then the
    # layout file goes and only committed batches are left, as such a store is
    store.root.mkdir()
    (store.root / "_layout.json").write_text('{"version": 1}')
    _ingest_all(synth_dir, store)
    (store.root / "_layout.json").unlink()
    assert store.layout() == Layout(1)
    for m in store.batches():
        assert all("/" not in name for name in m.parts)
    # a later batch in a version-1 store stays flat: the store is one layout or the other
    later = tmp_path / "inquiry.csv"
    later.write_text(
        "record_id,subject_id,furnisher,purpose,inquiry_date\n"
        "late-1,S000000042,bank,credit_limit,2024-06-01\n"
    )
    ingest(later, store, ingested_at=AT + dt.timedelta(days=1))
    assert not (store.root / "_layout.json").exists()
    assert all("/" not in n for m in store.batches() for n in m.parts)
    assert store.paths("inquiry", subjects=["S000000042"]) == store.paths("inquiry")
    # the same records as the bucketed store, and the same features from them
    for kind in ("subject", "obligation", "tradeline"):
        assert _rows(store.read(kind)) == _rows(bucketed.read(kind))
    flat = compute_features(store, AS_OF, known_at=AT).sort_by("subject_id")
    assert flat.equals(compute_features(bucketed, AS_OF, known_at=AT).sort_by("subject_id"))


def _rows(table: pa.Table) -> list[tuple[Any, ...]]:
    """A table's rows without the batch id (a batch's id depends on its file's bytes)."""
    names = [n for n in table.column_names if n != "batch_id"]
    return sorted(tuple(map(repr, r.values())) for r in table.select(names).to_pylist())


def test_a_store_is_created_with_its_bucket_count_which_is_then_fixed(
    synth_dir: Path, tmp_path: Path
) -> None:
    root = tmp_path / "nation" / "store"
    assert init_store(root, buckets=16384) == Layout(2, 16384, "sha256-u64be-mod")
    assert init_store(root, buckets=16384).buckets == 16384  # again: nothing changes
    ingest(synth_dir / "subject.parquet", RecordStore(root), ingested_at=AT)
    store = RecordStore(root)  # the default count of a new store does not apply to this one
    assert store.layout().buckets == 16384
    [m] = store.batches()
    assert {bucket_of_part(n) for n in m.parts} == set(
        subject_buckets(store.read("subject").column("subject_id"), 16384).tolist()
    )
    with pytest.raises(SchemaError, match="in 16384 buckets; its bucket count is fixed"):
        init_store(root, buckets=64)
