"""record_score_accesses: many scores' snapshots, decisions and accesses in one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
import sqlalchemy as sa

from trustscore.exceptions import SchemaError
from trustscore.ledger import (
    DecisionTaken,
    Ledger,
    ScoreAccess,
    accesses,
    audit_entries,
    audit_verify,
    decisions,
    log_access,
    personal_matches,
    record_decision,
    record_score_accesses,
    record_scored_accesses,
    record_snapshot,
    snapshots,
)


def _item(subject: str, score: int | None, at: dt.datetime, status: str = "OK") -> ScoreAccess:
    return ScoreAccess(
        subject_id=subject, as_of=dt.date(2026, 2, 28), model_version="1.0.0",
        model_hash="m" * 64, score=score, status=status,
        subscores={} if score is None else {"payment": score // 2},
        reasons=[{"code": "R01", "text": "late bills", "improve": "pay on time"}],
        feature_hash="sha256:" + "f" * 64, client_id="cl_bank", purpose="credit_limit", at=at,
    )  # fmt: skip


def test_a_group_writes_what_one_by_one_writes(ledger: Ledger, t0: dt.datetime) -> None:
    items = [_item(f"s{i}", 500 + i, t0 + dt.timedelta(seconds=i)) for i in range(5)]
    items.append(_item("s-ns", None, t0 + dt.timedelta(seconds=9), status="NS"))
    written = record_score_accesses(ledger, items)
    assert [s.subject_id for s, _ in written] == [it.subject_id for it in items]
    assert [s.score for s, _ in written] == [500, 501, 502, 503, 504, None]
    assert len({s.snapshot_id for s, _ in written}) == 6
    for (snap, access), it in zip(written, items, strict=True):
        assert snapshots(ledger, it.subject_id) == [snap]
        assert accesses(ledger, it.subject_id) == [access]
        assert (access.client_id, access.purpose, access.action, access.at) == (
            "cl_bank", "credit_limit", "score", it.at,
        )  # fmt: skip
    entries = audit_entries(ledger)
    assert [e.action for e in entries] == ["snapshot.record", "access.log"] * 6
    assert entries[0].payload["snapshot_id"] == written[0][0].snapshot_id
    assert entries[1].payload == {
        "access_id": written[0][1].access_id, "subject_id": entries[0].payload["subject_id"],
        "purpose": "credit_limit", "action": "score",
    }  # fmt: skip
    # the subject is named by a salted commitment, never by its id
    assert personal_matches(ledger, "s0", "s0", entries[1].payload["subject_id"])
    verified = audit_verify(ledger)
    assert verified.ok, verified.reason
    assert verified.n_entries == 12


def _twins() -> tuple[Ledger, Ledger]:
    """Two empty ledgers whose subjects have the same salts, so their entries can be equal."""
    grouped, single = Ledger("sqlite://"), Ledger("sqlite://")
    for ledger in (grouped, single):
        ledger.create_all()
        with ledger.engine.begin() as conn:
            for i in range(3):
                conn.execute(
                    sa.text("INSERT INTO audit_salts VALUES (:s, :salt, '2026-01-01 00:00:00')"),
                    {"s": f"s{i}", "salt": f"{i:064x}"},
                )
    return grouped, single


def test_the_chain_equals_the_one_by_one_chain(t0: dt.datetime) -> None:
    grouped, single = _twins()
    items = [_item(f"s{i}", 600 + i, t0 + dt.timedelta(seconds=i)) for i in range(3)]
    record_score_accesses(grouped, items)
    for it in items:
        assert it.at is not None
        record_snapshot(
            single, subject_id=it.subject_id, as_of=it.as_of, model_version=it.model_version,
            model_hash=it.model_hash, score=it.score, status=it.status, subscores=it.subscores,
            reasons=it.reasons, feature_hash=it.feature_hash, now=it.at, actor=it.client_id,
        )  # fmt: skip
        log_access(
            single, client_id=it.client_id, subject_id=it.subject_id, purpose=it.purpose,
            action=it.action, now=it.at,
        )  # fmt: skip
    assert audit_entries(grouped) == audit_entries(single)


def test_one_bad_item_writes_nothing(ledger: Ledger, t0: dt.datetime) -> None:
    good = _item("s1", 700, t0)
    bad = _item("s2", None, t0, status="OK")  # an OK score needs a number
    with pytest.raises(SchemaError, match="OK snapshot needs an integer score"):
        record_score_accesses(ledger, [good, bad])
    assert snapshots(ledger, "s1") == []
    assert audit_verify(ledger).n_entries == 0
    assert record_score_accesses(ledger, []) == []


def _decided(subject: str, score: int | None, at: dt.datetime, *, adverse: bool) -> ScoreAccess:
    base = _item(subject, score, at, status="OK" if score is not None else "NS")
    notice = {"reasons": ["R01"], "dispute": "/v1/disputes"} if adverse else None
    return replace(
        base, action="decision",
        decision=DecisionTaken("credit_limit-v1", "decline" if adverse else "tier_2",
                               adverse=adverse, notice=notice),
    )  # fmt: skip


def test_decisions_are_recorded_with_their_snapshots(ledger: Ledger, t0: dt.datetime) -> None:
    items = [
        _decided("s1", 420, t0, adverse=True),
        _item("s2", 700, t0 + dt.timedelta(seconds=1)),
        _decided("s3", 810, t0 + dt.timedelta(seconds=2), adverse=False),
    ]
    written = record_scored_accesses(ledger, items)
    assert [r.decision is None for r in written] == [False, True, False]
    first, _, third = written
    assert first.decision is not None
    assert third.decision is not None
    assert decisions(ledger, "s1") == [first.decision]
    assert (first.decision.snapshot_id, first.decision.client_id, first.decision.adverse) == (
        first.snapshot.snapshot_id, "cl_bank", True,
    )  # fmt: skip
    assert first.decision.notice == {"reasons": ["R01"], "dispute": "/v1/disputes"}
    assert (third.decision.outcome, third.decision.decided_at) == ("tier_2", items[2].at)
    assert [a.action for a in accesses(ledger, "s1")] == ["decision"]
    assert [e.action for e in audit_entries(ledger)] == [
        "snapshot.record", "decision.record", "access.log",
        "snapshot.record", "access.log",
        "snapshot.record", "decision.record", "access.log",
    ]  # fmt: skip
    assert audit_verify(ledger).ok


def test_a_grouped_decision_chains_as_the_three_writes_one_by_one(t0: dt.datetime) -> None:
    grouped, single = _twins()
    item = _decided("s1", 430, t0, adverse=True)
    record_scored_accesses(grouped, [item])
    assert item.decision is not None
    snap = record_snapshot(
        single, subject_id=item.subject_id, as_of=item.as_of, model_version=item.model_version,
        model_hash=item.model_hash, score=item.score, status=item.status,
        subscores=item.subscores, reasons=item.reasons, feature_hash=item.feature_hash,
        now=item.at, actor=item.client_id,
    )  # fmt: skip
    record_decision(
        single, subject_id=item.subject_id, purpose="credit_limit", policy=item.decision.policy,
        outcome=item.decision.outcome, adverse=True, notice=item.decision.notice,
        snapshot_id=snap.snapshot_id, client_id=item.client_id, now=item.at,
        actor=item.client_id,
    )  # fmt: skip
    log_access(
        single, client_id=item.client_id, subject_id=item.subject_id, purpose=item.purpose,
        action="decision", now=item.at,
    )  # fmt: skip
    assert audit_entries(grouped) == audit_entries(single)
    assert audit_verify(grouped).head_hash == audit_verify(single).head_hash
    # the rows as stored, not as read back: the grouped path writes SQLite's values itself
    for table in ("score_snapshots", "decisions", "access_log", "audit_log", "audit_head"):
        assert _stored(grouped, table) == _stored(single, table), table


def _stored(ledger: Ledger, table: str) -> list[tuple[object, ...]]:
    with ledger.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {table}")]


def test_an_adverse_decision_without_a_notice_writes_nothing(
    ledger: Ledger, t0: dt.datetime
) -> None:
    bad = replace(
        _decided("s1", 420, t0, adverse=True), decision=DecisionTaken("p", "decline", True)
    )
    with pytest.raises(SchemaError, match="must carry its adverse-action notice"):
        record_scored_accesses(ledger, [_item("s0", 700, t0), bad])
    assert snapshots(ledger, "s0") == []
    assert decisions(ledger, "s1") == []
    assert audit_verify(ledger).n_entries == 0
