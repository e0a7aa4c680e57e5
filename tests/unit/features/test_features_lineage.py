"""Each feature's declared lineage against the fields its compiled Ibis expression reads.

The walk below follows every column of the feature table back through the expression's
relations (projections, aggregates, filters, windows, joins; the table's final order
is not lineage) to the record tables' fields. A
field counts when the value is computed from it or when it decides which rows a value is
computed over (a filter, a window's partition or order, an aggregate's groups). The fields the
as-of rule reads for every feature (keys, deletions, ingestion times, suppressions) are left
out, as :attr:`FeatureDef.sources` documents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import ibis
import ibis.expr.operations as ops
import pytest

from trustscore.features import (
    CRITERIA_COLUMNS,
    CRITERIA_SOURCES,
    FEATURES,
    SUPPRESSIONS,
    feature_lineage,
    feature_table,
)
from trustscore.features._expressions import suppressions_schema
from trustscore.records._schemas import RECORD_KINDS, arrow_schema
from trustscore.safeguards import check_lineage, prohibited_source

_LEAVES = (ops.UnboundTable, ops.InMemoryTable, ops.DatabaseTable)
_AS_OF_RULE = frozenset({"record_id", "subject_id", "action", "batch_id", "ingested_at"})


def _fields_in(values: Iterable[Any]) -> set[Any]:
    """The Field nodes a value expression reads, not looking inside relations."""
    out: set[Any] = set()
    stack, seen = list(values), set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if isinstance(node, ops.Field):
            out.add(node)
        elif not isinstance(node, ops.Relation):
            stack.extend(a for a in node.__children__ if isinstance(a, ops.Node))
    return out


class _Lineage:
    """(table, column) pairs behind a field, memoised over the expression's graph."""

    def __init__(self) -> None:
        self.memo: dict[Any, set[tuple[str, str]]] = {}

    def of_values(self, values: Iterable[Any]) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        for f in _fields_in(values):
            found |= self.of_field(f)
        return found

    def rows(self, rel: Any) -> set[tuple[str, str]]:
        """The fields that decide which rows of ``rel`` exist."""
        key = ("rows", rel)
        if key not in self.memo:
            self.memo[key] = set()
            found: set[tuple[str, str]] = set()
            if isinstance(rel, ops.JoinChain):
                for link in rel.rest:
                    found |= self.of_values(link.predicates)
                    if link.how != "left":  # a left join keeps the left rows, whatever matches
                        found |= self.rows(link.table)
                found |= self.rows(rel.first)
            elif not isinstance(rel, _LEAVES):
                for attr in ("predicates", "keys"):
                    found |= self.of_values(getattr(rel, attr, ()))
                if isinstance(rel, ops.Aggregate):
                    found |= self.of_values(rel.groups.values())
                found |= self.rows(rel.parent)
            self.memo[key] = found
        return self.memo[key]

    def of_field(self, field: Any) -> set[tuple[str, str]]:
        if field not in self.memo:
            self.memo[field] = set()
            rel, name = field.rel, field.name
            if isinstance(rel, _LEAVES):
                found = {(rel.name, name)}
            elif isinstance(rel, ops.JoinChain):  # the join's rows: its key, subject_id
                found = self.of_values([rel.values[name]])
            elif isinstance(rel, ops.Project):
                found = self.of_values([rel.values[name]]) | self.rows(rel.parent)
            elif isinstance(rel, ops.Aggregate):
                metric = {**rel.groups, **rel.metrics}[name]
                found = self.of_values([metric]) | self.rows(rel.parent)
            else:  # passes its parent's column through: filter, sort, drop, reference
                found = self.of_field(ops.Field(rel.parent, name)) | self.rows(rel)
            self.memo[field] = found
        return self.memo[field]


def expression_lineage(expr: ibis.Table) -> dict[str, set[str]]:
    """Each output column of ``expr`` -> the ``table.column`` fields it is computed from."""
    op, walk = expr.op(), _Lineage()
    while isinstance(op, ops.Sort):  # the table's order is not a value's lineage
        op = op.parent
    return {
        name: {f"{t}.{c}" for t, c in walk.of_values([op.values[name]])} for name in expr.columns
    }


def _compiled_lineage() -> dict[str, set[str]]:
    tables = {k: ibis.table(arrow_schema(k, stored=True), name=k) for k in RECORD_KINDS}
    tables[SUPPRESSIONS] = ibis.table(suppressions_schema(), name=SUPPRESSIONS)
    found = expression_lineage(feature_table(tables, dt.date(2024, 6, 30)))
    return {
        column: {
            s
            for s in sources
            if not s.startswith(f"{SUPPRESSIONS}.") and s.split(".")[1] not in _AS_OF_RULE
        }
        for column, sources in found.items()
    }


@pytest.fixture(scope="module")
def compiled() -> dict[str, set[str]]:
    return _compiled_lineage()


def test_the_walk_sees_values_filters_windows_and_groups() -> None:
    """The walker itself, on an expression whose lineage is known by construction."""
    t = ibis.table({"k": "string", "a": "int64", "b": "float64", "c": "float64"}, name="t")
    u = ibis.table({"k": "string", "d": "float64", "e": "string"}, name="u")
    ranked = t.mutate(n=ibis.row_number().over(group_by=t.k, order_by=t.c))
    firsts = ranked.filter(ranked.n == 0)
    agg = firsts.filter(firsts.a > 0).group_by("k").aggregate(s=firsts.b.sum())
    joined = agg.left_join(u, "k")
    expr = joined.select(joined.k, s2=joined.s * 2, d=joined.d, e=joined.e.upper())
    assert expression_lineage(expr) == {
        "k": {"t.k", "t.a", "t.c"},
        "s2": {"t.a", "t.b", "t.c", "t.k"},
        "d": {"u.d"},
        "e": {"u.e"},
    }


@pytest.mark.parametrize("f", FEATURES, ids=lambda f: f.name)
def test_declared_sources_are_what_the_expression_reads(
    f: Any, compiled: dict[str, set[str]]
) -> None:
    assert f.sources, f"{f.name} declares no sources"
    assert len(set(f.sources)) == len(f.sources)
    assert set(f.sources) == compiled[f.name]


def test_criteria_columns_lineage(compiled: dict[str, set[str]]) -> None:
    assert set(CRITERIA_SOURCES) == set(CRITERIA_COLUMNS)
    for column, sources in CRITERIA_SOURCES.items():
        assert set(sources) == compiled[column]


def test_lineage_names_real_fields_and_nothing_prohibited() -> None:
    lineage = feature_lineage()
    assert set(lineage) == {f.name for f in FEATURES} | set(CRITERIA_COLUMNS)
    known = {k: spec.field_names for k, spec in RECORD_KINDS.items()}
    assert check_lineage(lineage, known_fields=known) == lineage
    for sources in lineage.values():
        for s in sources:
            kind, field = s.split(".")
            assert field in known[kind], s
            assert prohibited_source(s) is None
