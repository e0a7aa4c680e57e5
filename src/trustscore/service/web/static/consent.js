/* trustscore web pages: the consent section of the subject's file.
 *
 * Shows which bill categories need the subject's consent, every grant and withdrawal, what is in
 * force, and the bills left out of the score for lack of consent; and lets the subject (or an
 * operator) grant or withdraw consent. subject.js announces each file it shows with a
 * "trustscore:file" event; after a change this script asks subject.js to load the file again, so
 * the new score is shown. Everything from the API is put on the page as text, never as HTML.
 */
"use strict";

(() => {
  // web.js's helpers: the same token handling, API call and element builder
  const ts = window.trustscore;
  const { $, el, api, fmtDateTime, t } = ts;
  let subject = null;

  function problem(text) {
    const box = $("consent-problem");
    box.textContent = text || "";
    box.hidden = !text;
    if (text) box.focus();
  }

  function scopeText(e) {
    return e.scope_kind === "category" ? t("all {scope} bills", { scope: e.scope })
      : t("bills from {scope}", { scope: e.scope });
  }

  function render(consents, leftOut) {
    const needed = consents.categories_needing_consent;
    $("consent-needed").textContent = needed.length
      ? t("Bills of these kinds count only with your consent: {kinds}. Loans, cards and public "
        + "records do not need it.", { kinds: needed.join(", ") })
      : t("No kind of bill needs your consent on this server: every bill counts.");
    const inForce = consents.in_force.map(scopeText);
    $("consent-in-force").textContent = inForce.length
      ? t("In force now: {scopes}.", { scopes: inForce.join("; ") })
      : t("No consent is in force now.");
    const rows = consents.events.map((e) => el("tr", {},
      el("td", {}, fmtDateTime(e.effective_at)),
      el("td", {}, e.action === "grant" ? t("granted") : t("withdrawn")),
      el("td", {}, scopeText(e)), el("td", {}, `${e.actor} (${e.source})`)));
    const table = el("table", {},
      el("caption", {}, t("Your grants and withdrawals of consent, oldest first")),
      el("thead", {}, el("tr", {}, [t("When"), t("What"), t("Which bills"), t("Recorded by")]
        .map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows.length ? rows
        : [el("tr", {}, el("td", { colspan: "4" }, t("No consent has been recorded.")))]));
    $("consent-events").replaceChildren(el("div", { class: "scroll" }, table));
    $("consent-left-out").textContent = leftOut.length
      ? t("{n} of your bills are not counted for lack of consent: {bills}.",
        { n: leftOut.length, bills: leftOut.join(", ") })
      : t("None of your bills is left out for lack of consent.");
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
      problem(t("Your consents could not be shown: {why}", { why: err.message }));
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
      problem(t("Type a category (utility, telecom, rent, platform) or a furnisher's id."));
      $("consent-scope").focus();
      return;
    }
    try {
      const out = await api("POST", `/v1/subjects/${encodeURIComponent(subject)}/consents`, body);
      let score = t("your file will show it");
      if (out.score) {
        score = out.score.status === "OK"
          ? t("your score is now {score}", { score: out.score.score })
          : t("you are now unscorable (too little history), which is not a bad score");
      }
      $("consent-result").textContent = body.action === "grant"
        ? t("Consent granted for {scope}; {score}.", { scope: scopeText(body), score })
        : t("Consent withdrawn for {scope}; {score}.", { scope: scopeText(body), score });
      await ts.shared.loadFile();
    } catch (err) {
      problem(t("The consent was not changed: {why}", { why: err.message }));
    }
  }

  function start() {
    document.addEventListener("trustscore:file", (event) => { load(event.detail); });
    $("consent-form").addEventListener("submit", change);
  }

  ts.page("subject", start);
})();
