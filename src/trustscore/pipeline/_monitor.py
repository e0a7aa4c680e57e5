"""Monitoring one scoring run against a baseline, on the model's own bins.

:func:`monitor_run` compares the rows of a current run with a baseline (by default the
development sample) and returns one JSON-ready dict (``monitor.json``):

- ``psi``: the score's population stability over the model card's 100-point score bands
  (0-99, ..., 900-1000) with the unscorable (NS) rows as a bin of their own;
- ``csi``: each characteristic's stability over its own bins, as the scorer assigns them
  (:func:`trustscore.scoring.outcome_index`): its bins, its missing bin as a bin of its own,
  its special values and its ``other`` level;
- ``missing`` and ``quality``: the share of rows missing each characteristic and the share
  carrying each kind of input-quality flag (:mod:`trustscore.scoring._quality`);
- ``score`` and ``tiers``: the score's distribution and the policy's tiers, both samples;
- ``fairness`` (with groups): adverse impact ratios at the policy's cut-offs and SMD;
- ``backtest`` (with outcomes): realised AUC, KS and calibration by score band against the
  model card's development figures;
- ``estimate``: confidence-based performance estimation (:func:`trustscore.monitoring.
  expected_auc`) from the model's own probabilities, before the outcomes arrive;
- ``flags``: what crossed a threshold. PSI and each CSI raise ``watch`` from 0.10 and ``act``
  from 0.25 (:data:`trustscore.monitoring.PSI_WATCH`, :data:`~trustscore.monitoring.PSI_ACT`);
  a realised or estimated AUC below the development AUC by :data:`AUC_WATCH` (0.02) raises
  ``watch``, by :data:`AUC_ACT` (0.05) ``act``; a group under four-fifths at a cut-off raises
  ``watch``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from trustscore.decisions import Policy
from trustscore.exceptions import SchemaError
from trustscore.model._rows import bad_probability
from trustscore.monitoring import (
    PSI_ACT,
    PSI_WATCH,
    calibration_by_band,
    expected_auc,
    fairness_report,
    ks,
    roc_auc,
    stability_table,
)
from trustscore.monitoring._arrays import json_float
from trustscore.scoring import (
    QUALITY_KINDS,
    ScorecardArtifact,
    outcome_index,
    outcome_labels,
    parse_quality,
    score,
)

__all__ = [
    "AUC_ACT",
    "AUC_WATCH",
    "MONITOR_FORMAT",
    "SCORE_BAND_WIDTH",
    "check_inputs",
    "flag_level",
    "monitor_run",
]

MONITOR_FORMAT: Final = "trustscore-monitor/1"
#: The model card's score bands (calibration): 0-99, 100-199, ..., 900-1000.
SCORE_BAND_WIDTH: Final = 100
#: Fall of a realised or estimated AUC below the development AUC worth watching / acting on.
AUC_WATCH: Final = 0.02
AUC_ACT: Final = 0.05

FloatArray = npt.NDArray[np.float64]


def check_inputs(art: ScorecardArtifact, table: pa.Table, source: str) -> None:
    """Refuse a table that lacks a column the model reads, naming the file and the columns."""
    missing = [c for c in art.input_columns if c not in table.column_names]
    if missing:
        msg = (
            f"{source}: no column(s) {', '.join(map(repr, missing))}, which model "
            f"{art.model_version} reads."
        )
        raise SchemaError(msg, file=source, field=missing[0])
    if table.num_rows == 0:
        msg = f"{source} has no rows to monitor."
        raise SchemaError(msg, file=source)


def _score_bands(scores: pa.Table) -> tuple[npt.NDArray[np.int64], list[str]]:
    """Each row's score band (the NS bin last) and the bands' labels."""
    n_bands = 1000 // SCORE_BAND_WIDTH
    s = scores.column("score").to_numpy(zero_copy_only=False).astype(np.float64)
    ns = np.isnan(s)
    band = np.minimum(np.nan_to_num(s) // SCORE_BAND_WIDTH, n_bands - 1).astype(np.int64)
    band[ns] = n_bands
    labels = [
        f"{lo}-{lo + SCORE_BAND_WIDTH - 1 if lo + SCORE_BAND_WIDTH < 1000 else 1000}"
        for lo in range(0, 1000, SCORE_BAND_WIDTH)
    ]
    return band, [*labels, "NS"]


def _column(table: pa.Table, name: str, numeric: bool) -> Any:
    col = table.column(name)
    if numeric and (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)):
        return col.to_numpy(zero_copy_only=False).astype(np.float64)
    return np.asarray(col.to_pylist(), dtype=object)


def _csi(art: ScorecardArtifact, base: pa.Table, cur: pa.Table) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in art.characteristics:
        numeric = c.type == "numeric"
        n = len(c.outcomes)
        expected, actual = (
            np.bincount(outcome_index(c, _column(t, c.name, numeric)), minlength=n)
            for t in (base, cur)
        )
        out[c.name] = {"label": c.label, **stability_table(expected, actual, outcome_labels(c))}
    return out


def _missing(csi: Mapping[str, Any]) -> dict[str, Any]:
    """Each characteristic's missing share, read off its missing bin."""
    out = {}
    for name, t in csi.items():
        row = next(b for b in t["bins"] if b["label"] == "missing")
        out[name] = {"baseline": row["expected_share"], "current": row["actual_share"]}
    return out


