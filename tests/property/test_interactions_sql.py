"""Every Ibis/SQL route scores interactions (pairs) exactly as the reference scorer does.

The routes: the search form run on DuckDB (float32 columns compared as float32),
:func:`to_sql` text in each form run in DuckDB and in PostgreSQL, :func:`to_ibis` in each form
over float32, integer and text columns, and ``score(engine="spark")`` (the search form) and the
CASE form on Spark. The rows are Hypothesis data plus, for every pair, the cross product of
the values of its two inputs where a mistake would show: on and beside each axis edge (beside
its float32 rounding too, for float32 columns), the specials, NULL, NaN, +-inf, huge values,
every level, an unseen level and a level in the wrong case. So each input is missing, special,
unseen or in each interval while the other is each of these too.

The numba kernel's pairs are held to the reference in test_interactions_kernel.py.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Final

import duckdb
import ibis
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring_strategies import artifacts, data_for, duckdb_search_scores, with_quality
from trustscore.scoring import ScorecardArtifact, input_schema, score, to_ibis, to_sql
from trustscore.scoring._artifact import Axis, Characteristic
from trustscore.scoring._reference_table import reference_table

_FORMS: Final = ("sum", "case", "search")
_EXTREMES: Final = (None, math.nan, math.inf, -math.inf, 0.0, -0.0, 1e300, -1e300, 6.0)
_CRITERIA_VALUES: Final = (6.0, 7.0, None, 0.0, math.nan, 1.0, -1.0)


def _as_type(values: list[float | None], typ: pa.DataType) -> list[float | None]:
    """``values`` as a column of ``typ`` holds them (float32 rounds; beyond its range is inf)."""
    if typ != pa.float32():
        return values
    with np.errstate(over="ignore"):
        return [None if v is None else float(np.float32(v)) for v in values]


def _unique(values: list[Any]) -> list[Any]:
    return list({repr(v): v for v in values}.values())  # repr keeps -0.0 apart from 0.0


def _numeric_values(c: Characteristic, axis: Axis, typ: pa.DataType) -> list[float | None]:
    edges = list(axis.edges)
    near = [
        v for e in edges for v in (e, math.nextafter(e, -math.inf), math.nextafter(e, math.inf))
    ]
    if typ == pa.float32():  # the float32 numbers around each edge's float32 rounding
        with np.errstate(over="ignore"):
            for e in edges:
                f = np.float32(e)
                near += [
                    float(np.nextafter(f, np.float32(-np.inf))),
                    float(np.nextafter(f, np.float32(np.inf))),
                ]
    specials = [v for sp in c.special for v in sp.values]
    return _unique(_as_type([*near, *specials, *_EXTREMES], typ))


def _input_values(
    art: ScorecardArtifact, name: str, axis: Axis | None, typ: pa.DataType
) -> list[Any]:
    c = art.characteristic(name)
    if c.type == "categorical":
        return [*dict.fromkeys(x for b in c.bins for x in b.categories), "zz", "A", None]
    return _numeric_values(c, axis or Axis(type="numeric", edges=c.edges), typ)


def _pair_grid(art: ScorecardArtifact, schema: pa.Schema) -> pa.Table:
    """For each pair, the cross product of its inputs' values; other columns cycle theirs."""
    parts = []
    for p in art.interactions:
        (a, b), (ax_a, ax_b) = p.inputs, p.axes
        rows = list(
            itertools.product(
                _input_values(art, a, ax_a, schema.field(a).type),
                _input_values(art, b, ax_b, schema.field(b).type),
            )
        )
        cols: dict[str, list[Any]] = {a: [r[0] for r in rows], b: [r[1] for r in rows]}
        for f in schema:
            if f.name in cols:
                continue
            if f.name in {c.name for c in art.characteristics}:
                pool = _input_values(art, f.name, None, f.type)
            else:
                pool = list(_CRITERIA_VALUES)
            cols[f.name] = [pool[i % len(pool)] for i in range(len(rows))]
        parts.append(pa.table({f.name: pa.array(cols[f.name], type=f.type) for f in schema}))
    return pa.concat_tables(parts)


@st.composite
def pair_cases(
    draw: st.DrawFn, max_characteristics: int = 5, max_rows: int = 20
) -> tuple[ScorecardArtifact, pa.Table]:
    """An artifact with 1..3 pairs, and Hypothesis rows followed by each pair's grid."""
    art = draw(artifacts(max_characteristics, interactions=True))
    data = draw(data_for(art, max_rows))
    return art, pa.concat_tables([data, _pair_grid(art, data.schema)])


