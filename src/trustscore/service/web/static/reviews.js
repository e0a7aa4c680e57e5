/* trustscore web pages: the human-review queue (reviewers) and a subject's review requests.
 *
 * Built on web.js's helpers (window.trustscore): the same token handling, the same API call and
 * error display, and everything from the API put on the page as text, never parsed as HTML.
 */
"use strict";

(() => {
  const ts = window.trustscore;
  const { $, el, put, table, api, showProblem, clearProblem, say, needToken, wireToken,
    fmtDateTime, fmtValue, timeLeft, words, PURPOSES, MISSING, t } = ts;

  // functions, not constants: the words are looked up once the page's language is loaded
  const KINDS = () => ({
    near_cutoff: t("score near a cut-off"),
    unscorable: t("too little history to score"),
    flagged_input: t("records flagged for quality"),
    subject_request: t("the subject asked"),
  });
  const STATES = () => ({
    open: t("open: waiting for a person"),
    escalated: t("escalated: past its deadline, still waiting for a person"),
    decided: t("decided by a person"),
  });
  const REASONS = () => ({
    confirmed: t("confirmed the proposed outcome"),
    additional_information: t("additional information"),
    data_error: t("a record was wrong"),
    policy_exception: t("an exception of the policy"),
    model_limitation: t("the score did not describe the subject well"),
    subject_statement: t("the subject's point of view"),
  });

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
    put("reviews", table(t("Your review cases, the nearest deadline first"),
      [t("Case"), t("Decision"), t("Why a person looks"), t("State"), t("Deadline"),
        t("Outcome"), t("Reason")],
      cases.map((c) => [
        c.case_id,
        c.decision_id === null ? MISSING : `${c.decision_id} (${words(PURPOSES, c.purpose)})`,
        KINDS()[c.kind] || fmtValue(c.kind),
        STATES()[c.state] || fmtValue(c.state),
        fmtDateTime(c.deadline),
        c.final_outcome ? outcomeText(c, c.final_outcome) : t("not decided yet"),
        c.reason ? `${REASONS()[c.reason] || c.reason}${c.note ? `: ${c.note}` : ""}` : MISSING,
      ]),
      t("No decision about you is with a person.")));
    decisionsShown = (Array.isArray(data.decisions) ? data.decisions : []).slice().reverse();
    const select = $("review-decision");
    select.replaceChildren(...decisionsShown.map((d) => el("option", { value: d.decision_id },
      t("{id}: {outcome} for {purpose}, {when}", { id: d.decision_id,
        outcome: fmtValue(d.outcome), purpose: words(PURPOSES, d.purpose),
        when: fmtDateTime(d.decided_at) }))));
    if (!decisionsShown.length) {
      select.appendChild(el("option", { value: "" }, t("No decision has been made about you")));
    }
  }

  async function requestReview() {
    clearProblem();
    if (needToken()) return;
    const id = Number($("review-decision").value);
    const statement = $("review-statement").value.trim();
    if (!id) {
      showProblem(new Error(t("There is no decision to review: choose one from the list.")),
        t("No decision chosen"));
      return;
    }
    if (!statement) {
      showProblem(new Error(t("Write your point of view: what the person reviewing should know.")),
        t("No point of view"));
      $("review-statement").focus();
      return;
    }
    const body = { decision_id: id, statement };
    const name = $("review-document-name").value.trim();
    const text = $("review-document-text").value.trim();
    if (name || text) body.documents = [{ name: name || "document", text: text || name }];
    say(t("Asking for a human review of decision {id}…", { id }));
    let out;
    try {
      out = await api("POST", "/v1/reviews", body);
    } catch (err) {
      say("");
      showProblem(err, t("The review was not requested"));
      return;
    }
    $("review-form").reset();
    await ts.shared.loadFile(t("Review case {id} is open: a person decides by {deadline}.",
      { id: out.case_id, deadline: fmtDateTime(out.deadline) }));
    $("reviews-h").focus();
  }

  // ---------------------------------------------------------------- the reviewers' queue

  let chosen = null;

  function reviewerPage() {
    wireToken(loadQueue, () => {
      put("review-queue", el("p", { class: "help" }, t("Use a reviewer token to load the queue.")));
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
    say(t("Loading the review cases…"));
    let cases;
    try {
      cases = await api("GET", state ? `/v1/reviews?state=${encodeURIComponent(state)}`
        : "/v1/reviews");
    } catch (err) {
      say("");
      put("review-queue", el("p", { class: "empty" }, t("The queue could not be loaded.")));
      showProblem(err);
      return;
    }
    const now = new Date();
    const label = $("review-state").selectedOptions[0].textContent;
    put("review-queue", table(t("{label}: {n}, the nearest deadline first",
      { label, n: cases.length }),
      [t("Case"), t("Deadline"), t("Time left"), t("Why"), t("Subject"), t("Purpose"), t("Score"),
        t("Proposed"), t("State"), t("Action")],
      cases.map((c) => [
        c.case_id,
        fmtDateTime(c.deadline),
        c.state === "decided" ? MISSING : timeLeft(c.deadline, now),
        KINDS()[c.kind] || fmtValue(c.kind),
        c.subject_id,
        words(PURPOSES, c.purpose),
        c.score === null ? t("none ({status})", { status: c.score_status }) : String(c.score),
        outcomeText(c, c.proposed_outcome),
        c.state === "decided" ? t("decided: {outcome}", { outcome: outcomeText(c, c.final_outcome) })
          : STATES()[c.state] || fmtValue(c.state),
        c.state === "decided" ? MISSING : el("button", {
          type: "button", class: "small", "aria-label": t("Decide case {id}", { id: c.case_id }),
          onclick: () => fetchAndDecide(c.case_id),
        }, t("Decide")),
      ]),
      t("No case is waiting for a person.")));
    say(message || (cases.length === 1 ? t("1 case loaded.")
      : t("{n} cases loaded.", { n: cases.length })));
  }

  /** Read the case afresh (the read is logged: the subject sees who looked) and show it. */
  async function fetchAndDecide(id) {
    clearProblem();
    let c;
    try {
      c = await api("GET", `/v1/reviews/${encodeURIComponent(id)}`);
    } catch (err) {
      showProblem(err, t("The case could not be opened"));
      return;
    }
    openDecide(c);
  }

  function openDecide(c) {
    chosen = c;
    const reasons = (c.reasons || []).map((r) => r.reason || r.text || r.code).filter(Boolean);
    const facts = [[t("Case"), c.case_id], [t("Subject"), c.subject_id],
      [t("Purpose"), words(PURPOSES, c.purpose)],
      [t("Why a person looks"), KINDS()[c.kind] || c.kind],
      [t("Score"), c.score === null ? t("none ({status})", { status: c.score_status })
        : String(c.score)],
      [t("Reasons"), reasons.length ? reasons.join("; ") : MISSING],
      [t("Quality flags"), (c.quality || []).length ? c.quality.join(", ") : MISSING],
      [t("Proposed outcome"), outcomeText(c, c.proposed_outcome)],
      [t("The subject's point of view"), c.statement || MISSING],
      [t("Documents"), (c.documents || []).length
        ? c.documents.map((d) => `${d.name}: ${d.text}`).join(" | ") : MISSING],
      [t("Deadline"), fmtDateTime(c.deadline)]];
    put("review-summary", facts.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
    $("review-decide-form").reset();
    $("review-outcome").replaceChildren(...(c.options || []).map((o) => el("option", {
      value: o.outcome, selected: o.outcome === c.proposed_outcome,
    }, o.adverse ? t("{outcome} (adverse)", { outcome: o.label || o.outcome })
      : o.label || o.outcome)));
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
    say(t("Recording the decision of case {id}…", { id }));
    let out;
    try {
      out = await api("POST", `/v1/reviews/${encodeURIComponent(id)}/decision`, body);
    } catch (err) {
      say("");
      showProblem(err, t("The decision was not recorded"));
      return;
    }
    closeDecide();
    const done = [t("Case {id} decided: {outcome} ({reason}).", { id: out.case_id,
      outcome: outcomeText(out, out.final_outcome), reason: REASONS()[out.reason] || out.reason })];
    if (out.final_adverse) done.push(t("The subject is sent the notice with its reasons."));
    await loadQueue(done.join(" "));
    $("review-queue-h").focus();
  }

  ts.page("subject", subjectReviews);
  ts.page("reviewer", reviewerPage);
})();
