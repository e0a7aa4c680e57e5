"""The reference scorer's answer in the shape :func:`~trustscore.scoring.score` returns.

The yardstick of the identity tests and the numpy baseline of the benchmark: it reads the data
exactly as :mod:`trustscore.scoring._reference` does (one element at a time) and only
assembles the output table.

Examples
--------
>>> import pyarrow as pa
>>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
>>> art = ScorecardArtifact.from_dict(example_artifact_dict())
>>> t = pa.table({"on_time_rate": [0.95, None], "card_kind": ["none", "card"],
...               "months_history": [12.0, 2.0]})
>>> reference_table(art, t).select(["score", "status", "reason_1"]).to_pydict()
{'score': [70, None], 'status': ['OK', 'NS'], 'reason_1': ['CH01', None]}
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from trustscore.scoring._artifact import MAX_REASONS, ScorecardArtifact
from trustscore.scoring._inputs import as_arrow_table, check_columns
from trustscore.scoring._reference import reference_points, reference_reasons

__all__ = ["reference_columns", "reference_table"]


def reference_columns(art: ScorecardArtifact, table: pa.Table) -> dict[str, Any]:
    """The input columns as the plain numpy arrays the reference reads."""
    cols: dict[str, Any] = {}
    types = {c.name: c.type for c in art.characteristics}
    for name in art.input_columns:
        col = table.column(name)
        if types.get(name) == "categorical" or not (
            pa.types.is_floating(col.type) or pa.types.is_integer(col.type)
        ):
            cols[name] = np.array(col.to_pylist(), dtype=object)
        else:
            cols[name] = col.to_numpy()  # nulls read as NaN
    return cols


def reference_table(art: ScorecardArtifact, data: Any, *, reasons: bool = True) -> pa.Table:
    """Score ``data`` with the reference scorer; same columns and values as ``score``."""
    table = as_arrow_table(data)
    check_columns(art, table.column_names)
    res = reference_points(art, reference_columns(art, table))
    ns = ~res.ok
    cols: dict[str, pa.Array] = {
        "score": pa.array(res.points.sum(axis=1).astype(np.int32), mask=ns),
        "status": pa.array(np.where(res.ok, "OK", "NS").tolist(), type=pa.string()),
    }
    for dim in art.dimension_names:
        members = [j for j, e in enumerate(art.elements) if e.dimension == dim]
        cols[dim] = pa.array(res.points[:, members].sum(axis=1).astype(np.int32), mask=ns)
    if reasons:
        rows = reference_reasons(art, res)
        for r in range(MAX_REASONS):
            cols[f"reason_{r + 1}"] = pa.array(
                [
                    row[r] if ok and r < len(row) else None
                    for row, ok in zip(rows, res.ok, strict=True)
                ],
                type=pa.string(),
            )
    return pa.table(cols)