def _assert_same(got: pa.Table, want: pa.Table, what: str = "") -> None:
    assert got.schema == want.schema, what
    for name in want.column_names:
        assert got[name].to_pylist() == want[name].to_pylist(), (what, name)


def _with_row_id(data: pa.Table, *, double: bool) -> pa.Table:
    """``data`` with a ``row_id`` first; numbers as DOUBLE if ``double`` (the to_sql schema)."""
    cols = {
        name: data[name].cast(pa.float64())
        if double and pa.types.is_floating(data[name].type)
        else data[name]
        for name in data.column_names
    }
    return pa.table({"row_id": [f"{i:06d}" for i in range(data.num_rows)], **cols})


_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@_SETTINGS
@given(case=pair_cases(), reasons=st.booleans())
def test_duckdb_engine_scores_pairs_as_the_reference(
    case: tuple[ScorecardArtifact, pa.Table], reasons: bool
) -> None:
    art, data = case
    assert art.interactions
    _assert_same(
        duckdb_search_scores(art, data, reasons=reasons),
        reference_table(art, data, reasons=reasons),
    )


@_SETTINGS
@given(case=pair_cases())
def test_sql_text_in_every_form_scores_pairs_as_the_reference_in_duckdb(
    case: tuple[ScorecardArtifact, pa.Table],
) -> None:
    art, data = case
    con = duckdb.connect()
    con.register("features", _with_row_id(data, double=True))
    want = reference_table(art, data)
    for form in _FORMS:
        sql = to_sql(art, "duckdb", keep=["row_id"], form=form)  # type: ignore[arg-type]
        got = con.sql(f"SELECT * FROM ({sql}) ORDER BY row_id").to_arrow_table()
        _assert_same(got.drop_columns(["row_id"]), want, form)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=pair_cases(max_rows=10), reasons=st.booleans())
def test_to_ibis_in_every_form_over_float32_columns_scores_pairs_as_the_reference(
    case: tuple[ScorecardArtifact, pa.Table], reasons: bool
) -> None:
    art, data = case  # float32 columns stay float32: the search form compares them as float32
    want = reference_table(art, data, reasons=reasons)
    t = ibis.memtable(_with_row_id(data, double=False))
    for form in _FORMS:
        expr = to_ibis(art, t, reasons=reasons, form=form).order_by("row_id")  # type: ignore[arg-type]
        _assert_same(expr.select(*want.column_names).to_pyarrow().cast(want.schema), want, form)


def _pair_artifact(
    chars: list[dict[str, Any]], pair: dict[str, Any], criteria: list[dict[str, Any]] | None = None
) -> ScorecardArtifact:
    dims = sorted({c["dimension"] for c in chars} | {pair["dimension"]})
    return ScorecardArtifact.from_dict(
        {
            "format": "trustscore.scorecard",
            "schema_version": 3,
            "model_version": "pairs-1",
            "created_at": "2026-01-01T00:00:00+00:00",
            "target": "bad",
            "scaling": {"pdo": 40.0, "anchor_score": 600, "anchor_odds": 20.0},
            "dimensions": [{"name": d, "label": d} for d in dims],
            "characteristics": [with_quality(c) for c in chars],
            "interactions": [pair],
            "criteria": criteria or [],
            "model_card": {"approved_purposes": ["credit_pricing"]},
        }
    )


def _numeric(name: str, edges: list[float], points: list[int], **extra: Any) -> dict[str, Any]:
    bins: list[dict[str, Any]] = [
        {"upper": e, "points": p} for e, p in zip(edges, points, strict=False)
    ]
    bins.append({"upper": None, "points": points[len(edges)]})
    return {
        "name": name,
        "dimension": "d",
        "type": "numeric",
        "reason_code": f"R_{name}",
        "reason": name,
        "bins": bins,
        "missing": {"points": extra.pop("missing", 7)},
        **extra,
    }


def _categorical(name: str, groups: list[list[str]], points: list[int]) -> dict[str, Any]:
    return {
        "name": name,
        "dimension": "e",
        "type": "categorical",
        "reason_code": f"R_{name}",
        "reason": name,
        "bins": [{"categories": g, "points": p} for g, p in zip(groups, points, strict=True)],
        "missing": {"points": 3},
        "other": {"points": 5},
    }


