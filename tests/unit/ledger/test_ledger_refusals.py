"""Refused requests and job leases in the ledger, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
import sqlalchemy as sa

import trustscore.ledger as lg
from trustscore.exceptions import LedgerError, SchemaError
from trustscore.ledger._audit import append_entry
from trustscore.ledger._tables import RefusalRow

T0 = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)


def _attempt(kind: str, **kw: object) -> lg.RefusalAttempt:
    fields: dict[str, object] = {
        "method": "POST", "path": "/v1/scores", "reason": f"refused: {kind}", "at": T0,
    }  # fmt: skip
    fields.update(kw)
    return lg.RefusalAttempt(kind, **fields)  # type: ignore[arg-type]


def test_refusals_are_recorded_with_their_audit_entries_and_counted(ledger: lg.Ledger) -> None:
    recorded = lg.record_refusals(
        ledger,
        [
            _attempt("purpose_refused", client_id="cl_bank", subject_id="s1", purpose="employment"),
            _attempt("invalid_token", token_fingerprint="ab" * 8, subject_id="s1"),
            _attempt("rate_limited", client_id="cl_bank"),
            _attempt("purpose_refused", client_id="cl_bank", subject_id="s2", purpose="travel"),
        ],
    )
    assert [r.refusal_id for r in recorded] == sorted({r.refusal_id for r in recorded})
    assert [r.actor for r in recorded] == ["cl_bank", f"token:{'ab' * 8}", "cl_bank", "cl_bank"]
    assert lg.refusals(ledger) == recorded
    assert [(r.kind, r.purpose) for r in lg.refusals(ledger, subject_id="s1")] == [
        ("purpose_refused", "employment"), ("invalid_token", None),
    ]  # fmt: skip
    assert len(lg.refusals(ledger, client_id="cl_bank", kind="purpose_refused")) == 2
    assert lg.refusals(ledger)[0].at == T0
    entries = lg.audit_entries(ledger)
    assert [e.action for e in entries] == ["access.refused"] * 4
    held = entries[0].payload["subject_id"]
    assert entries[0].payload == {
        "refusal_id": recorded[0].refusal_id, "kind": "purpose_refused", "client_id": "cl_bank",
        "token_fingerprint": None, "subject_id": held, "method": "POST", "path": "/v1/scores",
        "purpose": "employment", "reason": "refused: purpose_refused",
    }  # fmt: skip
    # the entry names the subject by a salted commitment, never by the id
    assert held != "s1"
    assert lg.personal_matches(ledger, "s1", "s1", held)
    assert entries[2].payload["subject_id"] is None
    assert lg.audit_verify(ledger).ok
    assert lg.aggregates(ledger)["refusals"] == [
        {"kind": "invalid_token", "client_id": None, "count": 1},
        {"kind": "purpose_refused", "client_id": "cl_bank", "count": 2},
        {"kind": "rate_limited", "client_id": "cl_bank", "count": 1},
    ]


def test_no_refused_entry_holds_the_subject_id_yet_the_subject_sees_the_attempts(
    ledger: lg.Ledger,
) -> None:
    sid = "subj-Carol-42"
    lg.record_refusals(
        ledger,
        [
            _attempt("not_own_file", client_id="cl_dave", subject_id=sid, method="GET",
                     path=f"/v1/subjects/{sid}/file", reason=f"{sid} is not cl_dave's file"),
            _attempt("purpose_refused", client_id="cl_bank", subject_id=sid, purpose="employment"),
            _attempt("invalid_token", token_fingerprint="cd" * 8, subject_id="subj-Erin"),
        ],
    )  # fmt: skip
    with ledger.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT payload, state FROM audit_log")).all()
    assert len(rows) == 3
    assert sid not in json.dumps([list(r) for r in rows])
    assert "subj-Erin" not in json.dumps([list(r) for r in rows])
    first, second, _ = lg.audit_entries(ledger)
    assert lg.personal_matches(ledger, sid, f"/v1/subjects/{sid}/file", first.payload["path"])
    assert lg.personal_matches(ledger, sid, f"{sid} is not cl_dave's file", first.payload["reason"])
    assert second.payload["path"] == "/v1/scores"  # names no one: kept as it is
    assert [(r.kind, r.client_id) for r in lg.refusals(ledger, subject_id=sid)] == [
        ("not_own_file", "cl_dave"), ("purpose_refused", "cl_bank"),
    ]  # fmt: skip
    assert lg.audit_verify(ledger).ok
    # salted: the same refusal about another subject commits to another content hash
    with ledger.engine.begin() as conn:
        conn.execute(sa.text("UPDATE access_refusals SET subject_id = 'subj-Erin' "
                             "WHERE kind = 'purpose_refused'"))  # fmt: skip
    assert "access_refusals row [2] differs" in str(lg.audit_verify(ledger).reason)


def test_erasing_a_subject_removes_their_refusals_then_the_salt_and_the_log_verifies(
    ledger: lg.Ledger,
) -> None:
    lg.record_refusals(
        ledger,
        [_attempt("purpose_refused", client_id="cl_bank", subject_id="s1", purpose="employment"),
         _attempt("purpose_refused", client_id="cl_bank", subject_id="s2", purpose="employment")],
    )  # fmt: skip
    with pytest.raises(LedgerError, match="still has rows in access_refusals"):
        lg.erase_salt(ledger, "s1")
    with ledger.transaction() as session:  # what an erasure does with the subject's rows
        rows = session.scalars(sa.select(RefusalRow).where(RefusalRow.subject_id == "s1")).all()
        gone = [lg.removal(RefusalRow, [r.refusal_id]) for r in rows]
        for r in rows:
            session.delete(r)
        session.flush()
        append_entry(session, "dpo", "subject.erase", {"rows": len(gone)}, T0, state=gone)
    assert lg.erase_salt(ledger, "s1", now=T0)
    result = lg.audit_verify(ledger)
    assert result.ok, result.reason
    assert [r.subject_id for r in lg.refusals(ledger)] == ["s2"]
    assert lg.aggregates(ledger)["refusals"] == [
        {"kind": "purpose_refused", "client_id": "cl_bank", "count": 1},
    ]


def test_a_bad_refusal_writes_nothing(ledger: lg.Ledger) -> None:
    with pytest.raises(SchemaError, match="'kind' field must be one of four_eyes, invalid_token"):
        lg.record_refusals(ledger, [_attempt("rate_limited"), _attempt("curious")])
    with pytest.raises(SchemaError, match="'reason' field"):
        lg.record_refusals(ledger, [_attempt("rate_limited", reason="")])
    assert lg.refusals(ledger) == []
    assert lg.audit_verify(ledger).n_entries == 0


def test_a_refusal_of_an_overlong_path_is_kept_cut_to_its_column(ledger: lg.Ledger) -> None:
    [r] = lg.record_refusals(ledger, [_attempt("invalid_token", path="/v1/" + "x" * 900)])
    assert lg.refusals(ledger)[0].path == r.path == ("/v1/" + "x" * 900)[:512]


def test_a_lease_is_held_renewed_taken_over_when_expired_and_released(ledger: lg.Ledger) -> None:
    later = T0 + dt.timedelta(seconds=59)
    assert lg.acquire_lease(ledger, "job", "w1", ttl_s=60, now=T0)
    assert not lg.acquire_lease(ledger, "job", "w2", ttl_s=60, now=later)
    assert lg.acquire_lease(ledger, "job", "w1", ttl_s=60, now=later)  # renewed to later + 60
    assert not lg.acquire_lease(ledger, "job", "w2", ttl_s=60, now=T0 + dt.timedelta(seconds=118))
    assert lg.lease_holder(ledger, "job", T0 + dt.timedelta(seconds=118)) == "w1"
    assert lg.lease_holder(ledger, "job", T0 + dt.timedelta(seconds=119)) is None
    assert lg.acquire_lease(ledger, "job", "w2", ttl_s=60, now=T0 + dt.timedelta(seconds=119))
    assert not lg.release_lease(ledger, "job", "w1")
    assert lg.release_lease(ledger, "job", "w2")
    assert lg.acquire_lease(ledger, "job", "w1", ttl_s=60, now=T0 + dt.timedelta(seconds=120))
    assert lg.acquire_lease(ledger, "other", "w2", ttl_s=60, now=T0)  # one lease per job
    with pytest.raises(SchemaError, match="ttl_s must be > 0"):
        lg.acquire_lease(ledger, "job", "w1", ttl_s=0)


def test_of_workers_racing_for_a_new_lease_one_gets_it(ledger: lg.Ledger) -> None:
    start = threading.Barrier(4)
    won: list[str] = []

    def take(name: str) -> None:
        start.wait()
        if lg.acquire_lease(ledger, "race", name, ttl_s=60, now=T0):
            won.append(name)

    threads = [threading.Thread(target=take, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1
    assert lg.lease_holder(ledger, "race", T0) == won[0]
