"""Counting input-quality flags over a scored table (the ``quality`` column of
``trustscore.scoring.score(..., quality=True)``).

Examples
--------
>>> import pyarrow as pa
>>> t = pa.table({"quality": ["impossible:card_utilisation", None,
...                          "impossible:card_utilisation;unseen_level:region"]})
>>> quality_counts(t)
[{'kind': 'impossible', 'characteristic': 'card_utilisation', 'n': 2}, \
{'kind': 'unseen_level', 'characteristic': 'region', 'n': 1}]
>>> flagged_rows(t)
2
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from trustscore.exceptions import SchemaError
from trustscore.scoring._quality import QUALITY_COLUMN, QUALITY_KINDS, parse_quality

__all__ = ["flagged_rows", "quality_counts"]


def _column(scores: pa.Table) -> pa.ChunkedArray:
    if QUALITY_COLUMN not in scores.column_names:
        msg = (
            f"The score table has no {QUALITY_COLUMN!r} column; score with quality=True to "
            "count input-quality flags."
        )
        raise SchemaError(msg, field=QUALITY_COLUMN)
    return scores.column(QUALITY_COLUMN)


def quality_counts(scores: pa.Table) -> list[dict[str, Any]]:
    """Rows flagged, by flag kind and characteristic: most rows first, then kind, then name.

    A row with several flags counts once under each. JSON-ready.
    """
    counts: Counter[tuple[str, str]] = Counter()
    for item in pc.value_counts(pc.drop_null(_column(scores))).to_pylist():
        for kind, name in parse_quality(item["values"]):
            counts[kind, name] += item["counts"]
    order: dict[str, int] = {k: i for i, k in enumerate(QUALITY_KINDS)}
    return [
        {"kind": kind, "characteristic": name, "n": n}
        for (kind, name), n in sorted(
            counts.items(), key=lambda x: (-x[1], order[x[0][0]], x[0][1])
        )
    ]


def flagged_rows(scores: pa.Table) -> int:
    """How many rows carry at least one input-quality flag."""
    col = _column(scores)
    return int(pc.sum(pc.fill_null(pc.not_equal(col, ""), False)).as_py() or 0)
