"""What the model report shows, computed from the artifact and the tables (no HTML here)."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from trustscore.exceptions import SchemaError
from trustscore.monitoring import (
    bootstrap_ci,
    calibration_by_band,
    fairness_report,
    gini,
    ks,
    roc_auc,
)
from trustscore.reports._svg import bar_chart, histogram
from trustscore.scoring._artifact import Characteristic, Interaction, Outcome, ScorecardArtifact
from trustscore.scoring._reference import outcome_labels

__all__ = [
    "characteristics_section",
    "decisions_section",
    "dimensions_section",
    "fairness_section",
    "flatten",
    "performance_section",
    "population_section",
    "reasons_section",
]

REASON_COLUMNS = ("reason_1", "reason_2", "reason_3", "reason_4")
STAT_KEYS = ("woe", "event_rate", "n", "n_event")


def _require(table: pa.Table, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        msg = f"The {name} table has no column(s) {missing}; it has {table.column_names}."
        raise SchemaError(msg, field=missing[0], table=name)


def _floats(column: pa.ChunkedArray | pa.Array) -> npt.NDArray[np.float64]:
    return np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False), np.float64)


def _ok(scores: pa.Table) -> npt.NDArray[np.bool_]:
    return np.asarray(pc.fill_null(pc.equal(scores.column("status"), "OK"), False), dtype=bool)


def _describe(x: npt.NDArray[np.float64]) -> dict[str, float | None]:
    if x.size == 0:
        return dict.fromkeys(("mean", "p10", "median", "p90", "min", "max"))
    q = np.quantile(x, [0.1, 0.5, 0.9])
    return {
        "mean": float(x.mean()),
        "p10": float(q[0]),
        "median": float(q[1]),
        "p90": float(q[2]),
        "min": float(x.min()),
        "max": float(x.max()),
    }


def population_section(scores: pa.Table, artifact: ScorecardArtifact) -> dict[str, Any]:
    """Counts, the score distribution and its histogram."""
    _require(scores, ("score", "status"), "scores")
    ok = _ok(scores)
    s = _floats(scores.column("score"))[ok]
    lo, hi = artifact.score_range
    n = scores.num_rows
    return {
        "n": n,
        "n_ok": int(ok.sum()),
        "n_ns": int(n - ok.sum()),
        "ns_share": float((n - ok.sum()) / n) if n else None,
        "score_range": (lo, hi),
        "stats": _describe(s),
        "histogram": histogram(s, lo=lo, hi=hi, bins=40, title="Score distribution"),
    }


def dimensions_section(scores: pa.Table, artifact: ScorecardArtifact) -> list[dict[str, Any]]:
    """One entry per dimension present in the score table: stats and a histogram."""
    ok = _ok(scores)
    out = []
    for name, label in artifact.dimensions:
        if name not in scores.column_names:
            continue
        lo, hi = artifact.dimension_range(name)
        x = _floats(scores.column(name))[ok]
        x = x[np.isfinite(x)]
        out.append(
            {
                "name": name,
                "label": label,
                "range": (lo, hi),
                "stats": _describe(x),
                "histogram": histogram(x, lo=lo, hi=hi, bins=20, height=120, title=label),
            }
        )
    return out


def _p_from_scaling(artifact: ScorecardArtifact, s: npt.NDArray[np.float64]) -> Any:
    """Predicted event probability from the artifact's scaling, or None if it has none.

    ``ln(odds good:bad) = (score - score_offset) / score_factor`` (as written by
    :mod:`trustscore.model`); without those keys the plain pdo / anchor formula is used.
    """
    sc = artifact.scaling
    try:
        if sc.get("score_factor") is not None and sc.get("score_offset") is not None:
            factor, offset = float(sc["score_factor"]), float(sc["score_offset"])
        else:
            pdo, odds = float(sc["pdo"]), float(sc["anchor_odds"])
            if pdo <= 0 or odds <= 0:
                return None
            factor = pdo / math.log(2.0)
            offset = float(sc["anchor_score"]) - factor * math.log(odds)
    except (KeyError, TypeError, ValueError):
        return None
    if factor <= 0:
        return None
    log_odds_good = np.clip((s - offset) / factor, -700.0, 700.0)
    return 1.0 / (1.0 + np.exp(log_odds_good))


def _band_index(s: npt.NDArray[np.float64], cutoffs: Sequence[float]) -> list[int]:
    idx = np.searchsorted(np.asarray(sorted(cutoffs), np.float64), s, side="right")
    return [int(i) for i in idx]


def band_names(cutoffs: Sequence[float]) -> list[str]:
    """Names of the score bands the cut-offs define, lowest first."""
    edges = [int(c) if float(c).is_integer() else c for c in sorted(cutoffs)]
    names = [f"< {edges[0]}"]
    names += [f"{a}-{b}" for a, b in itertools.pairwise(edges)]
    return [*names, f">= {edges[-1]}"]


def _joined(scores: pa.Table, other: pa.Table, columns: Sequence[str], name: str) -> pa.Table:
    _require(other, ("subject_id", *columns), name)
    left = scores.select(["subject_id", "score", "status"])
    left = left.set_column(0, "subject_id", pc.cast(left.column("subject_id"), pa.string()))
    right = other.select(["subject_id", *columns])
    right = right.set_column(0, "subject_id", pc.cast(right.column("subject_id"), pa.string()))
    return left.join(right, keys="subject_id", join_type="inner")


def performance_section(
    scores: pa.Table,
    outcomes: pa.Table,
    artifact: ScorecardArtifact,
    *,
    cutoffs: Sequence[float],
    n_boot: int,
) -> dict[str, Any]:
    """AUC, Gini and KS on the holdout with bootstrap intervals, beside the oracle's AUC."""
    if "subject_id" not in scores.column_names:
        return {"note": "The score table has no subject_id, so outcomes cannot be joined."}
    t = _joined(scores, outcomes, ("target", "oracle_p", "split"), "outcomes")
    ok = _ok(t)
    holdout = np.asarray(pc.fill_null(pc.equal(t.column("split"), "holdout"), False), bool)
    sample = "holdout"
    if not holdout.any():
        holdout, sample = np.ones(t.num_rows, dtype=bool), "all subjects (no holdout split)"
    keep = ok & holdout
    y = _floats(t.column("target"))[keep]
    s = _floats(t.column("score"))[keep]
    oracle = _floats(t.column("oracle_p"))[keep]
    if y.size == 0 or y.min() == y.max():
        return {"note": f"The {sample} has {y.size} scored subjects and not both outcomes."}
    risk = -s
    metrics = []
    for name, fn in (("AUC", roc_auc), ("Gini", gini), ("KS", ks)):
        low, high = bootstrap_ci(fn, y, risk, n_boot=n_boot, random_state=0)
        metrics.append({"name": name, "value": fn(y, risk), "low": low, "high": high})
    auc = roc_auc(y, risk)
    finite = np.isfinite(oracle)
    oracle_auc = roc_auc(y[finite], oracle[finite]) if finite.any() else None
    p = _p_from_scaling(artifact, s)
    calibration = []
    if p is not None:
        names = band_names(cutoffs)
        for row in calibration_by_band(y, p, _band_index(s, cutoffs)):
            calibration.append({**row, "band": names[int(row["band"])]})
    return {
        "note": "",
        "sample": sample,
        "n": int(y.size),
        "n_event": int(y.sum()),
        "event_rate": float(y.mean()),
        "metrics": metrics,
        "auc": auc,
        "oracle_auc": oracle_auc,
        "ratio": auc / oracle_auc if oracle_auc else None,
        "n_boot": n_boot,
        "calibration": calibration,
    }


