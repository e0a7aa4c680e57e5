"""Issue 15, step 2: consents, review cases, identity links and identity reviews are held to
the audit log, on SQLite and PostgreSQL.

Every write through the ledger's functions commits the row it leaves; a direct UPDATE, INSERT
or DELETE of such a row behind the ledger fails ``audit_verify``, which names the table and the
row's key.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

import trustscore.ledger as lg
from trustscore.ledger._commitments import committed_tables

DAY = dt.timedelta(days=1)
OPTIONS = [
    {"outcome": "A", "label": "Tier A", "adverse": False},
    {"outcome": "B", "label": "Tier B", "adverse": False},
]


@dataclass(frozen=True)
class Written:
    consent_id: str
    case_id: str
    review_id: str
    n_rows: dict[str, int]


def _write(ledger: lg.Ledger, t0: dt.datetime) -> Written:
    """Rows of the four tables, written through every path that writes them."""
    grant = lg.record_consent(ledger, "s1", "category", "rent", "grant", actor="cl_s1",
                              source="subject", now=t0)  # fmt: skip
    lg.record_consent(ledger, "s1", "category", "rent", "withdraw", actor="op", source="operator",
                      now=t0 + DAY)  # fmt: skip
    lg.import_consents(
        ledger,
        [{"consent_id": f"syn-{i}", "subject_id": f"s{i}", "scope_kind": "category",
          "scope": "utility", "action": "grant", "effective_at": t0, "recorded_at": t0}
         for i in range(3)],
        actor="synth", source="synthetic", label="consent.parquet",
    )  # fmt: skip
    reviewer, _ = lg.create_client(ledger, "reviewer", (), name="rev", now=t0)
    opened = lg.open_review_cases(
        ledger,
        [lg.ReviewOpening(f"run|credit_pricing|s{i}", "near_cutoff", f"s{i}", "credit_pricing",
                          "tiers", "B", OPTIONS, review_days=5, score=700 + i) for i in range(3)],
        t0,
    )  # fmt: skip
    lg.decide_review_case(ledger, opened[0].case_id, reviewer.client_id, "A",
                          "additional_information", note="paid since", now=t0 + DAY)  # fmt: skip
    lg.run_review_deadlines(ledger, t0 + 30 * DAY)  # escalates the two others
    decision = lg.record_decision(ledger, subject_id="s7", purpose="credit_pricing",
                                  policy="tiers", outcome="B", adverse=False, now=t0)  # fmt: skip
    lg.request_review(ledger, "s7", decision.decision_id, "I paid", options=OPTIONS,
                      review_days=5, now=t0 + DAY)  # fmt: skip
    # a second request adds a statement to the open case
    lg.request_review(ledger, "s7", decision.decision_id, "And here is why", options=OPTIONS,
                      review_days=5, now=t0 + DAY)  # fmt: skip
    lg.record_links(
        ledger,
        [lg.IdentityLink("p1", "s1", 14.2, "splink", {"fields": ["birth_date"]}),
         lg.IdentityLink("p2", "s2", None, "deterministic:national_id", {})],
        at=t0,
    )  # fmt: skip
    review_ids = lg.open_identity_reviews(
        ledger,
        [lg.IdentityReviewItem("p3", "p1", "s1", 3, {"fields": ["name"]}),
         lg.IdentityReviewItem("p4", "p2", None, 2.5, {})],
        at=t0,
    )  # fmt: skip
    lg.decide_identity_review(ledger, review_ids[0], "match", "ops", at=t0 + DAY, note="same")
    lg.record_identity_change(
        ledger, "merge", "s1", "s2", "ops", [lg.IdentityMove("obligation", "ob-1", "s2", "s1")],
        at=t0 + DAY, profiles=[lg.IdentityLink("p2", "s1", None, "operator:ops", {"why": "x"})],
    )  # fmt: skip
    counts = {
        "consent_events": 5, "review_cases": 4, "identity_links": 3, "identity_reviews": 2,
    }  # fmt: skip
    return Written(grant.consent_id, opened[1].case_id, review_ids[1], counts)


def _scalar(ledger: lg.Ledger, sql: str) -> object:
    with ledger.engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar_one()


def test_the_four_tables_are_registered_for_commitments() -> None:
    names = {t.name for t in committed_tables()}
    assert {"consent_events", "review_cases", "identity_links", "identity_reviews"} <= names


def test_rows_written_through_the_ledger_verify(ledger: lg.Ledger, t0: dt.datetime) -> None:
    written = _write(ledger, t0)
    for table, n in written.n_rows.items():
        assert _scalar(ledger, f"SELECT count(*) FROM {table}") == n
    result = lg.audit_verify(ledger)
    assert result.ok, result.reason
    # 1 reviewer client + 1 identity change + 1 move + the four tables' rows
    assert result.rows_checked == 3 + sum(written.n_rows.values())
    actions = [e.action for e in lg.audit_entries(ledger)]
    assert actions.count("consent.import") == 1
    # the entries of these writes name the subjects by salted commitments, never by their ids
    with ledger.engine.connect() as conn:
        text = str(conn.execute(sa.text("SELECT payload, state FROM audit_log")).all())
    for subject in ("s0", "s1", "s2", "s7"):
        assert f'"{subject}"' not in text
    assert "paid since" not in text  # the reviewer's note on s0's case


def _edits(w: Written, link_id: int) -> dict[str, list[tuple[str, str, str]]]:
    """Per table: (SQL behind the ledger's back, the key the failure names, what it says)."""
    c, r, v = w.consent_id, w.case_id, w.review_id
    return {
        "consent_events": [
            (f"UPDATE consent_events SET action = 'withdraw' WHERE consent_id = '{c}'",
             f'["{c}"]', "edited behind the log"),
            ("INSERT INTO consent_events (consent_id, subject_id, scope_kind, scope, action, "
             "effective_at, recorded_at, actor, source) SELECT 'cns_forged', subject_id, "
             "scope_kind, 'telecom', action, effective_at, recorded_at, actor, source "
             f"FROM consent_events WHERE consent_id = '{c}'",
             '["cns_forged"]', "added behind the log"),
            (f"DELETE FROM consent_events WHERE consent_id = '{c}'", f'["{c}"]', "is gone"),
        ],
        "review_cases": [
            (f"UPDATE review_cases SET state = 'decided', final_outcome = 'A' "
             f"WHERE case_id = '{r}'", f'["{r}"]', "edited behind the log"),
            ("INSERT INTO review_cases (case_id, referral_key, kind, kinds, subject_id, purpose, "
             "policy, score_status, reasons, quality, proposed_outcome, options, basis, state, "
             "opened_at, opened_by, deadline, documents) SELECT 'rev_forged', 'forged', kind, "
             "kinds, subject_id, purpose, policy, score_status, reasons, quality, "
             "proposed_outcome, options, basis, state, opened_at, opened_by, deadline, documents "
             f"FROM review_cases WHERE case_id = '{r}'", '["rev_forged"]', "added behind the log"),
            (f"DELETE FROM review_cases WHERE case_id = '{r}'", f'["{r}"]', "is gone"),
        ],
        "identity_links": [
            (f"UPDATE identity_links SET subject_id = 's9' WHERE link_id = {link_id}",
             f"[{link_id}]", "edited behind the log"),
            ("INSERT INTO identity_links (link_id, profile_id, subject_id, match_weight, "
             "decided_by, evidence, linked_at) SELECT 99, 'p9', subject_id, match_weight, "
             f"decided_by, evidence, linked_at FROM identity_links WHERE link_id = {link_id}",
             "[99]", "added behind the log"),
            (f"DELETE FROM identity_links WHERE link_id = {link_id}", f"[{link_id}]", "is gone"),
        ],
        "identity_reviews": [
            (f"UPDATE identity_reviews SET status = 'distinct' WHERE review_id = '{v}'",
             f'["{v}"]', "edited behind the log"),
            ("INSERT INTO identity_reviews (review_id, profile_id, candidate_profile_id, "
             "candidate_subject_id, match_weight, evidence, status, opened_at) SELECT "
             "'rev-forged', 'p8', candidate_profile_id, candidate_subject_id, match_weight, "
             f"evidence, status, opened_at FROM identity_reviews WHERE review_id = '{v}'",
             '["rev-forged"]', "added behind the log"),
            (f"DELETE FROM identity_reviews WHERE review_id = '{v}'", f'["{v}"]', "is gone"),
        ],
    }  # fmt: skip


@pytest.mark.parametrize("table", ["consent_events", "review_cases", "identity_links",
                                   "identity_reviews"])  # fmt: skip
@pytest.mark.parametrize("kind", ["update", "insert", "delete"])
def test_a_direct_edit_is_detected_and_named(
    ledger: lg.Ledger, t0: dt.datetime, table: str, kind: str
) -> None:
    written = _write(ledger, t0)
    link_id = int(str(_scalar(ledger, "SELECT min(link_id) FROM identity_links")))
    assert lg.audit_verify(ledger).ok
    sql, key, says = _edits(written, link_id)[table][["update", "insert", "delete"].index(kind)]
    with ledger.engine.begin() as conn:
        assert conn.execute(sa.text(sql)).rowcount == 1
    result = lg.audit_verify(ledger)
    assert not result.ok
    assert result.first_bad_seq is None
    assert f"{table} row {key}" in str(result.reason)
    assert says in str(result.reason)


def test_a_change_written_through_the_ledger_after_an_edit_does_not_hide_it(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    written = _write(ledger, t0)
    with ledger.engine.begin() as conn:
        conn.execute(sa.text("UPDATE identity_reviews SET match_weight = 9.5 "
                             f"WHERE review_id = '{written.review_id}'"))  # fmt: skip
    # a write of another row commits that row only: the edited one still fails
    lg.open_identity_reviews(ledger, [lg.IdentityReviewItem("p5", "p6", "s5", 1.0, {})], at=t0)
    assert "identity_reviews row" in str(lg.audit_verify(ledger).reason)


def test_migration_0011_commits_the_rows_an_older_ledger_holds(
    ledger_url: str, t0: dt.datetime
) -> None:
    from trustscore.ledger._audit import append_entry
    from trustscore.ledger._commitments import row_commitment
    from trustscore.ledger._tables import (
        ConsentRow,
        IdentityLinkRow,
        IdentityReviewRow,
        RefusalRow,
        ReviewCaseRow,
    )

    old = lg.Ledger(ledger_url)
    old.upgrade("0010")
    refusal = {
        "refusal_id": 1,
        "kind": "not_own_file",
        "client_id": "cl_1",
        "token_fingerprint": None,
        "subject_id": "s2",
        "method": "GET",
        "path": "/v1/subjects/s2/file",
        "purpose": None,
        "reason": "not yours",
        "at": t0,
    }
    with old.engine.begin() as conn:  # rows 0010 wrote without commitments, by their tables
        conn.execute(
            sa.insert(ConsentRow.__table__),
            {
                "consent_id": "c1",
                "subject_id": "s1",
                "scope_kind": "category",
                "scope": "rent",
                "action": "grant",
                "effective_at": t0,
                "recorded_at": t0,
                "actor": "s1",
                "source": "subject",
            },
        )
        conn.execute(
            sa.insert(ReviewCaseRow.__table__),
            {
                "case_id": "rev_1",
                "referral_key": "k1",
                "kind": "near_cutoff",
                "kinds": ["near_cutoff"],
                "subject_id": "s1",
                "purpose": "credit_pricing",
                "policy": "tiers",
                "score_status": "OK",
                "reasons": [],
                "quality": [],
                "proposed_outcome": "B",
                "options": OPTIONS,
                "basis": {},
                "state": "open",
                "opened_at": t0,
                "opened_by": "system",
                "deadline": t0 + 7 * DAY,
                "documents": [],
            },
        )
        conn.execute(
            sa.insert(IdentityLinkRow.__table__),
            {
                "profile_id": "p1",
                "subject_id": "s1",
                "match_weight": 12.5,
                "decided_by": "splink",
                "evidence": {"fields": ["name"]},
                "linked_at": t0,
            },
        )
        conn.execute(
            sa.insert(IdentityReviewRow.__table__),
            {
                "review_id": "rev-1",
                "profile_id": "p2",
                "candidate_profile_id": "p1",
                "candidate_subject_id": "s1",
                "match_weight": 3.5,
                "evidence": {},
                "status": "open",
                "opened_at": t0,
            },
        )
        conn.execute(sa.insert(RefusalRow.__table__), refusal)
    # and the refusal's 0010 commitment: its content hash unsalted
    spec = next(t for t in committed_tables() if t.name == "access_refusals")
    with old.transaction() as session:
        append_entry(
            session,
            "cl_1",
            "access.refused",
            {"refusal_id": 1},
            t0,
            state=[["access_refusals", *row_commitment(spec, refusal)]],
        )
    before = lg.audit_verify(old)
    assert not before.ok  # the code commits these tables now; the 0010 rows are in no entry
    old.upgrade()
    assert old.revision() == "0013"
    baseline = lg.audit_entries(old)[-1]
    assert baseline.action == "audit.baseline"
    assert baseline.payload == {
        "tables": [
            "access_refusals",
            "consent_events",
            "identity_links",
            "identity_reviews",
            "review_cases",
        ],
        "rows": 5,
    }
    result = lg.audit_verify(old)
    assert result.ok, result.reason
    assert result.rows_checked == 5
    with old.engine.begin() as conn:
        conn.execute(sa.text("UPDATE review_cases SET state = 'decided'"))
    assert 'review_cases row ["rev_1"] differs' in str(lg.audit_verify(old).reason)
    old.dispose()
