"""Consent events on SQLite and PostgreSQL: recorded with audit entries, in force per scope."""

from __future__ import annotations

import datetime as dt

import pytest

import trustscore.ledger as lg
from trustscore.exceptions import SchemaError

DAY = dt.timedelta(days=1)


def _grant(
    ledger: lg.Ledger, t0: dt.datetime, scope: str = "rent", **kw: object
) -> lg.ConsentEvent:
    args: dict[str, object] = {"actor": "s1", "source": "subject", "now": t0, **kw}
    return lg.record_consent(ledger, "s1", "category", scope, "grant", **args)  # type: ignore[arg-type]


def test_each_event_is_stored_and_chained_in_the_audit_log(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    g = _grant(ledger, t0)
    w = lg.record_consent(ledger, "s1", "category", "rent", "withdraw", actor="ops-1",
                          source="operator", now=t0 + DAY)  # fmt: skip
    assert lg.consent_events(ledger, subject_id="s1") == [g, w]
    assert lg.consent_events(ledger, subject_id="s2") == []
    entries = lg.audit_entries(ledger)
    assert [(e.action, e.actor, e.payload["consent_id"]) for e in entries] == [
        ("consent.grant", "s1", g.consent_id),
        ("consent.withdraw", "ops-1", w.consent_id),
    ]
    assert entries[1].payload["source"] == "operator"
    assert entries[1].at == t0 + DAY
    assert lg.audit_verify(ledger).ok


def test_in_force_is_the_latest_event_per_scope_effective_and_recorded_by_then(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    _grant(ledger, t0, "rent")
    _grant(ledger, t0, "telecom")
    lg.record_consent(ledger, "s1", "furnisher", "power-co", "grant", actor="s1",
                      source="subject", now=t0, effective_at=t0 + 5 * DAY)  # fmt: skip
    lg.record_consent(ledger, "s1", "category", "rent", "withdraw", actor="s1",
                      source="subject", now=t0 + 3 * DAY)  # fmt: skip

    def scopes(at: dt.datetime) -> list[tuple[str, str]]:
        return [(e.scope_kind, e.scope) for e in lg.consents_in_force(ledger, "s1", at)]

    assert scopes(t0 - DAY) == []
    assert scopes(t0 + DAY) == [("category", "rent"), ("category", "telecom")]
    assert scopes(t0 + 4 * DAY) == [("category", "telecom")]
    assert scopes(t0 + 6 * DAY) == [("category", "telecom"), ("furnisher", "power-co")]
    # granted again after the withdrawal: in force again
    _grant(ledger, t0 + 7 * DAY, "rent")
    assert ("category", "rent") in scopes(t0 + 8 * DAY)
    assert ("category", "rent") not in scopes(t0 + 4 * DAY)


def test_an_event_recorded_later_does_not_change_the_past(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    # recorded on day 10, effective (back-dated) on day 1: not in force as known on day 5
    _grant(ledger, t0 + 10 * DAY, effective_at=t0 + DAY)
    assert lg.consents_in_force(ledger, "s1", t0 + 5 * DAY) == []
    assert len(lg.consents_in_force(ledger, "s1", t0 + 10 * DAY)) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("scope_kind", "everything"), ("action", "maybe"), ("source", "lender"), ("scope", " ")],
)
def test_bad_fields_are_refused_and_nothing_is_written(
    ledger: lg.Ledger, t0: dt.datetime, field: str, value: str
) -> None:
    args = {"subject_id": "s1", "scope_kind": "category", "scope": "rent", "action": "grant",
            "actor": "s1", "source": "subject", "now": t0, field: value}  # fmt: skip
    with pytest.raises(SchemaError, match=field):
        lg.record_consent(ledger, **args)  # type: ignore[arg-type]
    assert lg.consent_events(ledger) == []
    assert lg.audit_verify(ledger).n_entries == 0


def test_a_bulk_load_is_one_transaction_and_refuses_a_repeat(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    events = [
        lg.ConsentEvent(
            f"syn-{i}", f"s{i}", "category", "utility", "grant", t0, t0, "synth", "synthetic"
        )
        for i in range(3)
    ]
    assert lg.record_consents(ledger, events) == events
    with pytest.raises(SchemaError, match="already in the ledger"):
        lg.record_consents(ledger, [events[1]])
    with pytest.raises(SchemaError, match="given twice"):
        lg.record_consents(ledger, [events[0], events[0]])
    assert len(lg.consent_events(ledger)) == 3
    result = lg.audit_verify(ledger)
    assert (result.ok, result.n_entries) == (True, 3)
    naive = dt.datetime(2026, 1, 1)
    bad = lg.ConsentEvent("x", "s1", "category", "rent", "grant", naive, t0, "a", "subject")
    with pytest.raises(SchemaError, match="timezone-aware"):
        lg.record_consents(ledger, [bad])


def test_an_import_is_one_audit_entry_that_commits_to_every_event(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    rows = [
        {"consent_id": f"syn-{i}", "subject_id": f"s{i % 2}", "scope_kind": "category",
         "scope": "utility", "action": "grant" if i < 3 else "withdraw",
         "effective_at": t0 + i * DAY, "recorded_at": t0 + i * DAY}
        for i in range(4)
    ]  # fmt: skip
    assert lg.import_consents(ledger, rows, actor="synth", source="synthetic", label="f") == 4
    assert lg.import_consents(ledger, rows, actor="synth", source="synthetic", label="f") == 0
    events = lg.consent_events(ledger)
    assert [(e.consent_id, e.actor, e.source) for e in events] == [
        (f"syn-{i}", "synth", "synthetic") for i in range(4)
    ]
    [entry] = lg.audit_entries(ledger)
    assert (entry.action, entry.payload["n_events"], entry.payload["last_consent_id"]) == (
        "consent.import", 4, "syn-3",
    )  # fmt: skip
    # the digest depends on every field of every event
    other = [dict(r) for r in rows]
    other[2]["scope"] = "rent"
    fresh = lg.Ledger("sqlite://")
    fresh.create_all()
    lg.import_consents(fresh, other, actor="synth", source="synthetic", label="f")
    assert lg.audit_entries(fresh)[0].payload["sha256"] != entry.payload["sha256"]
    assert [e.scope for e in lg.consents_in_force(ledger, "s1", t0 + 2 * DAY)] == ["utility"]
    assert lg.consents_in_force(ledger, "s1", t0 + 4 * DAY) == []
    with pytest.raises(SchemaError, match="action"):
        lg.import_consents(ledger, [{**rows[0], "consent_id": "x", "action": "maybe"}],
                           actor="synth", source="synthetic", label="f")  # fmt: skip
