/* trustscore web pages: what would change the subject's score.
 *
 * The what-if form (a value tried for one part of the score), the way to the next tier of a
 * decision, and the score over the next year if nothing new happens; each is computed by the API
 * and never recorded as a score. Filled from the "trustscore:file" event of subject.js.
 */
"use strict";

(() => {
  const ts = window.trustscore;
  const { $, el, put, table, api, showProblem, clearProblem, say, needToken, fmtDate, fmtValue,
    points, words, PURPOSES, MISSING, t } = ts;

  let parts = {}; // the characteristics of the file shown, by name

  const current = () => ts.shared.current();

  function fill(detail) {
    const expl = detail.data.explanation || null;
    const chars = expl && expl.status === "OK"
      ? (expl.characteristics || []).filter((c) => c.type !== "pair") : [];
    parts = Object.fromEntries(chars.map((c) => [c.name, c]));
    const select = $("whatif-name");
    const none = t("none on file");
    select.replaceChildren(...chars.map((c) => el("option", { value: c.name },
      t("{name} (now {value})", { name: c.name,
        value: c.value === null ? none : fmtValue(c.value) }))));
    $("whatif-form").hidden = !chars.length;
    put("whatif-result", chars.length ? null : el("p", { class: "empty" },
      t("A what-if needs a scored file.")));
    put("tier-result");
    put("projection-result");
  }

  function tryValue(name, text) {
    const part = parts[name];
    const value = text.trim();
    if (/^(none|null)$/i.test(value)) return null;
    if (part && part.type === "numeric") {
      const n = Number(value);
      if (value === "" || !Number.isFinite(n)) {
        throw new Error(t("{name} is a number: type one (like 0.5), or \"none\" for nothing on "
          + "file.", { name }));
      }
      return n;
    }
    return value;
  }

  async function whatIf(changes) {
    clearProblem();
    if (needToken() || !current()) return;
    say(t("Computing the what-if…"));
    let out;
    try {
      out = await api("POST", `/v1/subjects/${encodeURIComponent(current())}/what-if`,
        { changes });
    } catch (err) {
      say("");
      showProblem(err, t("The what-if was not computed"));
      return;
    }
    renderWhatIf(out);
    const unscored = t("not scored");
    say(t("With {changes}, your score would be {score}.", { changes: changesText(out.changes),
      score: out.status === "OK" ? out.score : unscored }));
  }

  function changesText(changes) {
    const none = t("none");
    return Object.entries(changes).map(([k, v]) => [k, v === null ? none : fmtValue(v)]
      .join(" ")).join(", ");
  }

  function renderWhatIf(out) {
    const ok = out.status === "OK";
    const review = t("(close to a cut-off: a person reviews it)");
    put("whatif-result",
      el("h3", {}, t("With {changes}", { changes: changesText(out.changes) })),
      el("p", { class: "score" }, el("span", { id: "whatif-score" },
        ok ? fmtValue(out.score) : t("Not scored")),
      el("span", { class: "scale" }, " ", t("(now {score}); this model's scores run from {min} "
        + "to {max}", { score: fmtValue(out.current.score), min: out.score_range.min,
        max: out.score_range.max }))),
      table(t("Points by dimension with this value"),
        [t("Dimension"), t("Points"), t("Lowest possible"), t("Highest possible")],
        out.dimensions.map((d) => [d.label || d.name, fmtValue(d.points),
          fmtValue(d.min_points), fmtValue(d.max_points)]), t("No dimensions.")),
      el("h4", {}, t("Tiers")),
      el("ul", { id: "whatif-tiers" }, out.decisions.map((d) => el("li", { "data-purpose":
        d.purpose }, [`${words(PURPOSES, d.purpose)}: ${d.label}`, d.review ? review : null]
        .filter(Boolean).join(" ")))),
      el("h4", {}, t("Reasons")),
      out.reasons.length
        ? el("ol", { id: "whatif-reasons", class: "reasons" }, out.reasons.map((r) => el("li",
          { "data-code": r.code }, el("span", { class: "statement" }, r.statement),
          r.improve ? el("p", { class: "help" }, r.improve) : null)))
        : el("p", {}, ok ? t("No reasons: every part would give its best points.")
          : t("No reasons: the file would not be scored.")));
  }

  async function nextTier() {
    clearProblem();
    if (needToken() || !current()) return;
    const purpose = $("tier-purpose").value;
    say(t("Searching for the way to the next tier…"));
    let out;
    try {
      out = await api("GET", `/v1/subjects/${encodeURIComponent(current())}/next-tier?`
        + new URLSearchParams({ purpose }));
    } catch (err) {
      say("");
      showProblem(err, t("The way to the next tier was not found"));
      return;
    }
    renderTier(out);
    say(out.message);
  }

  function renderTier(out) {
    const shown = [];
    if (out.status === "OK") {
      shown.push(el("p", { id: "tier-now" }, t("Now: {label}, with a score of {score}.",
        { label: out.band.label, score: out.score })));
      if (out.next) {
        shown.push(el("p", { id: "tier-next" }, t("Next: {label}, from a score of {min}: "
          + "{points} more.", { label: out.next.label, min: out.next.min_score,
          points: points(out.points_needed) })));
      }
    }
    const path = out.path;
    if (path) {
      const none = t("none");
      shown.push(el("ol", { id: "tier-changes" }, path.changes.map((c) => el("li",
        { "data-name": c.name }, t("{name}: from {from} to {to} (any value {range}): +{points}",
          { name: c.name, from: c.current === null ? none : fmtValue(c.current),
            to: fmtValue(c.value), range: c.range, points: points(c.points) }))),
      path.together.map((g) => el("li", {}, t("{pair}, the two together: {sign}{points}",
        { pair: g.interaction, sign: g.points >= 0 ? "+" : "", points: points(g.points) })))));
      shown.push(el("p", { id: "tier-then" }, t("Then: a score of {score}, {label}.",
        { score: path.score, label: path.label })));
      shown.push(el("button", { type: "button", id: "tier-try", onclick: () => whatIf(
        Object.fromEntries(path.changes.map((c) => [c.name, c.value]))) },
      t("Try these changes")));
    }
    shown.push(el("p", { id: "tier-message" }, out.message));
    put("tier-result", shown);
  }

  async function projection() {
    clearProblem();
    if (needToken() || !current()) return;
    say(t("Computing your score over the next year…"));
    let out;
    try {
      out = await api("GET", `/v1/subjects/${encodeURIComponent(current())}/projection`);
    } catch (err) {
      say("");
      showProblem(err, t("The projection was not computed"));
      return;
    }
    const rows = [[t("Now"), out.current],
      ...out.later.map((p) => [t("In {n} months", { n: p.months }), p])];
    put("projection-result", table(t("Your score if nothing new happens"),
      [t("When"), t("As of"), t("Score"), t("Reasons")],
      rows.map(([when, p]) => [when, fmtDate(p.as_of),
        p.status === "OK" ? fmtValue(p.score) : t("not scored (too little recent history)"),
        p.reasons.length ? el("ul", {}, p.reasons.map((r) => el("li", {}, r.text || r.code)))
          : MISSING]),
      t("No projection.")));
    say(t("Your score over the next year is shown."));
  }

  function start() {
    document.addEventListener("trustscore:file", (event) => {
      try {
        fill(event.detail);
      } catch (err) {
        showProblem(err, t("The file arrived but could not be shown"));
      }
    });
    $("whatif-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const name = $("whatif-name").value;
      let value;
      try {
        value = tryValue(name, $("whatif-value").value);
      } catch (err) {
        showProblem(err, t("The value cannot be tried"));
        $("whatif-value").focus();
        return;
      }
      whatIf({ [name]: value });
    });
    $("tier-form").addEventListener("submit", (event) => {
      event.preventDefault();
      nextTier();
    });
    $("projection-button").addEventListener("click", projection);
  }

  ts.page("subject", start);
})();
