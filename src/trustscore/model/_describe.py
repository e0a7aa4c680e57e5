"""The artifact's description of a fitted characteristic, and of the fit as a whole.

Bins with equal points merged, each bin's points and statistics as the artifact stores them,
the model version and the data window.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from trustscore.exceptions import ModelError
from trustscore.model._binning import BinnedCharacteristic, merge_bins
from trustscore.scoring._artifact import content_hash

#: The keys of a characteristic's no-information statement, copied from its spec as given.
#: Texts and declarations a ``characteristics`` entry may carry into the artifact as they are:
#: the no-information statement, how the value can change (``"change"``: action, time, fixed)
#: and the ``label`` a statement names it by.
MISSING_KEYS: Final = (
    "missing_reason_code",
    "missing_reason",
    "missing_improve",
    "change",
    "label",
)

__all__ = [
    "MISSING_KEYS",
    "char_dict",
    "merge_equal_points",
    "model_version",
    "pair_code",
    "window",
]

IntArray = npt.NDArray[np.int64]


def _json_num(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def merge_equal_points(
    bins: dict[str, BinnedCharacteristic],
    selected: list[str],
    pts: list[IntArray],
    *,
    shape_from_points: bool,
) -> list[IntArray]:
    """Merge neighbouring bins with equal points (edited bins stay as they are).

    With ``shape_from_points`` a characteristic's ``trend`` becomes the shape its points
    have (an ascending event rate is descending points).
    """
    out = []
    for k, p in zip(selected, pts, strict=True):
        b = bins[k]
        nb = b.n_bins
        if not b.edited:
            group = np.concatenate(([0], np.cumsum(np.diff(p[:nb]) != 0)))
            first = np.concatenate(([True], np.diff(p[:nb]) != 0))
            b = merge_bins(b, group.tolist())
            p = np.concatenate((p[:nb][first], p[nb:]))
            if shape_from_points:
                b.trend = _shape(p[: b.n_bins])
            bins[k] = b
        out.append(p)
    return out


def char_dict(
    b: BinnedCharacteristic,
    spec: Mapping[str, str],
    pts: IntArray,
    coef: float | None,
    direction: int = 0,
) -> dict[str, Any]:
    """A characteristic's artifact entry; ``direction`` +1, -1 or 0 (written as null)."""

    def stats(i: int) -> dict[str, Any]:
        n_i = float(b.n_event[i] + b.n_nonevent[i])
        return {
            "points": int(pts[i]),
            "woe": float(b.woe[i]),
            "n": int(n_i),
            "n_event": int(b.n_event[i]),
            "event_rate": _json_num(b.n_event[i] / n_i) if n_i else None,
        }

    nb = b.n_bins
    if b.type == "numeric":
        uppers: list[float | None] = [*b.edges, None]
        lowers: list[float | None] = [None, *b.edges]
        bins_out = []
        for i in range(nb):
            lo, hi = lowers[i], uppers[i]
            label = f"[{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'})"
            bins_out.append({"upper": hi, **stats(i), "label": label})
    else:
        bins_out = [{"categories": list(g), **stats(i)} for i, g in enumerate(b.groups)]
    d: dict[str, Any] = {
        "name": b.name,
        "dimension": spec["dimension"],
        "type": b.type,
        "reason_code": spec["reason_code"],
        "reason": spec["reason"],
        "improve": spec["improve"],
        **{k: spec[k] for k in MISSING_KEYS if k in spec},
        "direction": direction or None,
        "bins": bins_out,
        "missing": stats(b.missing_index),
    }
    if b.special_values:
        d["special"] = [
            {"values": [v], **stats(nb + 1 + k)} for k, v in enumerate(b.special_values)
        ]
    if b.other_index is not None:
        d["other"] = {"points": int(pts[b.other_index]), "woe": 0.0}
    d["iv"] = b.iv
    if coef is not None:
        d["coefficient"] = coef
    d["trend"] = b.trend
    if b.edited:
        d["edited"] = True
    return d


def pair_code(dimension: str, used: set[str]) -> str:
    """A new reason code for an interaction: the dimension's prefix, ``X``, a number.

    Examples
    --------
    >>> used = {"OV01", "OVX01"}
    >>> pair_code("overall", used), sorted(used)
    ('OVX02', ['OV01', 'OVX01', 'OVX02'])
    """
    prefix = (dimension[:2] or "CH").upper()
    k = 1
    while f"{prefix}X{k:02d}" in used:
        k += 1
    code = f"{prefix}X{k:02d}"
    used.add(code)
    return code


def model_version(d: Mapping[str, Any], data_window: Any) -> str:
    body = {k: v for k, v in d.items() if k not in ("model_version", "created_at")}
    digest = content_hash(body).split(":", 1)[1][:8]
    win = window(data_window)
    if win is not None and win.get("end"):
        day = str(win["end"])[:10].replace("-", "")
    else:
        day = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    return f"scorecard-{day}-{digest}"


def _shape(points: IntArray) -> str:
    """The trend of the event rate that integer points imply (points fall as risk rises)."""
    d = np.sign(np.diff(points))
    d = d[d != 0]
    if d.size == 0 or (d < 0).all():
        return "ascending" if d.size else "none"
    if (d > 0).all():
        return "descending"
    turns = int((np.diff(d) != 0).sum())
    if turns == 1:
        return "peak" if d[0] < 0 else "valley"
    return "none"


def window(data_window: Any) -> dict[str, Any] | None:
    if data_window is None:
        return None
    if isinstance(data_window, Mapping):
        return {str(k): str(v) for k, v in data_window.items()}
    if isinstance(data_window, tuple | list) and len(data_window) == 2:
        return {"start": str(data_window[0]), "end": str(data_window[1])}
    msg = f"data_window must be (start, end) or a dict; got {data_window!r}."
    raise ModelError(msg, field="data_window")
