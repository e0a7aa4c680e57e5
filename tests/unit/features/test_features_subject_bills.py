"""SubjectBills (one subject's bills left out for consent, from the rows its file read) gives
what bills_without_consent gives for the subject: across grants, withdrawals, late-recorded
events, a suppression and a record moved between subjects."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from trustscore.features import DEFAULT_CONSENT_CATEGORIES, SubjectBills, bills_without_consent
from trustscore.records import (
    RecordStore,
    Relink,
    ingest,
    read_consents,
    relink_records,
    subject_rows,
    write_consents,
)

AS_OF = dt.date(2024, 6, 30)
EARLY = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
INGESTED = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)  # after every due date


def _at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)  # type: ignore[misc]


def _event(cid: str, action: str, scope: str, effective: dt.datetime, *,
           recorded: dt.datetime | None = None, sid: str = "s1") -> dict[str, object]:  # fmt: skip
    return {"consent_id": cid, "subject_id": sid, "scope_kind": "category", "scope": scope,
            "action": action, "effective_at": effective,
            "recorded_at": effective if recorded is None else recorded}  # fmt: skip


def test_one_subjects_bills_left_out_are_bills_without_consents(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "store")
    (tmp_path / "subject.csv").write_text(
        "subject_id,kind,created_date\ns1,person,2010-01-01\ns2,person,2011-01-01\n"
    )
    (tmp_path / "obligation.csv").write_text(
        "record_id,subject_id,furnisher,category,account,due_date,amount_due,paid_date,amount_paid\n"
        "w1,s1,water-co,utility,A1,2024-03-01,50.0,2024-04-15,50.0\n"
        "w2,s1,water-co,utility,A1,2024-04-01,50.0,2024-05-15,50.0\n"
        "t1,s1,phone-co,telecom,A2,2024-05-01,30.0,2024-05-01,30.0\n"
        "x1,s2,home-co,rent,A3,2024-03-01,9.0,,\n"
    )
    ingest(tmp_path / "subject.csv", store, ingested_at=INGESTED)
    assert ingest(tmp_path / "obligation.csv", store, ingested_at=INGESTED).rows_stored == 4
    write_consents(store, [
        _event("c1", "grant", "utility", EARLY), _event("c2", "grant", "telecom", EARLY),
        _event("c3", "withdraw", "utility", _at(2024, 8, 1)),
        _event("c4", "grant", "rent", EARLY, recorded=_at(2024, 8, 10), sid="s2"),
    ])  # fmt: skip
    # w1 is left out from the withdrawal on, until its suppression takes it out of every list
    store.suppress("obligation", ["w1"], reason="dispute upheld", at=_at(2024, 9, 1))
    relink_records(store, "merge-1", [Relink("obligation", "w2", "s1", "s2")], at=_at(2024, 10, 1))
    bills = SubjectBills(DEFAULT_CONSENT_CATEGORIES)
    seen: dict[tuple[str, dt.datetime], list[str]] = {}
    for known_at in (
        _at(2024, 7, 10), _at(2024, 8, 2), _at(2024, 8, 11), _at(2024, 9, 2), _at(2024, 10, 2),
        dt.datetime.combine(AS_OF, dt.time.max, tzinfo=dt.UTC),
    ):  # fmt: skip
        for sid in ("s1", "s2"):
            expected = bills_without_consent(
                store, AS_OF, subjects=[sid], known_at=known_at,
                consent_categories=DEFAULT_CONSENT_CATEGORIES,
            )  # fmt: skip
            found = bills(
                AS_OF, known_at, subject_rows(store, "obligation", sid),
                store.suppressions(), read_consents(store, subjects=[sid]),
            )  # fmt: skip
            assert found.to_pylist() == expected.to_pylist(), (sid, known_at)
            seen[sid, known_at] = found["record_id"].to_pylist()
    assert seen["s1", _at(2024, 8, 2)] == ["w1", "w2"]  # withdrawn
    assert seen["s1", _at(2024, 9, 2)] == ["w2"]  # w1 suppressed
    assert seen["s2", _at(2024, 10, 2)] == ["w2"]  # moved to s2; x1's grant now recorded
