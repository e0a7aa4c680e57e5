"""The numba kernel scores interactions (pairs) exactly as the reference scorer does (Hypothesis).

``score(engine="kernel")`` against :func:`reference_table` on artifacts with 1..3 pairs: points,
status, sub-scores and reasons on every row. The rows are Hypothesis data (values on and beside
every edge, specials, NULL, NaN, +-inf, unseen levels, float32 and float64 columns) and, for
every pair, the cross product of the values of its two inputs where a mistake would show, so
that each input is missing, special, unseen or in each interval while the other is each of
these too; also the same rows over many Arrow batches and across the kernel's blocks.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Final

import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring_strategies import LEVELS, artifacts, artifacts_and_data
from trustscore.scoring import ScorecardArtifact, score
from trustscore.scoring._artifact import Characteristic
from trustscore.scoring._kernel import BLOCK
from trustscore.scoring._reference_table import reference_table

_SETTINGS: Final = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_EXTREMES: Final = (None, math.nan, math.inf, -math.inf, 0.0, -0.0, 1e300, -1e300, 6.0)
_CRITERIA_VALUES: Final = (6.0, 7.0, None, 0.0, math.nan, 1.0, -1.0)


def _assert_same(got: pa.Table, want: pa.Table) -> None:
    assert got.schema == want.schema
    for name in want.column_names:
        assert got[name].to_pylist() == want[name].to_pylist(), name


def _as_type(values: list[Any], typ: pa.DataType) -> list[Any]:
    """``values`` as a column of ``typ`` holds them (float32 rounds; beyond its range is inf)."""
    if typ != pa.float32():
        return values
    with np.errstate(over="ignore"):
        return [None if v is None else float(np.float32(v)) for v in values]


def _numeric_values(art: ScorecardArtifact, c: Characteristic, typ: pa.DataType) -> list[Any]:
    """On and beside each edge of ``c`` and of the axes over it, the specials, the extremes."""
    edges = set(c.edges)
    for p in art.interactions:
        for name, ax in zip(p.inputs, p.axes, strict=True):
            if name == c.name:
                edges.update(ax.edges)
    values: list[Any] = []
    for e in sorted(edges):
        values += [e, math.nextafter(e, -math.inf), math.nextafter(e, math.inf)]
        if typ == pa.float32():  # beside the edge's float32 rounding too (inf past its range)
            with np.errstate(over="ignore"):
                f = np.float32(e)
                down, up = np.nextafter(f, np.float32(-np.inf)), np.nextafter(f, np.float32(np.inf))
            values += [float(down), float(f), float(up)]
    values += [v for sp in c.special for v in sp.values]
    values += list(_EXTREMES)
    unique = {repr(v): v for v in _as_type(values, typ)}  # repr keeps -0.0 apart from 0.0
    return list(unique.values())


def _crossings(art: ScorecardArtifact, types: dict[str, pa.DataType]) -> pa.Table:
    """For each pair, every combination of its inputs' telling values; the rest cycle."""
    columns: dict[str, list[Any]] = {c.name: [] for c in art.characteristics}
    telling: dict[str, list[Any]] = {}
    for c in art.characteristics:
        if c.type == "numeric":
            telling[c.name] = _numeric_values(art, c, types[c.name])
        else:
            telling[c.name] = [*LEVELS, "zz", "A", None]
    for p in art.interactions:
        a, b = p.inputs
        rows = list(itertools.product(telling[a], telling[b]))
        for name, col in columns.items():
            if name == a:
                col += [x for x, _ in rows]
            elif name == b:
                col += [y for _, y in rows]
            else:
                col += list(itertools.islice(itertools.cycle(telling[name]), len(rows)))
    n = len(next(iter(columns.values())))
    table: dict[str, pa.Array] = {}
    for c in art.characteristics:
        typ = types[c.name] if c.type == "numeric" else pa.string()
        table[c.name] = pa.array(columns[c.name], type=typ)
    for crit in art.criteria:
        if crit.column not in table:
            cycle = itertools.cycle(_CRITERIA_VALUES)
            table[crit.column] = pa.array(list(itertools.islice(cycle, n)), type=pa.float64())
    return pa.table(table)


@_SETTINGS
@given(case=artifacts_and_data(interactions=True))
def test_kernel_equals_reference_on_pairs(case: tuple[ScorecardArtifact, pa.Table]) -> None:
    art, data = case
    assert art.interactions
    _assert_same(score(art, data), reference_table(art, data))


@_SETTINGS
@given(case=artifacts_and_data(interactions=True))
def test_pairs_over_many_batches_and_score_only(case: tuple[ScorecardArtifact, pa.Table]) -> None:
    art, data = case
    want = reference_table(art, data)
    chunked = pa.concat_tables([data.slice(i, 3) for i in range(0, data.num_rows, 3)] or [data])
    _assert_same(score(art, chunked), want)
    lean = score(art, data, reasons=False)
    _assert_same(lean, want.select(lean.column_names))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(art=artifacts(interactions=True), data=st.data())
def test_every_crossing_of_a_pairs_inputs(art: ScorecardArtifact, data: st.DataObject) -> None:
    types = {
        c.name: data.draw(st.sampled_from([pa.float64(), pa.float32()]), label=c.name)
        for c in art.characteristics
        if c.type == "numeric"
    }
    rows = _crossings(art, types)
    assert rows.num_rows >= 4 * len(art.interactions)
    _assert_same(score(art, rows), reference_table(art, rows))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=artifacts_and_data(interactions=True, max_rows=40), start=st.integers(0, 63))
def test_pairs_across_the_kernels_blocks(
    case: tuple[ScorecardArtifact, pa.Table], start: int
) -> None:
    # nulls read from a validity bitmap at an offset, rows in more than one block
    art, data = case
    if data.num_rows == 0:
        return
    repeats = -(-(BLOCK + start + 100) // data.num_rows)
    rows = pa.concat_tables([data] * repeats).combine_chunks().slice(start, BLOCK + 100)
    _assert_same(score(art, rows), reference_table(art, rows))


@_SETTINGS
@given(case=artifacts_and_data(interactions=True))
def test_pair_score_table_invariants(case: tuple[ScorecardArtifact, pa.Table]) -> None:
    art, data = case
    out = score(art, data).to_pydict()
    lo, hi = art.score_range
    # every code a row can give (adverse and no-information ones) and the element it belongs to
    element_of = {code: j for code, (j, _) in zip(art.reason_codes, art.reason_slots, strict=True)}
    for i, status in enumerate(out["status"]):
        subs = [out[d][i] for d in art.dimension_names]
        reasons = [out[f"reason_{r}"][i] for r in range(1, 5)]
        if status == "NS":
            assert out["score"][i] is None
            assert subs == [None] * len(subs)
            assert reasons == [None] * 4
            continue
        assert sum(subs) == out["score"][i]
        assert 0 <= lo <= out["score"][i] <= hi <= 1000
        given_reasons = [r for r in reasons if r is not None]
        assert reasons == given_reasons + [None] * (4 - len(given_reasons))
        assert len(set(given_reasons)) == len(given_reasons)
        assert set(given_reasons) <= set(element_of)
        owners = [element_of[r] for r in given_reasons]
        assert len(set(owners)) == len(owners)  # an element gives one reason at most
