"""``trustscore identity export``: every stored record's subject, for measurement."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from trustscore.identity._store import IdentityStore
from trustscore.records import RecordStore

__all__ = ["export_links"]

_COLUMNS = ("record_kind", "record_id", "subject_id", "match_weight", "decided_by")


def export_links(store: RecordStore, out: str | os.PathLike[str]) -> int:
    """Write ``record_kind, record_id, subject_id, match_weight, decided_by`` for every record
    linked through the identity store (the latest link of each record) to a Parquet file.

    Returns the number of rows written.
    """
    links = IdentityStore(store).links()
    latest: dict[tuple[str, str], dict[str, object]] = {}
    for row in links.to_pylist():
        latest[(str(row["record_kind"]), str(row["record_id"]))] = row
    rows = [latest[k] for k in sorted(latest)]
    table = pa.table(
        {
            "record_kind": pa.array([r["record_kind"] for r in rows], pa.string()),
            "record_id": pa.array([r["record_id"] for r in rows], pa.string()),
            "subject_id": pa.array([r["subject_id"] for r in rows], pa.string()),
            "match_weight": pa.array([r["match_weight"] for r in rows], pa.float64()),
            "decided_by": pa.array([r["decided_by"] for r in rows], pa.string()),
        }
    )
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table.select(list(_COLUMNS)), path)
    return int(table.num_rows)
