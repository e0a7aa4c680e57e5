"""Rewriting a version-1 record store into hash buckets of the subject.

``trustscore store migrate <store>`` runs :func:`migrate_store`.

The migration is crash-safe and idempotent; each step can be killed and the command run again:

1. ``_migration.json`` records the target layout (so a rerun keeps the same bucket count).
2. For each committed batch: its rows are written into bucket files
   (``<kind>/bucket=<b>/<batch_id>-<part>.parquet``, through temporary names), their row count
   is checked against the batch's old parts, and the manifest gets them as ``migrated_parts``
   (one atomic rename per manifest). Version-1 readers look at neither.
3. The row counts of every kind are reconciled, then ``_layout.json`` is written (one atomic
   rename): from here readers use the bucket files.
4. Each manifest's ``parts`` become its ``migrated_parts``, the old flat files are removed, and
   ``_migration.json`` with them.

Run it while no ingest writes to the store (a batch committed during step 2 would be migrated
by a rerun, but the switch checks that every batch is migrated first).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pyarrow.parquet as pq

from trustscore.exceptions import NotFoundError, SchemaError, TrustScoreError
from trustscore.records._buckets import (
    DEFAULT_BUCKETS,
    LAYOUT_FILE,
    Layout,
    bucketed_layout,
    check_buckets,
    read_layout,
    write_buckets,
)
from trustscore.records._schemas import RECORD_KINDS, arrow_schema
from trustscore.records._store import (
    BatchManifest,
    RecordStore,
    sweep_temporary,
    write_atomic,
)

__all__ = ["MIGRATION_FILE", "MigrationResult", "init_store", "migrate_store"]

logger = logging.getLogger(__name__)

#: The target layout of a migration under way.
MIGRATION_FILE: Final = "_migration.json"
#: Rows per bucket file that a migration writes, at most.
_MAX_ROWS: Final = 500_000


@dataclass(frozen=True)
class MigrationResult:
    """What :func:`migrate_store` did.

    ``rows`` and ``files`` are per kind, in the store's layout after the run; ``rows_before``
    and ``files_before`` in its layout before (equal to them where nothing was to do).
    """

    root: Path
    layout: Layout
    migrated: bool
    batches: int
    rows: dict[str, int] = field(default_factory=dict)
    rows_before: dict[str, int] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)
    files_before: dict[str, int] = field(default_factory=dict)
    removed: int = 0


def _rows(paths: list[Path]) -> int:
    return sum(pq.read_metadata(p).num_rows for p in paths)


def _per_kind(store: RecordStore, layout: Layout) -> tuple[dict[str, int], dict[str, int]]:
    """Rows and files per kind, of the parts the store's readers see in ``layout``."""
    rows = dict.fromkeys(RECORD_KINDS, 0)
    files = dict.fromkeys(RECORD_KINDS, 0)
    for m in store.batches():
        paths = [store.kind_dir(m.kind) / n for n in store.parts_of(m, layout)]
        rows[m.kind] += _rows(paths)
        files[m.kind] += len(paths)
    return rows, files


def _target(store: RecordStore, buckets: int | None) -> Layout:
    """The layout this migration writes: a started migration's, else one with ``buckets``."""
    pending = store.root / MIGRATION_FILE
    if pending.is_file():
        data = json.loads(pending.read_text(encoding="utf-8"))
        started = bucketed_layout(int(data["buckets"]))
        if buckets is not None and buckets != started.buckets:
            msg = (
                f"A migration of {store.root} to {started.buckets} buckets was started and not "
                f"finished; run it again with --buckets {started.buckets} (or without "
                "--buckets) to finish it."
            )
            raise SchemaError(msg, field="buckets", value=str(buckets))
        return started
    target = bucketed_layout(check_buckets(buckets if buckets is not None else DEFAULT_BUCKETS))
    write_atomic(pending, target.to_json() + "\n")
    return target


def _migrate_batch(store: RecordStore, m: BatchManifest, target: Layout) -> BatchManifest:
    """Write one batch's bucket files and record them in its manifest as ``migrated_parts``."""
    folder = store.kind_dir(m.kind)
    if m.migrated_parts and all((folder / n).is_file() for n in m.migrated_parts):
        return m
    # files of an earlier, killed attempt at this batch
    prefixes = (f"{m.batch_id}-", f".{m.batch_id}-")
    for bucket_dir in folder.glob("bucket=*"):
        for p in bucket_dir.iterdir():
            if p.name.startswith(prefixes):
                p.unlink()
    sources = [folder / n for n in m.parts]
    opened: list[Path] = []
    try:
        written = write_buckets(
            sources,
            folder,
            m.batch_id,
            arrow_schema(m.kind, stored=True),
            target,
            max_rows=_MAX_ROWS,
            opened=opened,
        )
        for tmp, name in written:
            os.replace(tmp, folder / name)
    finally:
        for tmp in opened:
            tmp.unlink(missing_ok=True)
    names = tuple(name for _, name in written)
    before, after = _rows(sources), _rows([folder / n for n in names])
    if before != after:  # pragma: no cover - a bug; the old layout is untouched
        msg = f"batch {m.batch_id}: {before} rows in its parts but {after} after bucketing."
        raise TrustScoreError(msg)
    migrated = dataclasses.replace(m, migrated_parts=names)
    write_atomic(store.manifest_path(m.batch_id), migrated.to_json())
    return migrated


