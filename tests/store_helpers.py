"""Helpers for tests that build a record store: ingest refuses records of unknown subjects."""

from __future__ import annotations

import datetime as dt

from trustscore.records import RecordStore, ingest

#: When :func:`add_subjects` ingests its subjects: before every record of the tests.
SUBJECTS_AT = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def add_subjects(store: RecordStore, *subject_ids: str) -> None:
    """Make subjects known to the store, as persons created on 2019-01-01."""
    folder = store.root.parent / "_known_subjects"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "subject.csv"
    rows = "".join(f"{s},person,2019-01-01\n" for s in subject_ids)
    path.write_text("subject_id,kind,created_date\n" + rows, encoding="utf-8")
    result = ingest(path, store, ingested_at=SUBJECTS_AT)
    if result.rows_quarantined:
        msg = f"add_subjects: {dict(result.reasons)}"
        raise AssertionError(msg)