def _bin_labels(c: Characteristic) -> list[tuple[str, Outcome]]:
    return list(zip(outcome_labels(c), c.outcomes, strict=True))


def _interaction_rows(p: Interaction) -> list[tuple[str, Outcome]]:
    (a, b), (ax_a, ax_b) = p.inputs, p.axes
    la, lb = ax_a.labels(), ax_b.labels()
    rows = [
        (f"{a}: {la[i]}; {b}: {lb[j]}", p.cell(i, j))
        for i in range(ax_a.size)
        for j in range(ax_b.size)
    ]
    rows.append((f"{a} or {b} missing, special or other", p.otherwise))
    return rows


def characteristics_section(artifact: ScorecardArtifact) -> list[dict[str, Any]]:
    """Bins of every characteristic with points and whatever training statistics it kept,
    then the cells of every interaction (``type`` names its two inputs)."""
    out = []
    dims = dict(artifact.dimensions)
    for c in artifact.characteristics:
        rows = [
            {"label": label, "points": o.points, **{k: o.stats.get(k) for k in STAT_KEYS}}
            for label, o in _bin_labels(c)
        ]
        present = [k for k in STAT_KEYS if any(r[k] is not None for r in rows)]
        iv = c.extra.get("iv")
        out.append(
            {
                "name": c.name,
                "dimension": dims.get(c.dimension, c.dimension),
                "type": c.type
                + {1: ", more is better", -1: ", more is worse", None: ", no direction"}[
                    c.direction
                ],
                "reason_code": c.reason_code,
                "reason": artifact.reason_text(c.reason_code)[0],
                "missing_reason_code": c.missing_reason_code,
                "missing_reason": c.missing_reason,
                "iv": iv if isinstance(iv, int | float) else None,
                "columns": present,
                "rows": rows,
            }
        )
    for p in artifact.interactions:
        rows = [
            {"label": label, "points": o.points, **{k: o.stats.get(k) for k in STAT_KEYS}}
            for label, o in _interaction_rows(p)
        ]
        out.append(
            {
                "name": p.name,
                "dimension": dims.get(p.dimension, p.dimension),
                "type": f"interaction of {p.inputs[0]} and {p.inputs[1]}",
                "reason_code": p.reason_code,
                "reason": artifact.reason_text(p.reason_code)[0],
                "missing_reason_code": None,
                "missing_reason": None,
                "iv": None,
                "columns": [k for k in STAT_KEYS if any(r[k] is not None for r in rows)],
                "rows": rows,
            }
        )
    return out


