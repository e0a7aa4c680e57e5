"""The "search" form of the scorecard expression (the fast SQL form on DuckDB) equals the reference.

It compares float32 columns in float32 against edges rounded up, lets NULL and NaN fall through to
``missing``, and computes the sub-scores from the reason keys: each of these is checked here on the
values where a mistake would show (float32 neighbours of edges that float32 cannot hold, edges
beyond float32's range or meeting after rounding, specials float32 cannot equal, criteria on such
values, ties between reasons, more characteristics than a power of two). The Hypothesis tests draw
artifacts with and without interactions (pairs); tests/property/test_interactions_sql.py holds
pairs to the reference on a grid of values of both inputs.
"""

from __future__ import annotations

import math
from typing import Any

import duckdb
import ibis
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring_strategies import artifact_of, artifacts_and_data, duckdb_search_scores
from trustscore.exceptions import EngineError
from trustscore.scoring import ScorecardArtifact, input_schema, to_ibis, to_sql
from trustscore.scoring._reference_table import reference_table


def _artifact(chars: list[dict[str, Any]], criteria: list[dict[str, Any]]) -> ScorecardArtifact:
    return artifact_of(chars, criteria, model_version="search-1")


def _numeric(name: str, edges: list[float], points: list[int], **extra: Any) -> dict[str, Any]:
    bins: list[dict[str, Any]] = [
        {"upper": e, "points": p} for e, p in zip(edges, points[: len(edges)], strict=True)
    ]
    bins.append({"upper": None, "points": points[len(edges)]})
    return {
        "name": name,
        "dimension": extra.pop("dimension", "d"),
        "type": "numeric",
        "reason_code": extra.pop("reason_code", f"R_{name}"),
        "reason": name,
        "bins": bins,
        "missing": {"points": extra.pop("missing", 7)},
        **extra,
    }


def _neighbours32(values: list[float]) -> list[float]:
    """Each value's float32 rounding and the float32 numbers on either side of it."""
    out: list[float] = []
    with np.errstate(over="ignore"):
        for v in values:
            f = np.float32(v)
            out += [
                float(f),
                float(np.nextafter(f, np.float32(-np.inf))),
                float(np.nextafter(f, np.float32(np.inf))),
            ]
    return out


def _with_or_without_pairs(max_rows: int) -> st.SearchStrategy[tuple[ScorecardArtifact, pa.Table]]:
    """Artifacts with interactions (pairs) and without, and rows to score with them."""
    return st.one_of(
        artifacts_and_data(max_rows=max_rows),
        artifacts_and_data(max_rows=max_rows, interactions=True),
    )


def _assert_same(got: pa.Table, want: pa.Table) -> None:
    assert got.schema == want.schema
    for name in want.column_names:
        assert got[name].to_pylist() == want[name].to_pylist(), name


def _sql_text_scores(art: ScorecardArtifact, data: pa.Table, form: str) -> pa.Table:
    """``to_sql(art, "duckdb", form=form)`` run in DuckDB over float64 columns, in row order."""
    cols = {
        name: data[name].cast(pa.float64()) if pa.types.is_floating(data[name].type) else data[name]
        for name in data.column_names
    }
    features = pa.table({"row_id": [f"{i:06d}" for i in range(data.num_rows)], **cols})
    con = duckdb.connect()
    con.register("features", features)
    sql = to_sql(art, "duckdb", keep=["row_id"], form=form)  # type: ignore[arg-type]
    got = con.sql(f"SELECT * FROM ({sql}) ORDER BY row_id").to_arrow_table()
    return got.drop_columns(["row_id"])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_with_or_without_pairs(max_rows=20))
def test_search_sql_text_equals_reference(case: tuple[ScorecardArtifact, pa.Table]) -> None:
    art, data = case
    got = _sql_text_scores(art, data, "search")
    want = reference_table(art, data)
    for name in want.column_names:
        assert got[name].to_pylist() == want[name].to_pylist(), name


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_with_or_without_pairs(max_rows=20))
def test_search_score_only_equals_reference(case: tuple[ScorecardArtifact, pa.Table]) -> None:
    art, data = case  # score only: the values are points, not reason keys
    _assert_same(
        duckdb_search_scores(art, data, reasons=False),
        reference_table(art, data, reasons=False),
    )


