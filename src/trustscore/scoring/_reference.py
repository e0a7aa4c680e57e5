"""The reference scorer: plain numpy, written for clarity, the yardstick every engine must match.

It implements the semantics documented in :mod:`trustscore.scoring._artifact` literally, one
element at a time (``searchsorted`` + ``take``): the characteristics, then the interactions.
Training uses it to score its own fit, and the identity tests hold every compiled scorer to it.
It is also the ``numpy searchsorted`` baseline of the scoring benchmark.

Examples
--------
>>> import numpy as np
>>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
>>> art = ScorecardArtifact.from_dict(example_artifact_dict())
>>> cols = {"on_time_rate": np.array([0.95, 0.5, np.nan, -1.0]),
...         "card_kind": np.array(["card", "none", None, "zzz"], dtype=object),
...         "months_history": np.array([12.0, 3.0, 24.0, 8.0])}
>>> r = reference_points(art, cols)
>>> r.points.tolist()
[[60, 90], [35, 10], [30, 40], [20, 40]]
>>> r.ok.tolist()
[True, False, True, True]
>>> pairs = ScorecardArtifact.from_dict(example_artifact_dict(interaction=True))
>>> reference_points(pairs, cols).points[:, 2].tolist()  # cells (1, 1), (0, 0); otherwise
[25, 0, 0, 0]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from trustscore.exceptions import SchemaError
from trustscore.scoring._artifact import (
    MAX_REASONS,
    Axis,
    Characteristic,
    Criterion,
    Interaction,
    ScorecardArtifact,
)

__all__ = [
    "ReferenceResult",
    "criterion_ok",
    "outcome_index",
    "outcome_labels",
    "reference_points",
    "reference_reasons",
    "to_numeric",
    "to_text",
]


@dataclass(frozen=True)
class ReferenceResult:
    """Points per row and element (``int64 [n, k + m]``: the ``k`` characteristics, then the
    ``m`` interactions), whether each row is scorable, and each row's reason per element:
    ``slot`` (its index in the artifact's ``reason_slots``, -1 where the outcome never gives a
    reason) and ``lost`` (points below the element's baseline; a reason only where > 0)."""

    points: npt.NDArray[np.int64]
    ok: npt.NDArray[np.bool_]
    slot: npt.NDArray[np.int64]
    lost: npt.NDArray[np.int64]


def to_numeric(values: Any, name: str) -> npt.NDArray[np.float64]:
    """A column as float64 with missing values as NaN; raise if it is not numeric."""
    arr = np.asarray(values)
    if arr.dtype == object:
        out = np.empty(arr.shape[0], dtype=np.float64)
        for i, v in enumerate(arr):
            if v is None:
                out[i] = np.nan
                continue
            try:
                out[i] = float(v)
            except (TypeError, ValueError):
                msg = f"Column {name!r} must be numeric; row {i} holds {v!r}."
                raise SchemaError(msg, field=name, row=i, value=v) from None
        return out
    if arr.dtype.kind not in "biuf":
        msg = f"Column {name!r} must be numeric, got dtype {arr.dtype}."
        raise SchemaError(msg, field=name)
    return arr.astype(np.float64, copy=False)


def to_text(values: Any) -> npt.NDArray[np.object_]:
    """A column as Python strings, None where missing (NaN counts as missing)."""
    arr = np.asarray(values, dtype=object)
    out = np.empty(arr.shape[0], dtype=object)
    for i, v in enumerate(arr):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out[i] = None
        elif isinstance(v, float) and v.is_integer():
            out[i] = str(int(v))  # a level read as 2.0 is the level "2"
        else:
            out[i] = str(v)
    return out


def outcome_index(c: Characteristic, values: Any) -> npt.NDArray[np.int64]:
    """The outcome each value lands in, as a position in ``c.outcomes``: the bins in order,
    then ``missing``, then each ``special``, then ``other`` (unseen levels).

    This is the scorecard's one bin assignment: points, reasons and monitoring (the stability
    of a characteristic's distribution over its bins) all read it.

    Examples
    --------
    >>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
    >>> art = ScorecardArtifact.from_dict(example_artifact_dict())
    >>> on_time, kind = art.characteristics
    >>> outcome_index(on_time, [0.2, 0.5, 0.95, None, -1.0]).tolist()  # 3 bins, missing, special
    [0, 1, 2, 3, 4]
    >>> outcome_index(kind, ["none", "loan", None, "zzz"]).tolist()  # 2 bins, missing, other
    [0, 1, 2, 3]
    """
    n_bins = len(c.bins)
    if c.type == "numeric":
        x = to_numeric(values, c.name)
        # side="right": a value equal to an edge goes to the bin above (edges are exclusive uppers)
        idx = np.searchsorted(np.array(c.edges, dtype=np.float64), x, side="right")
        idx = np.minimum(idx, n_bins - 1).astype(np.int64)
        for j, sp in enumerate(c.special):
            idx[np.isin(x, np.array(sp.values))] = n_bins + 1 + j
        idx[np.isnan(x)] = n_bins
        return idx
    texts = to_text(values)
    lookup = {cat: j for j, b in enumerate(c.bins) for cat in b.categories}
    other = n_bins + 1 + len(c.special)
    return np.fromiter(
        (n_bins if t is None else lookup.get(t, other) for t in texts),
        dtype=np.int64,
        count=len(texts),
    )


def _edge(x: float) -> str:
    return f"{x:g}"


def outcome_labels(c: Characteristic) -> list[str]:
    """A reader's name for each of ``c.outcomes``, in the order :func:`outcome_index` counts.

    A bin's ``label`` kept by training wins; otherwise numeric bins read ``< 0.5``,
    ``[0.5, 0.9)``, ``>= 0.9``, categorical ones list their levels.

    Examples
    --------
    >>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
    >>> art = ScorecardArtifact.from_dict(example_artifact_dict())
    >>> outcome_labels(art.characteristics[0])
    ['< 0.5', '[0.5, 0.9)', '>= 0.9', 'missing', 'special: -1']
    >>> outcome_labels(art.characteristics[1])
    ['none', 'card, loan', 'missing', 'other levels']
    """
    labels: list[str] = []
    if c.type == "numeric":
        lower: float | None = None
        for b in c.bins:
            if b.upper is None:
                label = f">= {_edge(lower)}" if lower is not None else "all values"
            elif lower is None:
                label = f"< {_edge(b.upper)}"
            else:
                label = f"[{_edge(lower)}, {_edge(b.upper)})"
            labels.append(str(b.stats.get("label", label)))
            lower = b.upper
    else:
        labels += [str(b.stats.get("label", ", ".join(b.categories))) for b in c.bins]
    labels.append(str(c.missing.stats.get("label", "missing")))
    for sp in c.special:
        default = "special: " + ", ".join(_edge(v) for v in sp.values)
        labels.append(str(sp.stats.get("label", default)))
    if c.other is not None:
        labels.append(str(c.other.stats.get("label", "other levels")))
    return labels


def _char_points(
    c: Characteristic, values: Any
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Each value's points, and whether it went to ``missing`` or a ``special`` outcome (no
    information: the no-information reason) rather than a bin or ``other`` (the adverse one)."""
    idx = outcome_index(c, values)
    points = np.array([o.points for o in c.outcomes], dtype=np.int64)[idx]
    n_bins = len(c.bins)
    return points, (idx >= n_bins) & (idx <= n_bins + len(c.special))


def _axis_index(
    c: Characteristic, axis: Axis, values: Any
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Each value's interval on ``axis``, and whether ``c`` sends it to missing/special/other."""
    if c.type == "numeric":
        x = to_numeric(values, c.name)
        off = np.isnan(x)
        for sp in c.special:
            off |= np.isin(x, np.array(sp.values))
        idx = np.searchsorted(np.array(axis.edges, dtype=np.float64), x, side="right")
        return np.minimum(idx, axis.size - 1).astype(np.int64), off
    # the axis groups hold exactly c's categories: a level in none is missing or other
    where = {cat: g for g, cats in enumerate(axis.groups) for cat in cats}
    found = np.fromiter(
        (-1 if t is None else where.get(t, -1) for t in to_text(values)),
        dtype=np.int64,
        count=len(values),
    )
    return np.maximum(found, 0), found < 0


def _interaction_points(
    p: Interaction, chars: Mapping[str, Characteristic], columns: Mapping[str, Any]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Each row's points, and whether it got ``otherwise`` (which never gives a reason)."""
    (a, b), (ax_a, ax_b) = p.inputs, p.axes
    ia, off_a = _axis_index(chars[a], ax_a, columns[a])
    ib, off_b = _axis_index(chars[b], ax_b, columns[b])
    cells = np.array([o.points for o in p.cells], dtype=np.int64)
    out = cells[ia * ax_b.size + ib]
    off = off_a | off_b
    return np.where(off, p.otherwise.points, out).astype(np.int64), off


def criterion_ok(crit: Criterion, values: Any) -> npt.NDArray[np.bool_]:
    x = to_numeric(values, crit.column)
    present = ~np.isnan(x)
    if crit.op == "not_null":
        return present
    v = np.nan if crit.value is None else crit.value
    with np.errstate(invalid="ignore"):
        test = {
            ">=": x >= v,
            ">": x > v,
            "<=": x <= v,
            "<": x < v,
            "==": x == v,
            "!=": x != v,
        }[crit.op]
    return np.asarray(present & test, dtype=bool)


def reference_points(art: ScorecardArtifact, columns: Mapping[str, Any]) -> ReferenceResult:
    """Points for every row and element, and each row's scorability, from plain columns."""
    missing = [c for c in art.input_columns if c not in columns]
    if missing:
        msg = f"The data lacks the column(s) {missing} that model {art.model_version} reads."
        raise SchemaError(msg, model_version=art.model_version, field=missing[0])
    n = len(next(iter(columns.values()))) if columns else 0
    k = len(art.characteristics)
    width = k + len(art.interactions)
    points = np.empty((n, width), dtype=np.int64)
    slot = np.empty((n, width), dtype=np.int64)
    where = {key: s for s, key in enumerate(art.reason_slots)}
    for j, c in enumerate(art.characteristics):
        points[:, j], no_info = _char_points(c, columns[c.name])
        slot[:, j] = np.where(no_info, where[j, "missing"], where[j, "adverse"])
    chars = {c.name: c for c in art.characteristics}
    for j, p in enumerate(art.interactions):
        points[:, k + j], off = _interaction_points(p, chars, columns)
        slot[:, k + j] = np.where(off, -1, where[k + j, "adverse"])
    ok = np.ones(n, dtype=bool)
    for crit in art.criteria:
        ok &= criterion_ok(crit, columns[crit.column])
    baseline = np.array([e.baseline_points for e in art.elements], dtype=np.int64)
    lost = np.where(slot >= 0, np.maximum(baseline[None, :] - points, 0), 0)
    return ReferenceResult(points=points, ok=ok, slot=slot, lost=lost)


def reference_reasons(art: ScorecardArtifact, result: ReferenceResult) -> list[list[str]]:
    """The reason codes of each row: most points lost first, ties in artifact order, up to four.

    The artifact's rule (:mod:`trustscore.scoring._artifact`): an element gives a reason only
    where it lost points against its baseline, under the code of the outcome the row landed in.
    """
    codes = art.reason_codes
    lost, slot = result.lost, result.slot
    # a stable sort on -lost keeps artifact order (the element's position) among ties
    order = np.argsort(-lost, axis=1, kind="stable")
    out: list[list[str]] = []
    for i in range(lost.shape[0]):
        row = [codes[slot[i, j]] for j in order[i, :MAX_REASONS] if lost[i, j] > 0]
        out.append(row)
    return out
