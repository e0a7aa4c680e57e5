/* trustscore web pages: the subject's records, the data used and never used, disputes, looks.
 *
 * Records are grouped by account (a furnisher's account, or a furnisher's records of one kind),
 * each account showing its latest record and folding the rest of its history in <details>, so a
 * file of 144 bills reads as a handful of accounts. Drawn from the "trustscore:file" event of
 * subject.js; everything from the API is put on the page as text.
 */
"use strict";

(() => {
  const ts = window.trustscore;
  const { $, el, put, table, api, showProblem, clearProblem, say, needToken, fmtDateTime,
    fmtDate, fmtValue, fmtAmount, days, words, recordName, PURPOSES, STATUSES, MISSING, t } = ts;

  const KINDS = () => ({
    obligation: {
      title: t("Bills"), date: "due_date", group: "account",
      cols: [["furnisher", t("Furnisher")], ["category", t("Category")], ["account", t("Account")],
        ["due_date", t("Due")], ["amount_due", t("Amount due"), fmtAmount],
        ["paid_date", t("Paid")], ["amount_paid", t("Amount paid"), fmtAmount]],
    },
    tradeline: {
      title: t("Loans and cards"), date: "reported_date", group: "account",
      cols: [["furnisher", t("Furnisher")], ["kind", t("Kind")], ["account", t("Account")],
        ["opened_date", t("Opened")], ["closed_date", t("Closed")],
        ["reported_date", t("Reported")], ["credit_limit", t("Limit"), fmtAmount],
        ["balance", t("Balance"), fmtAmount], ["days_past_due", t("Days past due")],
        ["status", t("Status")]],
    },
    public_record: {
      title: t("Public records"), date: "filed_date", group: "kind",
      cols: [["furnisher", t("Furnisher")], ["kind", t("Kind")], ["filed_date", t("Filed")],
        ["amount", t("Amount"), fmtAmount], ["satisfied_date", t("Satisfied")]],
    },
    inquiry: {
      title: t("Inquiries"), date: "inquiry_date", group: null,
      cols: [["furnisher", t("Furnisher")], ["purpose", t("Purpose")],
        ["inquiry_date", t("Date")]],
    },
  });
  const HIDDEN_FIELDS = new Set(["record_id", "subject_id", "batch_id", "ingested_at",
    "suppressed", "deleted", "action", "versions", "left_out_for_consent"]);

  const counts = (r) => !r.suppressed && !r.deleted && !r.left_out_for_consent;

  function recordsByKind(records) {
    if (Array.isArray(records)) { // a provider that lists records with their kind
      const out = {};
      for (const r of records) (out[r.kind || "record"] ||= []).push(r);
      return out;
    }
    return records && typeof records === "object" ? records : {};
  }

  function render(detail) {
    const data = detail.data;
    const file = data.file || {};
    const records = recordsByKind(file.records);
    renderUsed(records);
    renderRecords(records, data.disputes || []);
    renderDisputes(data.disputes || []);
    renderAccesses(data.accesses || [], records.inquiry || [], data.refused_attempts || []);
  }

  // ---------------------------------------------------------------- what is used

  /** The kinds of record and the furnishers the score is computed from, for this subject. */
  function renderUsed(records) {
    const specs = KINDS();
    const items = [];
    let leftOut = 0;
    for (const [kind, rows] of Object.entries(records)) {
      leftOut += rows.filter((r) => r.left_out_for_consent).length;
      const used = rows.filter(counts);
      if (!used.length) continue;
      const furnishers = [...new Set(used.map((r) => r.furnisher).filter(Boolean))].sort();
      items.push(el("li", { "data-kind": kind }, t("{kind}: {n} records, from {furnishers}", {
        kind: (specs[kind] || { title: kind }).title, n: used.length,
        furnishers: furnishers.join(", ") || MISSING })));
    }
    put("used",
      items.length ? el("ul", { id: "used-list" }, items)
        : el("p", { class: "empty" }, t("No record of yours is used.")),
      leftOut ? el("p", {}, t("{n} of your bills are not used, for lack of your consent.",
        { n: leftOut })) : null);
  }

  // ---------------------------------------------------------------- records by account

  function renderRecords(records, disputes) {
    const specs = KINDS();
    const open = new Map();
    for (const d of disputes) {
      if (d.status === "open") open.set(`${d.record_kind}/${d.record_id}`, d);
    }
    const parts = [];
    const kinds = Object.keys(specs).concat(Object.keys(records).filter((k) => !specs[k]));
    for (const kind of kinds) {
      const rows = (records[kind] || []).slice();
      const spec = specs[kind] || {
        title: kind, date: null, group: null,
        cols: Object.keys(rows[0] || {}).filter((k) => !HIDDEN_FIELDS.has(k)).map((k) => [k, k]),
      };
      if (spec.date) {
        rows.sort((a, b) => String(b[spec.date] || "").localeCompare(String(a[spec.date] || "")));
      }
      parts.push(el("h3", {}, t("{title} ({n})", { title: spec.title, n: rows.length })));
      if (!rows.length) {
        parts.push(el("p", { class: "empty" }, t("None on file.")));
        continue;
      }
      const groups = new Map();
      for (const r of rows) {
        const key = [r.furnisher, spec.group ? r[spec.group] : ""].join(" · ");
        if (!groups.has(key)) groups.set(key, []);
        groups.get(key).push(r);
      }
      for (const [key, members] of groups) {
        parts.push(account(kind, spec, key, members, open));
      }
    }
    put("records", parts);
  }

  function standingOf(r, dispute) {
    if (r.suppressed) return t("suppressed: no longer counts");
    if (r.deleted) return t("deleted by its furnisher: no longer counts");
    if (r.left_out_for_consent) return t("not used: no consent");
    if (dispute) {
      return t("disputed: to be resolved by {deadline}",
        { deadline: fmtDateTime(dispute.deadline) });
    }
    return t("counts");
  }

  /** The latest state of an account, in words. */
  function latestState(kind, r) {
    if (kind === "obligation") {
      if (!r.paid_date) return t("due {date}, not paid", { date: fmtDate(r.due_date) });
      const late = Math.round((Date.parse(r.paid_date) - Date.parse(r.due_date)) / 86400000);
      return late > 0
        ? t("due {date}, paid {days} late", { date: fmtDate(r.due_date), days: days(late) })
        : t("due {date}, paid on time", { date: fmtDate(r.due_date) });
    }
    if (kind === "tradeline") {
      return t("reported {date}: {status}, balance {balance}", { date: fmtDate(r.reported_date),
        status: fmtValue(r.status), balance: fmtAmount(r.balance) });
    }
    return fmtDate(r.filed_date || r.inquiry_date || null);
  }

  function account(kind, spec, key, rows, open) {
    const latest = rows[0];
    const disputed = rows.filter((r) => open.has(`${kind}/${r.record_id}`)).length;
    const summary = [t("{n} records; latest: {state}", { n: rows.length,
      state: latestState(kind, latest) })];
    if (disputed) summary.push(t("{n} disputed", { n: disputed }));
    const tbl = table(t("{account}: {n} records, newest first", { account: key, n: rows.length }),
      [t("Record id"), ...spec.cols.map((c) => c[1]), t("Versions"), t("Standing"),
        t("Dispute")],
      rows.map((r) => [
        fmtValue(r.record_id),
        ...spec.cols.map(([field, , fmt]) => (fmt || fmtValue)(r[field])),
        versionHistory(r, spec),
        standingOf(r, open.get(`${kind}/${r.record_id}`)),
        r.suppressed ? MISSING : el("button", {
          type: "button", class: "small",
          "aria-label": t("Dispute record {id}", { id: r.record_id }),
          onclick: () => chooseRecord(kind, r.record_id),
        }, t("Dispute")),
      ]), t("None on file."), "records");
    return el("details", { class: "account", "data-kind": kind },
      el("summary", {}, el("span", { class: "account-name" }, key), " ",
        el("span", { class: "account-state" }, summary.join("; "))), tbl);
  }

  // A record's versions, oldest first: who sent each, when it was ingested, what it changed.
  function versionHistory(r, spec) {
    const versions = r.versions || [];
    if (versions.length <= 1) {
      const only = versions[0] || r;
      return only.ingested_at ? t("1, ingested {when}", { when: fmtDateTime(only.ingested_at) })
        : "1";
    }
    const items = versions.map((v, i) => {
      const before = versions[i - 1];
      let what = t("first report");
      if (v.action === "delete") what = t("deleted as sent in error");
      else if (before) {
        const changed = spec.cols.filter(([field]) => v[field] !== before[field])
          .map(([field, label, fmt]) => `${label} ${(fmt || fmtValue)(before[field])} → `
            + `${(fmt || fmtValue)(v[field])}`);
        what = before.action === "delete" ? t("reinstated") : (changed.join("; ") || t("re-sent"));
      }
      return el("li", {}, t("{n}. {when}, from {furnisher}: {what}", { n: v.version,
        when: fmtDateTime(v.ingested_at), furnisher: fmtValue(v.furnisher), what }));
    });
    return el("details", {}, el("summary", {}, t("{n} versions", { n: versions.length })),
      el("ol", { class: "versions" }, items));
  }

  // ---------------------------------------------------------------- disputes

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
    const current = ts.shared.current();
    if (!current) {
      showProblem(new Error(t("Show a file first, then dispute one of its records.")),
        t("No file"));
      return;
    }
    const problem = document.querySelector("input[name=dispute-problem]:checked");
    const body = {
      subject_id: current,
      record_kind: $("dispute-kind").value,
      record_id: $("dispute-record").value.trim(),
      grounds: $("dispute-grounds").value.trim(),
      kind: problem ? problem.value : "inaccurate",
    };
    say(t("Opening the dispute…"));
    let dispute;
    try {
      dispute = await api("POST", "/v1/disputes", body);
    } catch (err) {
      say("");
      showProblem(err, t("The dispute was not opened"));
      return;
    }
    $("dispute-grounds").value = "";
    $("dispute-record").value = "";
    $("dispute-problem-inaccurate").checked = true;
    await ts.shared.loadFile(t("Dispute {id} is open for {record}; it must be resolved by "
      + "{deadline}.", { id: dispute.dispute_id, record: recordName(dispute.record_kind,
      dispute.record_id), deadline: fmtDateTime(dispute.deadline) }));
  }

  // functions, not constants: the words are looked up once the page's language is loaded
  const PROBLEMS = () => ({
    inaccurate: t("the record is wrong"),
    not_mine: t("not mine"),
  });

  function renderDisputes(disputes) {
    const rows = disputes.slice().sort((a, b) => String(b.opened_at).localeCompare(
      String(a.opened_at)));
    put("disputes", table(t("Your disputes, newest first"),
      [t("Dispute"), t("Record"), t("Problem"), t("What is wrong"), t("Status"), t("Opened"),
        t("Deadline"), t("Resolved"), t("Note")],
      rows.map((d) => [d.dispute_id, recordName(d.record_kind, d.record_id),
        PROBLEMS()[d.kind] || fmtValue(d.kind), d.grounds,
        STATUSES()[d.status] || fmtValue(d.status), fmtDateTime(d.opened_at),
        fmtDateTime(d.deadline), fmtDateTime(d.resolved_at), fmtValue(d.note)]),
      t("No disputes.")));
  }

  // ---------------------------------------------------------------- a split file

  /** A subject's report that another file is also theirs: it waits for an operator. */
  async function reportSplitFile() {
    clearProblem();
    if (needToken()) return;
    const current = ts.shared.current();
    if (!current) {
      showProblem(new Error(t("Show a file first, then report another file as yours.")),
        t("No file"));
      return;
    }
    const details = $("split-details").value.trim();
    if (!details) {
      showProblem(new Error(t("Say what would find the other file: an earlier name or address, "
        + "or an old account.")), t("Nothing to look for"));
      $("split-details").focus();
      return;
    }
    $("split-result").textContent = "";
    say(t("Sending the report…"));
    let out;
    try {
      out = await api("POST", "/v1/identity/split-file-reports",
        { subject_id: current, details });
    } catch (err) {
      say("");
      showProblem(err, t("The report was not sent"));
      return;
    }
    say("");
    $("split-form").reset();
    $("split-result").textContent = t("Report {id} is with an operator. If the other file is "
      + "yours, the two are merged and your score is recomputed.", { id: out.review_id });
  }

  // ---------------------------------------------------------------- who looked

  const ACTIONS = () => ({ file: t("read the file"), score: t("got the score"),
    decision: t("made a decision") });

  function renderAccesses(accesses, inquiries, refused) {
    const rows = accesses.slice().reverse();
    put("accesses", table(t("Every look at your file, newest first"),
      [t("When"), t("Who"), t("Their role"), t("For what purpose"), t("What they did")],
      rows.map((a) => [fmtDateTime(a.at), a.client_name || a.client_id,
        fmtValue(a.client_role), words(PURPOSES, a.purpose), words(ACTIONS, a.action)]),
      t("Nobody has looked at your file yet.")));
    put("refused", table(t("Attempts that were refused, newest first"),
      [t("When"), t("Who"), t("For what purpose"), t("Why it was refused")],
      refused.slice().reverse().map((r) => [fmtDateTime(r.at),
        r.client_name || r.client_id || t("someone with an invalid token"),
        words(PURPOSES, r.purpose), fmtValue(r.reason)]),
      t("Nobody has been refused access to your file.")));
    const reported = inquiries.slice().sort((a, b) => String(b.inquiry_date || "")
      .localeCompare(String(a.inquiry_date || "")));
    put("inquiries", table(t("Inquiries reported by organisations, newest first"),
      [t("Date"), t("Organisation"), t("Purpose"), t("Record id")],
      reported.map((r) => [fmtDate(r.inquiry_date), fmtValue(r.furnisher),
        words(PURPOSES, r.purpose), fmtValue(r.record_id)]),
      t("No inquiries reported.")));
  }

  function start() {
    document.addEventListener("trustscore:file", (event) => {
      try {
        render(event.detail);
      } catch (err) {
        showProblem(err, t("The file arrived but could not be shown"));
      }
    });
    $("dispute-form").addEventListener("submit", (event) => {
      event.preventDefault();
      openDispute();
    });
    $("split-form").addEventListener("submit", (event) => {
      event.preventDefault();
      reportSplitFile();
    });
  }

  ts.page("subject", start);
})();
