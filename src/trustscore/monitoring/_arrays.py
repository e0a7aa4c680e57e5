"""Input coercion shared by the metrics: 1-d float arrays, checked once."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from trustscore.exceptions import ModelError

FloatArray = npt.NDArray[np.float64]


def as_float(values: Any, name: str) -> FloatArray:
    """A 1-d float64 array; None becomes NaN."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        msg = f"'{name}' must hold numbers (None for missing); it holds {type(values).__name__}."
        raise ModelError(msg, field=name) from None
    if arr.ndim != 1:
        msg = f"'{name}' must be one-dimensional; got an array of shape {arr.shape}."
        raise ModelError(msg, field=name)
    return arr


def as_target_and_risk(y: Any, risk: Any) -> tuple[FloatArray, FloatArray]:
    """A 0/1 target and a finite risk of the same length, each class present."""
    yy = as_float(y, "y")
    rr = as_float(risk, "risk")
    if yy.shape != rr.shape:
        msg = f"'y' has {yy.size} values but 'risk' has {rr.size}; they must be the same length."
        raise ModelError(msg, field="risk")
    bad = ~np.isin(yy, (0.0, 1.0))
    if bad.any():
        value = yy[bad][0]
        msg = (
            f"'y' must be 0 (good) or 1 (bad, the event); found {value!r} at position "
            f"{int(np.argmax(bad))}."
        )
        raise ModelError(msg, field="y", value=float(value))
    if not np.isfinite(rr).all():
        pos = int(np.argmax(~np.isfinite(rr)))
        msg = (
            f"'risk' must be finite; found {rr[pos]!r} at position {pos}. Drop unscored "
            "(NS) rows before computing discrimination metrics."
        )
        raise ModelError(msg, field="risk")
    n_event = int(yy.sum())
    if n_event == 0 or n_event == yy.size:
        only = "bad (1)" if n_event else "good (0)"
        msg = (
            f"Discrimination metrics need both classes, but all {yy.size} values of 'y' are "
            f"{only}. Use a larger or a different sample."
        )
        raise ModelError(msg, field="y", n=int(yy.size), n_event=n_event)
    return yy, rr


def json_float(value: float) -> float | None:
    """A plain float, or None for NaN/inf (JSON has no NaN)."""
    f = float(value)
    return f if np.isfinite(f) else None
