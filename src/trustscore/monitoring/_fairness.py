"""Fairness: adverse impact ratios, standardised mean differences and a JSON-ready report.

Protected attributes are used here, for testing, and nowhere else: they are never model inputs.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from trustscore.exceptions import ModelError
from trustscore.monitoring._arrays import FloatArray, as_float, json_float

__all__ = [
    "DEFAULT_CUTOFFS",
    "FOUR_FIFTHS",
    "adverse_impact_ratio",
    "fairness_report",
    "standardised_mean_difference",
]

FOUR_FIFTHS: Final = 0.8
DEFAULT_CUTOFFS: Final = (500, 600, 700)


def _groups(group: Any, n: int) -> npt.NDArray[np.object_]:
    g = np.asarray(
        ["<missing>" if v is None else str(v) for v in np.asarray(group, dtype=object).tolist()],
        dtype=object,
    )
    if g.size != n:
        msg = f"'group' has {g.size} values but the other argument has {n}; they must match."
        raise ModelError(msg, field="group")
    if n == 0:
        msg = "Fairness metrics need at least one row."
        raise ModelError(msg)
    return g


def _check_reference(reference: str | None, levels: list[str]) -> None:
    if reference is not None and reference not in levels:
        msg = f"The reference group {reference!r} is not among the groups {levels}."
        raise ModelError(msg, field="reference", value=reference)


def _rates(approved: FloatArray, g: npt.NDArray[np.object_]) -> dict[str, float]:
    return {str(lev): float(approved[g == lev].mean()) for lev in sorted(set(g.tolist()))}


def _air(rates: dict[str, float], reference: str | None) -> dict[str, float | None]:
    ref = max(rates.values()) if reference is None else rates[reference]
    return {k: (v / ref if ref > 0 else None) for k, v in rates.items()}


def adverse_impact_ratio(
    approved: Any, group: Any, *, reference: str | None = None
) -> dict[str, float]:
    """Approval rate of each group divided by the reference group's approval rate.

    Parameters
    ----------
    approved : array-like of bool
        Whether each subject was approved.
    group : array-like
        Each subject's group (compared as strings).
    reference : str, optional
        The reference group; by default the group with the highest approval rate.

    Returns
    -------
    dict of str to float
        One ratio per group, sorted by group; below 0.8 fails the four-fifths rule.

    Raises
    ------
    ModelError
        If the reference group approves nobody (the ratio is undefined) or is unknown.

    Examples
    --------
    >>> adverse_impact_ratio([1, 1, 0, 1, 0, 0], ["a", "a", "a", "b", "b", "b"])
    {'a': 1.0, 'b': 0.5}
    >>> adverse_impact_ratio([1, 1, 0, 1, 0, 0], ["a", "a", "a", "b", "b", "b"], reference="b")
    {'a': 2.0, 'b': 1.0}
    """
    a = as_float(np.asarray(approved, dtype=object).astype(bool), "approved")
    g = _groups(group, a.size)
    rates = _rates(a, g)
    _check_reference(reference, list(rates))
    air = _air(rates, reference)
    out: dict[str, float] = {}
    for k, v in air.items():
        if v is None:
            msg = (
                f"The adverse impact ratio is undefined: the reference group "
                f"{reference or 'with the highest rate'!r} has an approval rate of 0."
            )
            raise ModelError(msg, field="reference", value=reference)
        out[k] = v
    return out


def _smd(
    s: FloatArray, g: npt.NDArray[np.object_], reference: str | None
) -> tuple[str, dict[str, float | None]]:
    present = ~np.isnan(s)
    s, g = s[present], g[present]
    levels = sorted(set(g.tolist()))
    if not levels:
        msg = "standardised_mean_difference needs at least one non-missing score."
        raise ModelError(msg)
    _check_reference(reference, levels)
    if reference is None:
        # The largest group is the most stable yardstick.
        reference = max(levels, key=lambda lev: (int((g == lev).sum()), lev))
    ref = s[g == reference]
    out: dict[str, float | None] = {}
    for lev in levels:
        x = s[g == lev]
        dof = x.size + ref.size - 2
        if dof <= 0:
            out[lev] = None
            continue
        var_x = x.var(ddof=1) if x.size > 1 else 0.0
        var_r = ref.var(ddof=1) if ref.size > 1 else 0.0
        pooled = np.sqrt(((x.size - 1) * var_x + (ref.size - 1) * var_r) / dof)
        diff = float(x.mean() - ref.mean())
        out[lev] = 0.0 if diff == 0.0 else (diff / pooled if pooled > 0 else None)
    return reference, out


def standardised_mean_difference(
    score: Any, group: Any, *, reference: str | None = None
) -> dict[str, float]:
    """Difference of each group's mean score from the reference group's, in pooled SDs.

    ``(mean_g - mean_ref) / sqrt(((n_g - 1) s_g^2 + (n_ref - 1) s_ref^2) / (n_g + n_ref - 2))``
    (Cohen's d). Missing scores (None/NaN, unscored subjects) are left out.

    Parameters
    ----------
    score : array-like of float
        Scores, higher is better.
    group : array-like
        Each subject's group (compared as strings).
    reference : str, optional
        The reference group; by default the largest group.

    Returns
    -------
    dict of str to float
        One value per group, sorted by group; negative means lower scores than the reference.

    Examples
    --------
    >>> standardised_mean_difference([1, 3, 5, 3, 5, 7], ["a"] * 3 + ["b"] * 3, reference="a")
    {'a': 0.0, 'b': 1.0}
    """
    s = as_float(score, "score")
    g = _groups(group, s.size)
    _, out = _smd(s, g, reference)
    missing = [k for k, v in out.items() if v is None]
    if missing:
        msg = (
            f"The standardised mean difference is undefined for groups {missing}: too few "
            "scores or no spread in the scores."
        )
        raise ModelError(msg, field="group")
    return {k: float(v) for k, v in out.items() if v is not None}


def _band_labels(s: FloatArray, cutoffs: Sequence[float]) -> tuple[list[str], list[str]]:
    """The score bands the cut-offs define (in order) and the band of each score."""
    edges = sorted(cutoffs)
    names = [f"< {_fmt(edges[0])}"]
    names += [f"{_fmt(lo)}-{_fmt(hi)}" for lo, hi in itertools.pairwise(edges)]
    names.append(f">= {_fmt(edges[-1])}")
    idx = np.searchsorted(np.asarray(edges, dtype=np.float64), s, side="right")
    return names, [names[int(i)] for i in idx]


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def fairness_report(
    score: Any,
    group: Any,
    *,
    y: Any = None,
    p: Any = None,
    cutoffs: Sequence[float] = DEFAULT_CUTOFFS,
    reference: str | None = None,
) -> dict[str, Any]:
    """Approval rates, adverse impact ratios, SMD and calibration by group, JSON-ready.

    Approved means ``score >= cutoff``. Unscored (NS) subjects have no score (None/NaN); they
    are neither approved nor declined and are counted apart (``n_ns``).

    Parameters
    ----------
    score : array-like of float
        Trust scores, higher is better; None/NaN for unscored subjects.
    group : array-like
        Each subject's protected group (compared as strings).
    y : array-like of 0/1, optional
        Observed outcome (1 = bad); adds calibration per group and score band.
    p : array-like of float, optional
        Predicted probability of the event; with ``y`` adds the expected event rate.
    cutoffs : sequence of float, default (500, 600, 700)
        Cut-offs at which approval is measured; they also define the score bands.
    reference : str, optional
        Reference group for AIR (default: the highest approval rate) and SMD (default: the
        largest group).

    Returns
    -------
    dict
        ``groups``, ``n``, ``n_ns``, ``cutoffs`` (per cut-off: ``approval_rate``, ``air``,
        ``flagged`` groups below four-fifths, ``passes_four_fifths``), ``smd`` with its
        ``smd_reference``, and ``calibration`` (a list, empty without ``y``). Only plain
        Python values; undefined numbers are None.

    Examples
    --------
    >>> r = fairness_report([450, 650, 720, 610, 480, None], ["a", "a", "a", "b", "b", "b"],
    ...                     cutoffs=(600,))
    >>> r["cutoffs"][0]["approval_rate"], r["cutoffs"][0]["air"]
    ({'a': 0.6666666666666666, 'b': 0.5}, {'a': 1.0, 'b': 0.75})
    >>> r["cutoffs"][0]["flagged"], r["n_ns"]
    (['b'], {'a': 0, 'b': 1})
    """
    if len(cutoffs) == 0:
        msg = "fairness_report needs at least one cut-off."
        raise ModelError(msg, field="cutoffs")
    s = as_float(score, "score")
    g = _groups(group, s.size)
    levels = sorted(set(g.tolist()))
    _check_reference(reference, levels)
    scored = ~np.isnan(s)
    report: dict[str, Any] = {
        "groups": levels,
        "n": {lev: int((g == lev).sum()) for lev in levels},
        "n_ns": {lev: int(((g == lev) & ~scored).sum()) for lev in levels},
        "four_fifths_threshold": FOUR_FIFTHS,
        "cutoffs": [],
    }
    sg, ss = g[scored], s[scored]
    for cutoff in sorted(cutoffs):
        rates: dict[str, float | None] = {}
        for lev in levels:
            x = ss[sg == lev]
            rates[lev] = float((x >= cutoff).mean()) if x.size else None
        known = {k: v for k, v in rates.items() if v is not None}
        if reference is not None and reference not in known:
            air: dict[str, float | None] = dict.fromkeys(levels)
        else:
            defined = _air(known, reference) if known else {}
            air = {lev: defined.get(lev) for lev in levels}
        flagged = [k for k, v in air.items() if v is not None and v < FOUR_FIFTHS]
        report["cutoffs"].append(
            {
                "cutoff": int(cutoff) if float(cutoff).is_integer() else json_float(cutoff),
                "approval_rate": rates,
                "air": air,
                "flagged": flagged,
                "passes_four_fifths": not flagged,
            }
        )
    if ss.size:
        smd_ref, smd = _smd(s, g, reference)
    else:
        smd_ref, smd = None, dict.fromkeys(levels)
    report["smd_reference"] = smd_ref
    report["smd"] = {lev: (json_float(v) if v is not None else None) for lev, v in smd.items()}
    report["calibration"] = _calibration(ss, sg, y, p, scored, cutoffs) if y is not None else []
    return report


def _calibration(
    ss: FloatArray,
    sg: npt.NDArray[np.object_],
    y: Any,
    p: Any,
    scored: npt.NDArray[np.bool_],
    cutoffs: Sequence[float],
) -> list[dict[str, Any]]:
    yy = as_float(y, "y")
    if yy.size != scored.size:
        msg = f"'y' has {yy.size} values but 'score' has {scored.size}; they must match."
        raise ModelError(msg, field="y")
    yy = yy[scored]
    pp = as_float(p, "p")[scored] if p is not None else None
    order, labels = _band_labels(ss, cutoffs)
    bands = np.asarray(labels, dtype=object)
    rows: list[dict[str, Any]] = []
    for lev in sorted(set(sg.tolist())):
        for band in order:
            mask = (sg == lev) & (bands == band)
            n = int(mask.sum())
            if n == 0:
                continue
            valid = mask & ~np.isnan(yy)
            rows.append(
                {
                    "group": lev,
                    "band": band,
                    "n": n,
                    "n_event": int(np.nansum(yy[valid])),
                    "observed_event_rate": json_float(float(yy[valid].mean()))
                    if valid.any()
                    else None,
                    "expected_event_rate": json_float(float(np.nanmean(pp[mask])))
                    if pp is not None and not np.isnan(pp[mask]).all()
                    else None,
                }
            )
    return rows
