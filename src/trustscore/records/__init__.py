"""Records: the schemas of the record kinds, validation, ingest, quarantine and the record store.

A furnisher file goes in through :func:`ingest`; its valid rows are appended to a
:class:`RecordStore` and its invalid rows go to a quarantine file with their line, field, value
and reason, so ``rows_in == rows_stored + rows_quarantined`` always. Re-ingesting the same file is
a no-op, and a record is never edited: :meth:`RecordStore.suppress` adds a fact beside it.

Examples
--------
>>> sorted(RECORD_KINDS)
['inquiry', 'obligation', 'public_record', 'subject', 'tradeline']
>>> RECORD_KINDS["subject"].key
('subject_id',)
"""

from __future__ import annotations

from trustscore.records._corrections import (
    CORRECTION_MARK,
    Correction,
    apply_correction,
    check_correction,
)
from trustscore.records._ingest import IngestResult, ingest
from trustscore.records._schemas import (
    DISPUTABLE_KINDS,
    RECORD_KINDS,
    FieldSpec,
    RecordKind,
    arrow_schema,
)
from trustscore.records._store import SUPPRESSION_SCHEMA, BatchManifest, RecordStore
from trustscore.records._validate import quarantine_schema

__all__ = [
    "CORRECTION_MARK",
    "DISPUTABLE_KINDS",
    "RECORD_KINDS",
    "SUPPRESSION_SCHEMA",
    "BatchManifest",
    "Correction",
    "FieldSpec",
    "IngestResult",
    "RecordKind",
    "RecordStore",
    "apply_correction",
    "arrow_schema",
    "check_correction",
    "ingest",
    "quarantine_schema",
]
