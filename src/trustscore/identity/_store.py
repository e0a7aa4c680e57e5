"""The identity store: identity fields kept apart from the records, under ``<store>/_identity/``.

Layout::

    profiles/<run_id>.parquet     profile_id, subject_id, subject_kind, the identity fields
    links/<run_id>.parquet        record_kind, record_id, profile_id, subject_id, match_weight,
                                  decided_by
    held/pending.parquet          rows waiting for clerical review (record and identity fields)
    quarantine/<run_id>.parquet   rows refused by linkage, with line, field, value and reason
    models/<run_id>.json          the Splink model each run trained

Features never read this folder (they read the record kinds' folders through the record store);
the identity fields are shown only to the subject and to operators.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.parquet as pq

from trustscore.records import RecordStore
from trustscore.records._identity import IDENTITY_FIELDS

__all__ = ["LINK_SCHEMA", "PROFILE_SCHEMA", "IdentityStore"]

PROFILE_SCHEMA: Final = pa.schema(
    [
        pa.field("profile_id", pa.string(), nullable=False),
        pa.field("subject_id", pa.string(), nullable=False),
        pa.field("subject_kind", pa.string(), nullable=False),
        *[pa.field(name, pa.string()) for name in IDENTITY_FIELDS],
    ]
)
LINK_SCHEMA: Final = pa.schema(
    [
        pa.field("record_kind", pa.string(), nullable=False),
        pa.field("record_id", pa.string(), nullable=False),
        pa.field("profile_id", pa.string(), nullable=False),
        pa.field("subject_id", pa.string(), nullable=False),
        pa.field("match_weight", pa.float64()),
        pa.field("decided_by", pa.string(), nullable=False),
    ]
)


def _write(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


class IdentityStore:
    """The identity fields of a record store, kept in their own folder."""

    def __init__(self, store: RecordStore) -> None:
        self.root = store.root / "_identity"

    def _read(self, folder: str, schema: pa.Schema) -> pa.Table:
        paths = sorted((self.root / folder).glob("*.parquet"))
        if not paths:
            return schema.empty_table()
        return pa.concat_tables(pq.read_table(p, schema=schema) for p in paths)

    def profiles(self) -> pa.Table:
        """Every linked profile (each profile once: the latest run that linked it wins)."""
        return self._read("profiles", PROFILE_SCHEMA)

    def links(self) -> pa.Table:
        """Every stored record's link to its subject (latest run last)."""
        return self._read("links", LINK_SCHEMA)

    def held(self) -> pa.Table | None:
        """Rows waiting for review, or None."""
        path = self.root / "held" / "pending.parquet"
        return pq.read_table(path) if path.is_file() else None

    def write_run(
        self, run_id: str, profiles: pa.Table, links: pa.Table, quarantine: pa.Table | None
    ) -> None:
        """Write one run's new profiles, links and refused rows."""
        if profiles.num_rows:
            _write(profiles.cast(PROFILE_SCHEMA), self.root / "profiles" / f"{run_id}.parquet")
        if links.num_rows:
            _write(links.cast(LINK_SCHEMA), self.root / "links" / f"{run_id}.parquet")
        if quarantine is not None and quarantine.num_rows:
            _write(quarantine, self.root / "quarantine" / f"{run_id}.parquet")

    def write_model(self, run_id: str, text: str) -> None:
        """Keep the run's trained model (JSON) for audit."""
        path = self.root / "models" / f"{run_id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def replace_held(self, rows: pa.Table | None) -> None:
        """Replace the rows waiting for review (None or empty: none wait)."""
        path = self.root / "held" / "pending.parquet"
        if rows is None or rows.num_rows == 0:
            path.unlink(missing_ok=True)
            return
        _write(rows, path)

    def identity_of(self, subject_id: str) -> list[dict[str, str | None]]:
        """The identity profiles linked to one subject (for that subject and operators only)."""
        profiles = self.profiles()
        rows = [r for r in profiles.to_pylist() if r["subject_id"] == subject_id]
        return sorted(rows, key=lambda r: str(r["profile_id"]))
