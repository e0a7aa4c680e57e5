/* trustscore web pages: the identity review queue (operators).
 *
 * Pairs of identity records whose match weight fell between the linkage's thresholds, with
 * their evidence (each compared field's weight), and subjects' reports that another file is
 * also theirs; the operator decides "the same person" (match) or "two people" (distinct), with
 * a note. Built on web.js's helpers (window.trustscore): the same token handling as the dispute
 * queue, and everything from the API put on the page as text, never parsed as HTML.
 */
"use strict";

(() => {
  const ts = window.trustscore;
  const { $, el, put, table, api, showProblem, clearProblem, say, needToken, wireToken,
    fmtDateTime, fmtValue, MISSING, t } = ts;

  // functions, not constants: the words are looked up once the page's language is loaded
  const OUTCOMES = () => ({
    open: t("waiting for a decision"),
    match: t("the same person"),
    distinct: t("two people"),
  });
  const FIELDS = () => ({
    national_id: t("national ID"),
    given_name: t("given name"),
    family_name: t("family name"),
    birth_date: t("date of birth"),
    address: t("address"),
    postcode: t("postcode"),
    city: t("city"),
    org_name: t("organisation name"),
    registration_code: t("registration code"),
  });

  const isReport = (r) => Boolean(r.evidence && r.evidence.kind === "split_file");
  const fieldName = (name) => (FIELDS()[name] ? `${FIELDS()[name]} (${name})` : name);
  const weight = (w) => (typeof w === "number"
    ? ts.i18n.number(w, { maximumFractionDigits: 2, signDisplay: "exceptZero" }) : fmtValue(w));

  /** Each compared field and its weight, strongest evidence first. */
  function fields(r) {
    const f = r.evidence && typeof r.evidence.fields === "object" && r.evidence.fields
      ? r.evidence.fields : {};
    return Object.entries(f).sort((a, b) => Math.abs(Number(b[1])) - Math.abs(Number(a[1]))
      || a[0].localeCompare(b[0]));
  }

  function what(r) {
    return isReport(r) ? t("report: another file is also mine") : t("possible match");
  }

  function evidenceText(r) {
    if (isReport(r)) {
      return t("Subject {subject} says: {details}", { subject: fmtValue(r.evidence.subject_id),
        details: fmtValue(r.evidence.details) });
    }
    const compared = fields(r);
    return compared.length ? compared.map(([k, w]) => `${fieldName(k)} ${weight(w)}`).join("; ")
      : t("no field compared");
  }

  function identityPage() {
    wireToken(loadQueue, () => {
      put("identity-queue", el("p", { class: "help" },
        t("Use an operator token to load the queue.")));
      closeDecide();
    });
    $("identity-queue-form").addEventListener("submit", (event) => {
      event.preventDefault();
      loadQueue();
    });
    $("identity-decide-form").addEventListener("submit", (event) => {
      event.preventDefault();
      decide();
    });
    $("identity-cancel").addEventListener("click", () => {
      closeDecide();
      $("identity-queue-h").focus();
    });
    if (sessionStorage.getItem(ts.TOKEN_KEY)) loadQueue();
  }

  let chosen = null; // the pair being decided

  async function loadQueue(message) {
    clearProblem();
    if (needToken()) return;
    const status = $("identity-status").value;
    say(t("Loading the identity reviews…"));
    let reviews;
    try {
      reviews = await api("GET", `/v1/identity/reviews?status=${encodeURIComponent(status)}`);
    } catch (err) {
      say("");
      put("identity-queue", el("p", { class: "empty" }, t("The queue could not be loaded.")));
      showProblem(err);
      return;
    }
    const label = $("identity-status").selectedOptions[0].textContent;
    put("identity-queue", table(t("{label}: {n}, the oldest first", { label, n: reviews.length }),
      [t("Review"), t("Opened"), t("What"), t("Identity records"), t("Linked subject"),
        t("Match weight"), t("Evidence"), t("Decision"), t("Action")],
      reviews.map((r) => [
        r.review_id,
        fmtDateTime(r.opened_at),
        what(r),
        isReport(r) ? MISSING : `${r.profile_id} / ${r.candidate_profile_id}`,
        fmtValue(r.candidate_subject_id),
        isReport(r) ? MISSING : weight(r.match_weight),
        evidenceText(r),
        r.status === "open" ? OUTCOMES().open : t("{outcome}, by {who}, {when}", {
          outcome: OUTCOMES()[r.status] || r.status, who: fmtValue(r.decider),
          when: fmtDateTime(r.decided_at) }),
        r.status === "open" ? el("button", {
          type: "button", class: "small",
          "aria-label": t("Decide review {id}", { id: r.review_id }),
          onclick: () => openDecide(r),
        }, t("Decide")) : MISSING,
      ]),
      status === "open" ? t("No pair is waiting for a decision.") : t("No decided pairs.")));
    say(message || (reviews.length === 1 ? t("1 review loaded.")
      : t("{n} reviews loaded.", { n: reviews.length })));
  }

  function openDecide(r) {
    chosen = r;
    const facts = [[t("Review"), r.review_id], [t("What"), what(r)],
      [t("Opened"), fmtDateTime(r.opened_at)]];
    if (isReport(r)) {
      facts.push([t("Subject"), fmtValue(r.evidence.subject_id)],
        [t("Reported by"), fmtValue(r.evidence.reported_by)],
        [t("What the subject says"), fmtValue(r.evidence.details)],
        [t("The other file"), fmtValue(r.candidate_subject_id)]);
    } else {
      facts.push([t("Identity records"), `${r.profile_id} / ${r.candidate_profile_id}`],
        [t("Linked subject"), fmtValue(r.candidate_subject_id)],
        [t("Match weight"), weight(r.match_weight)]);
    }
    put("identity-summary", facts.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
    put("identity-evidence", isReport(r)
      ? el("p", { class: "help" }, t("Agreeing records your finding; the two files are merged "
        + "as a separate step (POST /v1/identity/merge)."))
      : table(t("The fields compared, the strongest evidence first"),
        [t("Field"), t("Weight")],
        fields(r).map(([k, w]) => [fieldName(k), weight(w)]),
        t("No field was compared.")));
    $("identity-decide-form").reset();
    $("identity-decide").hidden = false;
    $("identity-decide-h").focus();
  }

  function closeDecide() {
    chosen = null;
    $("identity-decide").hidden = true;
  }

  async function decide() {
    clearProblem();
    if (needToken()) return;
    if (!chosen) return;
    const picked = document.querySelector("input[name=identity-outcome]:checked");
    if (!picked) {
      showProblem(new Error(t("Choose a decision: the same person, or two people.")),
        t("No decision"));
      $("identity-match").focus();
      return;
    }
    const body = { outcome: picked.value };
    const note = $("identity-note").value.trim();
    if (note) body.note = note;
    const id = chosen.review_id;
    say(t("Recording the decision of review {id}…", { id }));
    let out;
    try {
      out = await api("POST", `/v1/identity/reviews/${encodeURIComponent(id)}/decision`, body);
    } catch (err) {
      say("");
      showProblem(err, t("The decision was not recorded"));
      return;
    }
    closeDecide();
    await loadQueue(t("Review {id} decided: {outcome}.", { id: out.review_id,
      outcome: OUTCOMES()[out.status] || out.status }));
    $("identity-queue-h").focus();
  }

  ts.page("identity", identityPage);
})();
