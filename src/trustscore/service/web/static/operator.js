/* trustscore web pages: the operators' dispute queue.
 *
 * Open disputes by deadline, and a form to resolve one (verified, corrected with the corrected
 * values, or unverifiable). Built on web.js's helpers (window.trustscore).
 */
"use strict";

(() => {
  const ts = window.trustscore;
  const { $, el, put, table, api, showProblem, clearProblem, say, needToken, wireToken,
    isoDateTime, fmtDateTime, fmtValue, timeLeft, recordName, STATUSES, MISSING, t } = ts;

  let chosen = null; // the dispute being resolved

  function operatorPage() {
    wireToken(loadQueue, () => {
      put("queue", el("p", { class: "help" }, t("Use an operator token to load the queue.")));
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
    if (sessionStorage.getItem(ts.TOKEN_KEY)) loadQueue();
  }

  async function loadQueue(message) {
    clearProblem();
    if (needToken()) return;
    const status = $("queue-status").value;
    say(t("Loading the disputes…"));
    let disputes;
    try {
      disputes = await api("GET", status ? `/v1/disputes?status=${encodeURIComponent(status)}`
        : "/v1/disputes");
    } catch (err) {
      say("");
      put("queue", el("p", { class: "empty" }, t("The queue could not be loaded.")));
      showProblem(err);
      return;
    }
    const now = new Date();
    const rows = disputes.slice().sort((a, b) => (
      isoDateTime(a.deadline) - isoDateTime(b.deadline)
      || String(a.opened_at).localeCompare(String(b.opened_at))));
    const label = $("queue-status").selectedOptions[0].textContent;
    put("queue", table(t("{label}: {n}, the nearest deadline first", { label, n: rows.length }),
      [t("Dispute"), t("Deadline"), t("Time left"), t("Opened"), t("Subject"), t("Record"),
        t("What is wrong"), t("Status"), t("Action")],
      rows.map((d) => [
        d.dispute_id,
        fmtDateTime(d.deadline),
        d.status === "open" ? timeLeft(d.deadline, now) : MISSING,
        fmtDateTime(d.opened_at),
        el("a", { href: `/web/?${new URLSearchParams({ subject: d.subject_id })}` },
          d.subject_id),
        recordName(d.record_kind, d.record_id),
        d.grounds,
        STATUSES()[d.status] || fmtValue(d.status),
        d.status === "open" ? el("button", {
          type: "button", class: "small",
          "aria-label": t("Resolve dispute {id}", { id: d.dispute_id }),
          onclick: () => openResolve(d),
        }, t("Resolve")) : MISSING,
      ]),
      status === "open" ? t("No open disputes: the queue is empty.") : t("No disputes.")));
    say(message || (rows.length === 1 ? t("1 dispute loaded.")
      : t("{n} disputes loaded.", { n: rows.length })));
  }

  function openResolve(dispute) {
    chosen = dispute;
    const facts = [[t("Dispute"), dispute.dispute_id], [t("Subject"), dispute.subject_id],
      [t("Record"), recordName(dispute.record_kind, dispute.record_id)],
      [t("What is wrong"), dispute.grounds], [t("Opened"), fmtDateTime(dispute.opened_at)],
      [t("Deadline"), fmtDateTime(dispute.deadline)]];
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
      showProblem(new Error(t("Choose an outcome: verified, corrected or unverifiable.")),
        t("No outcome"));
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
        showProblem(new Error(t("The corrected values are not valid JSON: {why}",
          { why: err.message })), t("The correction cannot be read"));
        $("resolve-correction").focus();
        return;
      }
    }
    const id = chosen.dispute_id;
    say(t("Resolving dispute {id}…", { id }));
    let out;
    try {
      out = await api("POST", `/v1/disputes/${encodeURIComponent(id)}/resolution`, body);
    } catch (err) {
      say("");
      showProblem(err, t("The dispute was not resolved"));
      return;
    }
    closeResolve();
    const s = out.suppression;
    const what = s ? t("The record {record} no longer counts.",
      { record: recordName(s.record_kind, s.record_id) }) : t("The record stands.");
    const parts = [t("Dispute {id} resolved: {status}.", { id: out.dispute.dispute_id,
      status: out.dispute.status }), what];
    if (out.rescored) parts.push(t("The subject was rescored."));
    await loadQueue(parts.join(" "));
    $("queue-h").focus();
  }

  ts.page("operator", operatorPage);
})();