def _quality(scores: pa.Table) -> dict[str, Any]:
    texts = scores.column("quality").to_pylist()
    n = len(texts)
    by_kind = dict.fromkeys(QUALITY_KINDS, 0)
    flagged = 0
    for text in texts:
        kinds = {k for k, _ in parse_quality(text)}
        flagged += bool(kinds)
        for k in kinds:
            by_kind[k] += 1
    return {
        "n": n,
        "flagged_rate": flagged / n,
        "by_kind": {k: v / n for k, v in by_kind.items()},
    }


def _score_summary(scores: pa.Table) -> dict[str, Any]:
    s = scores.column("score").to_numpy(zero_copy_only=False).astype(np.float64)
    ok = s[~np.isnan(s)]
    q = np.quantile(ok, [0.1, 0.5, 0.9]).tolist() if ok.size else [None] * 3
    return {
        "n": int(s.size),
        "ns_rate": float(np.isnan(s).mean()),
        "mean": json_float(float(ok.mean())) if ok.size else None,
        "std": json_float(float(ok.std())) if ok.size else None,
        "p10": q[0],
        "p50": q[1],
        "p90": q[2],
    }


def _tiers(policy: Policy, scores: pa.Table) -> list[str]:
    mins = np.array([b.min_score for b in reversed(policy.bands)], dtype=np.float64)
    names = [b.outcome for b in reversed(policy.bands)]
    s = scores.column("score").to_numpy(zero_copy_only=False).astype(np.float64)
    idx = np.maximum(np.searchsorted(mins, np.nan_to_num(s), side="right") - 1, 0)
    return ["NS" if np.isnan(v) else names[int(i)] for v, i in zip(s, idx, strict=True)]


def _tier_table(policy: Policy, base: pa.Table, cur: pa.Table) -> dict[str, Any]:
    order = [b.outcome for b in policy.bands] + ["NS"]
    b, c = _tiers(policy, base), _tiers(policy, cur)
    expected, actual = ([t.count(name) for name in order] for t in (b, c))
    return {"purpose": policy.purpose, **stability_table(expected, actual, order)}


def _dev_metric(art: ScorecardArtifact, name: str) -> float | None:
    m = art.model_card.get("metrics", {}).get(name)
    return float(m["value"]) if isinstance(m, Mapping) and m.get("value") is not None else None


def _auc_flag(value: float | None, development: float | None) -> str:
    if value is None or development is None:
        return "stable"
    drop = development - value
    return "act" if drop >= AUC_ACT else "watch" if drop >= AUC_WATCH else "stable"


def _p_event(art: ScorecardArtifact, scores: pa.Table) -> tuple[FloatArray, FloatArray]:
    """The scored rows' scores and the model's probability of the event at each."""
    s = scores.column("score").to_numpy(zero_copy_only=False).astype(np.float64)
    ok = s[~np.isnan(s)]
    return ok, bad_probability(ok.astype(np.int64), art)


def _estimate(art: ScorecardArtifact, base: pa.Table, cur: pa.Table) -> dict[str, Any]:
    dev = _dev_metric(art, "auc")
    out: dict[str, Any] = {"method": "CBPE (expected AUC from the model's probabilities)"}
    for key, t in (("baseline_expected_auc", base), ("expected_auc", cur)):
        s, p = _p_event(art, t)
        out[key] = json_float(expected_auc(p, -s)) if s.size else None
    out["development_auc"] = dev
    out["flag"] = _auc_flag(out["expected_auc"], dev)
    return out