def decisions_section(decisions: pa.Table) -> dict[str, Any]:
    """Counts by outcome (best mean score first), adverse and review counts."""
    _require(decisions, ("outcome", "label"), "decisions")
    n = decisions.num_rows
    cols = decisions.column_names
    outcome = decisions.column("outcome").to_pylist()
    label = decisions.column("label").to_pylist()
    score = _floats(decisions.column("score")) if "score" in cols else np.full(n, np.nan)
    adverse = decisions.column("adverse").to_pylist() if "adverse" in cols else [None] * n
    review = decisions.column("review").to_pylist() if "review" in cols else [None] * n
    groups: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(zip(outcome, label, strict=True)):
        groups.setdefault((str(key[0]), str(key[1])), []).append(i)
    rows = []
    for (out, lab), idx in groups.items():
        sc = score[idx]
        sc = sc[np.isfinite(sc)]
        rows.append(
            {
                "outcome": out,
                "label": lab,
                "n": len(idx),
                "share": len(idx) / n,
                "mean_score": float(sc.mean()) if sc.size else None,
                "min_score": float(sc.min()) if sc.size else None,
                "adverse": any(bool(adverse[i]) for i in idx),
                "n_review": sum(1 for i in idx if review[i]),
            }
        )
    rows.sort(key=lambda r: (r["mean_score"] is None, -(r["mean_score"] or 0.0)))
    return {
        "n": n,
        "n_adverse": sum(1 for a in adverse if a),
        "n_review": sum(1 for r in review if r),
        "rows": rows,
        "chart": bar_chart(
            [(r["label"], float(r["n"])) for r in rows], value_format="{:,.0f}", title="Outcomes"
        ),
    }


def reasons_section(
    scores: pa.Table, artifact: ScorecardArtifact, *, top: int = 10
) -> list[dict[str, Any]]:
    """The most frequent reason codes: as the first reason and in any position."""
    present = [c for c in REASON_COLUMNS if c in scores.column_names]
    if not present:
        return []
    first = Counter(v for v in scores.column(present[0]).to_pylist() if v)
    anywhere: Counter[str] = Counter()
    for col in present:
        anywhere.update(v for v in scores.column(col).to_pylist() if v)
    n_ok = int(_ok(scores).sum()) if "status" in scores.column_names else scores.num_rows
    rows = []
    for code, n_any in anywhere.most_common(top):
        try:
            reason, improve = artifact.reason_text(code)
        except KeyError:
            reason, improve = "(not a reason code of this model)", ""
        rows.append(
            {
                "code": code,
                "reason": reason,
                "improve": improve,
                "n_first": first.get(code, 0),
                "n_any": n_any,
                "share": n_any / n_ok if n_ok else None,
            }
        )
    return rows


def fairness_section(
    scores: pa.Table,
    protected: pa.Table,
    *,
    outcomes: pa.Table | None,
    artifact: ScorecardArtifact,
    cutoffs: Sequence[float],
) -> dict[str, Any]:
    """Approval rates and AIR by group at each cut-off, SMD, calibration per group and band."""
    if "subject_id" not in scores.column_names:
        return {"note": "The score table has no subject_id, so groups cannot be joined."}
    t = _joined(scores, protected, ("group",), "protected")
    y = p = None
    if outcomes is not None:
        _require(outcomes, ("subject_id", "target"), "outcomes")
        right = outcomes.select(["subject_id", "target"])
        right = right.set_column(0, "subject_id", pc.cast(right.column("subject_id"), pa.string()))
        t = t.join(right, keys="subject_id", join_type="left outer")
        y = _floats(t.column("target"))
    s = _floats(t.column("score"))
    s = np.where(_ok(t), s, np.nan)
    if y is not None:
        p = _p_from_scaling(artifact, np.nan_to_num(s))
    report = fairness_report(s, t.column("group").to_pylist(), y=y, p=p, cutoffs=cutoffs)
    charts = []
    for entry in report["cutoffs"]:
        items = [(g, float(r)) for g, r in entry["approval_rate"].items() if r is not None]
        charts.append(bar_chart(items, max_value=1.0, title=f"Approval at {entry['cutoff']}"))
    return {"note": "", "n": t.num_rows, "report": report, "charts": charts}


def flatten(obj: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Nested JSON as ``(path, value)`` rows, for a plain two-column table."""
    if isinstance(obj, Mapping):
        rows: list[tuple[str, str]] = []
        for k, v in obj.items():
            rows += flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return rows
    if isinstance(obj, list | tuple):
        if all(not isinstance(v, Mapping | list | tuple) for v in obj):
            return [(prefix, ", ".join(_scalar(v) for v in obj))]
        rows = []
        for i, v in enumerate(obj):
            rows += flatten(v, f"{prefix}[{i}]")
        return rows
    return [(prefix, _scalar(obj))]


def _scalar(v: Any) -> str:
    if isinstance(v, float):
        return "—" if math.isnan(v) else f"{v:.4g}"
    return "—" if v is None else str(v)
