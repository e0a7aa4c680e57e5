"""The record store's copy of the consent events, which the features read.

The ledger is the system of record of consent (``trustscore.ledger.record_consent``); the
features read ``<store>/_consents/*.parquet`` (the features never import the ledger), written
here from the ledger's events by ``trustscore.pipeline``. Writing is idempotent: an event whose
``consent_id`` is already in the store is not written again.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from trustscore.exceptions import SchemaError
from trustscore.records._store import RecordStore, sweep_temporary, temporary_path, utc

__all__ = ["CONSENT_SCHEMA", "consents_dir", "read_consents", "write_consents"]

#: Columns of ``<store>/_consents/*.parquet`` (and of the synthetic population's consent file).
CONSENT_SCHEMA: Final = pa.schema(
    [
        pa.field("consent_id", pa.string(), nullable=False),
        pa.field("subject_id", pa.string(), nullable=False),
        pa.field("scope_kind", pa.string(), nullable=False),
        pa.field("scope", pa.string(), nullable=False),
        pa.field("action", pa.string(), nullable=False),
        pa.field("effective_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("recorded_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)


#: Rows per row group of a consent file (see ``_write``).
CONSENT_ROW_GROUP: Final = 8192


def consents_dir(store: RecordStore) -> Path:
    """``<store>/_consents``: the folder the features read consent events from."""
    return store.root / "_consents"


def read_consents(store: RecordStore, *, subjects: Iterable[str] | None = None) -> pa.Table:
    """Every consent event in the store (of ``subjects`` only, if given), as stored.

    Examples
    --------
    >>> import tempfile
    >>> read_consents(RecordStore(Path(tempfile.mkdtemp()))).num_rows
    0
    """
    folder = consents_dir(store)
    files = sorted(p for p in folder.glob("*.parquet") if not p.name.startswith((".", "_")))
    if not files:
        return CONSENT_SCHEMA.empty_table()
    if subjects is None:
        return pa.concat_tables(pq.read_table(p, schema=CONSENT_SCHEMA) for p in files)
    # a single string is one subject id, as in RecordStore.read
    ids = pa.array(sorted({subjects} if isinstance(subjects, str) else set(subjects)), pa.string())
    # the filter goes into the Parquet reader: row groups whose statistics cannot hold these
    # subjects are skipped, and only matching rows are materialised
    wanted = ds.field("subject_id").isin(ids)
    return pa.concat_tables(pq.read_table(p, schema=CONSENT_SCHEMA, filters=wanted) for p in files)


def write_consents(store: RecordStore, events: Iterable[Mapping[str, Any]] | pa.Table) -> int:
    """Append consent events (mappings, or a table, with the columns of :data:`CONSENT_SCHEMA`).

    Returns how many were written: events already in the store are skipped, so writing the
    ledger's events again after a crash completes the copy without duplicates.

    Examples
    --------
    >>> import tempfile
    >>> store = RecordStore(Path(tempfile.mkdtemp()))
    >>> at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    >>> e = {"consent_id": "c1", "subject_id": "s1", "scope_kind": "category",
    ...      "scope": "rent", "action": "grant", "effective_at": at, "recorded_at": at}
    >>> write_consents(store, [e]), write_consents(store, [e])
    (1, 0)
    """
    held = set(read_consents(store).column("consent_id").to_pylist())
    if isinstance(events, pa.Table):  # a whole file at once: no row-by-row conversion
        table = events.select(CONSENT_SCHEMA.names).cast(CONSENT_SCHEMA)
        ids = pa.array(sorted(held), pa.string())
        table = table.filter(pc.invert(pc.is_in(table["consent_id"], value_set=ids)))
        bad = pc.invert(
            pc.and_(
                pc.is_in(table["action"], value_set=pa.array(["grant", "withdraw"])),
                pc.is_in(table["scope_kind"], value_set=pa.array(["furnisher", "category"])),
            )
        )
        if pc.any(bad).as_py():
            events = table.filter(bad).slice(0, 1).to_pylist()  # refused below, with the why
        else:
            return _write(store, table)
    rows: list[dict[str, Any]] = []
    for e in events:
        if e["consent_id"] in held:
            continue
        held.add(e["consent_id"])
        row = {name: e[name] for name in CONSENT_SCHEMA.names}
        for name in ("effective_at", "recorded_at"):
            row[name] = utc(row[name], name=name)
        if row["action"] not in ("grant", "withdraw") or row["scope_kind"] not in (
            "furnisher",
            "category",
        ):
            msg = (
                f"Consent event {row['consent_id']!r}: action must be grant or withdraw and "
                f"scope_kind furnisher or category; got {row['action']!r}, {row['scope_kind']!r}."
            )
            raise SchemaError(msg, field="action", value=str(row["action"]))
        rows.append(row)
    return _write(store, pa.Table.from_pylist(rows, schema=CONSENT_SCHEMA))


def _write(store: RecordStore, table: pa.Table) -> int:
    if not table.num_rows:
        return 0
    folder = consents_dir(store)
    folder.mkdir(parents=True, exist_ok=True)
    sweep_temporary(folder)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    name = f"{stamp}-{uuid.uuid4().hex[:12]}.parquet"
    tmp = temporary_path(folder / name)
    try:
        # sorted by subject, in row groups of CONSENT_ROW_GROUP rows: the statistics of each
        # row group then bound its subject ids, so a read of one subject's events
        # (read_consents(subjects=...), the subject's file) decodes one row group, not the file
        ordered = table.take(pc.sort_indices(table, [("subject_id", "ascending")]))
        pq.write_table(ordered, tmp, row_group_size=CONSENT_ROW_GROUP)
        tmp.replace(folder / name)
    finally:
        tmp.unlink(missing_ok=True)
    return int(table.num_rows)
