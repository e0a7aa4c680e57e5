"""The PostgreSQL form of a scorecard, run on a real PostgreSQL, equals the reference scorer.

The artifacts are drawn with and without interactions (pairs); tests/property/
test_interactions_sql.py also runs every form of pair artifacts on PostgreSQL.
"""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring_strategies import artifacts_and_data
from trustscore.scoring import ScorecardArtifact, input_schema, to_sql
from trustscore.scoring._reference_table import reference_table

pytestmark = pytest.mark.postgres


def _postgres_scores(
    pg: Any, art: ScorecardArtifact, data: pa.Table, form: str = "sum"
) -> dict[str, list[Any]]:
    schema = input_schema(art)
    cols = ", ".join(
        f'"{name}" {"double precision" if t == "float64" else "text"}' for name, t in schema.items()
    )
    rows = []
    for i in range(data.num_rows):
        row: list[Any] = [i]
        for name in schema:
            v = data[name][i].as_py()
            row.append(float(v) if isinstance(v, float) else v)
        rows.append(row)
    with pg.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS pg_temp.features")
        cur.execute(f"CREATE TEMP TABLE features (row_id integer, {cols})")
        if rows:
            # typed placeholders: a column whose first value is NULL must not be read as text
            marks = ", ".join(
                ["%s::integer"]
                + [
                    f"%s::{'double precision' if t == 'float64' else 'text'}"
                    for t in schema.values()
                ]
            )
            cur.executemany(f"INSERT INTO features VALUES ({marks})", rows)
        sql = to_sql(art, "postgres", keep=["row_id"], form=form)  # type: ignore[arg-type]
        cur.execute(f"SELECT * FROM ({sql}) AS s ORDER BY row_id")
        names = [d.name for d in cur.description]
        fetched = cur.fetchall()
    return {n: [r[i] for r in fetched] for i, n in enumerate(names)}


def test_postgres_handles_nan_and_infinity(pg: Any) -> None:
    from trustscore.scoring._artifact import example_artifact_dict

    art = ScorecardArtifact.from_dict(example_artifact_dict())
    data = pa.table(
        {
            "on_time_rate": [math.nan, math.inf, -math.inf, 0.9, None],
            "card_kind": ["card", "none", None, "zz", "loan"],
            "months_history": [6.0, 7.0, math.nan, 100.0, 6.0],
        }
    )
    got = _postgres_scores(pg, art, data)
    assert got["score"] == [120, 70, None, 100, 120]
    assert got["status"] == ["OK", "OK", "NS", "OK", "OK"]


@pytest.mark.parametrize("form", ["sum", "case", "search"])
def test_postgres_scores_a_pair_with_nan_and_infinity(pg: Any, form: str) -> None:
    from trustscore.scoring._artifact import example_artifact_dict

    art = ScorecardArtifact.from_dict(example_artifact_dict(interaction=True))
    data = pa.table(
        {
            "on_time_rate": [math.nan, math.inf, -math.inf, 0.9, None, 0.2, -1.0, 0.95],
            "card_kind": ["card", "none", None, "none", "loan", "loan", "card", "zz"],
            "months_history": [6.0] * 8,
        }
    )
    got = _postgres_scores(pg, art, data, form)
    # the pair (on_time_rate < 0.9 or not, x none or card/loan) gives [[0, 10], [15, 25]], and
    # 0 where either input is missing, special or unseen: NaN, NULL, -1, "zz"
    assert got["score"] == [120, 85, 50, 85, 120, 110, 110, 100]
    assert got["payment_reliability"] == [30, 75, 10, 75, 30, 20, 20, 60]
    # a missing or special on_time_rate gives its no-information code PR01N, an unseen level
    # card_kind's adverse CH01 and a NULL its CH01N (row 2: equal losses of 50, in artifact
    # order); the pair is a reason only from a cell, never from its otherwise
    assert list(zip(got["reason_1"], got["reason_2"], strict=True)) == [
        ("PR01N", None),
        ("CH01", "PR02"),
        ("PR01", "CH01N"),
        ("CH01", "PR02"),
        ("PR01N", None),
        ("PR01", "PR02"),
        ("PR01N", None),
        ("CH01", None),
    ]
    want = reference_table(art, data)
    for name in want.column_names:
        assert got[name] == want[name].to_pylist(), name


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    case=st.one_of(
        artifacts_and_data(max_rows=15), artifacts_and_data(max_rows=15, interactions=True)
    )
)
def test_postgres_sql_equals_reference(pg: Any, case: tuple[ScorecardArtifact, pa.Table]) -> None:
    art, data = case
    got = _postgres_scores(pg, art, data)
    want = reference_table(art, data)
    for name in want.column_names:
        assert got[name] == want[name].to_pylist(), name
