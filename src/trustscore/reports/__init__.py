"""Reports: a self-contained HTML model report (inline CSS and SVG; works offline).

Examples
--------
>>> from trustscore.reports import model_report, write_report
>>> callable(model_report) and callable(write_report)
True
"""

from __future__ import annotations

from trustscore.reports._challenger import challenger_report
from trustscore.reports._render import model_report, write_report

__all__ = ["challenger_report", "model_report", "write_report"]
