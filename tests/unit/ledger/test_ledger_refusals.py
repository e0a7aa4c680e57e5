"""Refused requests and job leases in the ledger, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

import trustscore.ledger as lg
from trustscore.exceptions import SchemaError

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
