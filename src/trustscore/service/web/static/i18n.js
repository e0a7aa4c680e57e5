/* trustscore web pages: the page's language.
 *
 * English is the source language: every message's id is its English text with named
 * {placeholders}. The page picks a language from the reader's choice (remembered in
 * localStorage) or else the browser's languages (navigator.languages), fetches that language's
 * messages from /web/i18n/<tag>.json, translates the page's marked elements (data-i18n: the text;
 * data-i18n-attr: the named attributes), sets <html lang>, and offers a switch. Scripts translate
 * with t("English {n}", { n: 3 }); numbers and dates go through the browser's Intl.
 */
"use strict";

(() => {
  const LANG_KEY = "trustscore.lang";
  const SOURCE = "en";
  let locale = SOURCE;
  let available = [SOURCE];
  let messages = {};
  const has = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);

  /** A message in the page's language (English where the catalogue lacks it), filled in. */
  function t(message, params) {
    const text = has(messages, message) ? messages[message] : message;
    return text.replace(/\{(\w+)\}/g, (whole, name) => (params && has(params, name)
      ? String(params[name]) : whole));
  }

  /** The best of `offered` for the browser's languages: exact tag, then the same language. */
  function negotiate(wanted, offered) {
    const lower = offered.map((tag) => tag.toLowerCase());
    for (const tag of wanted) {
      const i = lower.indexOf(String(tag).toLowerCase());
      if (i >= 0) return offered[i];
    }
    for (const tag of wanted) {
      const primary = String(tag).toLowerCase().split("-")[0];
      const i = lower.findIndex((o) => o.split("-")[0] === primary);
      if (i >= 0) return offered[i];
    }
    return SOURCE;
  }

  const collapse = (text) => String(text).split(/\s+/).filter(Boolean).join(" ");

  /** Translate the marked elements under `root`; their English ids are kept on them. */
  function apply(root) {
    for (const node of root.querySelectorAll("[data-i18n]")) {
      if (node.dataset.i18nId === undefined) node.dataset.i18nId = collapse(node.textContent);
      node.textContent = t(node.dataset.i18nId);
    }
    for (const node of root.querySelectorAll("[data-i18n-attr]")) {
      for (const name of node.dataset.i18nAttr.split(/\s+/).filter(Boolean)) {
        const key = `i18nAttr${name.replace(/(^|-)(\w)/g, (_, __, c) => c.toUpperCase())}`;
        if (node.dataset[key] === undefined) node.dataset[key] = collapse(node.getAttribute(name) || "");
        node.setAttribute(name, t(node.dataset[key]));
      }
    }
  }

  async function fetchJson(path) {
    const response = await fetch(path, { credentials: "omit", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`${path}: ${response.status}`);
    return response.json();
  }

  function languageName(tag) {
    try {
      return new Intl.DisplayNames([tag], { type: "language" }).of(tag) || tag;
    } catch (_) {
      return tag;
    }
  }

  function buildSwitch() {
    const select = document.getElementById("lang");
    if (!select) return;
    select.replaceChildren(...available.map((tag) => {
      const option = document.createElement("option");
      option.value = tag;
      option.lang = tag;
      option.textContent = languageName(tag);
      return option;
    }));
    select.value = locale;
    select.addEventListener("change", () => {
      localStorage.setItem(LANG_KEY, select.value);
      // the simplest way to have every word, number and date in the new language: load again
      // (the token and the subject are in this tab's sessionStorage, so the file comes back)
      window.location.reload();
    });
  }

  /** Choose the language, load its messages and translate the page; never fails the page. */
  async function load() {
    try {
      available = (await fetchJson("/web/i18n/")).locales;
    } catch (_) {
      available = [SOURCE];
    }
    const stored = localStorage.getItem(LANG_KEY);
    const wanted = [...(stored ? [stored] : []), ...(navigator.languages || [navigator.language])];
    locale = negotiate(wanted, available);
    if (locale !== SOURCE) {
      try {
        messages = (await fetchJson(`/web/i18n/${encodeURIComponent(locale)}.json`)).messages;
      } catch (_) {
        locale = SOURCE; // English is always there: it is the messages' own ids
        messages = {};
      }
    }
    document.documentElement.lang = locale;
    apply(document);
    buildSwitch();
    return locale;
  }

  const number = (n, options) => new Intl.NumberFormat(locale, options).format(n);

  /** A moment, in the page's language, in UTC (the ledger's clock), to the minute. */
  function dateTime(date) {
    return new Intl.DateTimeFormat(locale, {
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
      hourCycle: "h23", timeZone: "UTC",
    }).format(date);
  }

  window.trustscoreI18n = Object.freeze({
    t, load, apply, negotiate, number, dateTime, locale: () => locale, LANG_KEY,
  });
})();
