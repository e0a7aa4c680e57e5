"""Population and characteristic stability: PSI and CSI, and the flags they raise.

:func:`psi` and :func:`csi` bin a raw sample at its own quantiles. Monitoring a scorecard
compares counts over the model's own bins instead (each characteristic's bins with its missing
bin as a bin of its own, the score's bands): :func:`stability_table` takes those counts from
whatever assigned the bins (:func:`trustscore.scoring.outcome_index` for a scorecard).

Thresholds (the industry's reading of PSI, used for CSI too): below :data:`PSI_WATCH` (0.10)
the population is stable; from 0.10 to below :data:`PSI_ACT` (0.25) it has moved enough to
watch; from 0.25 on it has shifted and the model needs action (investigation, recalibration or
redevelopment). :func:`stability_flag` names the level.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from trustscore.exceptions import ModelError
from trustscore.monitoring._arrays import as_float

__all__ = [
    "PSI_ACT",
    "PSI_WATCH",
    "StabilityLevel",
    "csi",
    "psi",
    "psi_from_counts",
    "stability_flag",
    "stability_table",
]

# Share given to an empty bin so that the log stays finite.
_EPSILON: Final = 1e-4

#: PSI (or CSI) from which a shift is worth watching.
PSI_WATCH: Final = 0.10
#: PSI (or CSI) from which a shift calls for action.
PSI_ACT: Final = 0.25

StabilityLevel = Literal["stable", "watch", "act"]


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


def _counts(values: Any, name: str) -> npt.NDArray[np.float64]:
    c = as_float(values, name)
    if np.isnan(c).any() or (c < 0).any():
        msg = f"'{name}' must hold counts >= 0 (no missing values); got {c.tolist()}."
        raise ModelError(msg, field=name)
    return c


def psi_from_counts(expected: Any, actual: Any) -> float:
    """PSI of two distributions over the same bins, given as counts per bin.

    ``PSI = sum((a_i - e_i) * ln(a_i / e_i))`` over the shares ``e_i`` and ``a_i`` of each bin;
    an empty bin counts as a share of 1e-4 so the index stays finite.

    Examples
    --------
    >>> round(psi_from_counts([50, 50], [25, 75]), 6)  # (0.25-0.5)ln(0.5) + (0.75-0.5)ln(1.5)
    0.274653
    >>> psi_from_counts([3, 1], [6, 2])
    0.0
    """
    e, a = _counts(expected, "expected"), _counts(actual, "actual")
    if e.shape != a.shape:
        msg = f"'expected' has {e.size} bins but 'actual' has {a.size}; they must match."
        raise ModelError(msg, field="actual")
    if e.sum() <= 0 or a.sum() <= 0:
        msg = (
            f"psi needs non-empty samples; got {int(e.sum())} expected and {int(a.sum())} "
            "actual rows."
        )
        raise ModelError(msg)
    pe, pa = _shares(e), _shares(a)
    return float(np.sum((pa - pe) * np.log(pa / pe)))


def stability_flag(value: float | None) -> StabilityLevel:
    """``"stable"`` below 0.10, ``"watch"`` from 0.10, ``"act"`` from 0.25 (None: stable).

    Examples
    --------
    >>> [stability_flag(v) for v in (0.0, 0.0999, 0.10, 0.2499, 0.25, 3.0)]
    ['stable', 'stable', 'watch', 'watch', 'act', 'act']
    """
    if value is None or value < PSI_WATCH:
        return "stable"
    return "watch" if value < PSI_ACT else "act"


def stability_table(expected: Any, actual: Any, labels: Sequence[str]) -> dict[str, Any]:
    """PSI over named bins, with each bin's shares and its part of the index, JSON-ready.

    Parameters
    ----------
    expected, actual : array-like of int
        Rows per bin in the baseline and in the current sample, in the order of ``labels``.
    labels : sequence of str
        The bins' names.

    Returns
    -------
    dict
        ``psi``, ``flag`` (:func:`stability_flag`), ``n_expected``, ``n_actual`` and ``bins``:
        one row per bin with ``label``, ``n_expected``, ``n_actual``, ``expected_share``,
        ``actual_share`` (plain shares, 0 where empty) and ``contribution`` (the bin's term of
        the sum, empty bins taken at 1e-4).

    Examples
    --------
    >>> t = stability_table([50, 50, 0], [25, 75, 0], ["low", "high", "missing"])
    >>> round(t["psi"], 6), t["flag"], [b["actual_share"] for b in t["bins"]]
    (0.274653, 'act', [0.25, 0.75, 0.0])
    """
    e, a = _counts(expected, "expected"), _counts(actual, "actual")
    if len(labels) != e.size:
        msg = f"{len(labels)} labels for {e.size} bins; give one label per bin."
        raise ModelError(msg, field="labels")
    value = psi_from_counts(e, a)
    pe, pa = _shares(e), _shares(a)
    rows = [
        {
            "label": str(label),
            "n_expected": int(e[i]),
            "n_actual": int(a[i]),
            "expected_share": float(e[i] / e.sum()),
            "actual_share": float(a[i] / a.sum()),
            "contribution": float((pa[i] - pe[i]) * np.log(pa[i] / pe[i])),
        }
        for i, label in enumerate(labels)
    ]
    return {
        "psi": value,
        "flag": stability_flag(value),
        "n_expected": int(e.sum()),
        "n_actual": int(a.sum()),
        "bins": rows,
    }
