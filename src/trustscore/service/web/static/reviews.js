/* trustscore web pages: the human-review queue (reviewers) and a subject's review requests.
 *
 * Built on web.js's helpers (window.trustscore): the same token handling, the same API call and
 * error display, and everything from the API put on the page as text, never parsed as HTML.
 */
"use strict";

(() => {
  const ts = window.trustscore;
  if (!ts) return;
  const { $, el, put, table, api, showProblem, clearProblem, say, needToken, wireToken,
    fmtDateTime, fmtValue, timeLeft, plural, words, PURPOSES, MISSING } = ts;

  const KINDS = {
    near_cutoff: "score near a cut-off",
    unscorable: "too little history to score",
    flagged_input: "records flagged for quality",
    subject_request: "the subject asked",
  };
  const STATES = {
    open: "open: waiting for a person",
    escalated: "escalated: past its deadline, still waiting for a person",
    decided: "decided by a person",
  };
  const REASONS = {
    confirmed: "confirmed the proposed outcome",
    additional_information: "additional information",
    data_error: "a record was wrong",
    policy_exception: "an exception of the policy",
    model_limitation: "the score did not describe the subject well",
    subject_statement: "the subject's point of view",
  };

  function outcomeText(c, outcome) {
    const option = (c.options || []).find((o) => o.outcome === outcome);
    return option && option.label ? `${option.label} (${outcome})` : fmtValue(outcome);
  }

  // ---------------------------------------------------------------- the subject's page

  let decisionsShown = [];

  function subjectReviews() {
    document.addEventListener("trustscore:file", (event) => renderSubject(event.detail.data));
    $("review-form").addEventListener("submit", (event) => {
      event.preventDefault();
      requestReview();
    });
  }

  function renderSubject(data) {
    const cases = Array.isArray(data.reviews) ? data.reviews : [];
    put("reviews", table("Your review cases, the nearest deadline first",
      ["Case", "Decision", "Why a person looks", "State", "Deadline", "Outcome", "Reason"],
      cases.map((c) => [
        c.case_id,
        c.decision_id === null ? MISSING : `${c.decision_id} (${words(PURPOSES, c.purpose)})`,
        KINDS[c.kind] || fmtValue(c.kind),
        STATES[c.state] || fmtValue(c.state),
        fmtDateTime(c.deadline),
        c.final_outcome ? outcomeText(c, c.final_outcome) : "not decided yet",
        c.reason ? `${REASONS[c.reason] || c.reason}${c.note ? `: ${c.note}` : ""}` : MISSING,
      ]),
      "No decision about you is with a person."));
    decisionsShown = (Array.isArray(data.decisions) ? data.decisions : []).slice().reverse();
    const select = $("review-decision");
    select.replaceChildren(...decisionsShown.map((d) => el("option", { value: d.decision_id },
      `${d.decision_id}: ${fmtValue(d.outcome)} for ${words(PURPOSES, d.purpose)}, `
      + `${fmtDateTime(d.decided_at)}`)));
    if (!decisionsShown.length) {
      select.appendChild(el("option", { value: "" }, "No decision has been made about you"));
    }
  }

  async function requestReview() {
    clearProblem();
    if (needToken()) return;
    const id = Number($("review-decision").value);
    const statement = $("review-statement").value.trim();
    if (!id) {
      showProblem(new Error("There is no decision to review: choose one from the list."),
        "No decision chosen");
      return;
    }
    if (!statement) {
      showProblem(new Error("Write your point of view: what the person reviewing should know."),
        "No point of view");
      $("review-statement").focus();
      return;
    }
    const body = { decision_id: id, statement };
    const name = $("review-document-name").value.trim();
    const text = $("review-document-text").value.trim();
    if (name || text) body.documents = [{ name: name || "document", text: text || name }];
    say(`Asking for a human review of decision ${id}…`);
    let out;
    try {
      out = await api("POST", "/v1/reviews", body);
    } catch (err) {
      say("");
      showProblem(err, "The review was not requested");
      return;
    }
    $("review-form").reset();
    await ts.loadFile(`Review case ${out.case_id} is open: a person decides by `
      + `${fmtDateTime(out.deadline)}.`);
    $("reviews-h").focus();
  }

  // ---------------------------------------------------------------- the reviewers' queue

  let chosen = null;

  function reviewerPage() {
    wireToken(loadQueue, () => {
      put("review-queue", el("p", { class: "help" }, "Use a reviewer token to load the queue."));
      closeDecide();
    });
    $("review-queue-form").addEventListener("submit", (event) => {
      event.preventDefault();
      loadQueue();
    });
    $("review-decide-form").addEventListener("submit", (event) => {
      event.preventDefault();
      decide();
    });
    $("review-cancel").addEventListener("click", () => {
      closeDecide();
      $("review-queue-h").focus();
    });
    if (sessionStorage.getItem(ts.TOKEN_KEY)) loadQueue();
  }

  async function loadQueue(message) {
    clearProblem();
    if (needToken()) return;
    const state = $("review-state").value;
    say("Loading the review cases…");
    let cases;
    try {
      cases = await api("GET", state ? `/v1/reviews?state=${encodeURIComponent(state)}`
        : "/v1/reviews");
    } catch (err) {
      say("");
      put("review-queue", el("p", { class: "empty" }, "The queue could not be loaded."));
      showProblem(err);
      return;
    }
    const now = new Date();
    const label = $("review-state").selectedOptions[0].textContent;
    put("review-queue", table(`${label}: ${cases.length}, the nearest deadline first`,
      ["Case", "Deadline", "Time left", "Why", "Subject", "Purpose", "Score", "Proposed",
        "State", "Action"],
      cases.map((c) => [
        c.case_id,
        fmtDateTime(c.deadline),
        c.state === "decided" ? MISSING : timeLeft(c.deadline, now),
        KINDS[c.kind] || fmtValue(c.kind),
        c.subject_id,
        words(PURPOSES, c.purpose),
        c.score === null ? `none (${c.score_status})` : String(c.score),
        outcomeText(c, c.proposed_outcome),
        c.state === "decided" ? `decided: ${outcomeText(c, c.final_outcome)}`
          : STATES[c.state] || fmtValue(c.state),
        c.state === "decided" ? MISSING : el("button", {
          type: "button", class: "small", "aria-label": `Decide case ${c.case_id}`,
          onclick: () => fetchAndDecide(c.case_id),
        }, "Decide"),
      ]),
      "No case is waiting for a person."));
    say(message || `${plural(cases.length, "case")} loaded.`);
  }

  /** Read the case afresh (the read is logged: the subject sees who looked) and show it. */
  async function fetchAndDecide(id) {
    clearProblem();
    let c;
    try {
      c = await api("GET", `/v1/reviews/${encodeURIComponent(id)}`);
    } catch (err) {
      showProblem(err, "The case could not be opened");
      return;
    }
    openDecide(c);
  }

  function openDecide(c) {
    chosen = c;
    const reasons = (c.reasons || []).map((r) => r.reason || r.text || r.code).filter(Boolean);
    const facts = [["Case", c.case_id], ["Subject", c.subject_id],
      ["Purpose", words(PURPOSES, c.purpose)], ["Why a person looks", KINDS[c.kind] || c.kind],
      ["Score", c.score === null ? `none (${c.score_status})` : String(c.score)],
      ["Reasons", reasons.length ? reasons.join("; ") : MISSING],
      ["Quality flags", (c.quality || []).length ? c.quality.join(", ") : MISSING],
      ["Proposed outcome", outcomeText(c, c.proposed_outcome)],
      ["The subject's point of view", c.statement || MISSING],
      ["Documents", (c.documents || []).length
        ? c.documents.map((d) => `${d.name}: ${d.text}`).join(" | ") : MISSING],
      ["Deadline", fmtDateTime(c.deadline)]];
    put("review-summary", facts.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
    $("review-decide-form").reset();
    $("review-outcome").replaceChildren(...(c.options || []).map((o) => el("option", {
      value: o.outcome, selected: o.outcome === c.proposed_outcome,
    }, `${o.label || o.outcome}${o.adverse ? " (adverse)" : ""}`)));
    $("review-decide").hidden = false;
    $("review-decide-h").focus();
  }

  function closeDecide() {
    chosen = null;
    $("review-decide").hidden = true;
  }

  async function decide() {
    clearProblem();
    if (needToken()) return;
    if (!chosen) return;
    const body = { outcome: $("review-outcome").value, reason: $("review-reason").value };
    const note = $("review-note").value.trim();
    if (note) body.note = note;
    const id = chosen.case_id;
    say(`Recording the decision of case ${id}…`);
    let out;
    try {
      out = await api("POST", `/v1/reviews/${encodeURIComponent(id)}/decision`, body);
    } catch (err) {
      say("");
      showProblem(err, "The decision was not recorded");
      return;
    }
    closeDecide();
    await loadQueue(`Case ${out.case_id} decided: ${outcomeText(out, out.final_outcome)}`
      + ` (${REASONS[out.reason] || out.reason}).`
      + (out.final_adverse ? " The subject is sent the notice with its reasons." : ""));
    $("review-queue-h").focus();
  }

  // ---------------------------------------------------------------- start

  function start() {
    try {
      const page = document.body.dataset.page;
      if (page === "subject") subjectReviews();
      else if (page === "reviewer") reviewerPage();
    } catch (err) {
      showProblem(err, "This page could not start");
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
