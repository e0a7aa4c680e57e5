"""Every engine gives the same input-quality flags, equal to the rule's, on every row (Hypothesis).

The rule is :func:`trustscore.scoring._quality.flag_kind`, value by value; the engines are the
kernel's vectorised pass (``score`` with ``engine="kernel"`` and the DuckDB stream through it),
the SQL form run as SQL text on DuckDB (search and sum forms), on PostgreSQL and on Spark. The
data hold values on the edges and on the quality limits (and one ulp either side), NULL, NaN,
±inf, specials and unseen levels, as float32 or float64 (``tests/scoring_strategies.py``).
Spark runs many drawn cases in one query: each case's columns under a prefix of their own.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring_strategies import artifact_of, artifacts_and_data, duckdb_search_scores
from trustscore.scoring import ScorecardArtifact, input_schema, score, to_sql
from trustscore.scoring._quality import flag_kind
from trustscore.scoring._quality_sql import quality_value

_CASES = st.one_of(
    artifacts_and_data(max_rows=25), artifacts_and_data(max_rows=25, interactions=True)
)


def expected(art: ScorecardArtifact, data: pa.Table) -> list[str | None]:
    """The ``quality`` column by the rule, row by row."""
    out: list[str | None] = []
    for row in data.to_pylist():
        flags = [
            f"{kind}:{c.name}"
            for c in art.characteristics
            if (kind := flag_kind(c, row.get(c.name))) is not None
        ]
        out.append(";".join(flags) or None)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_CASES)
def test_kernel_and_duckdb_flags_equal_the_rule(case: tuple[ScorecardArtifact, pa.Table]) -> None:
    art, data = case
    want = expected(art, data)
    assert score(art, data, quality=True)["quality"].to_pylist() == want
    chunked = pa.concat_tables([data.slice(i, 4) for i in range(0, data.num_rows, 4)] or [data])
    assert score(art, chunked, engine="duckdb", quality=True)["quality"].to_pylist() == want
    sql = duckdb_search_scores(art, data, batch_rows=4, quality=True)
    assert sql["quality"].to_pylist() == want
    con = duckdb.connect()
    con.register("features", data)
    text = to_sql(art, "duckdb", form="sum", quality=True, reasons=False)
    # one thread keeps the input order (the SQL text holds no row number)
    con.execute("SET threads = 1")
    assert [r[-1] for r in con.sql(text).fetchall()] == want


def _postgres_quality(pg: Any, art: ScorecardArtifact, data: pa.Table) -> list[Any]:
    schema = input_schema(art)
    cols = ", ".join(
        f'"{n}" {"double precision" if t == "float64" else "text"}' for n, t in schema.items()
    )
    rows = [
        [i, *(data[n][i].as_py() if n in data.column_names else None for n in schema)]
        for i in range(data.num_rows)
    ]
    with pg.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS pg_temp.features")
        cur.execute(f"CREATE TEMP TABLE features (row_id integer, {cols})")
        if rows:
            marks = ", ".join(
                ["%s::integer"]
                + [
                    f"%s::{'double precision' if t == 'float64' else 'text'}"
                    for t in schema.values()
                ]
            )
            cur.executemany(f"INSERT INTO features VALUES ({marks})", rows)
        sql = to_sql(art, "postgres", keep=["row_id"], quality=True)
        cur.execute(f"SELECT quality FROM ({sql}) AS s ORDER BY row_id")
        return [r[0] for r in cur.fetchall()]


@pytest.mark.postgres
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=_CASES)
def test_postgres_sql_flags_equal_the_rule(
    pg: Any, case: tuple[ScorecardArtifact, pa.Table]
) -> None:
    art, data = case
    assert _postgres_quality(pg, art, data) == expected(art, data)


def _prefixed(art: ScorecardArtifact, prefix: str) -> ScorecardArtifact:
    """``art``'s characteristics alone, each name under ``prefix`` (flags need nothing else)."""
    chars = []
    for c in art.characteristics:
        d = c.to_dict()
        d["name"] = prefix + c.name
        chars.append(d)
    return artifact_of(chars, model_version=f"{prefix}quality")


@pytest.mark.spark
@pytest.mark.slow
@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
@given(cases=st.lists(_CASES, min_size=1, max_size=8))
def test_spark_flags_equal_the_rule(
    spark: Any, cases: list[tuple[ScorecardArtifact, pa.Table]]
) -> None:
    from trustscore import engines

    n = max(data.num_rows for _, data in cases)
    columns: dict[str, pa.Array] = {"_row": pa.array(range(n), pa.int64())}
    arts = []
    for k, (art, data) in enumerate(cases):
        prefix = f"c{k}_"
        arts.append(_prefixed(art, prefix))
        for c in art.characteristics:  # shorter cases padded with NULL rows, not compared
            col = data[c.name].combine_chunks()
            pad = pa.nulls(n - data.num_rows, col.type)
            columns[prefix + c.name] = pa.concat_arrays([col, pad])
    table = pa.table(columns)

    def build(t: Any) -> Any:
        ordered = t.order_by("_row")
        return ordered.select(**{f"q{k}": quality_value(a, ordered) for k, a in enumerate(arts)})

    got = engines.spark_query_arrow(table, build)
    for k, (_, data) in enumerate(cases):
        own = table.select([c.name for c in arts[k].characteristics]).slice(0, data.num_rows)
        assert got[f"q{k}"].to_pylist()[: data.num_rows] == expected(arts[k], own), k
