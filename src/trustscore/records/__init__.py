"""Records: the schemas of the record kinds, validation, ingest, quarantine and the record store.

A furnisher file goes in through :func:`ingest`; its valid rows are appended to a
:class:`RecordStore` and its invalid rows go to a quarantine file with their line, field, value
and reason. A record is never edited: a furnisher's re-sent record with other values is a new
*version* from its ingestion time (``action = delete`` withdraws it, also as a version), an
identical re-send changes nothing, and :meth:`RecordStore.suppress` adds a fact beside it. So
``rows_in == rows_new + rows_versions + rows_unchanged + rows_quarantined`` always, and
re-ingesting the same file is a no-op. Records of subjects the store does not know are
quarantined: ingest the subjects first.

Examples
--------
>>> sorted(RECORD_KINDS)
['inquiry', 'obligation', 'public_record', 'subject', 'supplier_payment', 'tradeline']
>>> RECORD_KINDS["subject"].key
('subject_id',)
"""

from __future__ import annotations

from trustscore.records._buckets import (
    BUCKET_HASH,
    DEFAULT_BUCKETS,
    Layout,
    bucket_of_part,
    bucket_sql,
    read_layout,
    subject_bucket,
    subject_buckets,
)
from trustscore.records._consents import (
    CONSENT_SCHEMA,
    consents_dir,
    read_consents,
    write_consents,
)
from trustscore.records._corrections import (
    CORRECTION_MARK,
    Correction,
    apply_correction,
    check_correction,
)
from trustscore.records._furnisher_counts import (
    FurnisherCounts,
    furnisher_counts,
    record_furnishers,
)
from trustscore.records._furnisher_tally import NO_FURNISHER
from trustscore.records._holds import (
    Hold,
    get_hold,
    holds,
    reject_hold,
    rejection_reason,
    release_hold,
)
from trustscore.records._ingest import IngestResult, ingest
from trustscore.records._migrate import MigrationResult, init_store, migrate_store
from trustscore.records._relinks import (
    RELINK_SCHEMA,
    RELINKS_DIR,
    Relink,
    check_moves,
    current_rows,
    latest_rows,
    relink_partners,
    relink_records,
    relinked_ids,
    subject_rows,
)
from trustscore.records._schemas import (
    DELETE,
    DISPUTABLE_KINDS,
    ORGANISATION_KINDS,
    RECORD_KINDS,
    FieldSpec,
    RecordKind,
    arrow_schema,
)
from trustscore.records._store import (
    SUPPRESSION_SCHEMA,
    BatchManifest,
    RecordStore,
    version_order,
)
from trustscore.records._validate import quarantine_schema

__all__ = [
    "BUCKET_HASH",
    "CONSENT_SCHEMA",
    "CORRECTION_MARK",
    "DEFAULT_BUCKETS",
    "DELETE",
    "DISPUTABLE_KINDS",
    "NO_FURNISHER",
    "ORGANISATION_KINDS",
    "RECORD_KINDS",
    "RELINKS_DIR",
    "RELINK_SCHEMA",
    "SUPPRESSION_SCHEMA",
    "BatchManifest",
    "Correction",
    "FieldSpec",
    "FurnisherCounts",
    "Hold",
    "IngestResult",
    "Layout",
    "MigrationResult",
    "RecordKind",
    "RecordStore",
    "Relink",
    "apply_correction",
    "arrow_schema",
    "bucket_of_part",
    "bucket_sql",
    "check_correction",
    "check_moves",
    "consents_dir",
    "current_rows",
    "furnisher_counts",
    "get_hold",
    "holds",
    "ingest",
    "init_store",
    "latest_rows",
    "migrate_store",
    "quarantine_schema",
    "read_consents",
    "read_layout",
    "record_furnishers",
    "reject_hold",
    "rejection_reason",
    "release_hold",
    "relink_partners",
    "relink_records",
    "relinked_ids",
    "subject_bucket",
    "subject_buckets",
    "subject_rows",
    "version_order",
    "write_consents",
]
