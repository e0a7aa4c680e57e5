/* trustscore web pages: the subject's file, its first screen and its history.
 *
 * A subject's token opens their own file (GET /v1/me names the subject); an operator types the
 * subject's id. The first screen holds the score with its attainable range and a sentence of
 * where it stands, the chart of the score and its parts over the snapshots, and the reasons with
 * how each clears. The rest of the file is drawn by records.js, whatif.js, consent.js and
 * reviews.js from the same answer, announced as a "trustscore:file" event.
 */
"use strict";

(() => {
  const ts = window.trustscore;
  const { $, el, put, table, api, ApiProblem, showProblem, clearProblem, say, needToken,
    wireToken, fmtDateTime, fmtDate, fmtValue, points, words, PURPOSES, MISSING, t, i18n } = ts;
  const { scoreChart } = window.trustscoreChart;
  const SUBJECT_KEY = "trustscore.subject";

  let current = null; // the subject id whose file is shown
  let own = null; // the subject id of a subject's token, from /v1/me

  function subjectPage() {
    const params = new URLSearchParams(window.location.search);
    const linked = params.get("subject");
    if (linked) $("subject-id").value = linked;
    wireToken(() => whoAmI(), () => {
      $("file").hidden = true;
      current = null;
      own = null;
      $("file-form").hidden = false;
      sessionStorage.removeItem(SUBJECT_KEY);
    });
    $("file-form").addEventListener("submit", (event) => {
      event.preventDefault();
      loadFile();
    });
    if (sessionStorage.getItem(ts.TOKEN_KEY)) whoAmI();
  }

  /** Ask the API whose token this is: a subject's opens their own file, at once. */
  async function whoAmI() {
    let me;
    try {
      me = await api("GET", "/v1/me");
    } catch (err) {
      showProblem(err, err instanceof ApiProblem && err.status === 401
        ? t("The token was not accepted") : undefined);
      return;
    }
    const linked = new URLSearchParams(window.location.search).get("subject");
    if (me.role === "subject" && me.subject_id) {
      own = me.subject_id;
      // a link may name another file: it is asked for, and the API's refusal shown
      if (!linked) $("subject-id").value = own;
      $("file-form").hidden = true;
      $("token-state").textContent = t("A token is set for this tab: the file of {subject}.",
        { subject: own });
      loadFile();
      return;
    }
    $("file-form").hidden = false;
    const remembered = linked || sessionStorage.getItem(SUBJECT_KEY) || "";
    if (!$("subject-id").value) $("subject-id").value = remembered;
    if ($("subject-id").value.trim()) loadFile();
    else $("subject-id").focus();
  }

  async function loadFile(message) {
    clearProblem();
    const id = $("subject-id").value.trim();
    if (!id) {
      showProblem(new Error(t("Type the subject id of the file to show.")), t("No subject id"));
      $("file-form").hidden = false;
      $("subject-id").focus();
      return;
    }
    if (needToken()) return;
    sessionStorage.setItem(SUBJECT_KEY, id);
    if (id !== own) { // a subject's own file needs no id in the address
      const url = new URL(window.location.href);
      url.searchParams.set("subject", id);
      window.history.replaceState(null, "", url);
    }
    say(t("Loading the file of {subject}…", { subject: id }));
    let data;
    try {
      data = await api("GET", `/v1/subjects/${encodeURIComponent(id)}/file`);
    } catch (err) {
      $("file").hidden = true; // never leave another file on screen under this id
      current = null;
      say("");
      showProblem(err, err instanceof ApiProblem && err.status === 403
        ? t("You may not see this file") : undefined);
      return;
    }
    try {
      renderFile(data);
    } catch (err) {
      showProblem(err, t("The file arrived but could not be shown"));
      return;
    }
    current = id;
    $("file").hidden = false;
    // one event for the sections other scripts draw from the same answer: records.js, whatif.js,
    // consent.js and reviews.js
    document.dispatchEvent(new CustomEvent("trustscore:file", { detail: { subject: id, data } }));
    say(message || t("The file of {subject} is shown below.", { subject: id }));
    // the line above names the subject the token line already names: read aloud, not shown,
    // so the first screen keeps its room for the score, the chart and the reasons
    if (!message) $("status").classList.add("read-aloud");
    if (!message) $("score-h").focus({ preventScroll: true });
  }

  function renderFile(data) {
    const file = data.file || {};
    const expl = data.explanation || null;
    const score = file.current_score || {};
    renderScore(data, file, score, expl);
    renderChart(data.score_history || [], score, expl);
    renderDimensions(score, expl);
    renderReasons(score, expl);
    renderCharacteristics(expl);
    renderHistory(data.score_history || []);
    renderDecisions(data.decisions || []);
  }

  // ---------------------------------------------------------------- the score

  function renderScore(data, file, score, expl) {
    const status = score.status || (expl && expl.status) || (file.score === null ? "NS" : "OK");
    const value = score.score !== undefined ? score.score : file.score;
    const facts = [];
    if (score.model_version) facts.push(t("model {version}", { version: score.model_version }));
    if (score.as_of) facts.push(t("as of {date}", { date: score.as_of }));
    const about = facts.length ? t("Computed with {facts}.", { facts: facts.join(", ") }) : "";
    if (status === "NS" || value === null || value === undefined) {
      const criteria = expl ? expl.criteria || [] : [];
      put("score-box",
        el("p", { class: "score", id: "score-value" }, t("Not scored")),
        el("p", {}, t("There is not enough history in the file of {subject} to give a number. "
          + "Not being scored is not a bad score: no number is given, and anyone deciding about "
          + "you must decide another way.", { subject: data.subject_id })),
        criteria.length ? el("ul", { class: "criteria" }, criteria.map((c) => el("li", {},
          c.met ? t("Met: {text}", { text: c.text }) : t("Not met yet: {text}",
            { text: c.text })))) : null,
        el("p", { class: "help" }, about));
      return;
    }
    const range = expl && expl.score_range ? expl.score_range : null;
    put("score-box",
      el("p", { class: "score" }, el("span", { id: "score-value" }, fmtValue(value)),
        range ? el("span", { class: "scale" }, " ", t("of {min}–{max}", range)) : null),
      range ? el("p", { id: "score-range" }, t("This model's scores run from {min} (the least "
        + "any file can get) to {max} (the most).", range)) : null,
      range ? el("p", { id: "score-standing" }, standing(value, range)) : null,
      el("p", { class: "help" }, about));
  }

  /** Where a score stands on its range, in one plain sentence. */
  function standing(value, range) {
    const share = (value - range.min) / ((range.max - range.min) || 1);
    const percent = i18n.number(Math.max(0, Math.min(1, share)), { style: "percent" });
    let where = t("near the bottom of the range");
    if (share >= 0.75) where = t("in the top quarter of the range");
    else if (share >= 0.5) where = t("in the upper half of the range");
    else if (share >= 0.25) where = t("in the lower half of the range");
    return t("Your score is {percent} of the way from the lowest to the highest: {where}.",
      { percent, where });
  }

  // ---------------------------------------------------------------- the chart

  /** The snapshots recorded, oldest first, and the current score if it is not the last one. */
  function pointsOverTime(history, score) {
    const shown = history.slice();
    const last = shown[shown.length - 1];
    const same = last && last.as_of === score.as_of && last.score === (score.score ?? null)
      && last.model_version === score.model_version;
    if (score.status && !same) {
      shown.push({ as_of: score.as_of, score: score.score ?? null, status: score.status,
        subscores: score.subscores || {} });
    }
    return shown;
  }

  function renderChart(history, score, expl) {
    const shown = pointsOverTime(history, score);
    if (!shown.length || !expl || !expl.score_range) {
      put("chart-box", el("p", { class: "empty" }, t("No score over time to draw yet.")));
      return;
    }
    const ok = (p) => p.status === "OK";
    const series = [{ name: "score", label: t("Score"), range: expl.score_range,
      values: shown.map((p) => (ok(p) ? p.score : null)) }];
    for (const d of expl.dimensions || []) {
      series.push({ name: d.name, label: d.label || d.name,
        range: { min: d.min_points, max: d.max_points },
        values: shown.map((p) => (ok(p) && p.subscores && typeof p.subscores[d.name] === "number"
          ? p.subscores[d.name] : null)) });
    }
    put("chart-box", scoreChart(series, shown.map((p) => fmtDate(p.as_of))));
  }

  function renderHistory(history) {
    const rows = history.slice().reverse();
    put("history", table(t("Scores recorded for you, newest first"),
      [t("Recorded"), t("As of"), t("Score"), t("Status"), t("Model")],
      rows.map((s) => [fmtDateTime(s.created_at), fmtDate(s.as_of),
        s.status === "NS" ? t("not scored") : fmtValue(s.score), fmtValue(s.status),
        fmtValue(s.model_version)]),
      t("No score has been recorded yet: one is recorded each time a score is given out.")));
  }

  // ---------------------------------------------------------------- the reasons

  const CHANGES = () => ({
    action: t("You can change this by what you do."),
    time: t("This changes only with time."),
    fixed: t("This cannot change."),
  });
  const CHANGE_WORDS = () => ({ action: t("by what you do"), time: t("only with time"),
    fixed: t("no") });

  function renderReasons(score, expl) {
    if (expl) {
      if (expl.status !== "OK") {
        put("reasons", el("p", {}, t("No reasons: the file is not scored. Once each criterion "
          + "above is met, a score and its reasons appear here.")));
        return;
      }
      if (!expl.reasons.length) {
        put("reasons", el("p", {}, t("Nothing holds your score back: every part of it gives "
          + "its best points.")));
        return;
      }
      put("reasons",
        el("ol", { class: "reasons", id: "reason-list" }, expl.reasons.map((r) => el("li",
          { "data-code": r.reason_code },
          el("h3", {}, r.reason),
          r.improve ? el("p", {}, el("strong", {}, t("How it clears:")), " ", r.improve) : null,
          el("p", { class: "gap" }, t("{gap} separate you from the best on this: it gives you "
            + "{points} of a possible {best}.", { gap: points(r.points_to_best),
            points: r.points, best: r.best_points })),
          el("p", { class: "help" }, [CHANGES()[r.change] || "", t("Reason code {code}; measured "
            + "as {name}, your value: {value}.", { code: r.reason_code, name: r.name,
            value: valueText(r.value) })].join(" "))))));
      return;
    }
    const reasons = score.reasons || [];
    put("reasons", reasons.length
      ? el("ol", { class: "reasons", id: "reason-list" }, reasons.map((r) => (
        typeof r === "object" && r !== null
          ? el("li", { "data-code": r.code }, el("h3", {}, r.text || r.code),
            r.improve ? el("p", {}, el("strong", {}, t("How it clears:")), " ", r.improve) : null)
          : el("li", { "data-code": String(r) }, t("Reason code {code}", { code: r })))))
      : el("p", {}, t("No reasons are given for this score.")));
  }

  // (a message is never looked up inside another's arguments: the extractor would not see it)
  function valueText(value) {
    return value === null ? t("none on file") : fmtValue(value);
  }

  function renderDimensions(score, expl) {
    if (expl && expl.dimensions && expl.status === "OK") {
      put("dimensions", table(t("Points by dimension"),
        [t("Dimension"), t("Your points"), t("Lowest possible"), t("Highest possible")],
        expl.dimensions.map((d) => [d.label || d.name, fmtValue(d.points),
          fmtValue(d.min_points), fmtValue(d.max_points)]),
        t("No dimensions.")));
      return;
    }
    const subs = Object.entries(score.subscores || {});
    put("dimensions", table(t("Points by dimension"), [t("Dimension"), t("Your points")],
      subs.map(([name, pts]) => [name, fmtValue(pts)]),
      t("No points by dimension: the file is not scored.")));
  }

  function renderCharacteristics(expl) {
    const chars = expl && expl.status === "OK" ? expl.characteristics || [] : [];
    put("characteristics", table(t("Each characteristic: your points against its best"),
      [t("Characteristic"), t("What it says about you"), t("Your value"), t("Your points"),
        t("Best possible"), t("Points to gain"), t("Can it change?")],
      chars.map((c) => [c.name, c.reason || t("Nothing: it gives its best points"),
        fmtValue(c.value), fmtValue(c.points), fmtValue(c.best_points),
        fmtValue(c.points_to_best), CHANGE_WORDS()[c.change] || MISSING]),
      t("Shown once the file is scored.")));
  }

  // ---------------------------------------------------------------- decisions

  function renderDecisions(decisions) {
    const rows = decisions.slice().reverse();
    put("decisions", table(t("Decisions, newest first"),
      [t("When"), t("Purpose"), t("Outcome"), t("Adverse"), t("Reasons given")],
      rows.map((d) => {
        const notice = d.notice && typeof d.notice === "object" ? d.notice : null;
        const reasons = notice && Array.isArray(notice.reasons) ? notice.reasons : [];
        return [fmtDateTime(d.decided_at), words(PURPOSES, d.purpose),
          notice && notice.label ? `${notice.label} (${d.outcome})` : fmtValue(d.outcome),
          d.adverse ? t("yes") : t("no"),
          reasons.length ? el("ul", {}, reasons.map((r) => el("li", {},
            typeof r === "object" && r !== null ? r.reason || r.code : String(r)))) : MISSING];
      }),
      t("No decision has been made with your score.")));
  }

  ts.shared.loadFile = loadFile;
  ts.shared.current = () => current;
  ts.page("subject", subjectPage);
})();
