"""The record store: Parquet parts per kind, batch manifests, suppressions.

Layout (docs/architecture.md)::

    <root>/_layout.json                                     {"version": 2, "buckets": N, ...}
    <root>/<kind>/bucket=<b>/<batch_id>-<part:05d>.parquet  the kind's columns + batch_id +
                                                            ingested_at, of subjects in bucket b
    <root>/_batches/<batch_id>.json                         manifest of a committed batch
    <root>/_suppressions/<id>.parquet                       record_id, kind, suppressed_at, reason

(:mod:`trustscore.records._buckets` declares the bucket of a subject.) A version-1 store, written
before buckets, has no layout file and its parts at ``<root>/<kind>/<batch_id>-<part>.parquet``;
it is read as before until ``trustscore store migrate`` rewrites it.

A part is visible only when a manifest names it: :meth:`RecordStore.paths` lists the parts of
committed batches, so a crash between writing parts and writing the manifest leaves files that
no reader sees. Nothing here edits a stored record: a suppression is a new row beside it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from trustscore import engines
from trustscore.exceptions import NotFoundError, SchemaError
from trustscore.records._buckets import (
    DEFAULT_BUCKETS,
    FLAT,
    LAYOUT_FILE,
    Layout,
    bucket_of_part,
    bucketed_layout,
    check_buckets,
    read_layout,
)
from trustscore.records._schemas import RECORD_KINDS, arrow_schema

__all__ = [
    "SUPPRESSION_SCHEMA",
    "BatchManifest",
    "RecordStore",
    "check_kind",
    "sql_list",
    "sweep_temporary",
    "temporary_path",
    "utc",
    "version_order",
    "write_atomic",
]

# 2: rows_new, rows_versions, rows_deleted, rows_unchanged; 3: rows_held, furnishers, holds,
# released_hold; 4: migrated_parts
MANIFEST_VERSION: Final = 4
#: A folder modified less than this long before it was listed may change again within the same
#: tick of the file system clock without its modification time changing (see batches()).
SETTLE_NS: Final = 1_000_000_000

SUPPRESSION_SCHEMA: Final = pa.schema(
    [
        pa.field("record_id", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("suppressed_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
    ]
)


def check_kind(kind: str, *, file: Path | None = None) -> str:
    """Return ``kind`` if it is a known record kind; raise :class:`SchemaError` otherwise."""
    if kind in RECORD_KINDS:
        return kind
    where = f"{file}: " if file is not None else ""
    msg = (
        f"{where}unknown record kind {kind!r}. Known kinds are: {', '.join(RECORD_KINDS)}; "
        "name the file after its kind (obligation.csv, tradeline.parquet, ...) or pass kind=."
    )
    raise SchemaError(msg, file=str(file) if file else None, value=kind)


def utc(when: dt.datetime, *, name: str = "ingested_at") -> dt.datetime:
    """``when`` in UTC; a naive datetime is refused (its time zone would be a guess)."""
    if not isinstance(when, dt.datetime) or when.tzinfo is None or when.utcoffset() is None:
        msg = (
            f"{name} must be a time-zone-aware datetime, got {when!r}; "
            "use e.g. datetime(2024, 1, 31, tzinfo=timezone.utc)."
        )
        raise SchemaError(msg, field=name, value=repr(when))
    return when.astimezone(dt.UTC)


@dataclass(frozen=True)
class BatchManifest:
    """What a committed ingest batch stored: the manifest at ``_batches/<batch_id>.json``.

    ``rows_in == rows_stored + rows_unchanged + rows_quarantined + rows_held`` and
    ``rows_stored == rows_new + rows_versions``.

    Examples
    --------
    >>> m = BatchManifest(batch_id="b1", kind="inquiry", file="inquiry.csv", sha256="ab",
    ...                   rows_in=3, rows_stored=2, rows_quarantined=1,
    ...                   ingested_at=dt.datetime(2024, 1, 31, tzinfo=dt.UTC))
    >>> BatchManifest.from_json(m.to_json()) == m
    True
    """

    batch_id: str
    kind: str
    file: str
    sha256: str
    rows_in: int
    rows_stored: int
    rows_quarantined: int
    ingested_at: dt.datetime
    reasons: Mapping[str, int] = field(default_factory=dict)
    parts: tuple[str, ...] = ()
    #: ``rows_stored`` split into records not stored before and new versions of stored ones
    #: (deletions among them counted again in ``rows_deleted``).
    rows_new: int = 0
    rows_versions: int = 0
    rows_deleted: int = 0
    #: Re-sent rows identical to the latest stored version: not stored again, not quarantined.
    rows_unchanged: int = 0
    quarantine_file: str | None = None
    format: str = "csv"
    #: Rows held for review (``hold_above``): neither stored nor quarantined until released
    #: or rejected.
    rows_held: int = 0
    #: Per furnisher (furnished kinds): received, new, versions, deleted, unchanged, held and
    #: quarantined by reason; each furnisher's rows reconcile as the batch's do.
    furnishers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: hold id -> furnisher, rows, rate, threshold, reason (see ``hold_above`` of ingest).
    holds: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: The hold whose rows this batch stores (a release), else None.
    released_hold: str | None = None
    #: Written by ``trustscore store migrate`` only, while it runs: the batch's parts in the
    #: bucketed layout, used in place of ``parts`` once the layout file says version 2.
    migrated_parts: tuple[str, ...] = ()

    def to_json(self) -> str:
        """The manifest as JSON text (times in ISO 8601, UTC)."""
        data: dict[str, Any] = asdict(self)
        data["ingested_at"] = self.ingested_at.isoformat()
        data["parts"] = list(self.parts)
        if self.migrated_parts:
            data["migrated_parts"] = list(self.migrated_parts)
        else:
            data.pop("migrated_parts")
        data["reasons"] = dict(self.reasons)
        data["furnishers"] = {k: dict(v) for k, v in self.furnishers.items()}
        data["holds"] = {k: dict(v) for k, v in self.holds.items()}
        data["manifest_version"] = MANIFEST_VERSION
        return json.dumps(data, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> BatchManifest:
        """Read a manifest written by :meth:`to_json`."""
        data = json.loads(text)
        data.pop("manifest_version", None)
        # A manifest written before versions: every row it stored was a new record.
        data.setdefault("rows_new", data["rows_stored"])
        data["ingested_at"] = dt.datetime.fromisoformat(data["ingested_at"])
        data["parts"] = tuple(data.get("parts", ()))
        data["migrated_parts"] = tuple(data.get("migrated_parts", ()))
        return cls(**data)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def temporary_path(target: Path) -> Path:
    """A temporary name beside ``target`` for this process: ``.<name>.<pid>-<random>.tmp``.

    The process id in the name lets :func:`sweep_temporary` tell a file a killed writer left
    from one a live writer is still writing.
    """
    return target.with_name(f".{target.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")


def sweep_temporary(folder: Path) -> None:
    """Remove the temporary files (:func:`temporary_path`) of writers that no longer run.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / ".a.json.999999999-1a2b.tmp").write_text("half")
    >>> mine = temporary_path(folder / "b.json"); _ = mine.write_text("being written")
    >>> sweep_temporary(folder)
    >>> [p.name == mine.name for p in folder.iterdir()]
    [True]
    """
    if not folder.is_dir():
        return
    for leftover in folder.glob(".*.tmp"):
        owner = leftover.name[: -len(".tmp")].rsplit(".", 1)[-1].split("-", 1)[0]
        if owner.isdigit() and int(owner) != os.getpid() and not _alive(int(owner)):
            leftover.unlink(missing_ok=True)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and an atomic rename.

    Temporary files a killed writer left in the folder are removed first.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_temporary(path.parent)
    tmp = temporary_path(path)
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def version_order(row: Mapping[str, Any]) -> tuple[dt.datetime, str]:
    """Sort key of a record's stored versions: by ingestion time, then batch id.

    The features layer orders versions the same way; ingest refuses a version that is not
    ingested after the latest stored one, so the batch id only breaks ties in stores written
    before that rule.
    """
    return (row["ingested_at"], str(row["batch_id"]))


def sql_list(paths: Iterable[Path]) -> str:
    """Paths as a DuckDB list literal."""
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


class RecordStore:
    """The record store at ``root`` (``<workspace>/store``), read and appended to, never edited.

    Parameters
    ----------
    root
        The store folder; created on the first write.
    quarantine_dir
        Where :func:`~trustscore.records.ingest` writes rejected rows; by default
        ``<root>/../quarantine`` (the workspace layout of docs/architecture.md).
    buckets
        The bucket count of a new store, recorded in ``_layout.json`` by its first write; an
        existing store keeps its own.

    Examples
    --------
    >>> import tempfile
    >>> store = RecordStore(Path(tempfile.mkdtemp()) / "store")
    >>> store.count("obligation"), store.paths("obligation"), store.batches()
    (0, [], [])
    >>> store.read("inquiry").schema.names[-2:]
    ['batch_id', 'ingested_at']
    >>> store.layout()
    Layout(version=2, buckets=64, hash='sha256-u64be-mod')
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        quarantine_dir: str | os.PathLike[str] | None = None,
        buckets: int = DEFAULT_BUCKETS,
    ) -> None:
        self.root = Path(root)
        self.new_buckets = check_buckets(buckets)
        self.quarantine_dir = (
            Path(quarantine_dir) if quarantine_dir is not None else self.root.parent / "quarantine"
        )
        #: the manifests of one state of _batches/ (see batches())
        self._manifests: tuple[tuple[int, tuple[str, ...]], tuple[BatchManifest, ...]] | None = None

    def __repr__(self) -> str:
        return f"RecordStore({str(self.root)!r})"

    # -- layout -------------------------------------------------------------------------------
    def kind_dir(self, kind: str) -> Path:
        """The folder holding the parts of ``kind``."""
        return self.root / check_kind(kind)

    @property
    def batches_dir(self) -> Path:
        return self.root / "_batches"

    @property
    def suppressions_dir(self) -> Path:
        return self.root / "_suppressions"

    def manifest_path(self, batch_id: str) -> Path:
        return self.batches_dir / f"{batch_id}.json"

    @property
    def layout_path(self) -> Path:
        return self.root / LAYOUT_FILE

    def layout(self) -> Layout:
        """The store's layout: its layout file's, else version 1 where batches are committed
        (a store written before buckets), else the bucketed layout its first write records."""
        found = read_layout(self.root)
        if found is not None:
            return found
        if self._has_batches():
            return FLAT
        return bucketed_layout(self.new_buckets)

    def ensure_layout(self) -> Layout:
        """The layout a write must follow; a new store's layout file is written first."""
        layout = self.layout()
        if layout.bucketed and not self.layout_path.is_file():
            write_atomic(self.layout_path, layout.to_json() + "\n")
        return layout

    def _has_batches(self) -> bool:
        folder = self.batches_dir
        return folder.is_dir() and any(not p.name.startswith(".") for p in folder.glob("*.json"))

    def parts_of(self, manifest: BatchManifest, layout: Layout | None = None) -> tuple[str, ...]:
        """A batch's part names, relative to its kind's folder, in the store's layout."""
        if manifest.migrated_parts and (layout or self.layout()).bucketed:
            return manifest.migrated_parts
        return manifest.parts

    def part_paths(self, manifest: BatchManifest) -> list[Path]:
        """A batch's part files."""
        folder = self.kind_dir(manifest.kind)
        return [folder / name for name in self.parts_of(manifest)]

    # -- batches ------------------------------------------------------------------------------
    def batches(self) -> list[BatchManifest]:
        """Every committed batch, oldest ingestion first.

        The manifests read are kept while the ``_batches`` folder keeps its names and its
        modification time (a manifest is only ever written by a rename into the folder, which
        changes both), so a long-lived store (the service's) reads each manifest once, not on
        every read of a subject. A folder changed less than :data:`SETTLE_NS` before it was
        listed may change again within the same tick of the file system clock: it is not kept.
        """
        folder = os.fspath(self.batches_dir)
        try:
            mtime = os.stat(folder).st_mtime_ns
            names = sorted(
                e.name for e in os.scandir(folder)
                if e.name.endswith(".json") and not e.name.startswith(".")
            )  # fmt: skip
        except (FileNotFoundError, NotADirectoryError):
            return []
        key = (mtime, tuple(names))
        kept = self._manifests
        if kept is not None and kept[0] == key:
            return list(kept[1])
        found = sorted(
            (
                BatchManifest.from_json(Path(folder, name).read_text(encoding="utf-8"))
                for name in names
            ),
            key=lambda m: (m.ingested_at, m.batch_id),
        )
        if time.time_ns() - mtime > SETTLE_NS:
            self._manifests = (key, tuple(found))
        return found

    def batch(self, batch_id: str) -> BatchManifest:
        """The manifest of one committed batch; :class:`NotFoundError` if there is none."""
        path = self.manifest_path(batch_id)
        if not path.is_file():
            msg = f"No committed batch {batch_id!r} in the record store at {self.root}."
            raise NotFoundError(msg, batch_id=batch_id)
        return BatchManifest.from_json(path.read_text(encoding="utf-8"))

    def has_batch(self, batch_id: str) -> bool:
        """Whether a batch with this id is committed."""
        return self.manifest_path(batch_id).is_file()

    # -- records ------------------------------------------------------------------------------
    def paths(self, kind: str, *, subjects: Iterable[str] | None = None) -> list[Path]:
        """The Parquet parts of ``kind`` that belong to committed batches, in name order.

        With ``subjects``, only the parts of the buckets that hold these subjects' records (in a
        version-1 store, every part): a read of one subject opens one bucket's files.
        """
        folder = self.kind_dir(kind)
        layout = self.layout()
        names = [p for m in self.batches() if m.kind == kind for p in self.parts_of(m, layout)]
        if subjects is not None:
            wanted = layout.buckets_of(
                [subjects] if isinstance(subjects, str) else sorted(set(subjects))
            )
            if wanted is not None:
                names = [n for n in names if bucket_of_part(n) in wanted]
        return sorted(folder / name for name in names)

    def count(self, kind: str) -> int:
        """How many rows of ``kind`` are stored: every version of every record, suppressed and
        deleted ones included."""
        check_kind(kind)
        return sum(m.rows_stored for m in self.batches() if m.kind == kind)

    def read(self, kind: str, *, subjects: Iterable[str] | None = None) -> pa.Table:
        """Stored rows of ``kind`` (optionally of some subjects only), as one Arrow table: every
        version of each record, in no particular order (see :func:`version_order`).

        Meant for small reads, such as one subject's file; large work reads :meth:`paths`.
        """
        schema = arrow_schema(kind, stored=True)
        if subjects is None:
            ids = None
        else:  # a single string is one subject id, as in the features layer
            ids = sorted({subjects} if isinstance(subjects, str) else set(subjects))
        paths = self.paths(kind, subjects=ids)
        if not paths:
            return schema.empty_table()
        dataset = ds.dataset([str(p) for p in paths], schema=schema, format="parquet")
        if ids is None:
            return dataset.to_table()
        wanted = pa.array(ids, pa.string())
        # a few subjects' rows from a bucket's few parts: threads cost more than they save
        return dataset.to_table(filter=ds.field("subject_id").isin(wanted), use_threads=False)

    def record(self, kind: str, record_id: str) -> dict[str, Any]:
        """The latest stored version of one record, by its key (``subject_id`` for subjects,
        else ``record_id``); it may be a deletion (``action == "delete"``)."""
        return self.versions(kind, record_id)[-1]

    def versions(self, kind: str, record_id: str) -> list[dict[str, Any]]:
        """Every stored version of one record, oldest ingestion first.

        A version supersedes the one before it from its ``ingested_at``; none is ever removed.
        Raises :class:`NotFoundError` if no version is stored.
        """
        key = RECORD_KINDS[check_kind(kind)].key[0]
        paths = self.paths(kind)
        if paths:
            dataset = ds.dataset([str(p) for p in paths], schema=arrow_schema(kind, stored=True))
            rows = dataset.to_table(filter=ds.field(key) == record_id).to_pylist()
            if rows:
                return sorted(rows, key=version_order)
        msg = f"No stored {kind} record with {key} {record_id!r} in {self.root}."
        raise NotFoundError(msg, kind=kind, record_id=record_id)

    def has_record_ids(self, kind: str, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` are keys of stored records of ``kind`` (one DuckDB scan)."""
        key = RECORD_KINDS[check_kind(kind)].key[0]
        wanted = pa.table({"id": pa.array(sorted(set(ids)), pa.string())})
        paths = self.paths(kind)
        if not paths or wanted.num_rows == 0:
            return set()
        con = engines.duckdb_raw()
        try:
            con.register("wanted", wanted)
            rows = con.execute(
                f'SELECT DISTINCT s."{key}" FROM read_parquet({sql_list(paths)}) AS s '
                f'SEMI JOIN wanted AS w ON s."{key}" = w.id'
            ).fetchall()
        finally:
            con.close()
        return {r[0] for r in rows}

    # -- suppressions -------------------------------------------------------------------------
    def suppress(
        self, kind: str, record_ids: Iterable[str], *, reason: str, at: dt.datetime
    ) -> int:
        """Suppress stored records from scoring as of ``at``; returns the rows appended.

        The records stay as they are; one suppression row per record is appended under
        ``_suppressions/``. Unknown record ids are refused with :class:`NotFoundError`.

        Examples
        --------
        >>> import tempfile
        >>> store = RecordStore(Path(tempfile.mkdtemp()))
        >>> store.suppress("inquiry", [], reason="dispute upheld",
        ...                at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
        0
        """
        when = utc(at, name="at")
        if not reason or not reason.strip():
            msg = "A suppression needs a reason (for example 'dispute D-17 upheld')."
            raise SchemaError(msg, field="reason")
        ids = sorted(set(record_ids))
        if not ids:
            check_kind(kind)
            return 0
        missing = sorted(set(ids) - self.has_record_ids(kind, ids))
        if missing:
            shown = ", ".join(map(repr, missing[:5])) + (" ..." if len(missing) > 5 else "")
            msg = (
                f"Cannot suppress {len(missing)} {kind} record(s) that are not stored: {shown}. "
                "Check the record ids and the kind."
            )
            raise NotFoundError(msg, kind=kind, record_id=missing[0])
        n = len(ids)
        table = pa.Table.from_arrays(
            [
                pa.array(ids, pa.string()),
                pa.array([kind] * n, pa.string()),
                pa.array([when] * n, pa.timestamp("us", tz="UTC")),
                pa.array([reason] * n, pa.string()),
            ],
            schema=SUPPRESSION_SCHEMA,
        )
        self.suppressions_dir.mkdir(parents=True, exist_ok=True)
        sweep_temporary(self.suppressions_dir)
        name = f"{when.strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:12]}.parquet"
        tmp = temporary_path(self.suppressions_dir / name)
        try:
            pq.write_table(table, tmp)
            os.replace(tmp, self.suppressions_dir / name)
        finally:
            tmp.unlink(missing_ok=True)
        return n

    def suppressions(self, *, record_ids: Iterable[str] | None = None) -> pa.Table:
        """Every suppression row: record_id, kind, suppressed_at, reason (oldest first).

        With ``record_ids``, only the rows of these records (of any kind), read with the
        filter pushed into the Parquet reader.
        """
        if not self.suppressions_dir.is_dir():
            return SUPPRESSION_SCHEMA.empty_table()
        files = sorted(
            p for p in self.suppressions_dir.glob("*.parquet") if not p.name.startswith(".")
        )
        if not files:
            return SUPPRESSION_SCHEMA.empty_table()
        if record_ids is None:
            return pa.concat_tables([pq.read_table(p, schema=SUPPRESSION_SCHEMA) for p in files])
        ids = sorted(set(record_ids))
        if not ids:
            return SUPPRESSION_SCHEMA.empty_table()
        wanted = ds.field("record_id").isin(pa.array(ids, pa.string()))
        return pa.concat_tables(
            [pq.read_table(p, schema=SUPPRESSION_SCHEMA, filters=wanted) for p in files]
        )
