"""The feature expression gives the same table on Spark as on DuckDB."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from random_stores import write_random_store
from trustscore import engines
from trustscore.features import (
    DEFAULT_CONSENT_CATEGORIES,
    bills_without_consent,
    compute_features,
    feature_table,
    load_tables,
)
from trustscore.features._expressions import unconsented_bills

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    # pyspark 4.3's toPandas uses options and keywords that pandas 3 deprecates
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option"),
]

AS_OFS = (dt.date(2023, 6, 30), dt.date(2024, 12, 31))
#: knowledge cutoffs: the as-of day's end (None), and moments before and after it
KNOWN_ATS = (None, dt.datetime(2023, 3, 1, tzinfo=dt.UTC), dt.datetime(2025, 3, 1, tzinfo=dt.UTC))


@pytest.fixture(scope="module")
def random_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_random_store(tmp_path_factory.mktemp("spark-features") / "store")


def _assert_same(left: pa.Table, right: pa.Table) -> None:
    """Bit-identical: exact equality of every value, never a tolerance."""
    assert left.schema == right.schema
    assert left["subject_id"].to_pylist() == right["subject_id"].to_pylist()
    for name in left.column_names[1:]:
        assert left[name].to_pylist() == right[name].to_pylist(), name


@pytest.mark.parametrize("consent", [(), DEFAULT_CONSENT_CATEGORIES, ("rent", "utility")])
def test_feature_table_on_spark_equals_duckdb(
    spark: Any, random_store: Path, consent: tuple[str, ...]
) -> None:
    as_of = AS_OFS[1]
    results = {}
    for engine in ("duckdb", "spark"):
        con = engines.connect(engine)
        tables = load_tables(con, random_store, engine=engine)
        expr = feature_table(tables, as_of, consent_categories=consent)
        results[engine] = con.to_pyarrow(expr)
    duck, spk = results["duckdb"], results["spark"]
    assert duck.num_rows > 30
    # the data exercise the features: not all NULL, not all equal
    for name in duck.column_names[1:]:
        assert len(set(duck[name].to_pylist())) > 1, name
    _assert_same(spk.sort_by("subject_id"), duck.sort_by("subject_id"))


def test_bills_left_out_for_lack_of_consent_are_the_same_on_spark(
    spark: Any, random_store: Path
) -> None:
    for known_at in KNOWN_ATS:
        kw: dict[str, Any] = {"consent_categories": DEFAULT_CONSENT_CATEGORIES,
                              "known_at": known_at}  # fmt: skip
        duck = bills_without_consent(random_store, AS_OFS[1], **kw)
        spk = bills_without_consent(random_store, AS_OFS[1], engine="spark", **kw)
        assert duck.num_rows > 20  # the store has bills with and without consent
        assert spk.equals(duck)
    # with consent, fewer bills count than without: the filter does something
    con = engines.connect("duckdb")
    tables = load_tables(con, random_store)
    left = con.to_pyarrow(
        unconsented_bills(tables, AS_OFS[1], consent_categories=DEFAULT_CONSENT_CATEGORIES)
    )
    assert 0 < left.num_rows < con.to_pyarrow(tables["obligation"]).num_rows


def test_compute_features_on_spark_with_subjects(spark: Any, random_store: Path) -> None:
    known = compute_features(random_store, AS_OFS[0])["subject_id"].to_pylist()
    assert len(known) > 10
    some = [*known[1:8:3], "nobody"]
    duck = compute_features(random_store, AS_OFS[0], subjects=some)
    spk = compute_features(random_store, AS_OFS[0], subjects=some, engine="spark")
    assert duck["subject_id"].to_pylist() == some[:3]
    _assert_same(spk, duck)


def test_scores_from_spark_features_equal_scores_from_duckdb_features(
    spark: Any, random_store: Path
) -> None:
    """Records to scores on Spark give the same scores, sub-scores and reasons as on DuckDB,
    with bins cut exactly at the values the features take (a value on an edge goes above it)."""
    from scoring_strategies import artifact_of
    from trustscore.scoring import score

    duck = compute_features(random_store, AS_OFS[1])
    spk = compute_features(random_store, AS_OFS[1], engine="spark")
    chars = []
    for j, name in enumerate(c for c in duck.column_names if c != "subject_id"):
        values = sorted({v for v in duck[name].to_pylist() if v is not None})
        edges = values[1::2][:6]  # edges exactly at observed values, odd and even rows apart
        chars.append(
            {
                "name": name,
                "dimension": "d",
                "type": "numeric",
                "reason_code": f"R{j:02d}",
                "reason": name,
                "bins": [
                    *({"upper": e, "points": 3 * k} for k, e in enumerate(edges)),
                    {"upper": None, "points": 3 * len(edges)},
                ],
                "missing": {"points": 1},
            }
        )
    art = artifact_of(chars)
    want = score(art, duck)
    assert score(art, spk, engine="spark").equals(want)
    assert score(art, spk).equals(want)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_features_are_bit_identical_on_hypothesis_made_stores(
    spark: Any, tmp_path_factory: pytest.TempPathFactory, seed: int
) -> None:
    """Each example is a whole store of 150 subjects (late and unpaid bills, cards at and over
    their limits, re-sent versions, deletions, suppressions), scored in one query per engine
    and as-of date: many subjects' edge cases per Spark job, compared with exact equality."""
    store = write_random_store(tmp_path_factory.mktemp("hyp-store") / "store", 150, seed)
    for as_of, known_at in zip(AS_OFS, KNOWN_ATS[1:], strict=True):
        results = {}
        for engine in ("duckdb", "spark"):
            con = engines.connect(engine)
            expr = feature_table(
                load_tables(con, store, engine=engine), as_of, known_at=known_at,
                consent_categories=DEFAULT_CONSENT_CATEGORIES[: 1 + seed % 4],
            )  # fmt: skip
            results[engine] = con.to_pyarrow(expr).sort_by("subject_id")
        _assert_same(results["spark"], results["duckdb"])


