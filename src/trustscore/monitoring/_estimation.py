"""Performance before the outcomes arrive: confidence-based performance estimation (CBPE).

A calibrated model says, for each row, the probability ``p`` of the event. If it is right,
the expected confusion between bads and goods follows from ``p`` alone, and so does the AUC
the model should reach on this population once the outcomes are in. A drop of the estimate
says that the population moved towards scores where the model separates less well; a gap
between the estimate and the realised AUC, once outcomes arrive, says that the model's
probabilities no longer hold (calibration drift), which CBPE alone cannot see.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trustscore.exceptions import ModelError
from trustscore.monitoring._arrays import as_float

__all__ = ["expected_auc"]


def expected_auc(p: Any, risk: Any = None) -> float:
    """The AUC to expect if each row's event probability is ``p`` (CBPE).

    Every ordered pair of distinct rows ``(i, j)`` is a (bad, good) pair with probability
    ``p_i (1 - p_j)``; the estimate is the weight of the pairs the model orders right (``risk_i
    > risk_j``, ties counting one half) over the weight of all pairs:

    ``sum_{i != j} p_i (1 - p_j) ([r_i > r_j] + [r_i == r_j] / 2) / sum_{i != j} p_i (1 - p_j)``

    computed in ``O(n log n)`` over the distinct risks.

    Parameters
    ----------
    p : array-like of float
        Each row's calibrated probability of the event (1 = bad), in [0, 1].
    risk : array-like of float, optional
        The ranking the AUC is of (higher is riskier); by default ``p`` itself. Pass
        ``-score`` for a trust score.

    Returns
    -------
    float
        The expected AUC; NaN where no pair can be a (bad, good) pair (all ``p`` 0 or all 1).

    Examples
    --------
    Three rows of probabilities 0.2, 0.5 and 0.8: the right-ordered pairs weigh
    0.5*0.8 + 0.8*0.8 + 0.8*0.5 = 1.44, the wrong-ordered ones 0.2*0.5 + 0.2*0.2 + 0.5*0.2 = 0.24.

    >>> expected_auc([0.2, 0.5, 0.8]) == 1.44 / (1.44 + 0.24)
    True
    >>> expected_auc([0.3, 0.3])  # no ranking between equal risks
    0.5
    """
    pp = as_float(p, "p")
    if np.isnan(pp).any() or (pp < 0).any() or (pp > 1).any():
        msg = "'p' must be a probability in [0, 1] in every row (no missing values)."
        raise ModelError(msg, field="p")
    rr = pp if risk is None else as_float(risk, "risk")
    if rr.shape != pp.shape or not np.isfinite(rr).all():
        msg = f"'risk' must be finite and as long as 'p' ({pp.size} values)."
        raise ModelError(msg, field="risk")
    levels, inverse = np.unique(rr, return_inverse=True)
    bad = np.bincount(inverse, weights=pp, minlength=levels.size)
    good = np.bincount(inverse, weights=1.0 - pp, minlength=levels.size)
    self_pairs = np.bincount(inverse, weights=pp * (1.0 - pp), minlength=levels.size)
    goods_below = np.concatenate(([0.0], np.cumsum(good)[:-1]))
    right = float(np.sum(bad * goods_below))
    tied = float(np.sum(bad * good - self_pairs))
    total = float(bad.sum() * good.sum() - self_pairs.sum())
    if total <= 0:
        return float("nan")
    return (right + 0.5 * tied) / total