def _backtest(art: ScorecardArtifact, scores: pa.Table, y: Sequence[Any]) -> dict[str, Any]:
    s = scores.column("score").to_numpy(zero_copy_only=False).astype(np.float64)
    yy = np.array([np.nan if v is None else float(v) for v in y], dtype=np.float64)
    known = ~np.isnan(s) & ~np.isnan(yy)
    out: dict[str, Any] = {
        "n": int(known.sum()),
        "n_event": int(yy[known].sum()),
        "development": {"auc": _dev_metric(art, "auc"), "ks": _dev_metric(art, "ks")},
    }
    ys, ss = yy[known], s[known]
    both = 0 < ys.sum() < ys.size
    out["auc"] = roc_auc(ys, -ss) if both else None
    out["ks"] = ks(ys, -ss) if both else None
    p = bad_probability(ss.astype(np.int64), art)
    bands = np.minimum(ss // SCORE_BAND_WIDTH * SCORE_BAND_WIDTH, 1000 - SCORE_BAND_WIDTH)
    out["calibration"] = calibration_by_band(ys, p, bands.astype(np.int64)) if ys.size else []
    out["flag"] = _auc_flag(out["auc"], out["development"]["auc"])
    return out


def _flags(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    flags: list[dict[str, Any]] = []
    if result["psi"]["flag"] != "stable":
        flags.append(
            {
                "metric": "psi",
                "name": "score",
                "value": result["psi"]["psi"],
                "level": result["psi"]["flag"],
            }
        )
    for name, t in result["csi"].items():
        if t["flag"] != "stable":
            flags.append({"metric": "csi", "name": name, "value": t["psi"], "level": t["flag"]})
    for key, value in (("backtest", "auc"), ("estimate", "expected_auc")):
        part = result.get(key)
        if part and part["flag"] != "stable":
            flags.append(
                {
                    "metric": f"{key}_auc",
                    "name": "score",
                    "value": part[value],
                    "level": part["flag"],
                }
            )
    if result.get("fairness"):
        for cut in result["fairness"]["cutoffs"]:
            flags.extend(
                {
                    "metric": "air",
                    "name": f"{group} at {cut['cutoff']}",
                    "value": cut["air"][group],
                    "level": "watch",
                }
                for group in cut["flagged"]
            )
    return flags


def monitor_run(
    art: ScorecardArtifact,
    baseline: pa.Table,
    current: pa.Table,
    *,
    policy: Policy,
    run_id: str,
    group: Sequence[Any] | None = None,
    outcomes: Sequence[Any] | None = None,
    sources: tuple[str, str] = ("baseline", "current"),
    created_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """Compare ``current`` with ``baseline`` on the model's own bins; JSON-ready.

    Parameters
    ----------
    art : ScorecardArtifact
        The model.
    baseline, current : pyarrow.Table
        Features of the baseline (the development sample, or an earlier run) and of the run
        monitored: every column the model reads.
    policy : Policy
        The purpose's policy: its tiers and its cut-offs (fairness).
    run_id : str
        The run's name (kept in the result).
    group : sequence, optional
        Each current row's protected group: adverse impact ratios and SMD.
    outcomes : sequence of 0/1/None, optional
        Each current row's outcome where known (1 = bad): back-testing.
    sources : (str, str)
        Where the two samples came from, for the reader.
    created_at : datetime, optional
        When the run was monitored (default: now, UTC).

    Returns
    -------
    dict
        See the module's docstring.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from trustscore.decisions import credit_pricing_policy
    >>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
    >>> art = ScorecardArtifact.from_dict(example_artifact_dict())
    >>> base = pa.table({"on_time_rate": [0.2, 0.6, 0.95, 0.95], "card_kind": ["none"] * 4,
    ...                  "months_history": [12] * 4})
    >>> cur = pa.table({"on_time_rate": [0.2, 0.2, 0.2, 0.95], "card_kind": ["none"] * 4,
    ...                 "months_history": [12] * 4})
    >>> r = monitor_run(art, base, cur, policy=credit_pricing_policy("example-1"), run_id="m1")
    >>> t = r["csi"]["on_time_rate"]  # shares (.25, .25, .5) became (.75, 0, .25)
    >>> [b["n_actual"] for b in t["bins"]], round(t["psi"], 4), t["flag"]
    ([3, 0, 1, 0, 0], 2.6778, 'act')
    """
    check_inputs(art, baseline, sources[0])
    check_inputs(art, current, sources[1])
    base_scores = score(art, baseline, quality=True)
    cur_scores = score(art, current, quality=True)
    band_b, labels = _score_bands(base_scores)
    band_c, _ = _score_bands(cur_scores)
    n = len(labels)
    csi = _csi(art, baseline, current)
    result: dict[str, Any] = {
        "format": MONITOR_FORMAT,
        "run_id": run_id,
        "created_at": (created_at or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        "model_version": art.model_version,
        "baseline": {"source": sources[0], "n": baseline.num_rows},
        "current": {"source": sources[1], "n": current.num_rows},
        "thresholds": {
            "psi_watch": PSI_WATCH,
            "psi_act": PSI_ACT,
            "auc_watch": AUC_WATCH,
            "auc_act": AUC_ACT,
        },
        "psi": stability_table(
            np.bincount(band_b, minlength=n), np.bincount(band_c, minlength=n), labels
        ),
        "csi": csi,
        "missing": _missing(csi),
        "quality": {"baseline": _quality(base_scores), "current": _quality(cur_scores)},
        "score": {"baseline": _score_summary(base_scores), "current": _score_summary(cur_scores)},
        "tiers": _tier_table(policy, base_scores, cur_scores),
        "fairness": None,
        "backtest": None,
        "estimate": _estimate(art, base_scores, cur_scores),
    }
    if group is not None:
        s = cur_scores.column("score").to_numpy(zero_copy_only=False).astype(np.float64)
        result["fairness"] = fairness_report(s, list(group), cutoffs=policy.cutoffs)
    if outcomes is not None:
        result["backtest"] = _backtest(art, cur_scores, outcomes)
    result["flags"] = _flags(result)
    return result


def flag_level(flags: Sequence[Mapping[str, Any]]) -> str:
    """The highest level among ``flags``: ``act``, ``watch`` or ``stable``.

    Examples
    --------
    >>> flag_level([{"level": "watch"}, {"level": "act"}]), flag_level([])
    ('act', 'stable')
    """
    levels = {f["level"] for f in flags}
    return "act" if "act" in levels else "watch" if "watch" in levels else "stable"
