"""Reports: self-contained HTML model and monitoring reports (inline CSS and SVG; offline).

Examples
--------
>>> from trustscore.reports import model_report, write_report
>>> callable(model_report) and callable(write_report)
True
"""

from __future__ import annotations

from trustscore.reports._challenger import challenger_report
from trustscore.reports._monitoring import monitoring_report
from trustscore.reports._render import model_report, write_report
from trustscore.reports._search import frontier_plot, search_report

__all__ = [
    "challenger_report",
    "frontier_plot",
    "model_report",
    "monitoring_report",
    "search_report",
    "write_report",
]