def _finish(store: RecordStore) -> int:
    """After the switch: manifests name their bucket files as ``parts``; old files go."""
    for m in store.batches():
        if m.migrated_parts:
            done = dataclasses.replace(m, parts=m.migrated_parts, migrated_parts=())
            write_atomic(store.manifest_path(m.batch_id), done.to_json())
    removed = 0
    for kind in RECORD_KINDS:
        folder = store.kind_dir(kind)
        if folder.is_dir():
            for p in folder.glob("*.parquet"):
                p.unlink()
                removed += 1
    (store.root / MIGRATION_FILE).unlink(missing_ok=True)
    return removed


def init_store(root: str | os.PathLike[str], *, buckets: int = DEFAULT_BUCKETS) -> Layout:
    """Create an empty record store laid out in ``buckets`` hash buckets of the subject.

    A store that already records this layout is left as it is; one with another layout, or
    with committed batches, is refused (its bucket count is fixed: see :func:`migrate_store`).

    Examples
    --------
    >>> import tempfile
    >>> init_store(Path(tempfile.mkdtemp()) / "store", buckets=16384).buckets
    16384
    """
    store = RecordStore(root)
    target = bucketed_layout(check_buckets(buckets))
    found = read_layout(store.root)
    if found == target:
        return found
    if found is not None or (store.root.is_dir() and store.batches()):
        layout = found if found is not None else store.layout()
        msg = (
            f"The record store at {store.root} exists already, laid out "
            + (f"in {layout.buckets} buckets" if layout.bucketed else "flat (version 1)")
            + "; its bucket count is fixed. Give a new folder, or migrate a flat store with "
            "trustscore store migrate."
        )
        raise SchemaError(msg, file=str(store.root))
    write_atomic(store.root / LAYOUT_FILE, target.to_json() + "\n")
    return target


def migrate_store(root: str | os.PathLike[str], *, buckets: int | None = None) -> MigrationResult:
    """Rewrite a version-1 record store into hash buckets of the subject; see the module text.

    Parameters
    ----------
    root
        The record store folder (``<workspace>/store``).
    buckets
        The bucket count (default 64); a migration already started keeps its own, and a store
        already bucketed keeps its count.

    Returns
    -------
    MigrationResult
        ``migrated`` is False where the store was bucketed already (or empty: its layout file
        is written). Rows per kind are the same before and after, or an error is raised.

    Examples
    --------
    >>> import tempfile
    >>> result = migrate_store(tempfile.mkdtemp(), buckets=128)
    >>> result.migrated, result.layout.buckets
    (False, 128)
    """
    store = RecordStore(root)
    if not store.root.is_dir():
        msg = f"No record store at {store.root}: the folder does not exist."
        raise NotFoundError(msg, file=str(store.root))
    # temporary files of a killed run (the bucket files' own are removed batch by batch)
    sweep_temporary(store.root)
    sweep_temporary(store.batches_dir)
    found = read_layout(store.root)
    if found is None and not store.batches():
        layout = bucketed_layout(check_buckets(buckets if buckets is not None else DEFAULT_BUCKETS))
        write_atomic(store.root / LAYOUT_FILE, layout.to_json() + "\n")
        return MigrationResult(store.root, layout, migrated=False, batches=0)
    layout = found if found is not None else store.layout()
    if not layout.bucketed:
        target = _target(store, buckets)
        rows_before, files_before = _per_kind(store, layout)
        while True:
            pending = [m for m in store.batches() if m.parts and not m.migrated_parts]
            for m in pending:
                _migrate_batch(store, m, target)
            # a batch committed meanwhile is migrated before the switch
            if all(m.migrated_parts or not m.parts for m in store.batches()):
                break
        rows_after, _ = _per_kind(store, target)
        if rows_after != rows_before:  # pragma: no cover - a bug; the old layout still rules
            msg = f"{store.root}: rows per kind {rows_before} before but {rows_after} after."
            raise TrustScoreError(msg)
        write_atomic(store.root / LAYOUT_FILE, target.to_json() + "\n")
        logger.info("switched %s to %d buckets", store.root, target.buckets)
        layout, migrated = target, True
    else:
        # bucketed: a killed run may have switched without finishing
        rows_before, files_before = _per_kind(store, layout)
        migrated = (store.root / MIGRATION_FILE).is_file() or any(
            m.migrated_parts for m in store.batches()
        )
    removed = _finish(store)
    rows, files = _per_kind(store, layout)
    if rows != rows_before:  # pragma: no cover - a bug
        msg = f"{store.root}: rows per kind {rows_before} before but {rows} after."
        raise TrustScoreError(msg)
    return MigrationResult(
        store.root,
        layout,
        migrated=migrated or removed > 0,
        batches=len(store.batches()),
        rows=rows,
        rows_before=rows_before,
        files=files,
        files_before=files_before,
        removed=removed,
    )