@pytest.mark.parametrize("typ", [pa.float32(), pa.float64()])
@pytest.mark.parametrize("reasons", [True, False])
def test_edges_float32_cannot_hold(typ: pa.DataType, reasons: bool) -> None:
    # 0.1 and 0.3 are not float32 numbers; 0.1 and its next double meet when rounded up to
    # float32 (the bin between them is empty); +-1e300 lie beyond float32's range
    edges = [-1e300, 0.1, math.nextafter(0.1, 1.0), 0.3, 2.0, 1e300]
    special = [{"values": [0.2, 2.0, 1e300], "points": 41}, {"values": [-0.0], "points": 43}]
    art = _artifact(
        [_numeric("x", edges, [1, 3, 5, 9, 13, 17, 19], special=special, missing=29)], []
    )
    values: list[float | None] = [
        *_neighbours32([*edges, 0.2, 0.0, 3.4e38]),
        1e300,
        math.nan,
        math.inf,
        -math.inf,
        None,
        0.2,
        float(np.float32(0.2)),
    ]
    with np.errstate(over="ignore"):
        data = pa.table({"x": pa.array(values, type=typ)})
    _assert_same(
        duckdb_search_scores(art, data, reasons=reasons),
        reference_table(art, data, reasons=reasons),
    )


@pytest.mark.parametrize("op", [">=", ">", "<=", "<", "==", "!=", "not_null"])
@pytest.mark.parametrize("value", [0.1, 6.0, -0.0, 1e300])
def test_float32_criteria_on_values_float32_cannot_hold(op: str, value: float) -> None:
    crit: dict[str, Any] = {"column": "m", "op": op, "text": ""}
    if op != "not_null":
        crit["value"] = value
    art = _artifact([_numeric("x", [0.5], [2, 4])], [crit])
    m = [*_neighbours32([0.1, 6.0, 0.0, 3.4e38]), 0.1, math.nan, math.inf, -math.inf, None]
    with np.errstate(over="ignore"):
        data = pa.table(
            {
                "x": pa.array([0.25] * len(m), type=pa.float32()),
                "m": pa.array(m, type=pa.float32()),
            }
        )
    _assert_same(duckdb_search_scores(art, data), reference_table(art, data))


def test_ties_and_more_characteristics_than_a_power_of_two() -> None:
    # 33 characteristics: the reason keys use 64 slots; equal losses must keep artifact order
    chars = [
        _numeric(
            f"x{j:02d}",
            [0.0, 1.0],
            [0, 5 * (j % 3), 10],
            dimension=f"d{j % 5}",
            reason_code=f"R{j:02d}",
            missing=j % 4,
        )
        for j in range(33)
    ]
    art = _artifact(chars, [{"column": "x00", "op": "not_null", "text": ""}])
    rng = np.random.default_rng(3)
    n = 400
    cols = {}
    for j in range(33):
        x = rng.choice([-1.0, 0.5, 2.0, math.nan], size=n)
        cols[f"x{j:02d}"] = pa.array(x, mask=rng.random(n) < 0.1)
    data = pa.table(cols)
    _assert_same(duckdb_search_scores(art, data), reference_table(art, data))


def test_float32_columns_are_compared_without_casts_or_missing_tests() -> None:
    # what makes the form fast on DuckDB: no CAST to DOUBLE and no IS NULL / isnan per value
    art = _artifact(
        [_numeric("x", [0.1, 0.5], [1, 2, 3]), _numeric("y", [1.0], [4, 6])],
        [{"column": "m", "op": ">=", "value": 6, "text": ""}],
    )
    t = ibis.table({"x": "float32", "y": "float32", "m": "float64"}, name="f")
    sql = str(ibis.to_sql(to_ibis(art, t, form="search"), "duckdb"))
    for col in ("x", "y", "m"):  # no input column is cast
        assert f'CAST("t0"."{col}"' not in sql
    assert "CAST('0.10000000149011612' AS REAL)" in sql  # 0.1 rounded up to float32
    assert sql.upper().count("ISNAN") == 1  # the criterion's only
    assert '"x" IS NULL' not in sql
    assert '"y" IS NULL' not in sql


@pytest.mark.parametrize("form", ["sum", "case", "search"])
def test_postgres_sql_keeps_each_projection_apart(form: str) -> None:
    # PostgreSQL flattens a plain subquery into the query above it, copying its expressions
    # into every use: the reason steps would grow as (elements)^4. A LIMIT keeps it apart.
    from trustscore.scoring._artifact import example_artifact_dict

    pairs = ScorecardArtifact.from_dict(example_artifact_dict(interaction=True))
    sql = to_sql(pairs, "postgres", form=form)  # type: ignore[arg-type]
    assert sql.count("FROM (") == sql.count("LIMIT 9223372036854775807") > 0
    for dialect in ("duckdb", "pyspark"):  # other engines keep their plans
        assert "LIMIT" not in to_sql(pairs, dialect, form=form)  # type: ignore[arg-type]


