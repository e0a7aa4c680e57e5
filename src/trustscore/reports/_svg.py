"""Inline SVG charts drawn from numbers: no JavaScript, no external resources.

Every label goes through :func:`markupsafe.escape`; the result is :class:`markupsafe.Markup`
so the autoescaping template inserts it as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from markupsafe import Markup, escape

__all__ = ["bar_chart", "histogram", "line_chart"]

#: Series colours (Okabe-Ito, readable by the colour-blind), in order.
_PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#000000")

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


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    lines: Sequence[tuple[str, float]] = (),
    width: int = 640,
    height: int = 200,
    value_format: str = "{:.3f}",
    zero: bool = True,
    title: str = "",
) -> Markup:
    """One line per ``(name, values)`` over ``x_labels`` (a point per value, None: a gap),
    dashed horizontal ``lines`` (thresholds), and a legend. The axis starts at 0 unless
    ``zero`` is False (then it spans the values).

    Examples
    --------
    >>> svg = line_chart(["jan", "feb", "mar"], [("psi", [0.01, 0.02, 0.3])],
    ...                  lines=[("act", 0.25)], title="PSI")
    >>> svg.count("<circle"), svg.count("<polyline"), "act 0.25" in svg, "0.300" in svg
    (3, 1, True, True)
    """
    values = [v for _, vs in series for v in vs if v is not None]
    values += [v for _, v in lines]
    if zero or not values:
        lo = min(0.0, *values) if values else 0.0
        hi = max(values) if values else 1.0
        hi = hi if hi > lo else lo + 1.0
    else:  # around the values, so that a small change shows
        lo, hi = min(values), max(values)
        pad = (hi - lo) * 0.1 if hi > lo else max(abs(hi) * 0.01, 0.01)
        lo, hi = lo - pad, hi + pad
    pad_l, pad_r, pad_t, pad_b = 52, 12, 12, 36
    legend_h = 16 * ((len(series) + 2) // 3)
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b - legend_h
    n = len(x_labels)

    def px(i: int) -> float:
        return pad_l + (plot_w * (i + 0.5) / n if n else 0.0)

    def py(v: float) -> float:
        return pad_t + plot_h * (1.0 - (v - lo) / (hi - lo))

    parts = [_SVG_OPEN.format(w=width, h=height), f"<title>{escape(title)}</title>"]
    base = pad_t + plot_h
    parts.append(f'<line x1="{pad_l}" y1="{base}" x2="{pad_l + plot_w}" y2="{base}" class="axis"/>')
    for text, ty in ((value_format.format(hi), pad_t + 4), (value_format.format(lo), base)):
        parts.append(
            f'<text x="{pad_l - 4}" y="{_num(ty)}" text-anchor="end">{escape(text)}</text>'
        )
    for name, v in lines:
        ly = _num(py(v))
        parts.append(
            f'<line x1="{pad_l}" y1="{ly}" x2="{pad_l + plot_w}" y2="{ly}" class="marker"/>'
            f'<text x="{pad_l + plot_w}" y="{_num(py(v) - 3)}" text-anchor="end">'
            f"{escape(name)} {escape(value_format.format(v).rstrip('0').rstrip('.'))}</text>"
        )
    for i, label in enumerate(x_labels):
        parts.append(
            f'<text x="{_num(px(i))}" y="{base + 14}" text-anchor="middle">{escape(label)}</text>'
        )
    for k, (name, vs) in enumerate(series):
        colour = _PALETTE[k % len(_PALETTE)]
        points = [(px(i), py(v), v) for i, v in enumerate(vs) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{_num(x)},{_num(y)}" for x, y, _ in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        for cx, cy, v in points:
            tip = f"{name}: {value_format.format(v)}"
            parts.append(
                f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="3" fill="{colour}">'
                f"<title>{escape(tip)}</title></circle>"
            )
        kx = pad_l + (k % 3) * (plot_w / 3)
        ky = base + 30 + 16 * (k // 3)
        parts.append(
            f'<rect x="{_num(kx)}" y="{ky - 8}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{_num(kx + 14)}" y="{ky + 1}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
