"""Hypothesis strategies for scorecard artifacts and the data they score (used by the tests).

Artifacts get random edges, points (often tied), specials, categorical groups, criteria and
quality facts (range seen, declared bounds, levels seen, missing seen); the data mixes values
exactly on the edges and on the quality bounds (and one ulp either side), specials, NaN, NULL,
±inf, values far out of range and unseen categories, as float64 or float32 columns. Needs
``hypothesis`` (a dev dependency).

``artifacts(interactions=True)`` also draws up to three interactions (pairs of characteristics
with their own axes and cell points, 0 or more like every outcome); it is off by default so the
tests of additive artifacts draw exactly as they did, and the tests of pairs ask for them.
"""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np
import pyarrow as pa
from hypothesis import strategies as st

from trustscore.scoring._artifact import ScorecardArtifact

__all__ = [
    "LEVELS",
    "artifact_of",
    "artifacts",
    "artifacts_and_data",
    "data_for",
    "duckdb_search_scores",
    "with_quality",
]

LEVELS: Final = ("a", "b", "c", "d", "1", "2", "ß")
_OPS: Final = (">=", ">", "<=", "<", "==", "!=", "not_null")

_finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
_edge_value = st.one_of(
    st.integers(-5, 5).map(float), _finite, st.floats(allow_nan=False, allow_infinity=False)
)
_points = st.integers(0, 30).map(lambda p: p * 5)


@st.composite
def _numeric_quality(draw: st.DrawFn, edges: list[float]) -> dict[str, Any]:
    """Declared bounds around the range seen: ``lower <= min <= max <= upper``, each optional."""
    pool = st.one_of(st.sampled_from([*edges, 0.0, 1.0, -1.0, 6.0]), _finite)
    v = sorted(draw(st.lists(pool, min_size=4, max_size=4)))
    seen = draw(st.booleans())
    q: dict[str, Any] = {
        "min": v[1] if seen else None,
        "max": v[2] if seen else None,
        "bounds": [draw(st.sampled_from([v[0], None])), draw(st.sampled_from([v[3], None]))],
        "missing_seen": draw(st.booleans()),
    }
    if draw(st.booleans()):
        q["bounds_text"] = "declared"
    return q


@st.composite
def _numeric(draw: st.DrawFn, name: str, dim: str, code: str) -> dict[str, Any]:
    edges = sorted(set(draw(st.lists(_edge_value, max_size=6))))
    bins: list[dict[str, Any]] = [{"upper": e, "points": draw(_points)} for e in edges]
    bins.append({"upper": None, "points": draw(_points)})
    direction = draw(st.sampled_from([None, 1, -1]))
    if direction is not None:  # the points follow the declared direction of conduct
        ordered = sorted((b["points"] for b in bins), reverse=direction < 0)
        for b, p in zip(bins, ordered, strict=True):
            b["points"] = p
    pool = [*edges, 0.0, -1.0, 99.0, 1e300]
    special = [
        {
            "values": draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2, unique=True)),
            "points": draw(_points),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    return {
        "name": name,
        "dimension": dim,
        "type": "numeric",
        "direction": direction,
        "reason_code": code,
        "reason": f"reason {code}",
        "missing_reason_code": f"{code}N",
        "missing_reason": f"no information {code}",
        "bins": bins,
        "missing": {"points": draw(_points)},
        "special": special,
        "quality": draw(_numeric_quality(edges)),
    }


@st.composite
def _categorical(draw: st.DrawFn, name: str, dim: str, code: str) -> dict[str, Any]:
    levels = draw(st.lists(st.sampled_from(LEVELS), min_size=1, max_size=len(LEVELS), unique=True))
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(levels) - 1)), max_size=3)))
    groups = [levels[a:b] for a, b in zip([0, *cuts], [*cuts, len(levels)], strict=True)]
    bins = [{"categories": g, "points": draw(_points)} for g in groups if g]
    return {
        "name": name,
        "dimension": dim,
        "type": "categorical",
        "reason_code": code,
        "reason": f"reason {code}",
        "bins": bins,
        "missing": {"points": draw(_points)},
        "other": {"points": draw(_points)},
        "quality": {
            "levels": draw(st.lists(st.sampled_from([*LEVELS, "zz"]), unique=True)),
            "missing_seen": draw(st.booleans()),
        },
    }


_cell_points = st.integers(0, 6).map(lambda p: p * 5)


@st.composite
def _axis(draw: st.DrawFn, c: dict[str, Any]) -> dict[str, Any]:
    if c["type"] == "numeric":
        own = [b["upper"] for b in c["bins"][:-1]]
        pool = st.one_of(st.sampled_from(own), _edge_value) if own else _edge_value
        return {"edges": sorted(set(draw(st.lists(pool, max_size=3))))}
    cats = [x for b in c["bins"] for x in b["categories"]]
    cats = draw(st.permutations(cats))
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(cats) - 1)), max_size=2)))
    groups = [cats[a:b] for a, b in zip([0, *cuts], [*cuts, len(cats)], strict=True)]
    return {"groups": [g for g in groups if g]}


