"""The report's "Furnishers" section: what each furnisher sent and what became of it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["furnishers_section"]


def furnishers_section(report: Mapping[str, Any]) -> dict[str, Any] | None:
    """Rows for the section from a furnisher report (``furnishers`` and ``total``, as
    :func:`trustscore.pipeline.furnisher_report` returns it); None when there is no furnisher.

    Examples
    --------
    >>> row = {"furnisher": "power", "received": 10, "new": 6, "versions": 1, "deleted": 0,
    ...        "unchanged": 1, "quarantined": 2, "held": 0, "quarantine_rate": 0.2,
    ...        "quarantine_reasons": {"amount_due is not a finite number": 2},
    ...        "disputes": {"opened": 1, "verified": 1}}
    >>> s = furnishers_section({"furnishers": [row], "total": row})
    >>> s["rows"][0]["top_reason"], s["rows"][0]["disputes"]
    ('amount_due is not a finite number (2)', '1 (1 verified)')
    """
    rows = list(report.get("furnishers", ()))
    if not rows:
        return None

    def shown(r: Mapping[str, Any]) -> dict[str, Any]:
        reasons = r.get("quarantine_reasons", {})
        top = next(iter(reasons.items()), None)
        outcomes = {k: v for k, v in r.get("disputes", {}).items() if k != "opened"}
        opened = int(r.get("disputes", {}).get("opened", 0))
        detail = ", ".join(f"{v} {k}" for k, v in outcomes.items())
        return {
            **{k: r[k] for k in ("furnisher", "received", "new", "versions", "deleted",
                                 "unchanged", "quarantined", "held", "quarantine_rate")},
            "top_reason": "" if top is None else f"{top[0]} ({top[1]})",
            "disputes": f"{opened} ({detail})" if detail else str(opened),
        }  # fmt: skip

    return {"rows": [shown(r) for r in rows], "total": shown(report["total"])}
