"""Scaling a logistic model on WoE onto integer points whose sums stay in 0..1000.

``factor = pdo / ln 2`` and ``offset = anchor_score - factor * ln(anchor_odds)`` (odds
good:bad), and each outcome of characteristic ``j`` gets
``round(-(beta_j * woe + intercept / k) * factor + offset / k)`` points. If the attainable
totals leave 0..1000 the points are recomputed with a smaller factor (``compression`` < 1,
shrunk by 2 % steps until the range fits) and then shifted by whole points (``shift``, spread
over the characteristics in artifact order). The score then reads
``ln(odds) = (score - score_offset) / score_factor`` with ``score_factor = factor * compression``
and ``score_offset = offset + shift``.

An interaction's cells (log-odds ``t`` per cell, 0 off the grid) get ``round(-t * factor)``
points at the same (compressed) factor and no share of the offset or the shift; their least and
most points count in the range check.

Examples
--------
>>> import numpy as np
>>> pts, scaling = scale_points([np.array([-1.0, 0.0, 1.0])], np.array([-1.0]), -3.0,
...                             pdo=40.0, anchor_score=600, anchor_odds=20.0)
>>> pts[0].tolist(), scaling["shift"], scaling["compression"]
([543, 600, 658], 0, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from trustscore.exceptions import ModelError

__all__ = ["odds_from_scores", "scale_points"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_SCORE_MAX: Final = 1000
_SHRINK: Final = 0.98


def _raw_points(
    woes: Sequence[FloatArray], beta: FloatArray, intercept: float, factor: float, offset: float
) -> list[IntArray]:
    k = len(woes)
    return [
        np.rint(-(b * w + intercept / k) * factor + offset / k).astype(np.int64)
        for w, b in zip(woes, beta, strict=True)
    ]


def scale_points(
    woes: Sequence[FloatArray],
    beta: FloatArray,
    intercept: float,
    *,
    pdo: float,
    anchor_score: float,
    anchor_odds: float,
    cells: Sequence[FloatArray] = (),
) -> tuple[list[IntArray], dict[str, Any]]:
    """Integer points per outcome of each characteristic, then per cell of each interaction
    (``cells``: their log-odds), and the scaling record."""
    if not woes:
        msg = "Cannot scale a scorecard without characteristics."
        raise ModelError(msg)
    factor = pdo / math.log(2.0)
    offset = anchor_score - factor * math.log(anchor_odds)
    compression = 1.0
    pts = _raw_points(woes, beta, intercept, factor, offset)
    cpts = [np.rint(-t * factor).astype(np.int64) for t in cells]
    while True:
        lo = sum(int(p.min()) for p in (*pts, *cpts))
        hi = sum(int(p.max()) for p in (*pts, *cpts))
        if hi - lo <= _SCORE_MAX:
            break
        compression *= _SHRINK if hi - lo < 1.5 * _SCORE_MAX else _SCORE_MAX / (hi - lo)
        pts = _raw_points(woes, beta, intercept, factor * compression, offset)
        cpts = [np.rint(-t * factor * compression).astype(np.int64) for t in cells]
    shift = -lo if lo < 0 else (_SCORE_MAX - hi if hi > _SCORE_MAX else 0)
    if shift:
        k = len(pts)
        base, extra = divmod(abs(shift), k)
        sign = 1 if shift > 0 else -1
        pts = [p + sign * (base + (1 if j < extra else 0)) for j, p in enumerate(pts)]
    scaling: dict[str, Any] = {
        "pdo": float(pdo),
        "anchor_score": anchor_score,
        "anchor_odds": float(anchor_odds),
        "odds": "good:bad",
        "factor": factor,
        "offset": offset,
        "compression": compression,
        "shift": int(shift),
        "score_factor": factor * compression,
        "score_offset": offset + shift,
    }
    return [*pts, *cpts], scaling


def odds_from_scores(scores: npt.ArrayLike, scaling: Mapping[str, Any]) -> FloatArray:
    """``ln(odds good:bad)`` for each score, from an artifact's scaling record.

    Artifacts written by other tools may lack ``score_factor`` / ``score_offset``; the plain
    ``pdo`` / ``anchor_score`` / ``anchor_odds`` formula is used for them.
    """
    factor = scaling.get("score_factor")
    offset = scaling.get("score_offset")
    if factor is None or offset is None:
        factor = float(scaling["pdo"]) / math.log(2.0)
        offset = float(scaling["anchor_score"]) - factor * math.log(float(scaling["anchor_odds"]))
    return (np.asarray(scores, dtype=np.float64) - float(offset)) / float(factor)
