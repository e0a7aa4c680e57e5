"""Issue 13, step 3 on Spark: the subject's bucket in Spark SQL is Python's, exactly, and the
feature job over a bucketed store (every bucket's files in one read) equals DuckDB's."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pytest

from trustscore.features import compute_features, subject_kinds
from trustscore.records import RECORD_KINDS, RecordStore, bucket_sql, ingest, subject_bucket
from trustscore.synth import generate

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option"),
]

AS_OF = dt.date(2024, 6, 30)
AT = dt.datetime(2024, 7, 1, tzinfo=dt.UTC)
IDS = ["", "s1", "S000000001", "é", "e\u0301", "中文身份证", "😀🏳️‍🌈", "x" * 500, " s "] + [
    f"S{i:09d}" for i in range(500)
]


def test_spark_sql_computes_the_declared_bucket_exactly(spark: Any) -> None:
    rows = [(i, s) for i, s in enumerate(IDS)]
    spark.createDataFrame(rows, "i INT, subject_id STRING").createOrReplaceTempView("bucket_ids")
    for buckets in (7, 64, 16384, 1 << 20):
        got = spark.sql(
            f"SELECT i, {bucket_sql('subject_id', buckets, dialect='spark')} AS b "
            "FROM bucket_ids ORDER BY i"
        ).collect()
        declared = [
            int(hashlib.sha256(s.encode("utf-8")).hexdigest()[:16], 16) % buckets for s in IDS
        ]
        assert [r["b"] for r in got] == declared
        assert [subject_bucket(s, buckets) for s in IDS] == declared


def test_spark_features_of_a_bucketed_store_equal_duckdbs(spark: Any, tmp_path: Path) -> None:
    generate(tmp_path / "synth", n_subjects=80, seed=5, as_of=AS_OF)
    store = RecordStore(tmp_path / "store", buckets=8)
    for kind in RECORD_KINDS:
        ingest(tmp_path / "synth" / f"{kind}.parquet", store, ingested_at=AT)
    assert len(store.paths("obligation")) > 1
    duck = compute_features(store, AS_OF, known_at=AT).sort_by("subject_id")
    on_spark = compute_features(store, AS_OF, known_at=AT, engine="spark").sort_by("subject_id")
    # the persons' features: every person of the population, no organisation
    kinds = subject_kinds(store)
    assert len(kinds) == 80
    assert duck.num_rows == sum(k == "person" for k in kinds.values()) > 0
    assert on_spark.schema == duck.schema
    for name in duck.column_names:
        assert on_spark[name].to_pylist() == duck[name].to_pylist(), name
