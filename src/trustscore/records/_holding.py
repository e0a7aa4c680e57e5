"""Holding a furnisher's rows of a batch for review, while the batch is ingested.

When ingest is given a threshold (``hold_above``) and the share of one furnisher's rows that the
batch quarantines exceeds it, that furnisher's rows that would have been stored (new records and
versions) are taken out of the batch's parts and written to ``<store>/_held/<hold_id>.parquet``
(the kind's fields, typed) with their lines beside them in ``<hold_id>.lines.parquet``. The held
files are renamed into place with the parts, before the manifest: the batch is committed, held
rows and all, or not at all. An operator then releases or rejects the hold
(:mod:`trustscore.records._holds`).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from trustscore.exceptions import SchemaError
from trustscore.records._furnisher_tally import NO_FURNISHER, furnisher_values
from trustscore.records._schemas import RECORD_KINDS, arrow_schema

if TYPE_CHECKING:
    from trustscore.records._store import RecordStore

__all__ = ["HELD_DIR", "check_threshold", "held_paths", "hold_id_for", "hold_rows"]

HELD_DIR: Final = "_held"


def check_threshold(hold_above: float | None) -> float | None:
    """``hold_above`` if it is None or a rate in [0, 1); a clear error otherwise."""
    if hold_above is None:
        return None
    if (
        isinstance(hold_above, bool)
        or not isinstance(hold_above, int | float)
        or not 0.0 <= float(hold_above) < 1.0
    ):
        msg = (
            f"hold_above must be a quarantine rate from 0 up to (not including) 1, such as 0.2 "
            f"for 20%; got {hold_above!r}. Leave it unset to store every batch."
        )
        raise SchemaError(msg, field="hold_above", value=repr(hold_above))
    return float(hold_above)


def hold_id_for(batch_id: str, furnisher: str) -> str:
    """The id of one furnisher's held rows of one batch.

    Examples
    --------
    >>> hold_id_for("obligation-28244886a4b71176508e", "power")
    'obligation-28244886a4b71176508e.hold-07d715ed'
    """
    return f"{batch_id}.hold-{hashlib.sha256(furnisher.encode()).hexdigest()[:8]}"


def held_paths(store: RecordStore, hold_id: str) -> tuple[Path, Path]:
    """The held rows' file and their lines' file."""
    folder = store.root / HELD_DIR
    return folder / f"{hold_id}.parquet", folder / f"{hold_id}.lines.parquet"


def hold_rows(batch: Any, hold_above: float) -> dict[str, dict[str, Any]]:
    """Hold the stored rows of every furnisher whose quarantine rate exceeds ``hold_above``.

    ``batch`` is ingest's batch (its parts are written and their refused and unchanged rows
    already taken out). Returns hold id -> {furnisher, rows, rate, threshold, reason}; the held
    files are added to the batch's files to rename on commit.
    """
    tally = batch.tally
    held: dict[str, dict[str, Any]] = {}
    for furnisher in tally.furnishers():
        received = tally.counts["received"][furnisher]
        stored = tally.counts["new"][furnisher] + tally.counts["versions"][furnisher]
        n_bad = tally.n_quarantined(furnisher)
        rate = n_bad / received if received else 0.0
        if furnisher == NO_FURNISHER or stored == 0 or rate <= hold_above:
            continue
        hold_id = hold_id_for(batch.batch_id, furnisher)
        held[hold_id] = {
            "furnisher": furnisher,
            "rows": stored,
            "rate": rate,
            "threshold": hold_above,
            "reason": (
                f"furnisher {furnisher!r}: {n_bad} of {received} rows of batch "
                f"{batch.batch_id} quarantined ({rate:.1%}), above the hold threshold "
                f"{hold_above:.1%}"
            ),
        }
    if not held:
        return held
    by_furnisher = {v["furnisher"]: k for k, v in held.items()}
    names = RECORD_KINDS[batch.kind].field_names
    rows: dict[str, list[pa.Table]] = {k: [] for k in held}
    lines: dict[str, list[np.ndarray[Any, Any]]] = {k: [] for k in held}
    for part, path in enumerate(batch.parts):
        table = pq.read_table(path)
        furnishers = np.asarray(
            furnisher_values(table.column("furnisher"), table.num_rows).to_pylist(), dtype=object
        )
        keep = ~np.isin(furnishers, list(by_furnisher))
        if keep.all():
            continue
        for furnisher, hold_id in by_furnisher.items():
            mask = furnishers == furnisher
            if mask.any():
                rows[hold_id].append(table.select(names).filter(pa.array(mask)))
                lines[hold_id].append(batch.part_lines[part][mask])
        batch.part_lines[part] = batch.part_lines[part][keep]
        rewritten = path.with_name(path.name + ".dedup")
        try:
            pq.write_table(table.filter(pa.array(keep)), rewritten)
            os.replace(rewritten, path)
        finally:
            rewritten.unlink(missing_ok=True)
    for hold_id, info in held.items():
        table = pa.concat_tables(rows[hold_id]).cast(arrow_schema(batch.kind))
        line = np.concatenate(lines[hold_id])
        order = np.argsort(line, kind="stable")
        # the hold id in the file's metadata makes each hold's file, and so its release's batch
        # id, its own even where two holds hold the same rows
        table = table.take(pa.array(order)).replace_schema_metadata({"trustscore.hold": hold_id})
        if table.num_rows != info["rows"]:  # pragma: no cover - a bug, caught by ingest's abort
            msg = f"batch {batch.batch_id}: held rows of {info['furnisher']!r} do not add up."
            raise SchemaError(msg)
        data, line_file = held_paths(batch.store, hold_id)
        data.parent.mkdir(parents=True, exist_ok=True)
        for final, content in (
            (data, table),
            (line_file, pa.table({"line": pa.array(line[order], pa.int64())})),
        ):
            tmp = final.with_name(f".{final.name}.tmp")
            pq.write_table(content, tmp)
            batch.extra_files.append((tmp, final))
        furnisher = info["furnisher"]
        batch.rows_stored -= table.num_rows
        batch.rows_held += table.num_rows
        batch.rows_versions -= tally.counts["versions"][furnisher]
        batch.rows_deleted -= tally.counts["deleted"][furnisher]
        tally.hold(furnisher)
    return held