@st.composite
def _interactions(
    draw: st.DrawFn, chars: list[dict[str, Any]], dims: list[str]
) -> list[dict[str, Any]]:
    names = [c["name"] for c in chars]
    if len(names) < 2:
        return []
    pool = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    chosen = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
    by_name = {c["name"]: c for c in chars}
    out = []
    for k, (a, b) in enumerate(chosen):
        if draw(st.booleans()):
            a, b = b, a
        axes = [draw(_axis(by_name[a])), draw(_axis(by_name[b]))]
        sizes = [len(ax["groups"]) if "groups" in ax else len(ax["edges"]) + 1 for ax in axes]
        cells = draw(
            st.lists(_cell_points, min_size=sizes[0] * sizes[1], max_size=sizes[0] * sizes[1])
        )
        cells = _monotone_cells(
            cells, sizes, [by_name[a].get("direction"), by_name[b].get("direction")]
        )
        out.append(
            {
                "name": f"{a}_x_{b}",
                "inputs": [a, b],
                "dimension": draw(st.sampled_from(dims)),
                "reason_code": f"P{k:02d}",
                "reason": f"reason P{k:02d}",
                "axes": axes,
                "cells": [{"points": p} for p in cells],
                "otherwise": {"points": draw(st.sampled_from([0, 0, 0, 5, 15]))},
            }
        )
    return out


def _monotone_cells(cells: list[int], sizes: list[int], directions: list[Any]) -> list[int]:
    """The cells sorted along each axis whose input declares a direction.

    Sorting the lines of one axis, then those of the other, keeps the first sorted (each line
    of the second dominates its neighbour element by element, and sorting keeps that).
    """
    grid = np.array(cells, dtype=np.int64).reshape(sizes)
    for ax, d in enumerate(directions):
        if d is not None:
            grid = np.sort(grid, axis=ax)
            if d < 0:
                grid = np.flip(grid, axis=ax)
    return [int(x) for x in grid.ravel()]


@st.composite
def artifacts(
    draw: st.DrawFn, max_characteristics: int = 6, *, interactions: bool = False
) -> ScorecardArtifact:
    """A valid artifact with 1..``max_characteristics`` characteristics and 0..2 criteria.

    With ``interactions``, at least two characteristics and 1..3 interactions.
    """
    n_dims = draw(st.integers(1, 3))
    dims = [f"dim_{d}" for d in range(n_dims)]
    chars = []
    lo, hi = (2, max(2, max_characteristics)) if interactions else (1, max_characteristics)
    for j in range(draw(st.integers(lo, hi))):
        dim = draw(st.sampled_from(dims))
        maker = _numeric if draw(st.booleans()) else _categorical
        chars.append(draw(maker(f"x{j}", dim, f"R{j:02d}")))
    numeric = [c["name"] for c in chars if c["type"] == "numeric"]
    criteria = []
    for _ in range(draw(st.integers(0, 2))):
        column = draw(st.sampled_from([*numeric, "months_history"]))
        op = draw(st.sampled_from(_OPS))
        crit: dict[str, Any] = {"column": column, "op": op, "text": ""}
        if op != "not_null":
            crit["value"] = draw(st.sampled_from([0.0, 1.0, 6.0, -1.0]))
        criteria.append(crit)
    pairs = draw(_interactions(chars, dims)) if interactions else []
    return artifact_of(chars, criteria, pairs, model_version="prop-1", dimensions=dims)


def _numeric_values(art_edges: list[float], specials: list[float]) -> st.SearchStrategy[Any]:
    near = [
        v for e in art_edges for v in (e, math.nextafter(e, -math.inf), math.nextafter(e, math.inf))
    ]
    return st.one_of(
        st.sampled_from([*near, *specials]) if near or specials else st.just(0.0),
        st.sampled_from([None, math.nan, math.inf, -math.inf, 0.0, -0.0, 1e300, -1e300, 6.0]),
        _finite,
    )


