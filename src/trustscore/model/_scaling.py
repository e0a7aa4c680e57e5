"""Scaling a fitted scorecard onto integer points: no element below 0, the range over 0..1000.

The fit gives every element (a characteristic, then an interaction) a log-odds contribution
``t`` (bad) per outcome (per cell for an interaction, its off-grid cell last), beside an
intercept ``b``: ``ln(odds good:bad) = -(b + sum of t)``. At a factor ``F`` (points per unit of
log-odds) element ``j`` gets ``round(F * (max t_j - t_j) + c_j)`` points: its worst outcome
earns ``c_j >= 0`` points and no outcome fewer, so no element and no sub-score is negative.

Two ways to choose ``F`` and the ``c_j`` (the ``scaling`` parameter of
:class:`~trustscore.model.Scorecard`):

- ``"spread"`` (the default): every ``c_j`` is 0, so the worst attainable score is 0, and ``F``
  is chosen so that the best attainable score (the sum of the elements' best points, after
  rounding) lies in [950, 1000]. The points to double the odds (``pdo``) and the odds at
  score 500 (``anchor_odds`` at ``anchor_score`` 500) follow and are recorded.
- pinned (``{"pdo": .., "anchor_score": .., "anchor_odds": ..}``): ``F = pdo / ln 2`` and the
  score ``anchor_score`` has the odds ``anchor_odds``, whatever the fit, so two model versions
  read the same score as the same odds. The constant this needs (``C``, the score of the worst
  attainable outcomes) is shared evenly over the characteristics (interactions keep their worst
  cell at 0). It holds where ``C >= 0`` and the best attainable score stays <= 1000; otherwise
  the anchor is kept, ``F`` shrinks by 2 % steps (``compression``) until the range is at most
  1000 points wide, and the scale moves by ``shift`` points so it lies in 0..1000, with a
  :class:`~trustscore.exceptions.TrustScoreWarning` unless the shift is under half a point (a
  pin copied, rounded, from a model's card onto a refit of it lands within a few hundredths).

Either way the record states the scale the points are on, exactly:
``ln(odds good:bad) = (score - score_offset) / score_factor``, with ``score_factor = F`` and
``score_offset = F * (b + sum of max t_j) + sum of c_j`` (each element's rounding aside), which
is ``anchor_score - score_factor * ln(anchor_odds) + shift``.

Examples
--------
>>> import math, numpy as np
>>> t = [np.array([-1.0, 0.0, 1.0]), np.array([0.5, -0.5])]  # two characteristics
>>> pts, scaling = scale_points(t, -3.0)
>>> [p.tolist() for p in pts], scaling["method"]
([[650, 325, 0], [0, 325]], 'spread')
>>> pts, scaling = scale_points(t, -3.0, pin={"pdo": 40, "anchor_score": 600, "anchor_odds": 20})
>>> [p.tolist() for p in pts], scaling["compression"], scaling["shift"]
([[372, 315, 257], [257, 315]], 1.0, 0.0)
>>> scaling["score_offset"] == 600 - 40 / math.log(2) * math.log(20)  # the anchor holds
True
>>> score = 315 + 257  # the second outcome of each: ln(odds) = -(-3.0 + 0.0 + 0.5) = 2.5
>>> round(float(odds_from_scores(score, scaling)), 2)
2.51
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from trustscore.exceptions import ModelError, TrustScoreWarning

__all__ = ["SPREAD", "odds_from_scores", "scale_points", "score_scale"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SPREAD: Final = "spread"
SCORE_MAX: Final = 1000
SPREAD_MIN: Final = 950
_SPREAD_ANCHOR: Final = 500
_SHRINK: Final = 0.98
_FLAT_PDO: Final = 40.0
_MAX_STEPS: Final = 200
_SLACK: Final = 0.5  # points: a shift under half a point changes no score but by rounding


def _points(
    t: Sequence[FloatArray], n_chars: int, factor: float, constant: float
) -> list[IntArray]:
    """Each element's points at ``factor``: its worst outcome at 0, plus its share of
    ``constant`` for a characteristic."""
    share = constant / n_chars
    out = []
    for j, tj in enumerate(t):
        r = -tj * factor
        r = r - r.min()
        if j < n_chars:
            r = r + share
        out.append(np.rint(r).astype(np.int64))
    return out


def _best(pts: Sequence[IntArray]) -> int:
    return sum(int(p.max()) for p in pts)


def _spread_factor(t: Sequence[FloatArray], n_chars: int) -> float:
    """A factor whose best attainable total, after rounding, lies in [950, 1000].

    The total moves with the factor in steps of a point or two (one element's rounding at a
    time), so bisecting between a factor that falls short and one that overshoots lands in a
    band 50 points wide; should it ever not, the last factor that fell short is kept.
    """
    width = sum(float(tj.max() - tj.min()) for tj in t)
    target = (SPREAD_MIN + SCORE_MAX) / 2
    factor = target / width
    short = over = None
    for _ in range(_MAX_STEPS):
        best = _best(_points(t, n_chars, factor, 0.0))
        if SPREAD_MIN <= best <= SCORE_MAX:
            return factor
        if best < SPREAD_MIN:
            short = factor
        else:
            over = factor
        if short is not None and over is not None:
            factor = (short + over) / 2
        else:
            factor *= target / max(best, 1)
    return short if short is not None else factor * SPREAD_MIN / SCORE_MAX


def _pinned(
    t: Sequence[FloatArray], n_chars: int, worst: float, pin: Mapping[str, float]
) -> tuple[list[IntArray], float, float, float]:
    """Points, factor, the constant used and the shift (0: the pin holds) of a pinned scale.

    ``worst`` is ``b + sum of max t_j``: minus the log-odds of the worst attainable outcomes.
    """
    pdo, anchor, odds = float(pin["pdo"]), float(pin["anchor_score"]), float(pin["anchor_odds"])
    factor = pdo / math.log(2.0)

    def wanted(f: float) -> float:  # the score of the worst outcomes that keeps the anchor
        return anchor - f * math.log(odds) - f * worst

    constant = wanted(factor)
    if constant >= 0:
        pts = _points(t, n_chars, factor, constant)
        if _best(pts) <= SCORE_MAX:
            return pts, factor, constant, 0.0
    while (width := _best(_points(t, n_chars, factor, 0.0))) > SCORE_MAX:
        factor *= _SHRINK if width < 1.5 * SCORE_MAX else SCORE_MAX / width
    want = wanted(factor)
    used = min(max(want, 0.0), float(SCORE_MAX - width))
    pts = _points(t, n_chars, factor, used)
    while (best := _best(pts)) > SCORE_MAX:  # the shares' rounding overshot
        used = max(used - (best - SCORE_MAX), 0.0)
        pts = _points(t, n_chars, factor, used)
    return pts, factor, used, used - want


def scale_points(
    contribs: Sequence[FloatArray],
    intercept: float,
    *,
    cells: Sequence[FloatArray] = (),
    pin: Mapping[str, float] | None = None,
) -> tuple[list[IntArray], dict[str, Any]]:
    """Integer points per outcome of each characteristic, then per cell of each interaction,
    and the scaling record (see the module's docstring).

    Parameters
    ----------
    contribs : sequence of ndarray
        Per characteristic, the log-odds contribution (bad) of each outcome.
    intercept : float
        The fit's intercept (log-odds, bad).
    cells : sequence of ndarray, optional
        Per interaction, the log-odds contribution of each cell, the off-grid cell last.
    pin : mapping or None
        ``{"pdo", "anchor_score", "anchor_odds"}`` to pin the scale; None spreads it.
    """
    if not contribs:
        msg = "Cannot scale a scorecard without characteristics."
        raise ModelError(msg)
    t = [np.asarray(x, dtype=np.float64) for x in (*contribs, *cells)]
    n_chars = len(contribs)
    worst = float(intercept) + sum(float(tj.max()) for tj in t)
    if pin is None:
        flat = sum(float(tj.max() - tj.min()) for tj in t) <= 0.0
        factor = _FLAT_PDO / math.log(2.0) if flat else _spread_factor(t, n_chars)
        pts = _points(t, n_chars, factor, 0.0)
        pdo, anchor = factor * math.log(2.0), float(_SPREAD_ANCHOR)
        anchor_odds = math.exp((anchor - factor * worst) / factor)
        asked, shift = factor, 0.0
    else:
        pts, factor, _, shift = _pinned(t, n_chars, worst, pin)
        pdo, anchor, anchor_odds = (
            float(pin["pdo"]),
            float(pin["anchor_score"]),
            float(pin["anchor_odds"]),
        )
        asked = pdo / math.log(2.0)
        if factor != asked or abs(shift) >= _SLACK:
            msg = (
                f"The pinned scaling (pdo {pdo:g}, score {anchor:g} at odds {anchor_odds:g}:1) "
                "does not fit this model on 0..1000: its attainable scores would span more "
                "than 1000 points or leave 0..1000. The points to double the odds are "
                f"{factor * math.log(2.0):.4g} instead and the scale moved by {shift:.4g} "
                "points (the scaling record says so); pin a smaller pdo, or another anchor, "
                "to keep the scale."
            )
            warnings.warn(msg, TrustScoreWarning, stacklevel=3)
    scaling: dict[str, Any] = {
        "method": SPREAD if pin is None else "pinned",
        "pdo": pdo,
        "anchor_score": anchor,
        "anchor_odds": anchor_odds,
        "odds": "good:bad",
        "factor": asked,
        "offset": anchor - asked * math.log(anchor_odds),
        "compression": factor / asked,
        "shift": shift,
        "score_factor": factor,
        "score_offset": anchor - factor * math.log(anchor_odds) + shift,
    }
    return pts, scaling


def score_scale(scaling: Mapping[str, Any]) -> tuple[float, float]:
    """``(score_factor, score_offset)`` of an artifact's scaling record.

    Artifacts written by other tools may lack ``score_factor`` / ``score_offset``; the plain
    ``pdo`` / ``anchor_score`` / ``anchor_odds`` formula is used for them.
    """
    factor = scaling.get("score_factor")
    offset = scaling.get("score_offset")
    if factor is None or offset is None:
        factor = float(scaling["pdo"]) / math.log(2.0)
        offset = float(scaling["anchor_score"]) - factor * math.log(float(scaling["anchor_odds"]))
    return float(factor), float(offset)


def odds_from_scores(scores: npt.ArrayLike, scaling: Mapping[str, Any]) -> FloatArray:
    """``ln(odds good:bad)`` for each score, from an artifact's scaling record."""
    factor, offset = score_scale(scaling)
    return (np.asarray(scores, dtype=np.float64) - offset) / factor