def _pair(
    inputs: list[str], axes: list[dict[str, Any]], cells: list[int], otherwise: int
) -> dict[str, Any]:
    return {
        "name": " x ".join(inputs),
        "inputs": inputs,
        "dimension": "d",
        "reason_code": "P01",
        "reason": "pair",
        "axes": axes,
        "cells": [{"points": p} for p in cells],
        "otherwise": {"points": otherwise},
    }


@pytest.mark.parametrize("typ", [pa.float32(), pa.float64()])
@pytest.mark.parametrize("reasons", [True, False])
def test_pair_axis_edges_float32_cannot_hold(typ: pa.DataType, reasons: bool) -> None:
    # 0.1 and 0.3 are not float32 numbers; 0.1 and its next double meet when rounded up to
    # float32 (the interval between them is then empty); 1e300 lies beyond float32's range.
    # Equal neighbouring cells let the search form drop edges: those rows must not move.
    edges = [0.1, math.nextafter(0.1, 1.0), 0.3, 2.0, 1e300]
    special = [{"values": [0.2, 2.0], "points": 41}, {"values": [-0.0], "points": 43}]
    x = _numeric("x", [0.5], [10, 20], special=special, missing=29)
    y = _numeric("y", [0.1, 1.0], [1, 2, 9])
    art = _pair_artifact(
        [x, y],
        _pair(
            ["x", "y"],
            [{"edges": edges}, {"edges": [0.1, 0.3]}],
            # rows 0-5 (x's intervals) by columns 0-2 (y's): row 1 is [0.1, next double),
            # empty in float32; rows 3 and 4 are equal, as are columns 1 and 2 of row 3;
            # row 5 is all `otherwise`
            [10, 15, 5, 20, 20, 20, 0, 10, 15, 25, 15, 15, 25, 15, 15, 5, 5, 5],
            otherwise=5,
        ),
    )
    with np.errstate(over="ignore"):
        f32 = {float(np.float32(v)) for v in (*edges, 0.2, 0.0, 3.4e38)}
        around = [
            float(np.nextafter(np.float32(v), np.float32(d)))
            for v in f32
            for d in (-np.inf, np.inf)
        ]
    xs = [*f32, *around, 1e300, 0.2, math.nan, math.inf, -math.inf, None, -0.0]
    ys = [0.1, float(np.float32(0.1)), 0.3, 0.05, math.nan, None, math.inf, -math.inf]
    rows = list(itertools.product(xs, ys))
    data = pa.table(
        {
            "x": pa.array(_as_type([r[0] for r in rows], typ), type=typ),
            "y": pa.array(_as_type([r[1] for r in rows], typ), type=typ),
        }
    )
    _assert_same(
        duckdb_search_scores(art, data, reasons=reasons),
        reference_table(art, data, reasons=reasons),
    )


@pytest.mark.parametrize("form", _FORMS)
def test_pairs_over_integer_and_float_level_columns(form: str) -> None:
    # an integer column is read as numbers; a float column of levels reads 2.0 as "2"
    x = _numeric("x", [-1.0, 2.0], [6, 8, 10], special=[{"values": [7], "points": 9}])
    k = _categorical("k", [["1"], ["2", "3"]], [20, 30])
    art = _pair_artifact(
        [x, k],
        _pair(
            ["k", "x"],
            [{"groups": [["2"], ["1", "3"]]}, {"edges": [0.0, 2.0]}],
            [5, 10, 15, 0, 20, 5],
            otherwise=7,
        ),
        [{"column": "m", "op": ">", "value": 2.5, "text": ""}],
    )
    xs = [-5, -1, 0, 2, 3, 7, None, 2**40]
    ks = [1.0, 2.0, 3.0, 2.5, 4.0, math.nan, None]
    rows = list(itertools.product(xs, ks))
    data = pa.table(
        {
            "row_id": pa.array(range(len(rows)), type=pa.int64()),
            "x": pa.array([r[0] for r in rows], type=pa.int64()),
            "k": pa.array([r[1] for r in rows], type=pa.float64()),
            "m": pa.array([3 if i % 5 else None for i in range(len(rows))], type=pa.int32()),
        }
    )
    want = reference_table(art, data)
    expr = to_ibis(art, ibis.memtable(data), form=form).order_by("row_id")  # type: ignore[arg-type]
    _assert_same(expr.select(*want.column_names).to_pyarrow().cast(want.schema), want)