@st.composite
def data_for(draw: st.DrawFn, art: ScorecardArtifact, max_rows: int = 30) -> pa.Table:
    """A table of input rows for ``art``: float64 or float32 numeric columns, string levels."""
    n = draw(st.integers(0, max_rows))
    cols: dict[str, pa.Array] = {}
    # the edges of the interactions' axes are edges to test too
    axis_edges: dict[str, list[float]] = {}
    for p in art.interactions:
        for name, ax in zip(p.inputs, p.axes, strict=True):
            axis_edges.setdefault(name, []).extend(ax.edges)
    for c in art.characteristics:
        if c.type == "numeric":
            specials = [v for sp in c.special for v in sp.values]
            q = c.quality
            limits = [] if q is None else [q.min, q.max, q.lower, q.upper]
            edges = sorted(
                {*c.edges, *axis_edges.get(c.name, ()), *(v for v in limits if v is not None)}
            )
            values = draw(st.lists(_numeric_values(edges, specials), min_size=n, max_size=n))
            typ = draw(st.sampled_from([pa.float64(), pa.float32()]))
            with np.errstate(over="ignore"):
                cols[c.name] = pa.array(
                    [
                        None if v is None else float(np.dtype(typ.to_pandas_dtype()).type(v))
                        for v in values
                    ],
                    type=typ,
                )
        else:
            level = st.one_of(st.sampled_from([*LEVELS, "zz", "A"]), st.none())
            cols[c.name] = pa.array(draw(st.lists(level, min_size=n, max_size=n)), type=pa.string())
    for crit in art.criteria:
        if crit.column not in cols:
            value = st.one_of(st.none(), st.sampled_from([0.0, 1.0, 5.0, 6.0, 7.0, math.nan]))
            cols[crit.column] = pa.array(
                draw(st.lists(value, min_size=n, max_size=n)), type=pa.float64()
            )
    return pa.table(cols) if cols else pa.table({})


@st.composite
def artifacts_and_data(
    draw: st.DrawFn, max_characteristics: int = 6, max_rows: int = 30, *, interactions: bool = False
) -> tuple[ScorecardArtifact, pa.Table]:
    """An artifact (with interactions if asked) and a table of rows to score with it."""
    art = draw(artifacts(max_characteristics, interactions=interactions))
    return art, draw(data_for(art, max_rows))


def with_quality(c: dict[str, Any]) -> dict[str, Any]:
    """``c`` with a quality block if it has none: nothing flagged but an unseen level."""
    if "quality" in c:
        return c
    if c["type"] == "categorical":
        levels = [v for b in c["bins"] for v in b.get("categories", ())]
        return {**c, "quality": {"levels": levels, "missing_seen": True}}
    return {
        **c,
        "quality": {"min": None, "max": None, "bounds": [None, None], "missing_seen": True},
    }


def artifact_of(
    chars: list[dict[str, Any]],
    criteria: list[dict[str, Any]] | tuple[dict[str, Any], ...] = (),
    pairs: list[dict[str, Any]] | None = None,
    *,
    model_version: str = "test-1",
    dimensions: list[str] | None = None,
) -> ScorecardArtifact:
    """An artifact of these characteristics, criteria and pairs, with the usual scaling.

    The dimensions are ``dimensions`` (in that order) or the characteristics' own, sorted.
    """
    dims = dimensions if dimensions is not None else sorted({c["dimension"] for c in chars})
    d: dict[str, Any] = {
        "format": "trustscore.scorecard",
        "schema_version": 3,
        "model_version": model_version,
        "created_at": "2026-01-01T00:00:00+00:00",
        "target": "bad",
        "scaling": {"pdo": 40.0, "anchor_score": 600, "anchor_odds": 20.0},
        "dimensions": [{"name": n, "label": n} for n in dims],
        "characteristics": [with_quality(c) for c in chars],
        "criteria": list(criteria),
        "model_card": {"approved_purposes": ["credit_pricing"]},
    }
    if pairs:
        d["interactions"] = pairs
    return ScorecardArtifact.from_dict(d)


def duckdb_search_scores(
    art: ScorecardArtifact,
    data: pa.Table,
    *,
    reasons: bool = True,
    batch_rows: int = 122_880,
    quality: bool = False,
) -> pa.Table:
    """The search form (``to_ibis(form="search")``) run as SQL on DuckDB over ``data``.

    ``score(engine="duckdb")`` streams through the kernel, so the SQL form is run here the way
    a user's DuckDB would run it: the input typed as the SQL form reads it (float32 kept), the
    Arrow table scanned in slices of ``batch_rows`` on several threads, the output in input
    order and typed as :func:`~trustscore.scoring.score` types it.
    """
    import ibis

    from trustscore import engines
    from trustscore.scoring import output_schema, to_ibis
    from trustscore.scoring._score import _prepare_for_sql

    prepared = _prepare_for_sql(art, data, [], row_number=False)
    schema = output_schema(art, reasons=reasons, quality=quality)
    t = ibis.table(ibis.Schema.from_pyarrow(prepared.schema), name="features")
    expr = to_ibis(art, t, reasons=reasons, form="search", quality=quality).select(*schema.names)
    sql = str(ibis.to_sql(expr, "duckdb"))
    got = engines.duckdb_query_arrow(prepared, "features", sql, batch_rows=batch_rows)
    return pa.Table.from_arrays([got.column(f.name).cast(f.type) for f in schema], schema=schema)
