/* trustscore web pages: what every page shares.
 *
 * Plain JavaScript, no build step, no external URL. Every number and word shown comes from the
 * /v1 API through fetch, with the token the user pasted (kept in sessionStorage, sent as a bearer
 * header; no cookies), or from the page's message catalogue (i18n.js). Everything from the API is
 * put on the page as text (textContent and createTextNode), never parsed as HTML. Every error is
 * shown in words, never as a blank page. Each page's own script (subject.js, operator.js,
 * reviews.js, consent.js) registers its start with `trustscore.page(name, start)`; the starts run
 * once the page's language is loaded.
 */
"use strict";

(() => {
  const TOKEN_KEY = "trustscore.token";
  const DAY_MS = 86400000;
  const i18n = window.trustscoreI18n;
  const { t } = i18n;

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
    const tbl = el(
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
      "aria-labelledby": captionId }, tbl);
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
    return t("{when} UTC", { when: i18n.dateTime(d) });
  }

  // calendar dates stay ISO 8601 (2025-03-01): read the same in every language the pages speak
  function fmtDate(text) {
    if (text === null || text === undefined || text === "") return MISSING;
    return /^\d{4}-\d{2}-\d{2}$/.test(String(text)) ? String(text) : fmtDateTime(text);
  }

  function fmtValue(v) {
    if (v === null || v === undefined || v === "") return MISSING;
    if (typeof v === "boolean") return v ? t("yes") : t("no");
    if (typeof v === "number") {
      return Number.isInteger(v) ? String(v) : i18n.number(Number(v.toFixed(3)),
        { maximumFractionDigits: 3, useGrouping: false });
    }
    if (Array.isArray(v)) return v.map(fmtValue).join(", ");
    if (typeof v === "object") { // e.g. the two values of a pair of characteristics
      return Object.entries(v).map(([k, x]) => `${k} ${fmtValue(x)}`).join(", ");
    }
    return String(v);
  }

  function fmtAmount(v) {
    return typeof v === "number"
      ? i18n.number(v, { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : fmtValue(v);
  }

  function points(n) {
    return n === 1 || n === -1 ? t("{n} point", { n }) : t("{n} points", { n });
  }

  function days(n) {
    return n === 1 ? t("{n} day", { n }) : t("{n} days", { n });
  }

  /** How long until a deadline, in words. */
  function timeLeft(deadline, now) {
    const ms = isoDateTime(deadline).getTime() - now.getTime();
    if (Number.isNaN(ms)) return MISSING;
    // whole days, rounded down either way
    const n = Math.floor(Math.abs(ms) / DAY_MS);
    if (ms < 0) return n ? t("overdue by {days}", { days: days(n) }) : t("overdue by less than a day");
    return n ? t("{days} left", { days: days(n) }) : t("less than a day left");
  }

  // functions, not constants: the words are looked up once the page's language is loaded
  const PURPOSES = () => ({
    subject_access: t("the subject reading their own file"),
    dispute_handling: t("handling a dispute"),
    credit_pricing: t("pricing a loan"),
    credit_limit: t("setting a credit limit"),
    deposit_waiver: t("waiving a deposit"),
  });
  const STATUSES = () => ({
    open: t("open: waiting for the organisation that reported the record"),
    verified: t("verified: the record was confirmed and stands"),
    corrected: t("corrected: a correction replaces the record"),
    unverifiable: t("unverifiable: the record was not confirmed and is suppressed"),
    suppressed: t("suppressed: not verified by the deadline"),
  });
  const KIND_NAMES = () => ({
    obligation: t("bill"),
    tradeline: t("loan or card"),
    public_record: t("public record"),
    inquiry: t("inquiry"),
    supplier_payment: t("supplier invoice"),
  });

  const words = (map, key) => {
    const known = map();
    return known[key] ? `${known[key]} (${key})` : fmtValue(key);
  };

  const recordName = (kind, id) => `${KIND_NAMES()[kind] || kind} ${id}`;

  // ---------------------------------------------------------------- the API

  class ApiProblem extends Error {
    constructor(status, code, message, details) {
      super(message);
      this.status = status;
      this.code = code;
      this.details = details || {};
    }
  }

  /** Call the API with the tab's token, in the page's language; the JSON body or an ApiProblem. */
  async function api(method, path, body) {
    const headers = { Accept: "application/json", "Accept-Language": i18n.locale() };
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
      throw new ApiProblem(0, "network_error", t("The server could not be reached ({why}).",
        { why: err && err.message ? err.message : err }), {});
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
      throw new ApiProblem(response.status, "http_error", t(
        "The server answered {status} {text} without an explanation.",
        { status: response.status, text: response.statusText },
      ), {});
    }
    if (data === null) {
      throw new ApiProblem(response.status, "bad_response", t("The server's answer was not JSON."),
        {});
    }
    return data;
  }

  const HINTS = () => ({
    401: t("Check the token: paste it again, or ask for a new one if it was revoked."),
    403: t("This token is not allowed to do that."),
    404: t("Check the id."),
    409: t("Reload to see the current state."),
    503: t("The server is not ready to answer this; try again later or tell the operator."),
  });

  // ---------------------------------------------------------------- messages

  function showProblem(err, title) {
    const box = $("problem");
    box.replaceChildren();
    if (err instanceof ApiProblem) {
      const head = err.status
        ? t("The request was refused: {status} ({code})", { status: err.status, code: err.code })
        : t("The server could not be reached");
      append(box, [el("h2", {}, title || head), el("p", { class: "message" }, err.message)]);
      if (title && err.status) {
        append(box, el("p", { class: "code" }, t("The server answered {status} ({code}).",
          { status: err.status, code: err.code })));
      }
      const problems = Array.isArray(err.details.errors) ? err.details.errors : [];
      if (problems.length) {
        append(box, el("ul", {}, problems.map((p) => el("li", {},
          `${Array.isArray(p.loc) ? p.loc.join(".") : ""}: ${p.msg}`))));
      }
      const hint = HINTS()[err.status];
      if (hint) append(box, el("p", { class: "hint" }, hint));
    } else {
      append(box, [el("h2", {}, title || t("Something went wrong on this page")),
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
    $("status").classList.remove("read-aloud");
    $("status").textContent = text;
  }

  // ---------------------------------------------------------------- the token

  /** With a token set, the paste form folds away to one line: the page's first screen is data. */
  function showTokenState() {
    const set = Boolean(sessionStorage.getItem(TOKEN_KEY));
    $("token-form").hidden = set;
    $("token-help").hidden = set;
    $("forget-token").hidden = !set;
    $("token-state").textContent = set
      ? t("A token is set for this tab.") : t("No token is set: paste one above.");
  }

  function needToken() {
    if (sessionStorage.getItem(TOKEN_KEY)) return false;
    showProblem(new Error(t("Paste your access token first, then try again.")), t("No token"));
    $("token").focus();
    return true;
  }

  function wireToken(onSet, onForget) {
    $("token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const value = $("token").value.trim();
      if (!value) {
        showProblem(new Error(t("The token field is empty.")), t("No token"));
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
      say(t("The token was forgotten."));
      $("token").focus();
    });
    showTokenState();
  }

  // ---------------------------------------------------------------- start

  const starts = [];
  let started = false;
  const early = [];

  function page(name, start) {
    starts.push([name, start]);
  }

  // A form sent while the page's language is still loading (before its handlers are attached)
  // is held and sent again once the page has started: never sent natively, never lost.
  document.addEventListener("submit", (event) => {
    if (started) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (!early.includes(event.target)) early.push(event.target);
  }, true);

  window.trustscore = Object.freeze({
    $, el, append, put, table, api, ApiProblem, showProblem, clearProblem, say, needToken,
    wireToken, isoDateTime, fmtDateTime, fmtDate, fmtValue, fmtAmount, timeLeft, points, days,
    words, recordName, PURPOSES, STATUSES, KIND_NAMES, MISSING, TOKEN_KEY, t, i18n, page,
    shared: {}, // what one page's scripts share: the subject page's loadFile and current file
  });

  let starting = false;

  async function start() {
    if (starting) return;
    starting = true;
    await i18n.load();
    const name = document.body.dataset.page;
    for (const [wanted, run] of starts) {
      if (wanted !== name) continue;
      try {
        run();
      } catch (err) {
        showProblem(err, t("This page could not start"));
      }
    }
    started = true;
    document.documentElement.dataset.ready = "true";
    for (const form of early.splice(0)) form.requestSubmit();
  }

  window.addEventListener("unhandledrejection", (event) => {
    showProblem(event.reason, t("Something went wrong on this page"));
  });

  // Not at once: this deferred script runs before the page's own deferred scripts (subject.js,
  // reviews.js, ...) have registered their starts; DOMContentLoaded comes after all of them.
  if (document.readyState === "complete") start();
  else document.addEventListener("DOMContentLoaded", start);
})();
