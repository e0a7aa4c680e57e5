"""Calibration: observed against expected event rates and log-odds per band."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from trustscore.exceptions import ModelError
from trustscore.monitoring._arrays import as_float, json_float

__all__ = ["calibration_by_band"]

_P_CLIP = 1e-12


def _log_odds(rate: float) -> float | None:
    if rate <= 0.0 or rate >= 1.0:
        return None
    return math.log(rate / (1.0 - rate))


def calibration_by_band(y: Any, p: Any, band: Any) -> list[dict[str, Any]]:
    """Observed and expected event rates and log-odds for each band.

    Parameters
    ----------
    y : array-like of 0/1
        1 for the event (bad).
    p : array-like of float
        Predicted probability of the event, in [0, 1].
    band : array-like
        The band of each row (a tier label, a score band, a bin index, ...). Bands are listed
        in sorted order.

    Returns
    -------
    list of dict
        One JSON-ready dict per band with ``band``, ``n``, ``n_event``,
        ``observed_event_rate``, ``expected_event_rate`` (mean p), ``observed_log_odds``
        (None when the band has no events or only events) and ``expected_log_odds`` (the
        mean logit of p).

    Examples
    --------
    >>> rows = calibration_by_band([0, 1, 0, 0], [0.5, 0.5, 0.1, 0.1], ["A", "A", "B", "B"])
    >>> [(r["band"], r["n"], r["observed_event_rate"], r["observed_log_odds"]) for r in rows]
    [('A', 2, 0.5, 0.0), ('B', 2, 0.0, None)]
    >>> round(rows[1]["expected_log_odds"], 4)
    -2.1972
    """
    yy = as_float(y, "y")
    pp = as_float(p, "p")
    bands = np.asarray(band, dtype=object)
    if not (yy.size == pp.size == bands.size):
        msg = (
            f"'y', 'p' and 'band' must be the same length; got {yy.size}, {pp.size} and "
            f"{bands.size}."
        )
        raise ModelError(msg)
    if not np.isin(yy, (0.0, 1.0)).all():
        msg = "'y' must be 0 (good) or 1 (bad, the event) in every row."
        raise ModelError(msg, field="y")
    if np.isnan(pp).any() or (pp < 0.0).any() or (pp > 1.0).any():
        msg = "'p' must be a probability in [0, 1] in every row (no missing values)."
        raise ModelError(msg, field="p")
    logit = np.log(np.clip(pp, _P_CLIP, 1 - _P_CLIP) / np.clip(1 - pp, _P_CLIP, 1 - _P_CLIP))
    originals = bands.tolist()
    labels = [str(b) if b is not None else "<missing>" for b in originals]
    first = dict(zip(labels, originals, strict=True))
    keys = sorted(set(labels), key=lambda s: (not _is_number(s), _num(s), s))
    lab = np.asarray(labels, dtype=object)
    out: list[dict[str, Any]] = []
    for key in keys:
        mask = lab == key
        value = first[key]
        n = int(mask.sum())
        n_event = int(yy[mask].sum())
        observed = n_event / n
        out.append(
            {
                "band": value if isinstance(value, (str, int)) else key,
                "n": n,
                "n_event": n_event,
                "observed_event_rate": float(observed),
                "expected_event_rate": json_float(float(pp[mask].mean())),
                "observed_log_odds": _log_odds(observed),
                "expected_log_odds": json_float(float(logit[mask].mean())),
            }
        )
    return out


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _num(s: str) -> float:
    return float(s) if _is_number(s) else 0.0
