"""The model card: what the scorecard was fitted on, how well it ranks, for whom, and what
its scores mean (the score-to-odds table).

Metrics come from :mod:`trustscore.monitoring` (``y == 1`` is the event, risk is ``-score``).
Bootstrap intervals on large samples are taken on a random subsample of at most
``_CI_SAMPLE`` rows and their half-widths scaled by ``sqrt(m / n)`` to the full sample, which
keeps a million-row fit fast; the card says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from trustscore.exceptions import ModelError
from trustscore.model._binning import BinnedCharacteristic
from trustscore.model._data import as_frame, as_protected, as_target
from trustscore.model._describe import window
from trustscore.model._rows import artifact_columns, bad_probability, score_rows
from trustscore.model._scaling import odds_from_scores, score_scale
from trustscore.monitoring import (
    bootstrap_ci,
    calibration_by_band,
    fairness_report,
    gini,
    ks,
    roc_auc,
)
from trustscore.scoring._artifact import ScorecardArtifact
from trustscore.scoring._reference import reference_points

__all__ = [
    "discrimination",
    "fairness_section",
    "interactions_card",
    "model_card",
    "score_bands",
    "score_to_odds",
]

FloatArray = npt.NDArray[np.float64]

_CI_SAMPLE: Final = 5_000
_N_BOOT: Final = 200
_BAND_WIDTH: Final = 100
_ODDS_STEP: Final = 50


def score_bands(scores: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The lower edge of each score's 100-point band (0, 100, ..., 900; 1000 joins 900)."""
    return np.minimum(scores // _BAND_WIDTH * _BAND_WIDTH, 1000 - _BAND_WIDTH)


def score_to_odds(
    scaling: Mapping[str, Any], score_range: tuple[int, int], *, step: int = _ODDS_STEP
) -> dict[str, Any]:
    """What the scores mean: the odds good:bad and the event's probability of every ``step``-th
    score from the attainable least to the attainable most, from the scaling record.

    ``pin`` is the ``scaling`` parameter of :class:`~trustscore.model.Scorecard` that puts
    another model on this scale (score ``anchor_score`` at the odds it has here).

    Examples
    --------
    >>> import math
    >>> scaling = {"method": "spread", "score_factor": 50 / math.log(2), "score_offset": 300.0,
    ...            "anchor_score": 500.0}
    >>> t = score_to_odds(scaling, (0, 120))
    >>> [(r["score"], round(r["odds"], 3), round(r["p_event"], 3)) for r in t["rows"]]
    [(0, 0.016, 0.985), (50, 0.031, 0.97), (100, 0.062, 0.941), (120, 0.082, 0.924)]
    >>> t["pin"]["pdo"], round(t["pin"]["anchor_odds"], 9)
    (50.0, 16.0)
    """
    lo, hi = int(score_range[0]), int(score_range[1])
    scores = sorted({lo, hi, *range(-(-lo // step) * step, hi + 1, step)})
    ln_odds = np.clip(odds_from_scores(scores, scaling), -700.0, 700.0)
    factor = score_scale(scaling)[0]
    anchor = float(scaling.get("anchor_score", 500.0))
    return {
        "method": str(scaling.get("method", "pinned")),
        "odds": "good:bad",
        "formula": "ln(odds) = (score - score_offset) / score_factor",
        "pin": {
            "pdo": round(factor * math.log(2.0), 10),
            "anchor_score": anchor,
            "anchor_odds": math.exp(min(max(float(odds_from_scores(anchor, scaling)), -700), 700)),
        },
        "rows": [
            {"score": s, "odds": math.exp(v), "p_event": 1.0 / (1.0 + math.exp(v))}
            for s, v in zip(scores, ln_odds.tolist(), strict=True)
        ],
    }


def _metric_with_ci(
    metric: Callable[[Any, Any], float],
    y: npt.NDArray[np.float64],
    risk: npt.NDArray[np.float64],
    rng: np.random.Generator,
    seed: int,
) -> dict[str, Any]:
    value = metric(y, risk)
    n = y.size
    if n > _CI_SAMPLE:
        idx = rng.choice(n, size=_CI_SAMPLE, replace=False)
        ys, rs = y[idx], risk[idx]
        centre = metric(ys, rs)
        lo, hi = bootstrap_ci(metric, ys, rs, n_boot=_N_BOOT, random_state=seed)
        scale = math.sqrt(_CI_SAMPLE / n)
        lo, hi = value - (centre - lo) * scale, value + (hi - centre) * scale
    else:
        lo, hi = bootstrap_ci(metric, y, risk, n_boot=_N_BOOT, random_state=seed)
    return {"value": float(value), "ci_low": float(lo), "ci_high": float(hi)}


def discrimination(
    y: npt.NDArray[np.float64],
    scores: npt.NDArray[np.int64],
    p_bad: npt.NDArray[np.float64],
    *,
    source: str,
    random_state: int,
) -> dict[str, Any]:
    """AUC, Gini and KS with 95 % bootstrap intervals, and calibration by score band."""
    out: dict[str, Any] = {"source": source, "n": int(y.size), "n_event": int(y.sum())}
    risk = -scores.astype(np.float64)
    try:
        rng = np.random.default_rng(random_state)
        for name, metric in (("auc", roc_auc), ("gini", gini), ("ks", ks)):
            out[name] = _metric_with_ci(metric, y, risk, rng, random_state)
    except ModelError as exc:
        out["auc"] = out["gini"] = out["ks"] = None
        out["note"] = f"Discrimination metrics are undefined on this sample: {exc.message}"
    ci = f"95% percentile bootstrap, {_N_BOOT} resamples"
    if y.size > _CI_SAMPLE:
        ci += f" of a {_CI_SAMPLE}-row subsample, half-widths scaled by sqrt(m/n)"
    out["ci_method"] = ci
    out["calibration"] = calibration_by_band(y, p_bad, score_bands(scores)) if y.size else []
    return out


def fairness_section(
    scores: npt.NDArray[np.int64],
    y: npt.NDArray[np.float64],
    protected: pd.DataFrame,
    *,
    source: str,
) -> dict[str, Any]:
    """One :func:`trustscore.monitoring.fairness_report` per protected attribute."""
    reports: dict[str, Any] = {}
    for col in protected.columns:
        group = np.array(
            [None if pd.isna(v) else str(v) for v in protected[col].to_numpy(dtype=object)],
            dtype=object,
        )
        reports[str(col)] = fairness_report(scores, group, y=y)
    return {"source": source, "attributes": reports}


def iv_table(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The IV table sorted by IV, largest first (ties by name)."""
    return sorted((dict(r) for r in rows), key=lambda r: (-float(r["iv"]), str(r["name"])))


def model_card(
    art: ScorecardArtifact,
    df: pd.DataFrame,
    y: FloatArray,
    prot: pd.DataFrame | None,
    eval_set: tuple[Any, ...] | None,
    data_window: Any,
    bins: Mapping[str, BinnedCharacteristic],
    selected: list[str],
    notes: Mapping[str, str],
    seed: int,
    *,
    approved_purposes: Sequence[str],
    params: Mapping[str, Any],
    extra_points: npt.NDArray[np.int64] | None = None,
) -> dict[str, Any]:
    """The model card of a fit (see the module's docstring).

    ``extra_points``: the interactions' points of each training row, if the artifact has any.
    """
    if eval_set is not None:
        if not isinstance(eval_set, tuple | list) or len(eval_set) not in (2, 3):
            msg = "eval_set must be (X_holdout, y_holdout) or (X_holdout, y_holdout, protected)."
            raise ModelError(msg, field="eval_set")
        ex = as_frame(eval_set[0], where="eval_set X")
        ey = as_target(eval_set[1], len(ex), where="eval_set y")
        ep = None
        if len(eval_set) == 3 and eval_set[2] is not None:
            ep = as_protected(eval_set[2], len(ex), list(ex.columns), where="eval_set protected")
        source = "holdout"
    else:
        ex, ey, ep, source = df, y, prot, "training"
    if source == "training" and not art.criteria:
        # the training rows' outcomes are known: look their points up (same artifact)
        total = np.zeros(ey.size, dtype=np.int64)
        for c in art.characteristics:
            codes = bins[c.name].codes
            assert codes is not None
            total += np.array([o.points for o in c.outcomes], dtype=np.int64)[codes]
        if extra_points is not None:
            total += extra_points
        ok = np.ones(ey.size, dtype=bool)
    else:
        r = reference_points(art, artifact_columns(ex, art))
        total, ok = r.points.sum(axis=1), r.ok
    scores = total[ok]
    p_bad = bad_probability(total, art)[ok]
    metrics = discrimination(ey[ok], scores, p_bad, source=source, random_state=seed)
    if source == "training":
        metrics["note"] = (
            "Measured on the training data (no eval_set was given): optimistic. "
            + metrics.get("note", "")
        ).strip()
    metrics["n_not_scorable"] = int((~ok).sum())
    card: dict[str, Any] = {
        "approved_purposes": list(approved_purposes),
        "data_window": window(data_window),
        "n": int(y.size),
        "n_event": int(y.sum()),
        "event_rate": float(y.mean()),
        "event": "y == 1 (bad)",
        "metrics": metrics,
        "iv_table": iv_table(
            [
                {
                    "name": k,
                    "iv": b.iv,
                    "n_bins": b.n_bins,
                    "trend": b.trend,
                    "selected": k in selected,
                    "note": notes.get(k, "edited bins kept" if b.edited else ""),
                }
                for k, b in bins.items()
            ]
        ),
        "estimator": {"name": "trustscore.model.Scorecard", "params": dict(params)},
        "score_to_odds": score_to_odds(art.scaling, art.score_range),
    }
    if ep is not None:
        card["fairness"] = fairness_section(
            scores, ey[ok], ep.loc[ok].reset_index(drop=True), source=source
        )
    elif prot is not None:
        card["fairness"] = fairness_section(score_rows(art, df)[0], y, prot, source="training")
    return card


def interactions_card(
    requested: int | str,
    choice: Mapping[str, Any],
    n_tried: int,
    method: str,
    pairs: Sequence[Any],
    pair_dicts: Sequence[Mapping[str, Any]],
    dropped: Sequence[str],
) -> dict[str, Any]:
    """The model card's account of the interactions: how they were chosen, and each pair.

    ``pairs`` are the screened and fitted pairs (:class:`~trustscore.model._interactions.
    FittedPair`), ``pair_dicts`` the artifact entries of those kept, ``dropped`` the names of
    those whose cells all came out 0 points.
    """
    if requested == "auto":
        if "interactions" in choice:
            how = str(choice["interactions"])
        elif method == "woe" and choice.get("how") == "given":
            how = "not tried: interactions='auto' tries pairs only with method='auto'"
        else:
            how = (
                "not tried: interactions='auto' tries pairs only where method='auto' "
                f"cross-validates them ({choice.get('how', 'given')})"
            )
    else:
        how = f"interactions={requested} asked; pairs fitted on the fused fit, no cross-validation"
    return {
        "requested": requested,
        "how": how,
        "tried": n_tried,
        "screened": len(pairs),
        "taken": bool(pair_dicts),
        "pairs": [
            {
                "name": p["name"],
                "inputs": list(p["inputs"]),
                "reason_code": p["reason_code"],
                "axes": [dict(ax) for ax in p["axes"]],
                "points": _grid(p),
                "otherwise_points": p["otherwise"]["points"],
                "screen_gain": p["screen_gain"],
            }
            for p in pair_dicts
        ],
        "dropped": [f"{name}: every cell came out 0 points" for name in dropped],
    }


def _grid(p: Mapping[str, Any]) -> list[list[int]]:
    """A pair's cell points as rows (first input) of columns (second input)."""
    n_cols = len(p["axes"][1].get("groups") or ()) or len(p["axes"][1].get("edges", ())) + 1
    pts = [int(c["points"]) for c in p["cells"]]
    return [pts[i : i + n_cols] for i in range(0, len(pts), n_cols)]