def test_unknown_form_is_refused() -> None:
    art = _artifact([_numeric("x", [0.5], [1, 2])], [])
    with pytest.raises(EngineError, match="'tree'; choose one of sum, case, search"):
        to_ibis(art, ibis.table(input_schema(art), name="f"), form="tree")  # type: ignore[arg-type]


@pytest.mark.postgres
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=_with_or_without_pairs(max_rows=15))
def test_search_sql_text_in_postgres_equals_reference(
    pg: Any, case: tuple[ScorecardArtifact, pa.Table]
) -> None:
    art, data = case
    schema = input_schema(art)
    types = {n: "double precision" if t == "float64" else "text" for n, t in schema.items()}
    rows = [
        [i, *(data[n][i].as_py() for n in schema)]  # float32 values are exact as doubles
        for i in range(data.num_rows)
    ]
    with pg.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS pg_temp.features")
        cols = ", ".join(f'"{n}" {t}' for n, t in types.items())
        cur.execute(f"CREATE TEMP TABLE features (row_id integer, {cols})")
        if rows:
            marks = ", ".join(["%s::integer", *(f"%s::{t}" for t in types.values())])
            cur.executemany(f"INSERT INTO features VALUES ({marks})", rows)
        sql = to_sql(art, "postgres", keep=["row_id"], form="search")
        cur.execute(f"SELECT * FROM ({sql}) AS s ORDER BY row_id")
        names = [d.name for d in cur.description]
        fetched = cur.fetchall()
    want = reference_table(art, data)
    for name in want.column_names:
        got = [r[names.index(name)] for r in fetched]
        assert got == want[name].to_pylist(), name


@pytest.mark.spark
@pytest.mark.slow
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=_with_or_without_pairs(max_rows=25))
def test_search_form_on_spark_equals_reference(
    spark: Any, case: tuple[ScorecardArtifact, pa.Table]
) -> None:
    from trustscore.scoring._score import _prepare_for_sql, _run_spark, output_schema

    art, data = case
    names = output_schema(art).names

    def build(t: Any) -> Any:  # float32 columns reach Spark as FloatType
        return to_ibis(art, t, form="search").order_by("_ts_row").select(*names)

    got = _run_spark(_prepare_for_sql(art, data, [], row_number=True), build)
    _assert_same(got.cast(output_schema(art)), reference_table(art, data))


def test_integer_columns_are_read_as_numbers() -> None:
    art = _artifact(
        [_numeric("x", [-1.0, 2.0, 2.5], [1, 3, 5, 9], special=[{"values": [7], "points": 4}])],
        [{"column": "m", "op": ">", "value": 2.5, "text": ""}],
    )
    data = pa.table(
        {
            "x": pa.array([-5, -1, 0, 2, 3, 7, None, 2**40], type=pa.int64()),
            "m": pa.array([3, 2, 9, 9, 9, 9, 9, None], type=pa.int32()),
        }
    )
    want = reference_table(art, data)
    expr = to_ibis(art, ibis.memtable(data), form="search").select(*want.column_names)
    _assert_same(expr.to_pyarrow().cast(want.schema), want)  # one small batch: order kept


@pytest.mark.parametrize("form", ["sum", "case", "search"])
def test_interactions_are_scored_in_every_form(form: str) -> None:
    from trustscore.scoring._artifact import example_artifact_dict

    pairs = ScorecardArtifact.from_dict(example_artifact_dict(interaction=True))
    # the pair's edge 0.9, its special -1, NULL, NaN, +-inf on one side; each group, an
    # unseen level and NULL on the other
    xs = [0.9, math.nextafter(0.9, 0.0), -1.0, None, math.nan, math.inf, -math.inf, 0.2]
    levels = ["none", "card", "loan", "zz", None]
    rows = [(x, k) for x in xs for k in levels]
    data = pa.table(
        {
            "on_time_rate": pa.array([r[0] for r in rows], type=pa.float64()),
            "card_kind": pa.array([r[1] for r in rows], type=pa.string()),
            "months_history": pa.array([12.0] * len(rows)),
        }
    )
    got = _sql_text_scores(pairs, data, form)
    want = reference_table(pairs, data)
    for name in want.column_names:
        assert got[name].to_pylist() == want[name].to_pylist(), name
    # the pair is a reason where a cell lost points (0.2 with "card": PR01 first, then PR02),
    # never where it gave its otherwise
    assert "PR02" in got["reason_2"].to_pylist()


