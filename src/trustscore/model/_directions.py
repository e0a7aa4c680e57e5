"""Directions of conduct: more is better (+1) or more is worse (-1), held in the points.

A direction is declared per numeric characteristic (``Scorecard(directions=...)``) and
becomes the declared trend of its event rate (+1: descending, -1: ascending), which every
fitting method holds by construction: the WoE binning merges bins only into groups whose
event rate follows it (and a negative coefficient keeps the WoE's order in the points), the
fused fit bounds each step between neighbouring bins, and a pair's cells are bounded to be
monotone along each declared input (:func:`trustscore.model._interactions.cell_basis`).
Rounding to integer points and merging equal neighbours keep that order.

This module holds the two checks after the points are integers: :func:`repair_points` makes a
characteristic's points monotone where its construction could not (expert-edited bins under
the WoE method, whose edges and WoE are the expert's, not the search's), and
:func:`monotone_violations` reads an artifact's characteristics and pairs back and lists
anything that moves against a declared direction, so that a fit never writes one.

Examples
--------
>>> import numpy as np
>>> repair_points(np.array([10, 30, 20, 40, 5]), np.array([1.0, 1, 1, 1]), 1, n_bins=4).tolist()
[10, 25, 25, 40, 5]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.isotonic import isotonic_regression

__all__ = ["monotone_violations", "repair_points"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def repair_points(
    points: IntArray, weights: FloatArray, direction: int, *, n_bins: int
) -> IntArray:
    """``points`` with the first ``n_bins`` (the ordered bins) made monotone in ``direction``.

    Points already in order are returned unchanged; otherwise the bins get the weighted
    isotonic fit of their points (weights: the bins' training rows), rounded, which stays in
    order. The other outcomes (missing, special) keep their points.
    """
    p = np.asarray(points, dtype=np.int64)
    head = p[:n_bins]
    steps = np.diff(head) * direction
    if n_bins < 2 or (steps >= 0).all():
        return p
    w = np.maximum(np.asarray(weights, dtype=np.float64)[:n_bins], 1e-9)
    fitted = isotonic_regression(head.astype(np.float64), sample_weight=w, increasing=direction > 0)
    out = p.copy()
    out[:n_bins] = np.rint(fitted).astype(np.int64)
    return out


def _numeric_axis(
    char: Mapping[str, Any], axis: Mapping[str, Any]
) -> tuple[list[int], list[int]] | None:
    """For each interval of the union of a characteristic's and a pair axis's edges, in value
    order: its bin of the characteristic and its row of the pair (None for a categorical)."""
    if "edges" not in axis or char.get("type") != "numeric":
        return None
    bin_edges = [b["upper"] for b in char["bins"][:-1]]
    cuts = sorted({*bin_edges, *axis["edges"]})
    starts = [-np.inf, *cuts]  # each interval's lower edge; bins are [lo, hi)

    def index(edges: Sequence[float], x: float) -> int:
        return 0 if x == -np.inf else int(np.searchsorted(np.asarray(edges), x, side="right"))

    return [index(bin_edges, x) for x in starts], [index(axis["edges"], x) for x in starts]


def monotone_violations(d: Mapping[str, Any]) -> list[str]:
    """Where an artifact dict's points move against a characteristic's ``direction``.

    Checks each characteristic's bins (non-decreasing points for +1, non-increasing for -1)
    and each pair along each input with a direction: for every interval (group) of the other
    input, the input's bin points plus the cell's points. Returns one line per violation.
    """
    chars = {c["name"]: c for c in d["characteristics"]}
    out = []
    for c in d["characteristics"]:
        direction = c.get("direction")
        if not direction:
            continue
        pts = np.array([b["points"] for b in c["bins"]], dtype=np.int64)
        if (np.diff(pts) * direction < 0).any():
            out.append(f"{c['name']}: points {pts.tolist()} against direction {direction:+d}")
    for q in d.get("interactions", ()):
        axes = q["axes"]
        sizes = [len(ax["edges"]) + 1 if "edges" in ax else len(ax["groups"]) for ax in axes]
        grid = np.array([c["points"] for c in q["cells"]], dtype=np.int64).reshape(sizes)
        for k, name in enumerate(q["inputs"]):
            char = chars[name]
            direction = char.get("direction")
            if not direction:
                continue
            walk = _numeric_axis(char, axes[k])
            if walk is None:
                out.append(f"{q['name']}: {name} has a direction but its axis is not numeric")
                continue
            base_bin, row = walk
            base = np.array([char["bins"][i]["points"] for i in base_bin], dtype=np.int64)
            cells = grid[row, :] if k == 0 else grid[:, row].T
            total = base[:, None] + cells
            if (np.diff(total, axis=0) * direction < 0).any():
                out.append(
                    f"{q['name']}: points along {name} {total.T.tolist()} against direction "
                    f"{direction:+d}"
                )
    return out
