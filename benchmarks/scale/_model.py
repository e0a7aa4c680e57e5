"""The scorecard the score stage runs: every feature binned at its own quantiles.

The scaling benchmark measures how scoring's cost grows with the population, not a model's
quality, so it does not train one (that would add minutes that say nothing about scale): each
feature of ``trustscore.features.FEATURES`` gets up to five edges at quantiles of the run's own
feature table and points that fall or rise with the feature's declared direction, in the
feature's dimension, with the demo's criteria (six months of history, a record in the last
twelve). It is a valid artifact that ``trustscore score`` loads like any other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from trustscore.features import BOUNDS, DIMENSIONS, FEATURES
from trustscore.scoring import load_artifact

__all__ = ["write_model"]


def _edges(values: np.ndarray[Any, Any]) -> list[float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return [1.0]
    qs = np.unique(np.quantile(finite, [0.2, 0.4, 0.6, 0.8, 0.95]))
    return [float(q) for q in qs] or [1.0]


def write_model(features: Path, out: Path) -> Path:
    """Write the artifact for the feature table ``features`` (a file or a folder) to ``out``."""
    table = pq.read_table(features, columns=[f.name for f in FEATURES])
    chars: list[dict[str, Any]] = []
    for f in FEATURES:
        values = table.column(f.name).to_numpy(zero_copy_only=False).astype(np.float64)
        edges = _edges(values)
        step = 10 if f.direction >= 0 else -10
        base = 0 if step > 0 else 10 * len(edges)
        bins = [{"upper": e, "points": base + step * i} for i, e in enumerate(edges)]
        bins.append({"upper": None, "points": base + step * len(edges)})
        chars.append(
            {
                "name": f.name,
                "dimension": f.dimension,
                "type": "numeric",
                "reason_code": f.reason_code,
                "reason": f.reason,
                "improve": f.improve,
                "bins": bins,
                "missing": {"points": 0},
                "quality": {
                    "min": float(np.nanmin(values)) if np.isfinite(values).any() else None,
                    "max": float(np.nanmax(values)) if np.isfinite(values).any() else None,
                    "bounds": [BOUNDS[f.name][0], BOUNDS[f.name][1]],
                    "missing_seen": bool(np.isnan(values).any()),
                },
            }
        )
    art = load_artifact(
        {
            "format": "trustscore.scorecard",
            "schema_version": 3,
            "model_version": "scale-bench",
            "created_at": "2026-01-01T00:00:00+00:00",
            "target": "bad",
            "scaling": {"pdo": 40.0, "anchor_score": 600, "anchor_odds": 20.0},
            "dimensions": [{"name": d, "label": str(label)} for d, label in DIMENSIONS.items()],
            "characteristics": chars,
            "criteria": [
                {"column": "months_history", "op": ">=", "value": 6, "text": "6 months"},
                {"column": "n_records_12m", "op": ">=", "value": 1, "text": "a recent record"},
            ],
            "model_card": {"approved_purposes": ["credit_pricing"]},
        }
    )
    art.to_json(out)
    return out
