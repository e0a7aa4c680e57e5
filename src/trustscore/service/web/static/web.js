/* trustscore web pages: the subject's file and the operators' dispute queue.
 *
 * Plain JavaScript, no build step, no external URL. Every number and word shown comes from the
 * /v1 API through fetch, with the token the user pasted (kept in sessionStorage, sent as a bearer
 * header; no cookies). Everything from the API is put on the page as text (textContent and
 * createTextNode), never parsed as HTML. Every error is shown in words, never as a blank page.
 */
"use strict";

(() => {
  const TOKEN_KEY = "trustscore.token";
  const SUBJECT_KEY = "trustscore.subject";
  const DAY_MS = 86400000;

  // ---------------------------------------------------------------- small DOM helpers

  const $ = (id) => document.getElementById(id);

  /** An element with attributes and children; strings become text nodes, never HTML. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "onclick") node.addEventListener("click", value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    const list = Array.isArray(children) ? children.flat(Infinity) : [children];
    for (const child of list) {
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function put(id, ...children) {
    const node = $(id);
    node.replaceChildren();
    return append(node, children);
  }

  let tableCount = 0;

  /** A table with a caption and column headers, or a sentence when there are no rows. */
  function table(caption, headers, rows, empty, cls) {
    if (!rows.length) return el("p", { class: "empty" }, empty);
    tableCount += 1;
    const captionId = `table-${tableCount}`;
    const t = el(
      "table",
      { class: cls },
      el("caption", { id: captionId }, caption),
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))),
      el(
        "tbody",
        {},
        rows.map((cells) => el("tr", {}, cells.map((c, i) => (i === 0
          ? el("th", { scope: "row" }, c) : el("td", {}, c))))),
      ),
    );
    // a wide table scrolls on its own; keyboard users can focus it to scroll
    return el("div", { class: "scroll", tabindex: "0", role: "region",
      "aria-labelledby": captionId }, t);
  }

  // ---------------------------------------------------------------- formatting

  const MISSING = "—";

  function isoDateTime(text) {
    // at most millisecond precision, which every browser parses
    return new Date(String(text).replace(/(\.\d{3})\d+/, "$1"));
  }

  function fmtDateTime(text) {
    if (text === null || text === undefined || text === "") return MISSING;
    const d = isoDateTime(text);
    if (Number.isNaN(d.getTime())) return String(text);
    return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  }

  function fmtDate(text) {
    if (text === null || text === undefined || text === "") return MISSING;
    return /^\d{4}-\d{2}-\d{2}$/.test(String(text)) ? String(text) : fmtDateTime(text);
  }

  function fmtValue(v) {
    if (v === null || v === undefined || v === "") return MISSING;
    if (typeof v === "boolean") return v ? "yes" : "no";
    if (typeof v === "number") {
      return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(3)));
    }
    if (Array.isArray(v)) return v.map(fmtValue).join(", ");
    if (typeof v === "object") { // e.g. the two values of a pair of characteristics
      return Object.entries(v).map(([k, x]) => `${k} ${fmtValue(x)}`).join(", ");
    }
    return String(v);
  }

  function fmtAmount(v) {
    return typeof v === "number" ? v.toFixed(2) : fmtValue(v);
  }

  function plural(n, word) {
    return `${n} ${word}${n === 1 ? "" : "s"}`;
  }

  /** How long until a deadline, in words. */
  function timeLeft(deadline, now) {
    const ms = isoDateTime(deadline).getTime() - now.getTime();
    if (Number.isNaN(ms)) return MISSING;
    // whole days, rounded down either way
    const days = Math.floor(Math.abs(ms) / DAY_MS);
    if (ms < 0) return days ? `overdue by ${plural(days, "day")}` : "overdue by less than a day";
    return days ? `${plural(days, "day")} left` : "less than a day left";
  }

  const PURPOSES = {
    subject_access: "the subject reading their own file",
    dispute_handling: "handling a dispute",
    credit_pricing: "pricing a loan",
    credit_limit: "setting a credit limit",
    deposit_waiver: "waiving a deposit",
  };
  const ACTIONS = { file: "read the file", score: "got the score", decision: "made a decision" };
  const STATUSES = {
    open: "open: waiting for the organisation that reported the record",
    verified: "verified: the record was confirmed and stands",
    corrected: "corrected: a correction replaces the record",
    unverifiable: "unverifiable: the record was not confirmed and is suppressed",
    suppressed: "suppressed: not verified by the deadline",
  };

  const words = (map, key) => (map[key] ? `${map[key]} (${key})` : fmtValue(key));

  // ---------------------------------------------------------------- the API

  class ApiProblem extends Error {
    constructor(status, code, message, details) {
      super(message);
      this.status = status;
      this.code = code;
      this.details = details || {};
    }
  }

  /** Call the API with the tab's token; resolve to the JSON body or throw an ApiProblem. */
  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = `Bearer ${token}`;
    const init = { method, headers, credentials: "omit", cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      throw new ApiProblem(0, "network_error",
        `The server could not be reached (${err && err.message ? err.message : err}).`, {});
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (_) {
      data = null;
    }
    if (!response.ok) {
      const error = data && typeof data === "object" ? data.error : null;
      if (error && typeof error.message === "string") {
        throw new ApiProblem(response.status, String(error.code || "error"), error.message,
          error.details && typeof error.details === "object" ? error.details : {});
      }
      throw new ApiProblem(response.status, "http_error",
        `The server answered ${response.status} ${response.statusText} without an explanation.`,
        {});
    }
    if (data === null) {
      throw new ApiProblem(response.status, "bad_response", "The server's answer was not JSON.",
        {});
    }
    return data;
  }

  const HINTS = {
    401: "Check the token: paste it again, or ask for a new one if it was revoked.",
    403: "This token is not allowed to do that.",
    404: "Check the id.",
    409: "Reload to see the current state.",
    503: "The server is not ready to answer this; try again later or tell the operator.",
  };

  // ---------------------------------------------------------------- messages

  function showProblem(err, title) {
    const box = $("problem");
    box.replaceChildren();
    if (err instanceof ApiProblem) {
      const head = err.status
        ? `The request was refused: ${err.status} (${err.code})`
        : "The server could not be reached";
      append(box, [el("h2", {}, title || head), el("p", { class: "message" }, err.message)]);
      if (title && err.status) {
        append(box, el("p", { class: "code" }, `The server answered ${err.status} (${err.code}).`));
      }
      const problems = Array.isArray(err.details.errors) ? err.details.errors : [];
      if (problems.length) {
        append(box, el("ul", {}, problems.map((p) => el("li", {},
          `${Array.isArray(p.loc) ? p.loc.join(".") : ""}: ${p.msg}`))));
      }
      if (HINTS[err.status]) append(box, el("p", { class: "hint" }, HINTS[err.status]));
    } else {
      append(box, [el("h2", {}, title || "Something went wrong on this page"),
        el("p", { class: "message" }, err && err.message ? err.message : String(err))]);
    }
    box.hidden = false;
    box.focus();
  }

  function clearProblem() {
    $("problem").hidden = true;
    $("problem").replaceChildren();
  }

  function say(text) {
    $("status").textContent = text;
  }

  // ---------------------------------------------------------------- the token

  function showTokenState() {
    $("token-state").textContent = sessionStorage.getItem(TOKEN_KEY)
      ? "A token is set for this tab."
      : "No token is set: paste one above.";
  }

  function needToken() {
    if (sessionStorage.getItem(TOKEN_KEY)) return false;
    showProblem(new Error("Paste your access token first, then try again."), "No token");
    $("token").focus();
    return true;
  }

  function wireToken(onSet, onForget) {
    $("token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const value = $("token").value.trim();
      if (!value) {
        showProblem(new Error("The token field is empty."), "No token");
        $("token").focus();
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, value);
      $("token").value = "";
      clearProblem();
      showTokenState();
      onSet();
    });
    $("forget-token").addEventListener("click", () => {
      sessionStorage.removeItem(TOKEN_KEY);
      showTokenState();
      onForget();
      say("The token was forgotten.");
    });
    showTokenState();
  }

  // ---------------------------------------------------------------- the subject's page

  const KINDS = {
    obligation: {
      title: "Bills", date: "due_date",
      cols: [["furnisher", "Furnisher"], ["category", "Category"], ["account", "Account"],
        ["due_date", "Due"], ["amount_due", "Amount due", fmtAmount], ["paid_date", "Paid"],
        ["amount_paid", "Amount paid", fmtAmount]],
    },
    tradeline: {
      title: "Loans and cards", date: "reported_date",
      cols: [["furnisher", "Furnisher"], ["kind", "Kind"], ["account", "Account"],
        ["opened_date", "Opened"], ["closed_date", "Closed"], ["reported_date", "Reported"],
        ["credit_limit", "Limit", fmtAmount], ["balance", "Balance", fmtAmount],
        ["days_past_due", "Days past due"], ["status", "Status"]],
    },
    public_record: {
      title: "Public records", date: "filed_date",
      cols: [["furnisher", "Furnisher"], ["kind", "Kind"], ["filed_date", "Filed"],
        ["amount", "Amount", fmtAmount], ["satisfied_date", "Satisfied"]],
    },
    inquiry: {
      title: "Inquiries", date: "inquiry_date",
      cols: [["furnisher", "Furnisher"], ["purpose", "Purpose"], ["inquiry_date", "Date"]],
    },
  };
  const HIDDEN_FIELDS = new Set(["record_id", "subject_id", "batch_id", "ingested_at",
    "suppressed", "deleted", "action", "versions", "left_out_for_consent"]);

  let current = null; // the subject id whose file is shown

  function subjectPage() {
    const params = new URLSearchParams(window.location.search);
    const initial = params.get("subject") || sessionStorage.getItem(SUBJECT_KEY) || "";
    $("subject-id").value = initial;
    wireToken(() => { if ($("subject-id").value.trim()) loadFile(); }, () => {
      $("file").hidden = true;
      current = null;
    });
    $("file-form").addEventListener("submit", (event) => {
      event.preventDefault();
      loadFile();
    });
    $("dispute-form").addEventListener("submit", (event) => {
      event.preventDefault();
      openDispute();
    });
    $("whatif-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const name = $("whatif-name").value;
      let value;
      try {
        value = tryValue(name, $("whatif-value").value);
      } catch (err) {
        showProblem(err, "The value cannot be tried");
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
    if (initial && sessionStorage.getItem(TOKEN_KEY)) loadFile();
  }

  async function loadFile(message) {
    clearProblem();
    const id = $("subject-id").value.trim();
    if (!id) {
      showProblem(new Error("Type the subject id of the file to show."), "No subject id");
      $("subject-id").focus();
      return;
    }
    if (needToken()) return;
    sessionStorage.setItem(SUBJECT_KEY, id);
    const url = new URL(window.location.href);
    url.searchParams.set("subject", id);
    window.history.replaceState(null, "", url);
    say(`Loading the file of ${id}…`);
    let data;
    try {
      data = await api("GET", `/v1/subjects/${encodeURIComponent(id)}/file`);
    } catch (err) {
      $("file").hidden = true; // never leave another file on screen under this id
      current = null;
      say("");
      showProblem(err, err instanceof ApiProblem && err.status === 403
        ? "You may not see this file" : undefined);
      return;
    }
    try {
      renderFile(data);
    } catch (err) {
      showProblem(err, "The file arrived but could not be shown");
      return;
    }
    current = id;
    $("file").hidden = false;
    // one event for the sections other scripts draw from the same answer: consent.js (the
    // consents) and reviews.js (the human-review cases)
    document.dispatchEvent(new CustomEvent("trustscore:file", { detail: { subject: id, data } }));
    say(message || `The file of ${id} is shown below.`);
    if (!message) $("score-h").focus();
  }

  function recordsByKind(records) {
    if (Array.isArray(records)) { // a provider that lists records with their kind
      const out = {};
      for (const r of records) (out[r.kind || "record"] ||= []).push(r);
      return out;
    }
    return records && typeof records === "object" ? records : {};
  }

  function renderFile(data) {
    const file = data.file || {};
    const expl = data.explanation || null;
    const score = file.current_score || {};
    renderScore(data, file, score, expl);
    renderDimensions(score, expl);
    renderReasons(score, expl);
    renderCharacteristics(expl);
    fillWhatIf(expl);
    const records = recordsByKind(file.records);
    renderRecords(records, data.disputes || []);
    renderDisputes(data.disputes || []);
    renderAccesses(data.accesses || [], records.inquiry || [], data.refused_attempts || []);
    renderHistory(data.score_history || []);
    renderDecisions(data.decisions || []);
  }

  function renderScore(data, file, score, expl) {
    const status = score.status || (expl && expl.status) || (file.score === null ? "NS" : "OK");
    const points = score.score !== undefined ? score.score : file.score;
    const facts = [];
    if (score.model_version) facts.push(`model ${score.model_version}`);
    if (score.as_of) facts.push(`as of ${score.as_of}`);
    const about = facts.length ? `Computed with ${facts.join(", ")}.` : "";
    if (status === "NS" || points === null || points === undefined) {
      const criteria = expl ? expl.criteria || [] : [];
      put("score-box",
        el("p", { class: "score", id: "score-value" }, "Not scored"),
        el("p", {}, `There is not enough history in the file of ${data.subject_id} to give a `
          + "number. Not being scored is not a bad score: no number is given, and anyone "
          + "deciding about you must decide another way."),
        criteria.length ? el("ul", { class: "criteria" }, criteria.map((c) => el("li", {},
          `${c.met ? "Met" : "Not met yet"}: ${c.text}`))) : null,
        el("p", { class: "help" }, about));
      return;
    }
    const range = expl && expl.score_range
      ? el("p", { id: "score-range" }, `This model's scores run from ${expl.score_range.min} `
        + `(the least any file can get) to ${expl.score_range.max} (the most).`) : null;
    put("score-box",
      el("p", { class: "score" }, el("span", { id: "score-value" }, fmtValue(points)),
        el("span", { class: "scale" }, " on a scale of 0 to 1000")),
      range,
      el("p", { class: "help" }, about));
  }

  function renderDimensions(score, expl) {
    if (expl && expl.dimensions && expl.status === "OK") {
      put("dimensions", table("Points by dimension",
        ["Dimension", "Your points", "Lowest possible", "Highest possible"],
        expl.dimensions.map((d) => [d.label || d.name, fmtValue(d.points),
          fmtValue(d.min_points), fmtValue(d.max_points)]),
        "No dimensions."));
      return;
    }
    const subs = Object.entries(score.subscores || {});
    put("dimensions", table("Points by dimension", ["Dimension", "Your points"],
      subs.map(([name, pts]) => [name, fmtValue(pts)]),
      "No points by dimension: the file is not scored."));
  }

  function renderReasons(score, expl) {
    if (expl) {
      if (expl.status !== "OK") {
        put("reasons", el("p", {}, "No reasons: the file is not scored. Once each criterion "
          + "above is met, a score and its reasons appear here."));
        return;
      }
      if (!expl.reasons.length) {
        put("reasons", el("p", {}, "Nothing holds your score back: every part of it gives "
          + "its best points."));
        return;
      }
      put("reasons",
        el("p", {}, "The parts of your score that lost the most points, largest first:"),
        el("ol", { class: "reasons", id: "reason-list" }, expl.reasons.map((r) => el("li",
          { "data-code": r.reason_code },
          el("h3", {}, r.reason),
          el("p", {}, el("strong", {}, "What would change it: "), r.improve || MISSING),
          el("p", { class: "gap" }, `${plural(r.points_to_best, "point")} separate you from `
            + `the best on this: it gives you ${r.points} of a possible ${r.best_points}.`),
          el("p", { class: "help" }, CHANGES[r.change] || ""),
          el("p", { class: "help" }, `Reason code ${r.reason_code}; measured as ${r.name}, `
            + `your value: ${r.value === null ? "none on file" : fmtValue(r.value)}.`)))));
      return;
    }
    const reasons = score.reasons || [];
    put("reasons", reasons.length
      ? el("ol", { class: "reasons", id: "reason-list" }, reasons.map((r) => (
        typeof r === "object" && r !== null
          ? el("li", { "data-code": r.code }, el("h3", {}, r.text || r.code),
            r.improve ? el("p", {}, el("strong", {}, "What would change it: "), r.improve) : null)
          : el("li", { "data-code": String(r) }, `Reason code ${r}`))))
      : el("p", {}, "No reasons are given for this score."));
  }

  function renderCharacteristics(expl) {
    const chars = expl && expl.status === "OK" ? expl.characteristics || [] : [];
    put("characteristics", table("Each characteristic: your points against its best",
      ["Characteristic", "What it says about you", "Your value", "Your points",
        "Best possible", "Points to gain", "Can it change?"],
      chars.map((c) => [c.name, c.reason || "Nothing: it gives its best points",
        fmtValue(c.value), fmtValue(c.points), fmtValue(c.best_points),
        fmtValue(c.points_to_best), CHANGE_WORDS[c.change] || MISSING]),
      "Shown once the file is scored."));
  }

  // ---------------------------------------------------------------- what would change it

  const CHANGES = {
    action: "You can change this by what you do.",
    time: "This changes only with time.",
    fixed: "This cannot change.",
  };
  const CHANGE_WORDS = { action: "by what you do", time: "only with time", fixed: "no" };

  let parts = {}; // the characteristics of the file shown, by name

  function fillWhatIf(expl) {
    const chars = expl && expl.status === "OK"
      ? (expl.characteristics || []).filter((c) => c.type !== "pair") : [];
    parts = Object.fromEntries(chars.map((c) => [c.name, c]));
    const select = $("whatif-name");
    select.replaceChildren(...chars.map((c) => el("option", { value: c.name },
      `${c.name} (now ${c.value === null ? "none on file" : fmtValue(c.value)})`)));
    $("whatif-form").hidden = !chars.length;
    put("whatif-result", chars.length ? null : el("p", { class: "empty" },
      "A what-if needs a scored file."));
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
        throw new Error(`${name} is a number: type one (like 0.5), or "none" for nothing on `
          + "file.");
      }
      return n;
    }
    return value;
  }

  async function whatIf(changes) {
    clearProblem();
    if (needToken() || !current) return;
    say("Computing the what-if…");
    let out;
    try {
      out = await api("POST", `/v1/subjects/${encodeURIComponent(current)}/what-if`,
        { changes });
    } catch (err) {
      say("");
      showProblem(err, "The what-if was not computed");
      return;
    }
    renderWhatIf(out);
    say(`With ${changesText(out.changes)}, your score would be `
      + `${out.status === "OK" ? out.score : "not scored"}.`);
  }

  function changesText(changes) {
    return Object.entries(changes).map(([k, v]) => `${k} ${v === null ? "none" : fmtValue(v)}`)
      .join(", ");
  }

  function renderWhatIf(out) {
    const ok = out.status === "OK";
    put("whatif-result",
      el("h3", {}, `With ${changesText(out.changes)}`),
      el("p", { class: "score" }, el("span", { id: "whatif-score" },
        ok ? fmtValue(out.score) : "Not scored"),
      el("span", { class: "scale" }, ` (now ${fmtValue(out.current.score)}); this model's `
        + `scores run from ${out.score_range.min} to ${out.score_range.max}`)),
      table("Points by dimension with this value",
        ["Dimension", "Points", "Lowest possible", "Highest possible"],
        out.dimensions.map((d) => [d.label || d.name, fmtValue(d.points),
          fmtValue(d.min_points), fmtValue(d.max_points)]), "No dimensions."),
      el("h4", {}, "Tiers"),
      el("ul", { id: "whatif-tiers" }, out.decisions.map((d) => el("li", { "data-purpose":
        d.purpose }, `${words(PURPOSES, d.purpose)}: ${d.label}`
        + (d.review ? " (close to a cut-off: a person reviews it)" : "")))),
      el("h4", {}, "Reasons"),
      out.reasons.length
        ? el("ol", { id: "whatif-reasons", class: "reasons" }, out.reasons.map((r) => el("li",
          { "data-code": r.code }, el("span", { class: "statement" }, r.statement),
          r.improve ? el("p", { class: "help" }, r.improve) : null)))
        : el("p", {}, ok ? "No reasons: every part would give its best points."
          : "No reasons: the file would not be scored."));
  }

  async function nextTier() {
    clearProblem();
    if (needToken() || !current) return;
    const purpose = $("tier-purpose").value;
    say("Searching for the way to the next tier…");
    let out;
    try {
      out = await api("GET", `/v1/subjects/${encodeURIComponent(current)}/next-tier?`
        + new URLSearchParams({ purpose }));
    } catch (err) {
      say("");
      showProblem(err, "The way to the next tier was not found");
      return;
    }
    renderTier(out);
    say(out.message);
  }

  function renderTier(out) {
    const shown = [];
    if (out.status === "OK") {
      shown.push(el("p", { id: "tier-now" }, `Now: ${out.band.label}, with a score of `
        + `${out.score}.`));
      if (out.next) {
        shown.push(el("p", { id: "tier-next" }, `Next: ${out.next.label}, from a score of `
          + `${out.next.min_score}: ${plural(out.points_needed, "point")} more.`));
      }
    }
    const path = out.path;
    if (path) {
      shown.push(el("ol", { id: "tier-changes" }, path.changes.map((c) => el("li",
        { "data-name": c.name }, `${c.name}: from ${c.current === null ? "none"
          : fmtValue(c.current)} to ${fmtValue(c.value)} (any value ${c.range}): `
          + `+${plural(c.points, "point")}`)),
      path.together.map((t) => el("li", {}, `${t.interaction}, the two together: `
        + `${t.points >= 0 ? "+" : ""}${plural(t.points, "point")}`))));
      shown.push(el("p", { id: "tier-then" }, `Then: a score of ${path.score}, `
        + `${path.label}.`));
      shown.push(el("button", { type: "button", id: "tier-try", onclick: () => whatIf(
        Object.fromEntries(path.changes.map((c) => [c.name, c.value]))) },
      "Try these changes"));
    }
    shown.push(el("p", { id: "tier-message" }, out.message));
    put("tier-result", shown);
  }

  async function projection() {
    clearProblem();
    if (needToken() || !current) return;
    say("Computing your score over the next year…");
    let out;
    try {
      out = await api("GET", `/v1/subjects/${encodeURIComponent(current)}/projection`);
    } catch (err) {
      say("");
      showProblem(err, "The projection was not computed");
      return;
    }
    const rows = [["Now", out.current], ...out.later.map((p) => [`In ${p.months} months`, p])];
    put("projection-result", table("Your score if nothing new happens",
      ["When", "As of", "Score", "Reasons"],
      rows.map(([when, p]) => [when, fmtDate(p.as_of),
        p.status === "OK" ? fmtValue(p.score) : "not scored (too little recent history)",
        p.reasons.length ? el("ul", {}, p.reasons.map((r) => el("li", {}, r.text || r.code)))
          : MISSING]),
      "No projection."));
    say("Your score over the next year is shown.");
  }

  function renderRecords(records, disputes) {
    const open = new Map();
    for (const d of disputes) {
      if (d.status === "open") open.set(`${d.record_kind}/${d.record_id}`, d);
    }
    const parts = [];
    const kinds = Object.keys(KINDS).concat(Object.keys(records).filter((k) => !KINDS[k]));
    for (const kind of kinds) {
      const rows = (records[kind] || []).slice();
      const spec = KINDS[kind] || {
        title: kind, date: null,
        cols: Object.keys(rows[0] || {}).filter((k) => !HIDDEN_FIELDS.has(k)).map((k) => [k, k]),
      };
      if (spec.date) {
        rows.sort((a, b) => String(b[spec.date] || "").localeCompare(String(a[spec.date] || "")));
      }
      parts.push(el("h3", {}, `${spec.title} (${rows.length})`));
      parts.push(table(`${spec.title}: ${plural(rows.length, "record")}, newest first`,
        ["Record id", ...spec.cols.map((c) => c[1]), "Versions", "Standing", "Dispute"],
        rows.map((r) => {
          const dispute = open.get(`${kind}/${r.record_id}`);
          let standing = "counts";
          if (r.suppressed) standing = "suppressed: no longer counts";
          else if (r.deleted) standing = "deleted by its furnisher: no longer counts";
          else if (dispute) standing = `disputed: to be resolved by ${fmtDateTime(dispute.deadline)}`;
          return [
            fmtValue(r.record_id),
            ...spec.cols.map(([field, , fmt]) => (fmt || fmtValue)(r[field])),
            versionHistory(r, spec),
            standing,
            r.suppressed ? MISSING : el("button", {
              type: "button", class: "small", "aria-label": `Dispute record ${r.record_id}`,
              onclick: () => chooseRecord(kind, r.record_id),
            }, "Dispute"),
          ];
        }),
        `No ${spec.title.toLowerCase()} on file.`, "records"));
    }
    put("records", parts);
  }

  // A record's versions, oldest first: who sent each, when it was ingested, what it changed.
  function versionHistory(r, spec) {
    const versions = r.versions || [];
    if (versions.length <= 1) {
      const only = versions[0] || r;
      return only.ingested_at ? `1, ingested ${fmtDateTime(only.ingested_at)}` : "1";
    }
    const items = versions.map((v, i) => {
      const before = versions[i - 1];
      let what = "first report";
      if (v.action === "delete") what = "deleted as sent in error";
      else if (before) {
        const changed = spec.cols.filter(([field]) => v[field] !== before[field])
          .map(([field, label, fmt]) => `${label} ${(fmt || fmtValue)(before[field])} → ` +
            `${(fmt || fmtValue)(v[field])}`);
        what = before.action === "delete" ? "reinstated" : (changed.join("; ") || "re-sent");
      }
      return el("li", {}, `${v.version}. ${fmtDateTime(v.ingested_at)}, from ` +
        `${fmtValue(v.furnisher)}: ${what}`);
    });
    return el("details", {}, el("summary", {}, `${versions.length} versions`),
      el("ol", { class: "versions" }, items));
  }

  function chooseRecord(kind, recordId) {
    const select = $("dispute-kind");
    if (![...select.options].some((o) => o.value === kind)) {
      select.appendChild(el("option", { value: kind }, kind));
    }
    select.value = kind;
    $("dispute-record").value = recordId;
    $("dispute-grounds").focus();
    $("dispute-h").scrollIntoView({ block: "start" });
  }

  async function openDispute() {
    clearProblem();
    if (needToken()) return;
    if (!current) {
      showProblem(new Error("Show a file first, then dispute one of its records."), "No file");
      return;
    }
    const body = {
      subject_id: current,
      record_kind: $("dispute-kind").value,
      record_id: $("dispute-record").value.trim(),
      grounds: $("dispute-grounds").value.trim(),
    };
    say("Opening the dispute…");
    let dispute;
    try {
      dispute = await api("POST", "/v1/disputes", body);
    } catch (err) {
      say("");
      showProblem(err, "The dispute was not opened");
      return;
    }
    $("dispute-grounds").value = "";
    $("dispute-record").value = "";
    await loadFile(`Dispute ${dispute.dispute_id} is open for ${dispute.record_kind} `
      + `${dispute.record_id}; it must be resolved by ${fmtDateTime(dispute.deadline)}.`);
  }

  function renderDisputes(disputes) {
    const rows = disputes.slice().sort((a, b) => String(b.opened_at).localeCompare(
      String(a.opened_at)));
    put("disputes", table("Your disputes, newest first",
      ["Dispute", "Record", "What is wrong", "Status", "Opened", "Deadline", "Resolved", "Note"],
      rows.map((d) => [d.dispute_id, `${d.record_kind} ${d.record_id}`, d.grounds,
        STATUSES[d.status] || fmtValue(d.status), fmtDateTime(d.opened_at),
        fmtDateTime(d.deadline), fmtDateTime(d.resolved_at), fmtValue(d.note)]),
      "No disputes."));
  }

  function renderAccesses(accesses, inquiries, refused) {
    const rows = accesses.slice().reverse();
    put("accesses", table("Every look at your file, newest first",
      ["When", "Who", "Their role", "For what purpose", "What they did"],
      rows.map((a) => [fmtDateTime(a.at), a.client_name || a.client_id,
        fmtValue(a.client_role), words(PURPOSES, a.purpose), words(ACTIONS, a.action)]),
      "Nobody has looked at your file yet."));
    put("refused", table("Attempts that were refused, newest first",
      ["When", "Who", "For what purpose", "Why it was refused"],
      refused.slice().reverse().map((r) => [fmtDateTime(r.at),
        r.client_name || r.client_id || "someone with an invalid token",
        words(PURPOSES, r.purpose), fmtValue(r.reason)]),
      "Nobody has been refused access to your file."));
    const reported = inquiries.slice().sort((a, b) => String(b.inquiry_date || "")
      .localeCompare(String(a.inquiry_date || "")));
    put("inquiries", table("Inquiries reported by organisations, newest first",
      ["Date", "Organisation", "Purpose", "Record id"],
      reported.map((r) => [fmtDate(r.inquiry_date), fmtValue(r.furnisher),
        words(PURPOSES, r.purpose), fmtValue(r.record_id)]),
      "No inquiries reported."));
  }

  function renderHistory(history) {
    const rows = history.slice().reverse();
    put("history", table("Scores recorded for you, newest first",
      ["Recorded", "As of", "Score", "Status", "Model"],
      rows.map((s) => [fmtDateTime(s.created_at), fmtDate(s.as_of),
        s.status === "NS" ? "not scored" : fmtValue(s.score), fmtValue(s.status),
        fmtValue(s.model_version)]),
      "No score has been recorded yet: one is recorded each time a score is given out."));
  }

  function renderDecisions(decisions) {
    const rows = decisions.slice().reverse();
    put("decisions", table("Decisions, newest first",
      ["When", "Purpose", "Outcome", "Adverse", "Reasons given"],
      rows.map((d) => {
        const notice = d.notice && typeof d.notice === "object" ? d.notice : null;
        const reasons = notice && Array.isArray(notice.reasons) ? notice.reasons : [];
        return [fmtDateTime(d.decided_at), words(PURPOSES, d.purpose),
          notice && notice.label ? `${notice.label} (${d.outcome})` : fmtValue(d.outcome),
          d.adverse ? "yes" : "no",
          reasons.length ? el("ul", {}, reasons.map((r) => el("li", {},
            typeof r === "object" && r !== null ? r.reason || r.code : String(r)))) : MISSING];
      }),
      "No decision has been made with your score."));
  }

  // ---------------------------------------------------------------- the operators' queue

  let chosen = null; // the dispute being resolved

  function operatorPage() {
    wireToken(loadQueue, () => {
      put("queue", el("p", { class: "help" }, "Use an operator token to load the queue."));
      closeResolve();
    });
    $("queue-form").addEventListener("submit", (event) => {
      event.preventDefault();
      loadQueue();
    });
    $("resolve-form").addEventListener("submit", (event) => {
      event.preventDefault();
      resolve();
    });
    $("resolve-cancel").addEventListener("click", () => {
      closeResolve();
      $("queue-h").focus();
    });
    if (sessionStorage.getItem(TOKEN_KEY)) loadQueue();
  }

  async function loadQueue(message) {
    clearProblem();
    if (needToken()) return;
    const status = $("queue-status").value;
    say("Loading the disputes…");
    let disputes;
    try {
      disputes = await api("GET", status ? `/v1/disputes?status=${encodeURIComponent(status)}`
        : "/v1/disputes");
    } catch (err) {
      say("");
      put("queue", el("p", { class: "empty" }, "The queue could not be loaded."));
      showProblem(err);
      return;
    }
    const now = new Date();
    const rows = disputes.slice().sort((a, b) => (
      isoDateTime(a.deadline) - isoDateTime(b.deadline)
      || String(a.opened_at).localeCompare(String(b.opened_at))));
    const label = $("queue-status").selectedOptions[0].textContent;
    put("queue", table(`${label}: ${rows.length}, the nearest deadline first`,
      ["Dispute", "Deadline", "Time left", "Opened", "Subject", "Record", "What is wrong",
        "Status", "Action"],
      rows.map((d) => [
        d.dispute_id,
        fmtDateTime(d.deadline),
        d.status === "open" ? timeLeft(d.deadline, now) : MISSING,
        fmtDateTime(d.opened_at),
        el("a", { href: `/web/?${new URLSearchParams({ subject: d.subject_id })}` },
          d.subject_id),
        `${d.record_kind} ${d.record_id}`,
        d.grounds,
        STATUSES[d.status] || fmtValue(d.status),
        d.status === "open" ? el("button", {
          type: "button", class: "small", "aria-label": `Resolve dispute ${d.dispute_id}`,
          onclick: () => openResolve(d),
        }, "Resolve") : MISSING,
      ]),
      status === "open" ? "No open disputes: the queue is empty." : "No disputes."));
    say(message || `${plural(rows.length, "dispute")} loaded.`);
  }

  function openResolve(dispute) {
    chosen = dispute;
    const facts = [["Dispute", dispute.dispute_id], ["Subject", dispute.subject_id],
      ["Record", `${dispute.record_kind} ${dispute.record_id}`], ["What is wrong",
        dispute.grounds], ["Opened", fmtDateTime(dispute.opened_at)],
      ["Deadline", fmtDateTime(dispute.deadline)]];
    put("resolve-summary", facts.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
    $("resolve-form").reset();
    $("resolve").hidden = false;
    $("resolve-h").focus();
  }

  function closeResolve() {
    chosen = null;
    $("resolve").hidden = true;
  }

  async function resolve() {
    clearProblem();
    if (needToken()) return;
    if (!chosen) return;
    const picked = document.querySelector("input[name=outcome]:checked");
    if (!picked) {
      showProblem(new Error("Choose an outcome: verified, corrected or unverifiable."),
        "No outcome");
      $("outcome-verified").focus();
      return;
    }
    const body = { outcome: picked.value };
    const note = $("resolve-note").value.trim();
    if (note) body.note = note;
    const correction = $("resolve-correction").value.trim();
    if (picked.value === "corrected" && correction) {
      try {
        body.correction = JSON.parse(correction);
      } catch (err) {
        showProblem(new Error(`The corrected values are not valid JSON: ${err.message}`),
          "The correction cannot be read");
        $("resolve-correction").focus();
        return;
      }
    }
    const id = chosen.dispute_id;
    say(`Resolving dispute ${id}…`);
    let out;
    try {
      out = await api("POST", `/v1/disputes/${encodeURIComponent(id)}/resolution`, body);
    } catch (err) {
      say("");
      showProblem(err, "The dispute was not resolved");
      return;
    }
    closeResolve();
    const s = out.suppression;
    const what = s ? `The record ${s.record_kind} ${s.record_id} no longer counts.`
      : "The record stands.";
    await loadQueue(`Dispute ${out.dispute.dispute_id} resolved: ${out.dispute.status}. ${what}`
      + (out.rescored ? " The subject was rescored." : ""));
    $("queue-h").focus();
  }

  // ---------------------------------------------------------------- shared with reviews.js

  window.trustscore = Object.freeze({
    $, el, put, table, api, ApiProblem, showProblem, clearProblem, say, needToken, wireToken,
    fmtDateTime, fmtValue, timeLeft, plural, words, PURPOSES, MISSING, TOKEN_KEY,
    loadFile: (message) => loadFile(message),
  });

  // ---------------------------------------------------------------- start

  function start() {
    try {
      const page = document.body.dataset.page;
      if (page === "subject") subjectPage();
      else if (page === "operator") operatorPage();
    } catch (err) {
      showProblem(err, "This page could not start");
    }
  }

  window.addEventListener("unhandledrejection", (event) => {
    showProblem(event.reason, "Something went wrong on this page");
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
