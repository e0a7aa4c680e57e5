"""Discrimination: AUC, Gini, KS and bootstrap intervals.

Convention: ``y == 1`` is the event (bad) and a higher ``risk`` means more likely bad; pass
``-score`` for trust scores, where higher is better.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from trustscore.exceptions import ModelError
from trustscore.monitoring._arrays import as_float, as_target_and_risk

__all__ = ["bootstrap_ci", "gini", "ks", "roc_auc"]


def _average_ranks(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """1-based ranks with ties given their average rank (as scipy's ``rankdata``)."""
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    # Start of each run of equal values, and the run each sorted position belongs to.
    new = np.r_[True, xs[1:] != xs[:-1]]
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:], xs.size]
    run_rank = (starts + 1 + ends) / 2.0
    ranks = np.empty(x.size, dtype=np.float64)
    ranks[order] = run_rank[np.cumsum(new) - 1]
    return ranks


def roc_auc(y: Any, risk: Any) -> float:
    """Area under the ROC curve, ties counted as one half.

    Parameters
    ----------
    y : array-like of 0/1
        1 for the event (bad).
    risk : array-like of float
        Higher means more likely bad.

    Returns
    -------
    float
        The probability that a random bad has a higher risk than a random good.

    Raises
    ------
    ModelError
        If only one class is present, lengths differ, or values are not 0/1 / finite.

    Examples
    --------
    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> roc_auc([0, 1, 0, 1], [1, 1, 2, 2])
    0.5
    """
    yy, rr = as_target_and_risk(y, risk)
    ranks = _average_ranks(rr)
    n1 = float(yy.sum())
    n0 = float(yy.size) - n1
    return float((ranks[yy == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def gini(y: Any, risk: Any) -> float:
    """The Gini coefficient (accuracy ratio), ``2 * AUC - 1``.

    Examples
    --------
    >>> gini([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.5
    """
    return 2.0 * roc_auc(y, risk) - 1.0


def ks(y: Any, risk: Any) -> float:
    """Kolmogorov-Smirnov statistic: the largest distance between the classes' risk CDFs.

    Examples
    --------
    >>> ks([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.5
    >>> ks([0, 0, 1, 1], [1, 2, 3, 4])
    1.0
    """
    yy, rr = as_target_and_risk(y, risk)
    bad = np.sort(rr[yy == 1])
    good = np.sort(rr[yy == 0])
    # Evaluating at every distinct value keeps tied risks together, as a cut-off would.
    thresholds = np.unique(rr)
    cdf_bad = np.searchsorted(bad, thresholds, side="right") / bad.size
    cdf_good = np.searchsorted(good, thresholds, side="right") / good.size
    return float(np.max(np.abs(cdf_good - cdf_bad)))


def bootstrap_ci(
    metric: Callable[[Any, Any], float],
    y: Any,
    risk: Any,
    *,
    n_boot: int = 200,
    alpha: float = 0.05,
    random_state: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval for ``metric(y, risk)``.

    Resamples of a single class are skipped (the metric is undefined on them).

    Parameters
    ----------
    metric : callable
        ``metric(y, risk) -> float``, for example :func:`roc_auc`.
    y, risk : array-like
        As for :func:`roc_auc`.
    n_boot : int, default 200
        Number of resamples.
    alpha : float, default 0.05
        One minus the coverage; 0.05 gives a 95% interval.
    random_state : int, default 0
        Seed, so the interval is reproducible.

    Returns
    -------
    (low, high) : tuple of float

    Examples
    --------
    >>> y = [0, 0, 0, 1, 1, 1, 0, 1]
    >>> risk = [0.1, 0.2, 0.6, 0.5, 0.9, 0.7, 0.3, 0.8]
    >>> low, high = bootstrap_ci(roc_auc, y, risk, n_boot=100)
    >>> 0.5 <= low <= roc_auc(y, risk) <= high <= 1.0
    True
    """
    if n_boot < 1:
        msg = f"The 'n_boot' parameter of bootstrap_ci must be an int >= 1. Got {n_boot!r} instead."
        raise ModelError(msg, field="n_boot", value=n_boot)
    if not 0.0 < alpha < 1.0:
        msg = f"The 'alpha' parameter of bootstrap_ci must be in (0, 1). Got {alpha!r} instead."
        raise ModelError(msg, field="alpha", value=alpha)
    yy = as_float(y, "y")
    rr = as_float(risk, "risk")
    as_target_and_risk(yy, rr)
    rng = np.random.default_rng(random_state)
    values: list[float] = []
    n = yy.size
    for _ in range(n_boot):
        idx = rng.integers(0, n, size=n)
        yb = yy[idx]
        n_event = yb.sum()
        if n_event == 0 or n_event == n:
            continue
        values.append(float(metric(yb, rr[idx])))
    if not values:
        msg = (
            f"No bootstrap resample of {n} rows held both classes; the interval cannot be "
            "computed. Use a larger sample."
        )
        raise ModelError(msg, n=n)
    low, high = np.quantile(np.asarray(values), [alpha / 2.0, 1.0 - alpha / 2.0])
    return float(low), float(high)
