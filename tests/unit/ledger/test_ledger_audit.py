"""The audit chain: every write appends one entry; any tampering is found; writers lose nothing."""

from __future__ import annotations

import datetime as dt
import itertools
import threading

import pytest
import sqlalchemy as sa

import trustscore.ledger as lg
from trustscore.exceptions import AuditChainError


def _sql(ledger: lg.Ledger, statements: str, **params: object) -> None:
    with ledger.engine.begin() as conn:
        for statement in statements.split(";"):
            conn.execute(
                sa.text(statement), {k: v for k, v in params.items() if f":{k}" in statement}
            )


def test_every_write_appends_one_entry_in_order(ledger: lg.Ledger, t0: dt.datetime) -> None:
    lg.record_batch(ledger, batch_id="b", file="f", kind="obligation", sha256="a" * 64,
                    rows_in=1, rows_stored=1, rows_quarantined=0)  # fmt: skip
    snap = lg.record_snapshot(
        ledger, subject_id="s1", as_of=dt.date(2026, 1, 1), model_version="1", model_hash="m",
        score=500, status="OK", subscores={}, reasons=[], feature_hash="f",
    )  # fmt: skip
    lg.record_decision(ledger, subject_id="s1", purpose="credit_limit", policy="p",
                       outcome="ok", adverse=False, snapshot_id=snap.snapshot_id)  # fmt: skip
    lg.log_access(ledger, client_id="c", subject_id="s1", purpose=None, action="file")
    d = lg.open_dispute(ledger, "s1", "obligation", "ob-1", "x", t0, actor="cl_sub")
    lg.resolve_dispute(ledger, d.dispute_id, "unverifiable", "op-1", t0)
    lg.record_suppression(ledger, "inquiry", "in-1", "court order")
    client, _ = lg.create_client(ledger, "auditor", actor="cl_admin")
    lg.revoke_client(ledger, client.client_id)
    lg.audit_append(ledger, "ops", "model.deploy", {"version": "1"})
    entries = lg.audit_entries(ledger)
    assert [e.action for e in entries] == [
        "batch.record", "snapshot.record", "decision.record", "access.log", "dispute.open",
        "dispute.resolve", "suppression.record", "suppression.record", "client.create",
        "client.revoke", "model.deploy",
    ]  # fmt: skip
    assert [e.seq for e in entries] == list(range(1, 12))
    assert entries[4].actor == "cl_sub"
    assert entries[5].actor == "op-1"
    assert entries[4].payload["deadline"] == (t0 + dt.timedelta(days=30)).isoformat()
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert lg.audit_entries(ledger, after=9, limit=1)[0].action == "client.revoke"
    assert lg.audit_verify(ledger).ok


@pytest.fixture
def chained(ledger: lg.Ledger) -> lg.Ledger:
    for i in range(5):
        lg.audit_append(ledger, f"actor-{i}", "note", {"i": i, "text": "é"})
    assert lg.audit_verify(ledger).ok
    return ledger


@pytest.mark.parametrize(
    ("statement", "bad_seq"),
    [
        ("UPDATE audit_log SET payload = :forged WHERE seq = 3", 3),
        ("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1", 1),
        ("UPDATE audit_log SET action = 'other' WHERE seq = 5", 5),
        ("UPDATE audit_log SET hash = prev_hash WHERE seq = 2", 2),
        ("DELETE FROM audit_log WHERE seq = 2", 2),
        ("DELETE FROM audit_log WHERE seq = 5", 5),
        ("DELETE FROM audit_log", 1),
        (
            "UPDATE audit_log SET seq = -seq WHERE seq IN (2, 4);"
            "UPDATE audit_log SET seq = CASE seq WHEN -2 THEN 4 ELSE 2 END WHERE seq < 0",
            2,
        ),
        ("UPDATE audit_head SET seq = 6", 6),
    ],
)
def test_tampering_is_found_at_the_first_bad_entry(
    chained: lg.Ledger, statement: str, bad_seq: int
) -> None:
    _sql(chained, statement, forged='{"i":9,"text":"é"}')
    result = lg.audit_verify(chained)
    assert not result.ok
    assert result.first_bad_seq == bad_seq
    assert result.reason
    with pytest.raises(AuditChainError, match=f"at entry {bad_seq}"):
        result.raise_for_status()


def test_a_timestamp_edit_is_found(chained: lg.Ledger) -> None:
    [entry] = lg.audit_entries(chained, after=2, limit=1)
    _sql(chained, "UPDATE audit_log SET at = :at WHERE seq = 3",
         at=entry.at + dt.timedelta(seconds=1))  # fmt: skip
    assert lg.audit_verify(chained).first_bad_seq == 3


def test_a_forged_entry_appended_behind_the_head_is_found(chained: lg.Ledger) -> None:
    last = lg.audit_entries(chained)[-1]
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    from trustscore.ledger._audit import entry_hash, entry_leaf_hash

    digest = entry_hash(last.hash, 6, at, "mallory", "note", "{}")
    _sql(chained, "INSERT INTO audit_log (seq, at, actor, action, payload, prev_hash, hash, "
         "leaf_hash) VALUES (6, :at, 'mallory', 'note', '{}', :prev, :h, :leaf)",
         at=at.replace(tzinfo=None) if chained.backend == "sqlite" else at, prev=last.hash,
         h=digest, leaf=entry_leaf_hash(6, at, "mallory", "note", "{}"))  # fmt: skip
    assert lg.audit_verify(chained).first_bad_seq == 6


def test_concurrent_writers_lose_nothing(ledger: lg.Ledger, t0: dt.datetime) -> None:
    n_threads, n_each = 8, 25
    errors: list[BaseException] = []
    barrier = threading.Barrier(n_threads)

    def work(k: int) -> None:
        try:
            barrier.wait()
            for i in range(n_each):
                d = lg.open_dispute(ledger, f"s{k}", "obligation", f"ob-{k}-{i}", "x", t0)
                outcome = "verified" if i % 2 else "unverifiable"
                lg.resolve_dispute(ledger, d.dispute_id, outcome, f"op-{k}", t0)
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    total = n_threads * n_each
    n_unverifiable = n_threads * ((n_each + 1) // 2)
    assert len(lg.disputes(ledger)) == total
    assert len(lg.disputes(ledger, "open")) == 0
    assert len(lg.disputes(ledger, "unverifiable")) == n_unverifiable
    assert len(lg.suppressions(ledger)) == n_unverifiable
    result = lg.audit_verify(ledger)
    assert result.ok, result
    assert result.n_entries == result.head_seq == 2 * total + n_unverifiable