def test_spark_writes_the_features_of_a_store_without_suppressions(
    spark: Any, tmp_path: Path
) -> None:
    # a store as ingest leaves it before any dispute: no _suppressions folder, so the feature
    # expression reads an in-memory empty table, which Spark must see as a view
    import shutil

    import pyarrow.dataset as pads

    from trustscore.features import write_features_spark

    store = write_random_store(tmp_path / "store", n_subjects=40, seed=7)
    shutil.rmtree(store / "_suppressions", ignore_errors=True)
    as_of = AS_OFS[1]
    n = write_features_spark(store, as_of, tmp_path / "features")
    written = pads.dataset(tmp_path / "features", format="parquet").to_table()
    duck = compute_features(store, as_of)
    assert n == duck.num_rows > 0
    _assert_same(written.sort_by("subject_id"), duck)


@pytest.fixture(scope="module")
def org_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Persons and 300 organisations: invoices early, within and far beyond their terms,
    unpaid ones, versions, deletions, suppressions, and public records of every kind."""
    root = tmp_path_factory.mktemp("spark-org-features") / "store"
    return write_random_store(root, 40, seed=7, n_organisations=300)


def test_organisation_features_and_scores_on_spark_equal_duckdb(
    spark: Any, org_store: Path
) -> None:
    """Every organisation of the store is an example, all in one Spark query per as-of date
    and knowledge cutoff; values and scores (with sub-scores and reasons) compared exactly."""
    from scoring_strategies import artifact_of
    from trustscore.features import ORG_DIMENSIONS, org_feature_table
    from trustscore.scoring import score

    for as_of, known_at in zip(AS_OFS, KNOWN_ATS[1:], strict=True):
        results = {}
        for engine in ("duckdb", "spark"):
            con = engines.connect(engine)
            expr = org_feature_table(
                load_tables(con, org_store, engine=engine), as_of, known_at=known_at
            )
            results[engine] = con.to_pyarrow(expr).sort_by("subject_id")
        duck = results["duckdb"]
        # organisations created and known by then, never one of the 40 persons
        assert 100 < duck.num_rows <= 300
        assert all(s.startswith("f") for s in duck["subject_id"].to_pylist())
        for name in duck.column_names[1:]:
            assert len(set(duck[name].to_pylist())) > 1, name
        _assert_same(results["spark"], duck)

    duck = compute_features(org_store, AS_OFS[1], subject_kind="organisation")
    spk = compute_features(org_store, AS_OFS[1], subject_kind="organisation", engine="spark")
    _assert_same(spk, duck)
    dims = list(ORG_DIMENSIONS)
    chars = []
    for j, name in enumerate(c for c in duck.column_names if c != "subject_id"):
        values = sorted({v for v in duck[name].to_pylist() if v is not None})
        edges = values[1::2][:6]  # edges exactly at observed values
        chars.append(
            {
                "name": name, "dimension": dims[j % 3], "type": "numeric",
                "reason_code": f"O{j:02d}", "reason": name,
                "bins": [
                    *({"upper": e, "points": 3 * k} for k, e in enumerate(edges)),
                    {"upper": None, "points": 3 * len(edges)},
                ],
                "missing": {"points": 1},
            }
        )  # fmt: skip
    art = artifact_of(chars)
    want = score(art, duck)
    assert set(dims) <= set(want.column_names)
    assert score(art, spk, engine="spark").equals(want)
    assert score(art, spk).equals(want)
