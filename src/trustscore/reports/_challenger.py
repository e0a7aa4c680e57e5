"""The challenger section: how a challenger's scores differ from the champion's (one HTML page)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trustscore.reports._render import environment

__all__ = ["challenger_report"]


def challenger_report(comparison: Mapping[str, Any]) -> str:
    """Render a champion/challenger comparison (``pipeline.compare_challenger``'s JSON) as HTML.

    Shows the score shift (mean and quantiles), the tier migration matrix (rows: the champion's
    tier, columns: the challenger's) and the share of subjects whose first reason changes.

    Examples
    --------
    >>> c = {"purpose": "credit_pricing", "as_of": "2025-12-31",
    ...      "models": {"champion": {"model_version": "m1", "model_hash": "h1"},
    ...                 "challenger": {"model_version": "m2", "model_hash": "h2"}},
    ...      "n_subjects": 2, "n_both_scored": 2,
    ...      "champion_scores": {"mean": 700.0, "q50": 700.0},
    ...      "challenger_scores": {"mean": 745.0, "q50": 745.0},
    ...      "shift": {"mean": 45.0, "mean_abs": 45.0, "q50": 45.0},
    ...      "tiers": {"champion": ["A", "B"], "challenger": ["A", "B"]},
    ...      "migration": {"A": {"A": 1}, "B": {"A": 1}},
    ...      "tier_changed": 0.5, "reasons": {"first_reason_changed": 0.5, "n_changed": 1}}
    >>> html = challenger_report(c)
    >>> "Challenger m2 beside champion m1" in html and "50.0%" in html
    True
    """
    tiers = comparison["tiers"]
    rows = list(dict.fromkeys([*tiers["champion"], *comparison["migration"], "NS"]))
    columns = list(dict.fromkeys([*tiers["challenger"], "NS"]))
    stats = [k for k in comparison["shift"] if k.startswith("q")]
    context = {
        "c": comparison,
        "rows": rows,
        "columns": columns,
        "stats": ["mean", *stats],
        "matrix": [
            [comparison["migration"].get(r, {}).get(col, 0) for col in columns] for r in rows
        ],
    }
    return environment().get_template("challenger.html.j2").render(context)
