"""Consent: bills of a category that needs it count only while a consent covering them holds."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from trustscore.exceptions import SchemaError
from trustscore.features import (
    DEFAULT_CONSENT_CATEGORIES,
    bills_without_consent,
    compute_features,
    count_bills_without_consent,
)
from trustscore.records import RecordStore, write_consents

D = dt.date
EARLY = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
AS_OF = D(2024, 6, 30)
BILLS = DEFAULT_CONSENT_CATEGORIES


def _at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)  # type: ignore[misc]


def _event(cid: str, action: str, scope: str, effective: dt.datetime,
           recorded: dt.datetime | None = None, kind: str = "category",
           sid: str = "s1") -> dict[str, Any]:  # fmt: skip
    return {"consent_id": cid, "subject_id": sid, "scope_kind": kind, "scope": scope,
            "action": action, "effective_at": effective,
            "recorded_at": effective if recorded is None else recorded}  # fmt: skip


@pytest.fixture
def s1(store: Any, kit: SimpleNamespace) -> Any:
    """s1 with two paid-late utility bills from water-co and one on-time telecom bill."""
    store.batch("subject", [kit.subject("s1", D(2010, 1, 1))], EARLY)
    late = kit.bill("w1", "s1", D(2024, 3, 1), 50.0, D(2024, 4, 15))
    late2 = kit.bill("w2", "s1", D(2024, 4, 1), 50.0, D(2024, 5, 15))
    phone = {**kit.bill("t1", "s1", D(2024, 5, 1), 30.0, D(2024, 5, 1)), "category": "telecom",
             "furnisher": "phone-co"}  # fmt: skip
    store.batch("obligation", [late, late2, phone], EARLY)
    return store


def _n_bills_12m(store: Any, **kw: Any) -> float | None:
    row = compute_features(store.root, AS_OF, **kw).to_pylist()[0]
    return row["max_days_late_12m"], row["on_time_share_12m"]  # type: ignore[return-value]


def _left_out(store: Any, **kw: Any) -> list[str]:
    kw.setdefault("consent_categories", BILLS)
    return bills_without_consent(store.root, AS_OF, **kw)["record_id"].to_pylist()


def test_without_consent_no_bill_of_a_category_that_needs_it_counts(s1: Any) -> None:
    # the features layer's own default: no category needs consent, every bill counts
    assert _n_bills_12m(s1) == (45.0, 1 / 3)
    # every category needs consent and the store holds none: no bill counts, all are listed
    row = compute_features(s1.root, AS_OF, consent_categories=BILLS).to_pylist()[0]
    assert row["on_time_share_12m"] is None
    assert row["max_days_late_12m"] is None
    assert row["n_records_12m"] == 0.0
    assert _left_out(s1) == ["t1", "w1", "w2"]
    # only utility needs consent: the telecom bill counts
    assert _n_bills_12m(s1, consent_categories=["utility"]) == (0.0, 1.0)
    assert _left_out(s1, consent_categories=["utility"]) == ["w1", "w2"]


def test_a_category_or_a_furnisher_grant_covers_its_bills_only(s1: Any) -> None:
    write_consents(RecordStore(s1.root), [_event("c1", "grant", "telecom", EARLY)])
    assert _n_bills_12m(s1, consent_categories=BILLS) == (0.0, 1.0)
    assert _left_out(s1) == ["w1", "w2"]
    write_consents(
        RecordStore(s1.root), [_event("c2", "grant", "water-co", EARLY, kind="furnisher")]
    )
    assert _n_bills_12m(s1, consent_categories=BILLS) == (45.0, 1 / 3)
    assert _left_out(s1) == []
    # another subject's consent covers nothing of s1's
    write_consents(RecordStore(s1.root), [_event("c3", "withdraw", "telecom", EARLY, sid="s2")])
    assert _left_out(s1) == []


def test_a_withdrawal_leaves_the_next_score_and_not_a_replay(s1: Any) -> None:
    store = RecordStore(s1.root)
    write_consents(store, [_event("c1", "grant", "utility", EARLY),
                           _event("c2", "grant", "telecom", EARLY)])  # fmt: skip
    scored_at = _at(2024, 7, 10)  # a score given after the as-of date, consent in force
    withdrawn = _at(2024, 8, 1)
    write_consents(store, [_event("c3", "withdraw", "utility", withdrawn)])
    # the replay of the score given on 10 July: what was in force then
    assert _n_bills_12m(s1, consent_categories=BILLS, known_at=scored_at) == (45.0, 1 / 3)
    assert _left_out(s1, known_at=scored_at) == []
    # the features as of the as-of day itself: the consent was in force that day
    assert _n_bills_12m(s1, consent_categories=BILLS) == (45.0, 1 / 3)
    # the next score, after the withdrawal (same as-of date): the utility bills are left out
    after = withdrawn + dt.timedelta(seconds=1)
    assert _n_bills_12m(s1, consent_categories=BILLS, known_at=after) == (0.0, 1.0)
    assert _left_out(s1, known_at=after) == ["w1", "w2"]
    counted = count_bills_without_consent(s1.root, AS_OF, consent_categories=BILLS, known_at=after)
    assert counted == 2
    # granted again: they count again from then
    write_consents(store, [_event("c4", "grant", "utility", _at(2024, 9, 1))])
    later = _at(2024, 9, 2)
    assert _n_bills_12m(s1, consent_categories=BILLS, known_at=later) == (45.0, 1 / 3)


def test_an_event_recorded_after_the_cutoff_does_not_count(s1: Any) -> None:
    # effective before the as-of day, but recorded (learned) only later: not in a replay
    write_consents(
        RecordStore(s1.root),
        [_event("c1", "grant", "utility", EARLY, recorded=_at(2024, 8, 1))],
    )
    assert _left_out(s1, consent_categories=["utility"]) == ["w1", "w2"]
    assert _left_out(s1, consent_categories=["utility"], known_at=_at(2024, 8, 2)) == []


def test_consent_is_per_subject_query_the_same_as_whole_store(
    s1: Any, kit: SimpleNamespace
) -> None:
    s1.batch("subject", [kit.subject("s2", D(2010, 1, 1))], EARLY)
    s1.batch("obligation", [{**kit.bill("x1", "s2", D(2024, 3, 1), 9.0), "category": "rent"}],
             EARLY)  # fmt: skip
    write_consents(RecordStore(s1.root), [_event("c1", "grant", "rent", EARLY, sid="s2"),
                                          _event("c2", "grant", "utility", EARLY)])  # fmt: skip
    whole = compute_features(s1.root, AS_OF, consent_categories=BILLS)
    for sid in ("s1", "s2"):
        one = compute_features(s1.root, AS_OF, consent_categories=BILLS, subjects=[sid])
        assert one.to_pylist() == [r for r in whole.to_pylist() if r["subject_id"] == sid]
    assert _left_out(s1, subjects=["s2"]) == []
    assert _left_out(s1) == ["t1"]


def test_an_unknown_category_is_refused(s1: Any) -> None:
    with pytest.raises(SchemaError, match="'tradeline' is not a bill category"):
        compute_features(s1.root, AS_OF, consent_categories=["tradeline"])


def test_the_settings_default_is_the_documented_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from trustscore.settings import Settings

    monkeypatch.delenv("TRUSTSCORE_CONSENT_CATEGORIES", raising=False)
    assert Settings().consent_categories == DEFAULT_CONSENT_CATEGORIES
    monkeypatch.setenv("TRUSTSCORE_CONSENT_CATEGORIES", '["rent"]')
    assert Settings().consent_categories == ("rent",)
    monkeypatch.setenv("TRUSTSCORE_CONSENT_CATEGORIES", '["tradeline"]')
    with pytest.raises(ValueError, match="consent_categories"):
        Settings()
