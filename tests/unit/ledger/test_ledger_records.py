"""Schema, batches, snapshots, decisions, access log and aggregates, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import trustscore.ledger as lg
from trustscore.exceptions import LedgerError, SchemaError

TABLES = [
    "access_log", "access_refusals", "api_clients", "audit_checkpoints", "audit_head",
    "audit_log", "audit_salts", "consent_events", "decisions", "dispute_kinds", "disputes",
    "held_batches", "identity_changes", "identity_links", "identity_moves", "identity_reviews",
    "ingest_batches", "job_leases", "latest_score_bases", "latest_scores", "model_approvals",
    "model_events", "model_registry", "review_cases", "score_snapshots", "suppressions",
]  # fmt: skip


def test_create_all_makes_every_table_and_an_empty_chain(ledger: lg.Ledger) -> None:
    # (the shared PostgreSQL ledger may have been stamped by the adoption test below)
    assert [t for t in ledger.table_names() if t != "alembic_version"] == TABLES
    result = lg.audit_verify(ledger)
    assert (result.ok, result.n_entries, result.head_seq) == (True, 0, 0)
    assert result.head_hash == "0" * 64


def test_upgrade_creates_the_same_tables_and_is_repeatable(ledger_url: str) -> None:
    ledger = lg.Ledger(ledger_url)
    assert ledger.revision() is None
    ledger.upgrade()
    ledger.upgrade()
    assert ledger.revision() == "0013"
    assert ledger.table_names() == sorted([*TABLES, "alembic_version"])
    lg.audit_append(ledger, "ops", "note", {"n": 1})
    assert lg.audit_verify(ledger).head_seq == 1
    ledger.dispose()


def test_upgrade_adopts_a_ledger_built_by_create_all(ledger: lg.Ledger) -> None:
    lg.audit_append(ledger, "ops", "note", {})
    ledger.upgrade()
    assert ledger.revision() == "0013"
    assert lg.audit_verify(ledger).n_entries == 1


def test_unsupported_url_is_refused() -> None:
    with pytest.raises(LedgerError, match="SQLite or PostgreSQL"):
        lg.Ledger("mysql://user:secret@host/db")
    with pytest.raises(LedgerError, match="not a database URL"):
        lg.Ledger("not a url")


def test_repr_hides_the_password() -> None:
    ledger = lg.Ledger("postgresql+psycopg://user:s3cret@127.0.0.1:1/db")
    assert "s3cret" not in repr(ledger)
    assert "***" in ledger.safe_url


def test_batch_is_recorded_once_and_counts_must_reconcile(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    kwargs = {"batch_id": "b1", "file": "ob.csv", "kind": "obligation", "sha256": "a" * 64}
    batch = lg.record_batch(
        ledger, **kwargs, rows_in=10, rows_stored=7, rows_quarantined=3, ingested_at=t0
    )
    assert (batch.rows_in, batch.rows_stored, batch.rows_quarantined) == (10, 7, 3)
    assert batch.ingested_at == t0
    again = lg.record_batch(ledger, **kwargs, rows_in=10, rows_stored=7, rows_quarantined=3)
    assert again == batch
    assert [b.batch_id for b in lg.batches(ledger)] == ["b1"]
    assert lg.audit_verify(ledger).n_entries == 1  # the no-op wrote no second entry
    with pytest.raises(LedgerError, match="already recorded"):
        lg.record_batch(
            ledger, **{**kwargs, "sha256": "b" * 64}, rows_in=1, rows_stored=1,
            rows_quarantined=0,
        )  # fmt: skip
    with pytest.raises(SchemaError, match=r"rows in \(10\) must equal"):
        lg.record_batch(
            ledger, **{**kwargs, "batch_id": "b2"}, rows_in=10, rows_stored=7,
            rows_quarantined=2,
        )  # fmt: skip


def _snap(ledger: lg.Ledger, subject: str, as_of: dt.date, score: int | None, **kw: object):
    return lg.record_snapshot(
        ledger, subject_id=subject, as_of=as_of, model_version="1.0.0", model_hash="m" * 64,
        score=score, status="OK" if score is not None else "NS",
        subscores=kw.get("subscores", {"payment": 310, "credit": None}),
        reasons=kw.get("reasons", [{"code": "R01", "text": "late payments"}]),
        feature_hash="f" * 64,
    )  # fmt: skip


def test_snapshots_round_trip_and_latest_is_by_as_of(ledger: lg.Ledger) -> None:
    first = _snap(ledger, "s1", dt.date(2026, 2, 28), 640)
    _snap(ledger, "s1", dt.date(2026, 1, 31), 600)  # a replay of an earlier date
    _snap(ledger, "s2", dt.date(2026, 3, 31), None)
    latest = lg.latest_snapshot(ledger, "s1")
    assert latest is not None
    assert latest.snapshot_id == first.snapshot_id
    assert (latest.score, latest.status, latest.as_of) == (640, "OK", dt.date(2026, 2, 28))
    assert latest.subscores == {"payment": 310, "credit": None}
    assert latest.reasons == [{"code": "R01", "text": "late payments"}]
    assert [s.score for s in lg.snapshots(ledger, "s1")] == [600, 640]
    ns = lg.latest_snapshot(ledger, "s2")
    assert ns is not None
    assert (ns.status, ns.score) == ("NS", None)
    assert lg.latest_snapshot(ledger, "nobody") is None


@pytest.mark.parametrize(
    ("score", "status", "match"),
    [(500, "NS", "carries no score"), (1001, "OK", "0-1000"), (None, "OK", "0-1000"),
     (-1, "OK", "0-1000"), (500, "BAD", "one of OK, NS")],
)  # fmt: skip
def test_invalid_snapshots_are_refused(
    ledger: lg.Ledger, score: int | None, status: str, match: str
) -> None:
    with pytest.raises(SchemaError, match=match):
        lg.record_snapshot(
            ledger, subject_id="s1", as_of=dt.date(2026, 1, 1), model_version="1",
            model_hash="m", score=score, status=status, subscores={}, reasons=[],
            feature_hash="f",
        )  # fmt: skip
    assert lg.snapshots(ledger, "s1") == []


def test_decisions_keep_their_notice_and_snapshot(ledger: lg.Ledger, t0: dt.datetime) -> None:
    snap = _snap(ledger, "s1", dt.date(2026, 2, 28), 420)
    notice = {"reasons": ["R01", "R07"], "how_to_dispute": "POST /v1/disputes"}
    d = lg.record_decision(
        ledger, subject_id="s1", purpose="credit_limit", policy="limits-v1", outcome="decline",
        adverse=True, notice=notice, snapshot_id=snap.snapshot_id, client_id="cl_x", now=t0,
    )  # fmt: skip
    [stored] = lg.decisions(ledger, "s1")
    assert stored == d
    assert (stored.notice, stored.snapshot_id, stored.decided_at) == (notice, snap.snapshot_id, t0)
    with pytest.raises(SchemaError, match="adverse-action notice"):
        lg.record_decision(
            ledger, subject_id="s1", purpose="credit_limit", policy="limits-v1",
            outcome="decline", adverse=True,
        )  # fmt: skip
    assert len(lg.decisions(ledger, "s1")) == 1


def test_access_log_is_per_subject_and_keeps_microseconds(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    lg.log_access(ledger, client_id="bank", subject_id="s1", purpose="credit_limit",
                  action="score", now=t0)  # fmt: skip
    lg.log_access(ledger, client_id="s2-self", subject_id="s2", purpose=None, action="file")
    [only] = lg.accesses(ledger, "s1")
    assert (only.client_id, only.purpose, only.action, only.at) == (
        "bank", "credit_limit", "score", t0,
    )  # fmt: skip
    assert only.at.tzinfo is not None
    assert [a.subject_id for a in lg.accesses(ledger, "s2")] == ["s2"]


def test_naive_datetimes_are_refused(ledger: lg.Ledger) -> None:
    with pytest.raises(SchemaError, match="timezone-aware"):
        lg.log_access(ledger, client_id="c", subject_id="s", purpose=None, action="file",
                      now=dt.datetime(2026, 1, 1))  # fmt: skip


def test_aggregates_count_without_subject_identifiers(ledger: lg.Ledger, t0: dt.datetime) -> None:
    for subject in ("subject-aaa", "subject-bbb"):
        lg.log_access(ledger, client_id="bank", subject_id=subject, purpose="credit_limit",
                      action="score")  # fmt: skip
    d = lg.open_dispute(ledger, "subject-aaa", "obligation", "ob-1", "paid", t0)
    lg.open_dispute(ledger, "subject-bbb", "obligation", "ob-2", "paid", t0)
    lg.resolve_dispute(ledger, d.dispute_id, "verified", "op", t0)
    lg.create_client(ledger, "auditor")
    agg = lg.aggregates(ledger)
    assert agg["disputes_by_status"] == {"open": 1, "verified": 1}
    assert agg["accesses"] == [{"action": "score", "purpose": "credit_limit", "count": 2}]
    assert agg["active_clients_by_role"] == {"auditor": 1}
    assert agg["audit_entries"] == 6
    assert "subject-" not in json.dumps(agg)
