/* trustscore web pages: the chart of a score and its sub-scores over the snapshots.
 *
 * Inline SVG drawn here, no chart library. One row per series (the score, then each dimension),
 * each on its own attainable range, so a dimension worth 120 points is as readable as the score;
 * the names and values are HTML text beside the drawing, so they wrap and stay readable on a
 * phone. Every row's drawing has a text alternative, and the page shows the same numbers in a
 * table.
 */
"use strict";

(() => {
  const ts = window.trustscore;
  const { el, t } = ts;
  const NS = "http://www.w3.org/2000/svg";
  const W = 300; // the drawing's own units; it is stretched to the row's width
  const H = 40;

  function svg(tag, attrs) {
    const node = document.createElementNS(NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    return node;
  }

  /** Where a value lies in the drawing: x by its place in the series, y on the series' range. */
  function position(i, n, value, range) {
    const x = n === 1 ? W / 2 : (i * W) / (n - 1);
    const span = range.max - range.min || 1;
    const y = H - ((value - range.min) / span) * H;
    return [Number(x.toFixed(2)), Number(Math.min(H, Math.max(0, y)).toFixed(2))];
  }

  /** One series' drawing: its line (broken where not scored) and a dot at each value. */
  function drawing(values, range, description) {
    const node = svg("svg", {
      viewBox: `-4 -4 ${W + 8} ${H + 8}`, preserveAspectRatio: "none", role: "img",
      "aria-label": description, class: "spark", focusable: "false",
    });
    node.appendChild(svg("line", { x1: 0, y1: H, x2: W, y2: H, class: "floor" }));
    let run = [];
    const flush = () => {
      if (run.length > 1) {
        node.appendChild(svg("polyline", { points: run.map((p) => p.join(",")).join(" "),
          class: "trend" }));
      }
      run = [];
    };
    values.forEach((v, i) => {
      if (v === null || v === undefined) {
        flush();
        return;
      }
      const p = position(i, values.length, v, range);
      run.push(p);
      // a zero-length line with round caps draws a round dot at any stretch
      node.appendChild(svg("line", { x1: p[0], y1: p[1], x2: p[0], y2: p[1], class: "dot",
        "data-value": v }));
    });
    flush();
    return node;
  }

  /**
   * The chart: `series` is [{name, label, range: {min, max}, values: [number|null]}], one value
   * per point of `when` (the dates of the snapshots, oldest first).
   */
  function scoreChart(series, when) {
    const first = when[0];
    const last = when[when.length - 1];
    const rows = series.map((s, k) => {
      const shown = s.values.filter((v) => v !== null && v !== undefined);
      const latest = s.values[s.values.length - 1];
      const description = shown.length
        ? t("{name}: {values}, on a range from {min} to {max}", { name: s.label,
          values: s.values.map((v) => (v === null ? t("not scored") : v)).join(", "),
          min: s.range.min, max: s.range.max })
        : t("{name}: not scored", { name: s.label });
      return el("li", { class: k === 0 ? "series main" : "series", "data-series": s.name },
        el("span", { class: "series-name" }, s.label),
        drawing(s.values, s.range, description),
        el("span", { class: "series-value" }, latest === null || latest === undefined
          ? t("not scored") : t("{value} of {min}–{max}", { value: latest, min: s.range.min,
            max: s.range.max })));
    });
    return el("figure", { class: "chart", id: "chart" },
      el("figcaption", {}, when.length === 1
        ? t("Your score and each of its parts, as of {date}", { date: first })
        : t("Your score and each of its parts over {n} snapshots, from {first} to {last}",
          { n: when.length, first, last })),
      el("ul", { class: "chart-rows" }, rows));
  }

  window.trustscoreChart = Object.freeze({ scoreChart, position, W, H });
})();