@pytest.mark.parametrize("form", ["sum", "case", "search"])
def test_reasons_are_true_by_construction_in_every_form(form: str) -> None:
    # a's missing value earns more than its best bin (a negative loss: never a reason), its
    # special -1 exactly the best bin's points, its special -2 less (the no-information code);
    # b's unseen levels lose under its adverse code, NULL under its no-information one; the
    # pair's otherwise loses 100 against its best cell and is never a reason
    a = _numeric(
        "a",
        [0.0, 1.0],
        [0, 150, 250],
        dimension="d1",
        reason_code="A",
        missing_reason_code="AN",
        direction=1,
        missing=300,
        special=[{"values": [-1.0], "points": 250}, {"values": [-2.0], "points": 50}],
    )
    b = {
        "name": "b",
        "dimension": "d2",
        "type": "categorical",
        "reason_code": "B",
        "missing_reason_code": "BN",
        "reason": "b",
        "bins": [{"categories": ["none"], "points": 0}, {"categories": ["card"], "points": 300}],
        "missing": {"points": 100},
        "other": {"points": 50},
    }
    pair = {
        "name": "a_x_b",
        "inputs": ["a", "b"],
        "dimension": "d1",
        "reason_code": "P",
        "reason": "a with b",
        "axes": [{"edges": [1.0]}, {"groups": [["none"], ["card"]]}],
        "cells": [{"points": 0}, {"points": 50}, {"points": 20}, {"points": 100}],
        "otherwise": {"points": 0},
    }
    art = artifact_of([a, b], [], [pair], model_version="true-1")
    rows = [
        (2.0, "card", 650, []),
        (None, "card", 600, []),
        (math.nan, "card", 600, []),
        (-1.0, "card", 550, []),
        (-2.0, "none", 50, ["B", "AN"]),
        (0.5, None, 250, ["BN", "A"]),
        (0.5, "zz", 200, ["B", "A"]),
        (0.5, "none", 150, ["B", "A", "P"]),  # A and P lose 100 each: artifact order
        (2.0, "none", 270, ["B", "P"]),
    ]
    data = pa.table(
        {
            "a": pa.array([r[0] for r in rows], type=pa.float64()),
            "b": pa.array([r[1] for r in rows], type=pa.string()),
        }
    )
    want = reference_table(art, data)
    assert want["score"].to_pylist() == [r[2] for r in rows]
    reasons = [[want[f"reason_{i}"][j].as_py() for i in range(1, 5)] for j in range(len(rows))]
    assert [[c for c in rs if c] for rs in reasons] == [r[3] for r in rows]
    _assert_same(_sql_text_scores(art, data, form), want)
    expr = to_ibis(art, ibis.memtable(data), form=form)  # type: ignore[arg-type]
    _assert_same(expr.select(*want.column_names).to_pyarrow().cast(want.schema), want)


@pytest.mark.parametrize("form", ["sum", "case", "search"])
def test_reason_keys_become_64_bit_where_their_sums_could_pass_32(
    form: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # engines type a CASE of small integer literals as 32-bit and refuse (DuckDB, PostgreSQL)
    # or wrap (Spark) a sum beyond it: keys whose sums could pass 2^31 - 1 are cast to BIGINT.
    # Such an artifact needs thousands of reason slots, so the limit is lowered here instead.
    import trustscore.scoring._ibis as sql_module
    from trustscore.scoring._artifact import example_artifact_dict
    from trustscore.scoring._sql_elements import ReasonKeys

    art = ScorecardArtifact.from_dict(example_artifact_dict(interaction=True))
    keys = ReasonKeys.of(art)
    assert (keys.slots, keys.width) == (8, 256)  # 5 slots; spreads 50 + 80 + 25 = 155
    assert 0 < keys.max_sum < 2**31 - 1
    narrow = to_sql(art, "duckdb", form=form).count("AS BIGINT)")  # type: ignore[arg-type]
    monkeypatch.setattr(sql_module, "_INT32_MAX", keys.max_sum - 1)
    wide = to_sql(art, "duckdb", form=form).count("AS BIGINT)")  # type: ignore[arg-type]
    assert wide == narrow + len(art.elements)  # each element's key
    xs = [0.95, 0.2, -1.0, None, math.nan, 0.9]
    levels = ["none", "card", "zz", None]
    rows = [(x, k) for x in xs for k in levels]
    data = pa.table(
        {
            "on_time_rate": pa.array([r[0] for r in rows], type=pa.float64()),
            "card_kind": pa.array([r[1] for r in rows], type=pa.string()),
            "months_history": pa.array([12.0] * len(rows)),
        }
    )
    _assert_same(_sql_text_scores(art, data, form), reference_table(art, data))
