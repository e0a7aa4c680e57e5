"""Population and characteristic stability: PSI and CSI."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

from trustscore.exceptions import ModelError
from trustscore.monitoring._arrays import as_float

__all__ = ["csi", "psi"]

# Share given to an empty bin so that the log stays finite.
_EPSILON: Final = 1e-4


def _is_numeric(values: Any) -> bool:
    arr = np.asarray(values, dtype=object) if not hasattr(values, "dtype") else np.asarray(values)
    if arr.dtype.kind in "biuf":
        return True
    return all(v is None or isinstance(v, (int, float, np.number)) for v in arr.tolist())


def _shares(counts: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    total = counts.sum()
    shares = counts / total if total > 0 else counts
    return np.maximum(shares, _EPSILON)


def _numeric_counts(
    expected: npt.NDArray[np.float64], actual: npt.NDArray[np.float64], bins: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    finite = expected[~np.isnan(expected)]
    if finite.size == 0:
        edges = np.empty(0)
    else:
        quantiles = np.quantile(finite, np.linspace(0.0, 1.0, bins + 1))
        edges = np.unique(quantiles[1:-1])

    def counts(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        present = x[~np.isnan(x)]
        idx = np.searchsorted(edges, present, side="right")
        c = np.bincount(idx, minlength=edges.size + 1).astype(np.float64)
        # Missing values (unscored rows) form their own bin: a change in their share is drift.
        return np.append(c, float(np.isnan(x).sum()))

    return counts(expected), counts(actual)


def _categorical_counts(
    expected: Any, actual: Any
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    e = ["<missing>" if v is None else str(v) for v in np.asarray(expected, dtype=object).tolist()]
    a = ["<missing>" if v is None else str(v) for v in np.asarray(actual, dtype=object).tolist()]
    levels = sorted(set(e) | set(a))
    pos = {lev: i for i, lev in enumerate(levels)}
    ce = np.bincount([pos[v] for v in e], minlength=len(levels)).astype(np.float64)
    ca = np.bincount([pos[v] for v in a], minlength=len(levels)).astype(np.float64)
    return ce, ca


def psi(expected: Any, actual: Any, *, bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected``.

    Numeric values are cut at the quantiles of ``expected`` (repeated edges merged); missing
    values (None/NaN) form a bin of their own. Non-numeric values (labels, categories) use one
    bin per level. An empty bin counts as a share of 1e-4 so the index stays finite.

    ``PSI = sum((actual% - expected%) * ln(actual% / expected%))``; below 0.1 is usually read
    as stable, above 0.25 as a shift.

    Parameters
    ----------
    expected : array-like
        The reference sample (for example the development scores).
    actual : array-like
        The sample to compare (for example this month's scores).
    bins : int, default 10
        Number of quantile bins for numeric values.

    Returns
    -------
    float

    Examples
    --------
    >>> x = list(range(100))
    >>> psi(x, x)
    0.0
    >>> round(psi([1, 1, 2, 2], [1, 2, 2, 2], bins=2), 4)
    0.2747
    >>> round(psi(["a", "a", "b", "b"], ["a", "b", "b", "b"]), 4)
    0.2747
    """
    if bins < 1:
        msg = f"The 'bins' parameter of psi must be an int >= 1. Got {bins!r} instead."
        raise ModelError(msg, field="bins", value=bins)
    if len(expected) == 0 or len(actual) == 0:
        msg = (
            f"psi needs non-empty samples; got {len(expected)} expected and {len(actual)} "
            "actual values."
        )
        raise ModelError(msg)
    if _is_numeric(expected) and _is_numeric(actual):
        ce, ca = _numeric_counts(as_float(expected, "expected"), as_float(actual, "actual"), bins)
    else:
        ce, ca = _categorical_counts(expected, actual)
    pe, pa = _shares(ce), _shares(ca)
    return float(np.sum((pa - pe) * np.log(pa / pe)))


def csi(expected: Any, actual: Any, *, bins: int = 10) -> float:
    """Characteristic stability index: :func:`psi` applied to one characteristic.

    Pass the characteristic's raw values (numeric, binned at quantiles of ``expected``) or its
    bin labels (one bin per label).

    Examples
    --------
    >>> csi(["low", "high"], ["low", "high"])
    0.0
    """
    return psi(expected, actual, bins=bins)
