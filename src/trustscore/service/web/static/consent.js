/* trustscore web pages: the consent section of the subject's file.
 *
 * Shows which bill categories need the subject's consent, every grant and withdrawal, what is in
 * force, and the bills left out of the score for lack of consent; and lets the subject (or an
 * operator) grant or withdraw consent. web.js announces each file it shows with a
 * "trustscore:file" event; after a change this script asks web.js to load the file again, so the
 * new score is shown. Everything from the API is put on the page as text, never as HTML.
 */
"use strict";

(() => {
  // web.js's helpers: the same token handling, API call and element builder
  const { $, el, api, fmtDateTime } = window.trustscore;
  let subject = null;

  function problem(text) {
    const box = $("consent-problem");
    box.textContent = text || "";
    box.hidden = !text;
    if (text) box.focus();
  }

  function scopeText(e) {
    return e.scope_kind === "category" ? `all ${e.scope} bills` : `bills from ${e.scope}`;
  }

  function render(consents, leftOut) {
    const needed = consents.categories_needing_consent;
    $("consent-needed").textContent = needed.length
      ? `Bills of these kinds count only with your consent: ${needed.join(", ")}. Loans, cards `
        + "and public records do not need it."
      : "No kind of bill needs your consent on this server: every bill counts.";
    const inForce = consents.in_force.map(scopeText);
    $("consent-in-force").textContent = inForce.length
      ? `In force now: ${inForce.join("; ")}.` : "No consent is in force now.";
    const rows = consents.events.map((e) => el("tr", {},
      el("td", {}, fmtDateTime(e.effective_at)), el("td", {}, e.action === "grant" ? "granted" : "withdrawn"),
      el("td", {}, scopeText(e)), el("td", {}, `${e.actor} (${e.source})`)));
    const table = el("table", {},
      el("caption", {}, "Your grants and withdrawals of consent, oldest first"),
      el("thead", {}, el("tr", {}, ["When", "What", "Which bills", "Recorded by"].map(
        (h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows.length ? rows
        : [el("tr", {}, el("td", { colspan: "4" }, "No consent has been recorded."))]));
    $("consent-events").replaceChildren(table);
    $("consent-left-out").textContent = leftOut.length
      ? `${leftOut.length} of your bills are not counted for lack of consent: ${leftOut.join(", ")}.`
      : "None of your bills is left out for lack of consent.";
  }

  async function load(detail) {
    subject = detail.subject;
    problem("");
    const file = (detail.data && detail.data.file) || {};
    const leftOut = (file.consent && Array.isArray(file.consent.bills_left_out))
      ? file.consent.bills_left_out : [];
    try {
      const consents = await api("GET", `/v1/subjects/${encodeURIComponent(subject)}/consents`);
      render(consents, leftOut);
    } catch (err) {
      problem(`Your consents could not be shown: ${err.message}`);
    }
  }

  async function change(event) {
    event.preventDefault();
    if (!subject) return;
    const body = {
      action: $("consent-action").value,
      scope_kind: $("consent-scope-kind").value,
      scope: $("consent-scope").value.trim(),
    };
    if (!body.scope) {
      problem("Type a category (utility, telecom, rent, platform) or a furnisher's id.");
      $("consent-scope").focus();
      return;
    }
    try {
      const out = await api("POST", `/v1/subjects/${encodeURIComponent(subject)}/consents`, body);
      const verb = body.action === "grant" ? "granted" : "withdrawn";
      const score = out.score
        ? (out.score.status === "OK" ? `your score is now ${out.score.score}`
          : "you are now unscorable (too little history), which is not a bad score")
        : "your file will show it";
      $("consent-result").textContent = `Consent ${verb} for ${scopeText(body)}; ${score}.`;
      $("file-form").requestSubmit();
    } catch (err) {
      problem(`The consent was not changed: ${err.message}`);
    }
  }

  function start() {
    if (document.body.dataset.page !== "subject" || !$("consent-form")) return;
    document.addEventListener("trustscore:file", (event) => { load(event.detail); });
    $("consent-form").addEventListener("submit", change);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
