"""Every compiled scorer gives the reference scorer's answer on every row (Hypothesis).

The DuckDB routes draw artifacts with and without interactions (pairs); the kernel's pairs are
held to the reference in test_interactions_kernel.py, the SQL forms' in test_interactions_sql.py.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring_strategies import artifacts_and_data, duckdb_search_scores
from trustscore.scoring import ScorecardArtifact, score, to_sql
from trustscore.scoring._reference_table import reference_table

_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _with_or_without_pairs(max_rows: int) -> st.SearchStrategy[tuple[ScorecardArtifact, pa.Table]]:
    return st.one_of(
        artifacts_and_data(max_rows=max_rows),
        artifacts_and_data(max_rows=max_rows, interactions=True),
    )


def _assert_same(got: pa.Table, want: pa.Table) -> None:
    assert got.schema == want.schema
    for name in want.column_names:
        assert got[name].to_pylist() == want[name].to_pylist(), name


@_SETTINGS
@given(case=artifacts_and_data())
def test_kernel_equals_reference(case: tuple[ScorecardArtifact, pa.Table]) -> None:
    art, data = case
    _assert_same(score(art, data), reference_table(art, data))


@_SETTINGS
@given(case=artifacts_and_data())
def test_kernel_equals_reference_over_many_batches(
    case: tuple[ScorecardArtifact, pa.Table],
) -> None:
    art, data = case
    chunked = pa.concat_tables([data.slice(i, 3) for i in range(0, data.num_rows, 3)] or [data])
    _assert_same(score(art, chunked), reference_table(art, data))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_with_or_without_pairs(max_rows=20))
def test_duckdb_engine_equals_reference(case: tuple[ScorecardArtifact, pa.Table]) -> None:
    art, data = case
    want = reference_table(art, data)
    _assert_same(score(art, data, engine="duckdb"), want)
    # several record batches: DuckDB scans them on several threads and must keep their order
    chunked = pa.concat_tables([data.slice(i, 3) for i in range(0, data.num_rows, 3)] or [data])
    _assert_same(score(art, chunked, engine="duckdb"), want)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_with_or_without_pairs(max_rows=20))
def test_duckdb_search_form_equals_reference(case: tuple[ScorecardArtifact, pa.Table]) -> None:
    # the SQL form DuckDB runs fastest, as SQL, over slices of 3 rows on several threads
    art, data = case
    _assert_same(duckdb_search_scores(art, data, batch_rows=3), reference_table(art, data))


def test_duckdb_engine_keeps_row_order_with_long_in_lists() -> None:
    # DuckDB's in_clause optimizer turns an IN list of five or more levels into a hash join
    # that returns a multi-batch scan's rows out of order (duckdb/duckdb#24398)
    from trustscore.scoring._artifact import example_artifact_dict

    d = example_artifact_dict()
    d["characteristics"][1]["bins"] = [
        {"categories": list("abcdefg"), "points": 10},
        {"categories": ["h"], "points": 90},
    ]
    art = ScorecardArtifact.from_dict(d)
    n = 20_000
    data = pa.table(
        {
            "on_time_rate": [(i % 97) / 96 for i in range(n)],
            "card_kind": ["abcdefghij"[(i * 7) % 10] for i in range(n)],
            "months_history": [12.0] * n,
        }
    )
    chunked = pa.concat_tables([data.slice(i, 100) for i in range(0, n, 100)])
    want = reference_table(art, data)
    for _ in range(3):  # the threads' race lost the order in 18 of 20 runs here
        _assert_same(duckdb_search_scores(art, chunked), want)
        _assert_same(score(art, chunked, engine="duckdb"), want)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_with_or_without_pairs(max_rows=20))
def test_duckdb_sql_text_equals_reference(case: tuple[ScorecardArtifact, pa.Table]) -> None:
    art, data = case
    con = duckdb.connect()
    # the SQL form reads numbers as DOUBLE; row order is restored through an id column
    cols = {
        name: data[name].cast(pa.float64()) if pa.types.is_floating(data[name].type) else data[name]
        for name in data.column_names
    }
    features = pa.table({"row_id": [str(i).zfill(6) for i in range(data.num_rows)], **cols})
    con.register("features", features)
    sql = to_sql(art, "duckdb", keep=["row_id"])
    got = con.sql(f"SELECT * FROM ({sql}) ORDER BY row_id").to_arrow_table()
    want = reference_table(art, data)
    for name in want.column_names:
        assert got[name].to_pylist() == want[name].to_pylist(), name
