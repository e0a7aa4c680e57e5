"""Records moved to another subject by an identity change: new versions, never edits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from trustscore.exceptions import NotFoundError, SchemaError
from trustscore.features import compute_features
from trustscore.records import (
    RecordStore,
    Relink,
    check_moves,
    current_rows,
    ingest,
    relink_records,
    relinked_ids,
)

AT = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)  # when bills_store ingested its bills
LATER = AT + dt.timedelta(days=10)
AS_OF = dt.date(2024, 3, 31)


def _bills(store: RecordStore, subject: str, known_at: dt.datetime) -> float | None:
    (row,) = compute_features(
        store, AS_OF, subjects=[subject], known_at=known_at, consent_categories=()
    ).to_pylist()
    return row["n_records_12m"]  # type: ignore[no-any-return]


def test_a_moved_record_counts_for_its_new_subject_from_the_move_on(
    bills_store: RecordStore,
) -> None:
    store = bills_store
    assert (_bills(store, "s1", LATER), _bills(store, "s2", LATER)) == (2.0, 1.0)
    stored = relink_records(store, "merge-1", [Relink("obligation", "o1", "s1", "s2")], at=LATER)
    assert stored == 1
    assert [v["subject_id"] for v in store.versions("obligation", "o1")] == ["s1", "s2"]
    assert relinked_ids(store, "obligation") == ["o1"]
    # a read of other subjects' records is not widened
    assert relinked_ids(store, "obligation", ["s2"]) == ["o1"]
    assert relinked_ids(store, "obligation", ["s7"]) == []
    # one subject's features (the service's and a replay's read) see the latest version...
    assert (_bills(store, "s1", LATER), _bills(store, "s2", LATER)) == (1.0, 2.0)
    # ... and, known before the move, the old one
    before = LATER - dt.timedelta(seconds=1)
    assert (_bills(store, "s1", before), _bills(store, "s2", before)) == (2.0, 1.0)
    # the whole population agrees with the one-subject reads
    every = compute_features(store, AS_OF, known_at=LATER, consent_categories=())
    assert dict(zip(every["subject_id"].to_pylist(), every["n_records_12m"].to_pylist(),
                    strict=True)) == {"s1": 1.0, "s2": 2.0}  # fmt: skip
    assert sorted(current_rows(store, "obligation", "s1")["record_id"].to_pylist()) == ["o2"]
    assert sorted(set(current_rows(store, "obligation", "s2")["record_id"].to_pylist())) == [
        "o1",
        "o3",
    ]
    # applied again: nothing more is stored
    assert relink_records(store, "merge-1", [Relink("obligation", "o1", "s1", "s2")], at=LATER) == 0
    assert len(store.versions("obligation", "o1")) == 2


def test_a_new_subject_is_created_like_the_one_the_record_leaves(
    bills_store: RecordStore,
) -> None:
    relink_records(bills_store, "unlink-D1", [Relink("obligation", "o3", "s2", "s9")], at=LATER)
    new, old = bills_store.record("subject", "s9"), bills_store.record("subject", "s2")
    assert (new["kind"], new["created_date"], new["ingested_at"]) == (
        old["kind"], old["created_date"], LATER,
    )  # fmt: skip
    assert _bills(bills_store, "s9", LATER) == 1.0


def test_a_furnisher_still_cannot_move_a_record(bills_store: RecordStore, tmp_path: Path) -> None:
    (tmp_path / "obligation.csv").write_text(
        "record_id,subject_id,furnisher,category,account,due_date,amount_due,paid_date,amount_paid\n"
        "o1,s2,power,utility,A1,2024-01-10,80.25,,\n"
    )
    done = ingest(tmp_path / "obligation.csv", bills_store, ingested_at=LATER)
    assert (done.rows_stored, done.rows_quarantined) == (0, 1)
    assert "stored for another subject" in str(dict(done.reasons))


def test_moves_of_unknown_records_are_refused(bills_store: RecordStore) -> None:
    with pytest.raises(NotFoundError, match="'o404'"):
        check_moves(bills_store, [Relink("obligation", "o404", "s1", "s2")])
    check_moves(bills_store, [Relink("obligation", "o1", "s1", "s2")])


def test_a_move_before_a_stored_version_is_refused_before_anything_is_written(
    bills_store: RecordStore,
) -> None:
    early = AT - dt.timedelta(days=1)
    with pytest.raises(SchemaError, match="'o1' has a version ingested at or after"):
        check_moves(bills_store, [Relink("obligation", "o1", "s1", "s2")], at=early)
    check_moves(bills_store, [Relink("obligation", "o1", "s1", "s2")], at=LATER)
    assert not (bills_store.root / "_relinks").exists()
