"""Reports: a self-contained HTML model report (inline CSS and SVG; works offline).

Examples
--------
>>> from trustscore.reports import model_report, write_report
>>> callable(model_report) and callable(write_report)
True
"""

from __future__ import annotations

from trustscore.reports._render import model_report, write_report
from trustscore.reports._search import frontier_plot, search_report

__all__ = ["frontier_plot", "model_report", "search_report", "write_report"]
