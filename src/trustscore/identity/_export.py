"""``trustscore identity export``: every stored record's subject, for measurement."""

from __future__ import annotations

import os
from pathlib import Path

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
    table = IdentityStore(store).latest_links().select(list(_COLUMNS))
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return int(table.num_rows)
