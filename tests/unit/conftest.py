"""Fixtures shared by the unit tests of several packages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from store_helpers import add_subjects
from trustscore.records import RecordStore, ingest

#: When :func:`bills_store`'s bills were ingested.
BILLS_AT = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)


@pytest.fixture
def bills_store(tmp_path: Path) -> RecordStore:
    """A store of three bills ingested at ``BILLS_AT``: o1 unpaid (s1), o2 paid (s1), o3 paid late
    (s2)."""
    store = RecordStore(tmp_path / "store")
    add_subjects(store, "s1", "s2")
    (tmp_path / "obligation.csv").write_text(
        "record_id,subject_id,furnisher,category,account,due_date,amount_due,paid_date,amount_paid\n"
        "o1,s1,power,utility,A1,2024-01-10,80.25,,\n"
        "o2,s1,power,utility,A1,2024-02-10,80.25,2024-02-09,80.25\n"
        "o3,s2,phone,telecom,B7,2024-02-01,19.99,2024-02-20,19.99\n"
    )
    ingest(tmp_path / "obligation.csv", store, ingested_at=BILLS_AT)
    return store
