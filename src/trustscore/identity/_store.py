"""The identity store: identity fields kept apart from the records, under ``<store>/_identity/``.

Layout::

    profiles/<run_id>.parquet     profile_id, subject_id, subject_kind, the identity fields
    links/<run_id>.parquet        record_kind, record_id, profile_id, subject_id, match_weight,
                                  decided_by
    held/pending.parquet          rows waiting for clerical review (record and identity fields)
    quarantine/<run_id>.parquet   rows refused by linkage, with line, field, value and reason
    models/<run_id>.json          the Splink model each run trained
    changes/<time>-<change_id>-profiles.parquet  profile_id, subject_id: profiles an identity
                                  change (a merge, a split) re-linked; the latest wins
    changes/<time>-<change_id>-links.parquet     the moved records' new links (as ``links/``)

Features never read this folder (they read the record kinds' folders through the record store);
the identity fields are shown only to the subject and to operators.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from trustscore.records import RecordStore
from trustscore.records._identity import IDENTITY_FIELDS

__all__ = ["LINK_SCHEMA", "PROFILE_SCHEMA", "REASSIGN_SCHEMA", "IdentityStore"]

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

REASSIGN_SCHEMA: Final = pa.schema(
    [
        pa.field("profile_id", pa.string(), nullable=False),
        pa.field("subject_id", pa.string(), nullable=False),
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

    def _read(self, folder: str, schema: pa.Schema, suffix: str = "") -> pa.Table:
        paths = sorted((self.root / folder).glob(f"*{suffix}.parquet"))
        if not paths:
            return schema.empty_table()
        return pa.concat_tables(pq.read_table(p, schema=schema) for p in paths)

    def profiles(self) -> pa.Table:
        """Every linked profile, each once, with the subject it is linked to now (an identity
        change's re-link, if any, wins over linkage)."""
        table = self._read("profiles", PROFILE_SCHEMA)
        moved: dict[str, str] = {}
        for row in self._read("changes", REASSIGN_SCHEMA, "-profiles").to_pylist():
            moved[str(row["profile_id"])] = str(row["subject_id"])  # files in time order
        if not moved or table.num_rows == 0:
            return table
        subjects = [moved.get(p, s) for p, s in zip(table.column("profile_id").to_pylist(),
                                                     table.column("subject_id").to_pylist(),
                                                     strict=True)]  # fmt: skip
        index = table.column_names.index("subject_id")
        return table.set_column(index, "subject_id", pa.array(subjects, pa.string()))

    def links(self) -> pa.Table:
        """Every stored record's link to its subject (latest run last, identity changes after
        every run)."""
        return pa.concat_tables(
            [self._read("links", LINK_SCHEMA), self._read("changes", LINK_SCHEMA, "-links")]
        )

    def latest_links(self) -> pa.Table:
        """Each linked record's latest link (as :meth:`links`, the last one of a record wins),
        sorted by record kind and record id."""
        links = self.links()
        if links.num_rows == 0:
            return links
        key = pc.binary_join_element_wise(links["record_kind"], links["record_id"], "\x1f")
        codes = pc.dictionary_encode(key).combine_chunks().indices.to_numpy()
        _, first_from_end = np.unique(codes[::-1], return_index=True)
        latest = links.take(pa.array(len(codes) - 1 - first_from_end))
        return latest.take(
            pc.sort_indices(latest, [("record_kind", "ascending"), ("record_id", "ascending")])
        )

    def follow_change(
        self,
        change_id: str,
        at: dt.datetime,
        *,
        profiles: Mapping[str, str],
        records: Sequence[tuple[str, str, str]],
        decided_by: str,
    ) -> None:
        """Record an identity change here: ``profiles`` (profile id -> new subject) and the
        moved ``records`` (kind, record id, new subject) that linkage had linked. Idempotent."""
        stem = f"{at.astimezone(dt.UTC).strftime('%Y%m%dT%H%M%S%f')}-{change_id}"
        folder = self.root / "changes"
        if profiles and not (folder / f"{stem}-profiles.parquet").is_file():
            pairs = sorted(profiles.items())
            _write(
                pa.table({"profile_id": [p for p, _ in pairs], "subject_id": [s for _, s in pairs]},
                         schema=REASSIGN_SCHEMA),
                folder / f"{stem}-profiles.parquet",
            )  # fmt: skip
        latest: dict[tuple[str, str], dict[str, object]] = {}
        for row in self.links().to_pylist():
            latest[(str(row["record_kind"]), str(row["record_id"]))] = row
        moved = [
            {**latest[(kind, rid)], "subject_id": subject, "match_weight": None,
             "decided_by": decided_by}
            for kind, rid, subject in records
            if (kind, rid) in latest
        ]  # fmt: skip
        if moved and not (folder / f"{stem}-links.parquet").is_file():
            _write(pa.Table.from_pylist(moved, LINK_SCHEMA), folder / f"{stem}-links.parquet")

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
