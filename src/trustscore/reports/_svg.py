"""Inline SVG charts drawn from numbers: no JavaScript, no external resources.

Every label goes through :func:`markupsafe.escape`; the result is :class:`markupsafe.Markup`
so the autoescaping template inserts it as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from markupsafe import Markup, escape

__all__ = ["bar_chart", "histogram"]

# Inline SVG in HTML needs no xmlns, so the page holds no URL at all, not even the namespace.
_SVG_OPEN = '<svg role="img" class="chart" width="{w}" height="{h}" viewBox="0 0 {w} {h}">'


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def histogram(
    values: npt.ArrayLike,
    *,
    lo: float,
    hi: float,
    bins: int = 40,
    width: int = 640,
    height: int = 180,
    title: str = "",
) -> Markup:
    """A histogram of ``values`` over ``[lo, hi]`` as an inline SVG.

    Examples
    --------
    >>> svg = histogram([1, 2, 2, 3], lo=0, hi=4, bins=4, title="x")
    >>> svg.startswith("<svg") and svg.count("<rect") == 4
    True
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if hi <= lo:
        hi = lo + 1.0
    counts, edges = np.histogram(x, bins=bins, range=(lo, hi))
    top = int(counts.max()) if counts.size and counts.max() > 0 else 1
    pad_l, pad_b, pad_t = 44, 22, 16
    plot_w, plot_h = width - pad_l - 8, height - pad_b - pad_t
    bar_w = plot_w / bins
    parts = [_SVG_OPEN.format(w=width, h=height)]
    parts.append(f"<title>{escape(title)}</title>")
    for i, c in enumerate(counts.tolist()):
        h = plot_h * c / top
        x0 = pad_l + i * bar_w
        tip = f"{_num(edges[i])} to {_num(edges[i + 1])}: {c}"
        parts.append(
            f'<rect x="{_num(x0)}" y="{_num(pad_t + plot_h - h)}" width="{_num(max(bar_w - 1, 1))}"'
            f' height="{_num(h)}" class="bar"><title>{escape(tip)}</title></rect>'
        )
    base = pad_t + plot_h
    parts.append(f'<line x1="{pad_l}" y1="{base}" x2="{pad_l + plot_w}" y2="{base}" class="axis"/>')
    for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
        tick = lo + frac * (hi - lo)
        tx = pad_l + frac * plot_w
        parts.append(
            f'<text x="{_num(tx)}" y="{height - 6}" text-anchor="middle">{_num(tick)}</text>'
        )
    parts.append(f'<text x="{pad_l - 4}" y="{pad_t + 4}" text-anchor="end">{top}</text>')
    parts.append(f'<text x="{pad_l - 4}" y="{base}" text-anchor="end">0</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    width: int = 640,
    bar_height: int = 18,
    max_value: float | None = None,
    value_format: str = "{:.3f}",
    marker: float | None = None,
    title: str = "",
) -> Markup:
    """Horizontal bars, one per ``(label, value)``; an optional vertical marker line.

    Examples
    --------
    >>> svg = bar_chart([("a", 0.5), ("b", 1.0)], marker=0.8)
    >>> svg.count("<rect"), "0.500" in svg
    (2, True)
    """
    label_w, value_w = 180, 70
    plot_w = width - label_w - value_w
    height = bar_height * len(items) + 8
    top = max_value if max_value is not None else max((v for _, v in items), default=1.0)
    top = top if top > 0 else 1.0
    parts = [_SVG_OPEN.format(w=width, h=height), f"<title>{escape(title)}</title>"]
    for i, (label, value) in enumerate(items):
        y = 4 + i * bar_height
        w = plot_w * max(value, 0.0) / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar_height - 5}" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect x="{label_w}" y="{y}" width="{_num(w)}" height="{bar_height - 3}" class="bar"/>'
            f'<text x="{_num(label_w + w + 4)}" y="{y + bar_height - 5}">'
            f"{escape(value_format.format(value))}</text>"
        )
    if marker is not None and top > 0:
        mx = label_w + plot_w * marker / top
        parts.append(f'<line x1="{_num(mx)}" y1="0" x2="{_num(mx)}" y2="{height}" class="marker"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
