"""The search report: the frontier of accuracy against disparity, and the choice, as one page.

Rendered from the JSON-ready result of a less-discriminatory search
(:meth:`trustscore.model.SearchResult.to_dict`, what ``search.json`` holds): a plot of held-out
AUC against the adverse impact ratio at the median score, one dot per card, the frontier
joined, the default and the chosen card marked; a table of every card; the choice and why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from trustscore.monitoring import FOUR_FIFTHS
from trustscore.reports._render import environment

__all__ = ["frontier_plot", "search_report"]

_SVG_OPEN = '<svg role="img" class="chart" width="{w}" height="{h}" viewBox="0 0 {w} {h}">'


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _span(values: Sequence[float], pad: float) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    if hi - lo < 1e-9:
        lo, hi = lo - pad, hi + pad
    margin = (hi - lo) * 0.08
    return lo - margin, hi + margin


def frontier_plot(
    points: Sequence[Mapping[str, Any]],
    *,
    default: str,
    chosen: str | None,
    max_auc_loss: float | None = None,
    width: int = 640,
    height: int = 360,
) -> Markup:
    """AUC (x) against AIR at the median (y): a dot per card, the frontier joined.

    ``points`` are dicts with ``name``, ``auc``, ``air_median`` and ``on_frontier``. The
    default is drawn as a square, the chosen card as a ring; a dashed line marks four-fifths
    where it is in view, and a dotted one the least AUC a card may have to be chosen (the
    default's less ``max_auc_loss``).

    Examples
    --------
    >>> pts = [{"name": "default", "auc": 0.80, "air_median": 0.70, "on_frontier": True},
    ...        {"name": "b", "auc": 0.79, "air_median": 0.85, "on_frontier": True}]
    >>> svg = frontier_plot(pts, default="default", chosen="b")
    >>> svg.startswith("<svg"), svg.count("<circle"), svg.count("<polyline")
    (True, 2, 1)
    """
    pts = [p for p in points if p.get("auc") is not None and p.get("air_median") is not None]
    pad_l, pad_r, pad_t, pad_b = 56, 16, 14, 40
    pw, ph = width - pad_l - pad_r, height - pad_t - pad_b
    x0, x1 = _span([float(p["auc"]) for p in pts] or [0.5], 0.005)
    y0, y1 = _span([float(p["air_median"]) for p in pts] or [1.0], 0.02)

    def sx(v: float) -> float:
        return pad_l + pw * (v - x0) / (x1 - x0)

    def sy(v: float) -> float:
        return pad_t + ph * (1.0 - (v - y0) / (y1 - y0))

    parts = [_SVG_OPEN.format(w=width, h=height), "<title>Frontier: AUC against AIR</title>"]
    base = pad_t + ph
    parts.append(f'<line x1="{pad_l}" y1="{base}" x2="{pad_l + pw}" y2="{base}" class="axis"/>')
    parts.append(f'<line x1="{pad_l}" y1="{pad_t}" x2="{pad_l}" y2="{base}" class="axis"/>')
    for frac, anchor in ((0.0, "start"), (0.5, "middle"), (1.0, "end")):
        vx, vy = x0 + frac * (x1 - x0), y0 + frac * (y1 - y0)
        parts.append(
            f'<text x="{_num(sx(vx))}" y="{base + 16}" text-anchor="{anchor}">{vx:.4f}</text>'
        )
        parts.append(
            f'<text x="{pad_l - 4}" y="{_num(sy(vy) + 4)}" text-anchor="end">{vy:.3f}</text>'
        )
    parts.append(
        f'<text x="{_num(pad_l + pw / 2)}" y="{height - 4}" text-anchor="middle">'
        "held-out AUC</text>"
        f'<text x="12" y="{_num(pad_t + ph / 2)}" text-anchor="middle" '
        f'transform="rotate(-90 12 {_num(pad_t + ph / 2)})">AIR at the median score</text>'
    )
    if y0 < FOUR_FIFTHS < y1:
        y = _num(sy(FOUR_FIFTHS))
        parts.append(f'<line x1="{pad_l}" y1="{y}" x2="{pad_l + pw}" y2="{y}" class="marker"/>')
    base_auc = next((float(p["auc"]) for p in pts if p["name"] == default), None)
    if base_auc is not None and max_auc_loss is not None and x0 < base_auc - max_auc_loss < x1:
        x = _num(sx(base_auc - max_auc_loss))  # cards right of it may be chosen
        parts.append(f'<line x1="{x}" y1="{pad_t}" x2="{x}" y2="{base}" class="bound"/>')
    front = sorted((p for p in pts if p.get("on_frontier")), key=lambda p: float(p["auc"]))
    if len(front) > 1:
        line = " ".join(f"{_num(sx(p['auc']))},{_num(sy(p['air_median']))}" for p in front)
        parts.append(f'<polyline points="{line}" class="frontier"/>')
    for p in pts:
        cx, cy = _num(sx(float(p["auc"]))), _num(sy(float(p["air_median"])))
        tip = escape(f"{p['name']}: AUC {p['auc']:.4f}, AIR {p['air_median']:.4f}")
        if p["name"] == default:
            parts.append(
                f'<rect x="{float(cx) - 5}" y="{float(cy) - 5}" width="10" height="10" '
                f'class="default"><title>{tip} (default)</title></rect>'
            )
            continue
        cls = "front" if p.get("on_frontier") else "dot"
        parts.append(
            f'<circle cx="{cx}" cy="{cy}" r="4" class="{cls}"><title>{tip}</title></circle>'
        )
        if p["name"] == chosen:
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="9" class="chosen"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def search_report(result: Mapping[str, Any], *, title: str | None = None) -> str:
    """Render a search's result (``search.json``) as one self-contained HTML page.

    Examples
    --------
    >>> r = {"attribute": "group", "target_group": "B", "max_auc_loss": 0.005,
    ...      "settings": {"cutoffs": [600.0], "n_train": 70, "n_holdout": 30, "seed": 0,
    ...                   "max_rows": None, "n_rows_given": 100, "method": "woe"},
    ...      "proxies": [], "default": "default", "chosen": None, "why": "None found.",
    ...      "frontier": ["default"], "warnings": [], "model_versions": {},
    ...      "alternatives": [{"name": "default", "family": "default", "description": "d",
    ...          "auc": 0.8, "ks": 0.4, "air_median": 0.7, "air_cutoffs": {"600": 0.6},
    ...          "smd": -0.3, "auc_loss": 0.0, "within_loss": True, "on_frontier": True,
    ...          "n_characteristics": 3}]}
    >>> html = search_report(r)
    >>> html.startswith("<!DOCTYPE html>"), "None found." in html, "https://" in html
    (True, True, False)
    """
    rows = list(result["alternatives"])
    context = {
        "title": title
        or f"Less discriminatory alternatives for group {result['target_group']} "
        f"of {result['attribute']}",
        "r": result,
        "rows": rows,
        "cutoffs": [
            str(int(c)) if float(c).is_integer() else str(c)
            for c in result["settings"].get("cutoffs", ())
        ],
        "plot": frontier_plot(
            rows,
            default=result["default"],
            chosen=result["chosen"],
            max_auc_loss=float(result["max_auc_loss"]),
        ),
    }
    return environment().get_template("search_report.html.j2").render(context)
