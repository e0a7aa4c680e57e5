"""The ``quality`` column as an Ibis value: the same flags as the kernel's pass, in SQL.

Per characteristic that can be flagged, one ``CASE``: missing first (NaN sorts above every
number in DuckDB, PostgreSQL and Spark, so it must never reach a comparison), then the special
codes (never flagged), then the declared bounds (``impossible``), then the range training saw
(``out_of_range``); categorical ones test the levels training saw. Numbers compare as DOUBLE
against literals written as ``CAST('<repr>' AS DOUBLE)`` (as the scorecard's edges are), so a
float32 column, widened exactly, meets the same double on every engine. The row's flags are
``NULLIF(CONCAT_WS(';', ...), '')``: ``CONCAT_WS`` skips NULLs in all three dialects.
The rule is :func:`trustscore.scoring._quality.flag_kind`.

Examples
--------
>>> import ibis, pyarrow as pa
>>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
>>> art = ScorecardArtifact.from_dict(example_artifact_dict())
>>> t = ibis.memtable(pa.table({"on_time_rate": [-0.5, 0.2], "card_kind": ["gold", "card"]}))
>>> t.select(q=quality_value(art, t)).to_pyarrow()["q"].to_pylist()
['impossible:on_time_rate;unseen_level:card_kind', None]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trustscore.scoring._artifact import Characteristic, ScorecardArtifact
from trustscore.scoring._sql_elements import as_double, as_text, double

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["quality_value"]


def _text(v: str | None) -> Any:
    import ibis

    return ibis.null("string") if v is None else ibis.literal(v, type="string")


def _numeric(c: Characteristic, col: ir.Value) -> Any | None:
    import ibis

    q = c.quality
    assert q is not None
    x: Any = as_double(col, c.name)
    branches: list[tuple[Any, Any]] = []
    if not q.missing_seen:
        branches.append((x.isnull() | x.isnan(), _text(f"unexpected_missing:{c.name}")))
    else:
        branches.append((x.isnull() | x.isnan(), _text(None)))
    specials = sorted({v for sp in c.special for v in sp.values})
    if specials:
        branches.append((x.isin([double(v) for v in specials]), _text(None)))
    outside: list[Any] = []
    if q.lower is not None:
        outside.append(x < double(q.lower))
    if q.upper is not None:
        outside.append(x > double(q.upper))
    if outside:
        cond = outside[0] if len(outside) == 1 else outside[0] | outside[1]
        branches.append((cond, _text(f"impossible:{c.name}")))
    if q.min is not None and q.max is not None:
        branches.append(
            ((x < double(q.min)) | (x > double(q.max)), _text(f"out_of_range:{c.name}"))
        )
    if q.missing_seen and len(branches) == 1 + bool(specials):
        return None  # nothing about this characteristic is ever flagged
    return ibis.cases(*branches, else_=_text(None))


def _categorical(c: Characteristic, col: ir.Value) -> Any:
    import ibis

    q = c.quality
    assert q is not None
    x: Any = as_text(col)
    missing = None if q.missing_seen else f"unexpected_missing:{c.name}"
    branches: list[tuple[Any, Any]] = [(x.isnull(), _text(missing))]
    if q.levels:
        branches.append((x.isin(list(q.levels)), _text(None)))
    return ibis.cases(*branches, else_=_text(f"unseen_level:{c.name}"))


def quality_value(art: ScorecardArtifact, table: ir.Table) -> ir.StringValue:
    """The ``quality`` column over ``table`` (which holds the artifact's input columns)."""
    import ibis

    parts = []
    for c in art.characteristics:
        if c.quality is None:
            continue
        col = table[c.name]
        part = _numeric(c, col) if c.type == "numeric" else _categorical(c, col)
        if part is not None:
            parts.append(part)
    if not parts:
        return ibis.null("string")  # type: ignore[no-any-return]
    return ibis.literal(";").join(parts).nullif("")  # type: ignore[no-any-return]
