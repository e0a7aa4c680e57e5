"""The monitoring report: the trend over monitoring runs, then the latest run in detail.

One self-contained HTML page (inline CSS and SVG, no script, no link) drawn from the runs that
:func:`trustscore.pipeline.monitor_files` keeps (``monitor.json`` of each).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trustscore.monitoring import PSI_ACT, PSI_WATCH
from trustscore.reports._render import environment
from trustscore.reports._svg import line_chart

__all__ = ["monitoring_report"]

#: Characteristics drawn in the CSI trend: those with the largest CSI in any run.
_TOP_CSI = 5


def _top_characteristics(runs: Sequence[Mapping[str, Any]]) -> list[str]:
    peak: dict[str, float] = {}
    for run in runs:
        for name, t in run["csi"].items():
            peak[name] = max(peak.get(name, 0.0), float(t["psi"]))
    return sorted(peak, key=lambda k: (-peak[k], k))[:_TOP_CSI]


def _trend(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    ids = [str(r["run_id"]) for r in runs]
    thresholds = [("watch", PSI_WATCH), ("act", PSI_ACT)]
    top = _top_characteristics(runs)
    auc_series = [
        ("expected AUC (CBPE)", [r["estimate"]["expected_auc"] for r in runs]),
        ("realised AUC", [(r.get("backtest") or {}).get("auc") for r in runs]),
        ("development AUC", [r["estimate"]["development_auc"] for r in runs]),
    ]
    return {
        "psi": line_chart(
            ids, [("score PSI", [r["psi"]["psi"] for r in runs])], lines=thresholds,
            title="PSI of the score by run",
        ),
        "csi": line_chart(
            ids, [(name, [r["csi"].get(name, {}).get("psi") for r in runs]) for name in top],
            lines=thresholds, title="CSI of the characteristics that moved most",
        ),
        "rates": line_chart(
            ids,
            [
                ("rows with input-quality flags", [r["quality"]["current"]["flagged_rate"]
                                                   for r in runs]),
                ("unscorable (NS)", [r["score"]["current"]["ns_rate"] for r in runs]),
            ],
            title="Flag rates by run",
        ),
        "score": line_chart(
            ids, [("mean score", [r["score"]["current"]["mean"] for r in runs])],
            value_format="{:.1f}", zero=False, title="Mean score by run",
        ),
        "auc": line_chart(ids, auc_series, zero=False, title="Performance by run"),
    }  # fmt: skip


def monitoring_report(runs: Sequence[Mapping[str, Any]], *, title: str = "") -> str:
    """Render the trend over ``runs`` (in order) and the last run in detail.

    Parameters
    ----------
    runs : sequence of mapping
        Monitoring runs (:func:`trustscore.pipeline.monitor_run`'s results), oldest first.
    title : str
        The page title.

    Returns
    -------
    str
        The HTML page: inline CSS and SVG, no scripts, no external references.

    Examples
    --------
    >>> monitoring_report([])
    Traceback (most recent call last):
    ...
    ValueError: The monitoring report needs at least one run.
    """
    if not runs:
        msg = "The monitoring report needs at least one run."
        raise ValueError(msg)
    latest = runs[-1]
    context = {
        "title": title or "trustscore monitoring",
        "runs": list(runs),
        "latest": latest,
        "trend": _trend(runs),
        "thresholds": {"watch": PSI_WATCH, "act": PSI_ACT},
        "csi_rows": sorted(latest["csi"].items(), key=lambda kv: (-kv[1]["psi"], kv[0])),
    }
    return environment().get_template("monitoring_report.html.j2").render(context)
