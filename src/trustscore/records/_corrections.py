"""Corrections: a disputed record's corrected values, stored as a new record beside the old one.

A record is never edited in place. When a dispute ends "corrected", the corrected values become a
new record of the same kind, with the key ``<record_id>~c<dispute_id>``, ingested as a one-row
batch through the same validation as any furnisher file (the file is kept under
``_corrections/`` as evidence), and the original record is suppressed with a reason that names
the dispute and the new record. Both steps are idempotent, so applying a correction again (after
a crash between them, say) completes it without storing anything twice.

:func:`check_correction` validates the corrected record without writing anything, so a caller
can refuse a bad correction before it records the dispute's outcome anywhere else.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa

from trustscore.exceptions import SchemaError
from trustscore.records._ingest import ingest
from trustscore.records._schemas import DISPUTABLE_KINDS, RECORD_KINDS
from trustscore.records._store import RecordStore, check_kind, utc
from trustscore.records._validate import validate_chunk

__all__ = [
    "CORRECTIONS_DIR",
    "CORRECTION_MARK",
    "Correction",
    "apply_correction",
    "check_correction",
]

#: Separates a corrected record's key from the dispute that corrected it.
CORRECTION_MARK: Final = "~c"

#: The store's folder of corrected records, kept as evidence.
CORRECTIONS_DIR: Final = "_corrections"
_DIR: Final = CORRECTIONS_DIR

#: Fields a correction may not change: they say which fact and whose it is.
_FIXED: Final = ("record_id", "subject_id", "action")


@dataclass(frozen=True)
class Correction:
    """A correction as stored: the new record's key, its batch, and the suppressed original.

    ``applied`` is False when everything was already in the store (a repeated application).
    """

    kind: str
    record_id: str
    corrected_record_id: str
    batch_id: str
    values: dict[str, str | None]
    applied: bool


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def check_correction(
    store: RecordStore,
    kind: str,
    record_id: str,
    correction: Mapping[str, Any],
    *,
    dispute_id: str,
    at: dt.datetime,
) -> dict[str, str | None]:
    """The corrected record (as the text a furnisher would send), validated; nothing is written.

    Raises
    ------
    SchemaError
        The kind cannot be disputed, a field is unknown or may not change (``record_id``,
        ``subject_id``), nothing would change, or the corrected record breaks its kind's schema
        (the message names the field, the value and the rule).
    NotFoundError
        No stored record of ``kind`` has that ``record_id``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> tmp = Path(tempfile.mkdtemp())
    >>> _ = (tmp / "inquiry.csv").write_text(
    ...     "record_id,subject_id,furnisher,purpose,inquiry_date\\n"
    ...     "i1,s1,bank,credit_pricing,2024-01-05\\n")
    >>> store = RecordStore(tmp / "store")
    >>> at = dt.datetime(2024, 2, 1, tzinfo=dt.UTC)
    >>> _ = (tmp / "subject.csv").write_text(
    ...     "subject_id,kind,created_date\\ns1,person,2020-01-01\\n")
    >>> _ = ingest(tmp / "subject.csv", store, ingested_at=at)
    >>> _ = ingest(tmp / "inquiry.csv", store, ingested_at=at)
    >>> check_correction(store, "inquiry", "i1", {"inquiry_date": "2024-01-06"},
    ...                  dispute_id="D1", at=at)["inquiry_date"]
    '2024-01-06'
    >>> check_correction(store, "inquiry", "i1", {"inquiry_date": "2024-02-30"},
    ...                  dispute_id="D1", at=at)
    Traceback (most recent call last):
    ...
    trustscore.exceptions.SchemaError: The correction of inquiry record 'i1' (dispute D1) is not a valid record: inquiry_date is not a valid date in YYYY-MM-DD form (inquiry_date = '2024-02-30').
    """  # noqa: E501
    kind = check_kind(kind)
    if kind not in DISPUTABLE_KINDS:
        msg = f"{kind} records cannot be corrected through a dispute."
        raise SchemaError(msg, kind=kind, record_id=record_id)
    spec = RECORD_KINDS[kind]
    names = spec.field_names
    unknown = sorted(set(correction) - set(names))
    if unknown:
        msg = (
            f"The correction of {kind} record {record_id!r} names unknown field(s) "
            f"{', '.join(map(repr, unknown))}; a {kind} record has {', '.join(names)}."
        )
        raise SchemaError(msg, field=unknown[0], record_id=record_id)
    original = store.record(kind, record_id)
    for name in _FIXED:
        if name in correction and _text(correction[name]) != _text(original[name]):
            msg = (
                f"A correction may not change {name} (record {record_id!r}): the record "
                "is suppressed instead, and its furnisher sends the right one."
            )
            raise SchemaError(msg, field=name, value=_text(correction[name]), record_id=record_id)
    before = {name: _text(original[name]) for name in names}
    values = {**before, **{k: _text(v) for k, v in correction.items()}}
    if values == before:
        msg = f"The correction of {kind} record {record_id!r} changes nothing."
        raise SchemaError(msg, record_id=record_id)
    values["record_id"] = f"{record_id}{CORRECTION_MARK}{dispute_id}"
    table = pa.table({name: pa.array([values[name]], pa.string()) for name in names})
    day = utc(at, name="at").date()
    checked = validate_chunk(kind, table, np.ones(1, np.int64), ingest_date=day)
    if checked.bad.num_rows:
        bad = checked.bad.to_pylist()[0]
        where = "" if bad["field"] is None else f" ({bad['field']} = {bad['value']!r})"
        msg = (
            f"The correction of {kind} record {record_id!r} (dispute {dispute_id}) is not a "
            f"valid record: {bad['reason']}{where}."
        )
        raise SchemaError(msg, field=bad["field"], value=bad["value"], record_id=record_id)
    return values


def _keep_latest_correction(
    store: RecordStore, kind: str, record_id: str, subject_id: str, *, at: dt.datetime
) -> None:
    """Suppress every live correction of the furnisher's record but the latest one stored.

    A record disputed and corrected again (or by two operators at once) must count once: the
    latest correction (latest ``ingested_at``, then batch id) stands and the others are
    suppressed. Every writer decides from the store alone, so concurrent applications agree.
    """
    fixes = {
        m.batch_id for m in store.batches() if m.kind == kind and Path(m.file).parent.name == _DIR
    }
    table = store.read(kind, subjects=[subject_id])
    stored: dict[str, tuple[dt.datetime, str]] = {}
    for rid, batch, ingested in zip(
        table.column("record_id").to_pylist(),
        table.column("batch_id").to_pylist(),
        table.column("ingested_at").to_pylist(),
        strict=True,
    ):
        if batch in fixes:
            stored[rid] = max(stored.get(rid, (ingested, batch)), (ingested, batch))
    root = record_id
    while root in stored and CORRECTION_MARK in root:  # a correction of a correction
        root = root.rsplit(CORRECTION_MARK, 1)[0]
    suppressed = store.suppressions()
    held = {
        r
        for r, k in zip(
            suppressed.column("record_id").to_pylist(),
            suppressed.column("kind").to_pylist(),
            strict=True,
        )
        if k == kind
    }
    live = [r for r in stored if r.startswith(f"{root}{CORRECTION_MARK}") and r not in held]
    if len(live) < 2:
        return
    latest = max(live, key=lambda r: (*stored[r], r))
    store.suppress(
        kind,
        sorted(set(live) - {latest}),
        reason=f"corrected again: superseded by the later correction {latest}",
        at=at,
    )


def apply_correction(
    store: RecordStore,
    kind: str,
    record_id: str,
    correction: Mapping[str, Any],
    *,
    dispute_id: str,
    at: dt.datetime,
) -> Correction:
    """Store the corrected record as a new record and suppress the original, both as of ``at``.

    Idempotent: applied again with the same arguments it stores and suppresses nothing more.
    Raises what :func:`check_correction` raises, before anything is written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> tmp = Path(tempfile.mkdtemp())
    >>> _ = (tmp / "inquiry.csv").write_text(
    ...     "record_id,subject_id,furnisher,purpose,inquiry_date\\n"
    ...     "i1,s1,bank,credit_pricing,2024-01-05\\n")
    >>> store = RecordStore(tmp / "store")
    >>> at = dt.datetime(2024, 2, 1, tzinfo=dt.UTC)
    >>> _ = (tmp / "subject.csv").write_text(
    ...     "subject_id,kind,created_date\\ns1,person,2020-01-01\\n")
    >>> _ = ingest(tmp / "subject.csv", store, ingested_at=at)
    >>> _ = ingest(tmp / "inquiry.csv", store, ingested_at=at)
    >>> done = apply_correction(store, "inquiry", "i1", {"purpose": "deposit_waiver"},
    ...                         dispute_id="D1", at=at)
    >>> done.corrected_record_id, store.record("inquiry", "i1~cD1")["purpose"]
    ('i1~cD1', 'deposit_waiver')
    >>> store.suppressions().column("record_id").to_pylist()
    ['i1']
    >>> apply_correction(store, "inquiry", "i1", {"purpose": "deposit_waiver"},
    ...                  dispute_id="D1", at=at).applied
    False
    """
    when = utc(at, name="at")
    values = check_correction(store, kind, record_id, correction, dispute_id=dispute_id, at=when)
    new_id = str(values["record_id"])
    folder = store.root / _DIR
    folder.mkdir(parents=True, exist_ok=True)
    # the file's content is fixed by the record, the correction and the dispute: the same
    # correction gives the same batch id, so a second application is a no-op
    path = folder / f"{dispute_id}-{kind}.jsonl"
    text = json.dumps(values, sort_keys=True) + "\n"
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    result = ingest(path, store, kind=kind, ingested_at=when)
    if result.rows_stored != 1 and not result.already_ingested:  # pragma: no cover - checked
        msg = f"The correction of {kind} record {record_id!r} was not stored: {result.reasons}."
        raise SchemaError(msg, record_id=record_id)
    suppressed = store.suppressions()
    already = any(
        r == record_id and k == kind
        for r, k in zip(
            suppressed.column("record_id").to_pylist(),
            suppressed.column("kind").to_pylist(),
            strict=True,
        )
    )
    if not already:
        store.suppress(
            kind,
            [record_id],
            reason=f"corrected by dispute {dispute_id}: superseded by record {new_id}",
            at=when,
        )
    _keep_latest_correction(store, kind, record_id, str(values["subject_id"]), at=when)
    return Correction(
        kind=kind,
        record_id=record_id,
        corrected_record_id=new_id,
        batch_id=result.batch_id,
        values=values,
        applied=not (result.already_ingested and already),
    )