def test_pair_points_sub_scores_and_reasons_on_the_example() -> None:
    # example_artifact_dict(interaction=True): on_time_rate (bins <0.5: 10, <0.9: 35, else 60;
    # missing 30, special -1: 20), card_kind (none: 10, card/loan: 90; missing/other 40) and the
    # pair on_time_rate x card_kind: cells [[0, 10], [15, 25]] over (<0.9, >=0.9) x (none,
    # card/loan), otherwise 0; its baseline is 25
    from trustscore.scoring._artifact import example_artifact_dict

    art = ScorecardArtifact.from_dict(example_artifact_dict(interaction=True))
    data = pa.table(
        {
            "on_time_rate": [0.9, 0.2, -1.0, math.nan, None, 0.95, math.inf],
            "card_kind": ["none", "loan", "card", "card", "none", "zz", None],
            "months_history": [12.0] * 7,
        }
    )
    pairs = [15, 10, 0, 0, 0, 0, 0]  # cells (1, 0) and (0, 1); otherwise for the rest
    on_time = [60, 10, 20, 30, 30, 60, 60]
    cards = [10, 90, 90, 90, 10, 40, 40]
    want_score = [a + b + c for a, b, c in zip(on_time, cards, pairs, strict=True)]
    # row 0 loses 80 on card_kind and 10 on the pair; row 1 50 on on_time_rate and 15 on the
    # pair; the special -1, NaN and NULL lose on_time_rate's no-information code (PR01N), an
    # unseen level card_kind's adverse one, a NULL its no-information one (CH01N); the pair's
    # otherwise (rows 2-6) loses 25 but is never a reason
    want_reasons = [
        ["CH01", "PR02"],
        ["PR01", "PR02"],
        ["PR01N", None],
        ["PR01N", None],
        ["CH01", "PR01N"],
        ["CH01", None],
        ["CH01N", None],
    ]
    for form in _FORMS:
        got = to_ibis(art, ibis.memtable(data), form=form).to_pyarrow()  # type: ignore[arg-type]
        assert got["score"].to_pylist() == want_score, form
        assert got["payment_reliability"].to_pylist() == [
            a + c for a, c in zip(on_time, pairs, strict=True)
        ], form
        reasons = [
            list(r)
            for r in zip(got["reason_1"].to_pylist(), got["reason_2"].to_pylist(), strict=True)
        ]
        assert reasons == want_reasons, form
    _assert_same(duckdb_search_scores(art, data), reference_table(art, data))


# -- PostgreSQL and Spark --------------------------------------------------------------------
@pytest.mark.postgres
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(case=pair_cases(max_characteristics=4, max_rows=10))
def test_sql_text_in_every_form_scores_pairs_as_the_reference_in_postgres(
    pg: Any, case: tuple[ScorecardArtifact, pa.Table]
) -> None:
    art, data = case
    schema = input_schema(art)
    types = {n: "double precision" if t == "float64" else "text" for n, t in schema.items()}
    rows = [[i, *(data[n][i].as_py() for n in schema)] for i in range(data.num_rows)]
    want = reference_table(art, data)
    with pg.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS pg_temp.features")
        cols = ", ".join(f'"{n}" {t}' for n, t in types.items())
        cur.execute(f"CREATE TEMP TABLE features (row_id integer, {cols})")
        marks = ", ".join(["%s::integer", *(f"%s::{t}" for t in types.values())])
        cur.executemany(f"INSERT INTO features VALUES ({marks})", rows)
        for form in _FORMS:
            sql = to_sql(art, "postgres", keep=["row_id"], form=form)  # type: ignore[arg-type]
            cur.execute(f"SELECT * FROM ({sql}) AS s ORDER BY row_id")
            names = [d.name for d in cur.description]
            fetched = cur.fetchall()
            for name in want.column_names:
                got = [r[names.index(name)] for r in fetched]
                assert got == want[name].to_pylist(), (form, name)


@pytest.mark.spark
@pytest.mark.slow
@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(case=pair_cases(max_characteristics=4, max_rows=10))
def test_spark_scores_pairs_as_the_reference_in_the_case_and_search_forms(
    spark: Any, case: tuple[ScorecardArtifact, pa.Table]
) -> None:
    from trustscore.scoring._score import _prepare_for_sql, _run_spark, output_schema

    art, data = case
    want = reference_table(art, data)
    _assert_same(score(art, data, engine="spark"), want, "search")  # what the engine runs
    names = output_schema(art).names

    def build(t: Any) -> Any:
        return to_ibis(art, t, form="case").order_by("_ts_row").select(*names)

    got = _run_spark(_prepare_for_sql(art, data, [], row_number=True), build)
    _assert_same(got.cast(output_schema(art)), want, "case")
