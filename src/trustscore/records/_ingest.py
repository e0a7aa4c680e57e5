"""Ingesting a furnisher file into the record store, all or nothing.

The file is read in chunks; each chunk is validated with vectorised checks, valid rows are
written as Parquet parts under temporary names inside the store (staging parts, in file order)
and invalid rows go to a quarantine file with their line, field, value and reason. What needs
the whole file and the store (unknown subjects, keys repeated in the file, new versions of
stored records, unchanged re-sends, refused versions and deletions) is decided at the end, with
DuckDB queries that read the keys back from the staging parts (:mod:`trustscore.records._versions`);
refused rows are quarantined and unchanged ones dropped from the parts, so
``rows_in == rows_new + rows_versions + rows_unchanged + rows_quarantined``. Then the staging
parts are rewritten into the subjects' buckets (one file per bucket present, up to
``batch_rows`` rows each; in a version-1 store they are renamed in place) and the batch manifest
is written last: until then no reader sees the batch, and any error removes what the batch wrote.

Memory does not grow with the file: the process holds one chunk being read, up to ``batch_rows``
rows waiting to be written and two parts being written; each staging part's file lines are kept
in a file beside it, the keys are read back from the parts by DuckDB (within its memory limit,
spilling beyond it), and only the positions of rows that are not new records come back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from trustscore import engines
from trustscore.exceptions import IngestError
from trustscore.records._buckets import write_buckets
from trustscore.records._furnisher_tally import FurnisherTally, furnisher_values
from trustscore.records._holding import HELD_DIR, check_threshold, hold_rows
from trustscore.records._readers import FORMATS, malformed_table, prefetch, read_chunks
from trustscore.records._schemas import DELETE, RECORD_KINDS, arrow_schema
from trustscore.records._store import (
    BatchManifest,
    RecordStore,
    check_kind,
    sql_list,
    utc,
    write_atomic,
)
from trustscore.records._validate import quarantine_schema, to_strings, validate_chunk
from trustscore.records._versions import Hit, KeyOutcomes, classify_keys

__all__ = ["IngestResult", "ingest"]

logger = logging.getLogger(__name__)

_READ_CHUNK_ROWS: Final = 262_144
#: Staging parts being written at once, or waiting to be: reading waits for the writer beyond.
_WRITES_IN_FLIGHT: Final = 2


@dataclass(frozen=True)
class IngestResult:
    """The outcome of :func:`ingest`.

    Every row read is counted once::

        rows_in == rows_new + rows_versions + rows_unchanged + rows_quarantined + rows_held
        rows_stored == rows_new + rows_versions

    and the same holds for each furnisher's counts in ``furnishers``.

    ``rows_new`` rows are records not stored before; ``rows_versions`` are new versions of stored
    records (``rows_deleted`` of them deletions); ``rows_unchanged`` are re-sent rows identical to
    the latest stored version, which change nothing.
    """

    batch_id: str
    kind: str
    file: Path
    rows_in: int
    rows_stored: int
    rows_quarantined: int
    quarantine_path: Path | None
    reasons: Mapping[str, int]
    already_ingested: bool
    ingested_at: dt.datetime
    rows_new: int = 0
    rows_versions: int = 0
    rows_deleted: int = 0
    rows_unchanged: int = 0
    #: Rows held for review (see ``hold_above``), neither stored nor quarantined yet.
    rows_held: int = 0
    #: furnisher -> received, new, versions, deleted, unchanged, held, quarantined (by reason)
    furnishers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: hold id -> furnisher, rows, rate, threshold, reason
    holds: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_manifest(
        cls, manifest: BatchManifest, store: RecordStore, *, already_ingested: bool
    ) -> IngestResult:
        q = manifest.quarantine_file
        return cls(
            batch_id=manifest.batch_id,
            kind=manifest.kind,
            file=Path(manifest.file),
            rows_in=manifest.rows_in,
            rows_stored=manifest.rows_stored,
            rows_quarantined=manifest.rows_quarantined,
            quarantine_path=store.quarantine_dir / q if q else None,
            reasons=dict(manifest.reasons),
            already_ingested=already_ingested,
            ingested_at=manifest.ingested_at,
            rows_new=manifest.rows_new,
            rows_versions=manifest.rows_versions,
            rows_deleted=manifest.rows_deleted,
            rows_unchanged=manifest.rows_unchanged,
            rows_held=manifest.rows_held,
            furnishers=dict(manifest.furnishers),
            holds=dict(manifest.holds),
        )


def _write_part(table: pa.Table, path: Path) -> None:
    """Write one Parquet part (a seam: tests make it fail to check that ingest is atomic)."""
    pq.write_table(table, path)


def _write_lines(lines: npt.NDArray[np.int64], path: Path) -> None:
    """Write a staging part's file lines beside it."""
    pq.write_table(pa.table({"line": pa.array(lines, pa.int64())}), path)


def _write_staged(
    table: pa.Table, path: Path, lines: npt.NDArray[np.int64], lines_path: Path
) -> None:
    _write_part(table, path)
    _write_lines(lines, lines_path)


class _PartLines:
    """The file line of each row of each staging part, kept in a file beside the part (read
    when rows are quarantined or held), so that nothing per row of the file stays in memory."""

    def __init__(self) -> None:
        self.paths: list[Path] = []

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, part: int) -> npt.NDArray[np.int64]:
        column = pq.read_table(self.paths[part]).column("line")
        return np.asarray(column.to_numpy(), dtype=np.int64)

    def __setitem__(self, part: int, lines: npt.NDArray[np.int64]) -> None:
        _write_lines(lines, self.paths[part])


def _within(positions: npt.NDArray[np.int64], lo: int, hi: int) -> npt.NDArray[np.int64]:
    """The sorted ``positions`` from ``lo`` up to ``hi``, relative to ``lo``."""
    a, b = np.searchsorted(positions, [lo, hi])
    return positions[int(a) : int(b)] - lo


def _file_digest(path: Path) -> tuple[str, bool, int]:
    """sha256 of the file, whether a double quote follows its first line, and its size."""
    h = hashlib.sha256()
    quotes = False
    size = 0
    with path.open("rb") as fh:
        while block := fh.read(8 << 20):
            h.update(block)
            # A quoted header is common and harmless; quotes in the rows may hide line breaks.
            body = block if size else block[block.find(b"\n") + 1 :] if b"\n" in block else b""
            quotes = quotes or b'"' in body
            size += len(block)
    return h.hexdigest(), quotes, size


def batch_id_for(kind: str, sha256: str) -> str:
    """The batch id of a file: its kind and a digest of its kind and content.

    Examples
    --------
    >>> batch_id_for("obligation", "0" * 64)
    'obligation-28244886a4b71176508e'
    """
    return f"{kind}-{hashlib.sha256(f'{kind}:{sha256}'.encode()).hexdigest()[:20]}"


class _Batch:
    """Everything one ingest writes, so it can be committed or removed as a whole."""

    def __init__(
        self, store: RecordStore, kind: str, batch_id: str, at: dt.datetime, batch_rows: int
    ) -> None:
        self.store, self.kind, self.batch_id, self.at = store, kind, batch_id, at
        self.batch_rows = batch_rows
        self.folder = store.kind_dir(kind)
        self.schema = arrow_schema(kind, stored=True)
        self.pending: list[pa.Table] = []
        self.pending_lines: list[npt.NDArray[np.int64]] = []
        self.parts: list[Path] = []
        self.part_rows: list[int] = []  # rows of each staging part as written
        self.part_lines = _PartLines()
        # Parts are written in a thread (pyarrow releases the GIL) while the next chunk is checked.
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trustscore-ingest-writer")
        self.writes: list[Future[None]] = []
        self.final: list[Path] = []
        self.bucket_tmp: list[Path] = []  # bucket files being written, at commit
        self.q_tmp = store.quarantine_dir / f".{batch_id}.parquet.tmp"
        self.q_final = store.quarantine_dir / f"{batch_id}.parquet"
        self.q_writer: pq.ParquetWriter | None = None
        self.rows_in = self.rows_stored = self.rows_quarantined = 0
        self.rows_versions = self.rows_deleted = self.rows_unchanged = 0
        self.reasons: Counter[str] = Counter()
        self.tally = FurnisherTally()
        self.rows_held = 0
        self.extra_files: list[tuple[Path, Path]] = []  # (temporary, final) held rows
        self.moves_subject = False  # versions may move a record to another subject

    def remove_leftovers(self) -> None:
        """Remove files of an earlier, uncommitted attempt at this batch (a crash)."""
        if self.folder.is_dir():
            prefixes = (f"{self.batch_id}-", f".{self.batch_id}-")
            for p in self.folder.iterdir():
                if p.name.startswith(prefixes):
                    p.unlink()
                elif p.name.startswith("bucket=") and p.is_dir():
                    for q in p.iterdir():
                        if q.name.startswith(prefixes):
                            q.unlink()
        self.q_tmp.unlink(missing_ok=True)
        held = self.store.root / HELD_DIR
        if held.is_dir():
            for p in held.glob(f".{self.batch_id}.*"):
                p.unlink()

    # -- writing --------------------------------------------------------------------------
    def add(self, good: pa.Table, lines: npt.NDArray[np.int64]) -> None:
        if good.num_rows:
            self.pending.append(good)
            self.pending_lines.append(lines)
            self.rows_stored += good.num_rows
        while sum(t.num_rows for t in self.pending) >= self.batch_rows:
            self._flush(self.batch_rows)

    def _flush(self, limit: int | None = None) -> None:
        if not self.pending:
            return
        table = pa.concat_tables(self.pending)
        lines = np.concatenate(self.pending_lines)
        n = table.num_rows if limit is None else min(limit, table.num_rows)
        rest, rest_lines = table.slice(n), lines[n:]
        table, lines = table.slice(0, n), lines[:n]
        self.pending = [rest] if rest.num_rows else []
        self.pending_lines = [rest_lines] if rest.num_rows else []
        arrays = [
            *table.columns,
            pa.repeat(pa.scalar(self.batch_id, pa.string()), n),
            pa.repeat(pa.scalar(self.at, pa.timestamp("us", tz="UTC")), n),
        ]
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = f".{self.batch_id}-{len(self.parts):05d}"
        tmp = self.folder / f"{stem}.parquet.tmp"
        lines_tmp = self.folder / f"{stem}.lines.tmp"
        self.parts.append(tmp)
        self.part_rows.append(n)
        self.part_lines.paths.append(lines_tmp)
        if self.kind != "subject":
            self.tally.add("received", furnisher_values(table.column("furnisher"), n))
        if len(self.writes) >= _WRITES_IN_FLIGHT:
            # the writer is behind: wait, so that parts do not pile up in memory
            self.writes[-_WRITES_IN_FLIGHT].result()
        self.writes.append(
            self.pool.submit(
                _write_staged,
                pa.Table.from_arrays(arrays, schema=self.schema),
                tmp,
                lines,
                lines_tmp,
            )
        )

    def wait_for_writes(self) -> None:
        """Wait for the part writes; the first failure is raised."""
        for write in self.writes:
            write.result()
        self.pool.shutdown(wait=True)

    def quarantine(
        self, rows: pa.Table, reasons: Mapping[str, int], tallies: list[str] | None = None
    ) -> None:
        """Quarantine rows; ``tallies`` (each row's reason as tallied) marks rows already
        received (refused after they were written), else each row's reason is its tally."""
        if not rows.num_rows:
            return
        if self.kind != "subject":
            furn = furnisher_values(rows.column("furnisher"), rows.num_rows)
            if tallies is None:
                self.tally.add("received", furn)
            tallied = rows.column("reason").combine_chunks() if tallies is None else tallies
            self.tally.add_quarantined(furn, tallied)
        if self.q_writer is None:
            self.store.quarantine_dir.mkdir(parents=True, exist_ok=True)
            self.q_writer = pq.ParquetWriter(self.q_tmp, quarantine_schema(self.kind))
        self.q_writer.write_table(rows)
        self.rows_quarantined += rows.num_rows
        self.reasons.update(reasons)

    # -- keys: unknown subjects, repeated keys, versions ---------------------------------------
    def resolve_keys(self) -> None:
        """Decide, for every row written, whether it is new, a version, unchanged or refused
        (:mod:`trustscore.records._versions`), and take the refused and unchanged rows out.

        DuckDB reads the keys, subjects and actions back from the staging parts (a row's
        position in the batch is its part's first position plus its row number in the part), so
        the common case, new records of known subjects, costs one anti-join against the
        subjects, one distinct count and one key-only join against the store, within DuckDB's
        memory limit. Then each part is visited once: its furnishers tallied, its refused rows
        quarantined and its unchanged rows dropped.
        """
        self._flush()
        self.wait_for_writes()
        if not self.parts:
            return
        starts = np.concatenate([[0], np.cumsum(self.part_rows)]).astype(np.int64)
        con = engines.duckdb_raw()
        try:
            self._register_staged(con, starts)
            out = classify_keys(
                con, self.store, self.kind, self.at, moves_subject=self.moves_subject
            )
        finally:
            con.close()
        self.rows_versions, self.rows_deleted = len(out.versions), len(out.deleted)
        hit_positions = np.array(sorted(out.hits), dtype=np.int64)
        for part in range(len(self.parts)):
            lo, hi = int(starts[part]), int(starts[part + 1])
            hits = _within(hit_positions, lo, hi)
            unchanged = _within(out.unchanged, lo, hi)
            if self.kind != "subject":
                self._tally_part(part, out, lo, hi, hits, unchanged)
            if hits.size or unchanged.size:
                found: dict[int, Hit | None] = {int(r): out.hits[int(r) + lo] for r in hits}
                found.update((int(r), None) for r in unchanged)
                self._drop_rows(part, found)

    def _register_staged(self, con: Any, starts: npt.NDArray[np.int64]) -> None:
        """The views ``new_rows`` and ``new_keys`` of :func:`classify_keys`, over the parts."""
        spec = RECORD_KINDS[self.kind]
        staged = pa.table(
            {
                "file": pa.array([str(p) for p in self.parts], pa.string()),
                "start": pa.array(starts[:-1], pa.int64()),
            }
        )
        con.register("staged", staged)
        fields = ", ".join(f'r."{c}"' for c in spec.field_names)
        con.execute(
            "CREATE TEMP VIEW new_rows AS SELECT p.start + r.file_row_number AS pos, "
            f"{fields} FROM read_parquet({sql_list(self.parts)}, filename = true, "
            "file_row_number = true) AS r JOIN staged AS p ON r.filename = p.file"
        )
        subject = ", subject_id AS subj" if self.kind != "subject" else ""
        deleting = (
            f"coalesce(action = '{DELETE}', false)" if "action" in spec.field_names else "false"
        )
        con.execute(
            f'CREATE TEMP VIEW new_keys AS SELECT pos, "{spec.key[0]}" AS k{subject}, '
            f"{deleting} AS deleting FROM new_rows"
        )

    def _tally_part(
        self,
        part: int,
        out: KeyOutcomes,
        lo: int,
        hi: int,
        hits: npt.NDArray[np.int64],
        unchanged: npt.NDArray[np.int64],
    ) -> None:
        """Count one staging part's rows per furnisher as new, versions, deleted, unchanged."""
        n = hi - lo
        column = pq.read_table(self.parts[part], columns=["furnisher"]).column("furnisher")
        furn = furnisher_values(column, n)
        versions = _within(out.versions, lo, hi)
        new = np.ones(n, dtype=np.bool_)
        for taken in (hits, unchanged, versions):
            new[taken] = False
        self.tally.add("new", furn.filter(pa.array(new)))
        for what, where in (
            ("versions", versions),
            ("deleted", _within(out.deleted, lo, hi)),
            ("unchanged", unchanged),
        ):
            self.tally.add(what, furn.take(pa.array(where, pa.int64())))

    def _drop_rows(self, part: int, found: dict[int, Hit | None]) -> None:
        """Remove rows from a written part: quarantine the hits, count the unchanged ones."""
        path = self.parts[part]
        table = pq.read_table(path)
        rows = np.array(sorted(found), dtype=np.int64)
        keep = np.ones(table.num_rows, dtype=np.bool_)
        keep[rows] = False
        refused = np.array([r for r in rows.tolist() if found[r] is not None], dtype=np.int64)
        part_lines = self.part_lines[part]
        self.rows_unchanged += rows.size - refused.size
        if refused.size:
            removed = table.take(pa.array(refused))
            hits = [h for h in (found[r] for r in refused.tolist()) if h is not None]
            names = RECORD_KINDS[self.kind].field_names
            originals = {n: to_strings(removed.column(n)) for n in names}
            values = [originals[h.field][i].as_py() for i, h in enumerate(hits)]
            q = pa.Table.from_arrays(
                [
                    pa.array(part_lines[refused], pa.int64()),
                    pa.array([h.field for h in hits], pa.string()),
                    pa.array(values, pa.string()),
                    pa.array([h.reason for h in hits], pa.string()),
                    *originals.values(),
                ],
                schema=quarantine_schema(self.kind),
            )
            self.quarantine(q, Counter(h.tally for h in hits), [h.tally for h in hits])
        self.rows_stored -= rows.size
        self.part_lines[part] = part_lines[keep]
        rewritten = path.with_name(path.name + ".dedup")
        try:
            _write_part(table.filter(pa.array(keep)), rewritten)
            os.replace(rewritten, path)
        finally:
            rewritten.unlink(missing_ok=True)

    # -- commit or abort --------------------------------------------------------------------
    def commit(self, manifest: BatchManifest) -> BatchManifest:
        parts: list[str] = []
        layout = self.store.ensure_layout()
        if layout.bucketed:
            written = write_buckets(
                self.parts,
                self.folder,
                self.batch_id,
                self.schema,
                layout,
                max_rows=self.batch_rows,
                opened=self.bucket_tmp,
            )
            for tmp, name in written:
                final = self.folder / name
                os.replace(tmp, final)
                self.final.append(final)
                parts.append(name)
            for staged in self.parts:
                staged.unlink()
        else:
            for tmp in self.parts:
                if pq.read_metadata(tmp).num_rows == 0:
                    tmp.unlink()
                    continue
                final = self.folder / layout.part_name(self.batch_id, None, len(parts))
                os.replace(tmp, final)
                self.final.append(final)
                parts.append(final.name)
        for lines in self.part_lines.paths:
            lines.unlink(missing_ok=True)
        for tmp, final in self.extra_files:
            os.replace(tmp, final)
            self.final.append(final)
        quarantine_file = None
        if self.q_writer is not None:
            self.q_writer.close()
            self.q_writer = None
            rows = pq.read_table(self.q_tmp).sort_by([("line", "ascending")])
            pq.write_table(rows, self.q_tmp)
            os.replace(self.q_tmp, self.q_final)
            quarantine_file = self.q_final.name
        manifest = BatchManifest(
            **{
                **manifest.__dict__,
                "parts": tuple(parts),
                "quarantine_file": quarantine_file,
                "rows_stored": self.rows_stored,
                "rows_quarantined": self.rows_quarantined,
                "rows_new": self.rows_stored - self.rows_versions,
                "rows_versions": self.rows_versions,
                "rows_deleted": self.rows_deleted,
                "rows_unchanged": self.rows_unchanged,
                "reasons": dict(self.reasons.most_common()),
                "rows_held": self.rows_held,
                "furnishers": self.tally.as_json(),
            }
        )
        write_atomic(self.store.manifest_path(self.batch_id), manifest.to_json())
        return manifest

    def abort(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self.q_writer is not None:
            try:
                self.q_writer.close()
            except (OSError, pa.ArrowException):  # pragma: no cover - best effort clean-up
                logger.warning("could not close quarantine writer of %s", self.batch_id)
        for p in [
            *self.parts,
            *self.part_lines.paths,
            *self.bucket_tmp,
            *self.final,
            self.q_tmp,
            self.q_final,
        ]:
            p.unlink(missing_ok=True)
        for p, _ in self.extra_files:
            p.unlink(missing_ok=True)
        for p in self.parts:
            p.with_name(p.name + ".dedup").unlink(missing_ok=True)


def ingest(
    path: str | os.PathLike[str],
    store: RecordStore,
    *,
    kind: str | None = None,
    ingested_at: dt.datetime | None = None,
    batch_rows: int = 500_000,
    progress: Callable[[int], object] | None = None,
    hold_above: float | None = None,
    released_hold: str | None = None,
    moves_subject: bool = False,
) -> IngestResult:
    """Validate a furnisher file and append its valid rows to the record store.

    Parameters
    ----------
    path
        A ``.csv`` (with a header row), ``.parquet``, ``.jsonl`` or ``.ndjson`` file.
    store
        The record store to append to.
    kind
        The record kind; by default the file name's stem (``obligation.csv``).
    ingested_at
        When the batch counts as ingested (time-zone-aware); now, by default. Give a past time
        only for back-fills of history.
    batch_rows
        Rows per stored Parquet part.
    progress
        Called with the number of rows read so far, after each chunk.
    hold_above
        A quarantine rate (0.2 for 20%): where more than this share of one furnisher's rows
        in the file is quarantined, that furnisher's rows that would be stored are held for
        review instead (``rows_held``, ``holds``; see :func:`release_hold`). None (the
        default): nothing is held.
    released_hold
        Set by :func:`release_hold` only: the hold whose rows this file stores.
    moves_subject
        Set by :func:`~trustscore.records.relink_records` only: a version may name another
        subject than the stored one (an identity change moves the record; a furnisher cannot).

    Returns
    -------
    IngestResult
        Counts, reasons and the quarantine file. ``rows_in == rows_new + rows_versions +
        rows_unchanged + rows_quarantined``, and ``rows_stored == rows_new + rows_versions``.

    Raises
    ------
    SchemaError
        Unknown kind, a missing required column or an unexpected column; nothing is written.
    ProhibitedInputError
        A column is a refused kind of input (political, protected, social, browsing).
    IngestError
        The file cannot be read at all; nothing is written.

    Examples
    --------
    >>> import datetime as dt, tempfile
    >>> from pathlib import Path
    >>> tmp = Path(tempfile.mkdtemp())
    >>> store = RecordStore(tmp / "store")
    >>> at = dt.datetime(2024, 2, 1, tzinfo=dt.UTC)
    >>> _ = (tmp / "subject.csv").write_text(
    ...     "subject_id,kind,created_date\\ns1,person,2020-01-01\\n")
    >>> ingest(tmp / "subject.csv", store, ingested_at=at).rows_stored
    1
    >>> _ = (tmp / "inquiry.csv").write_text(
    ...     "record_id,subject_id,furnisher,purpose,inquiry_date\\n"
    ...     "i1,s1,bank,credit_pricing,2024-01-05\\n"
    ...     "i2,s1,bank,credit_pricing,2024-13-05\\n"
    ...     "i3,S1,bank,credit_pricing,2024-01-05\\n")
    >>> result = ingest(tmp / "inquiry.csv", store, ingested_at=at)
    >>> result.rows_in, result.rows_stored, result.rows_quarantined
    (3, 1, 2)
    >>> dict(result.reasons)  # doctest: +NORMALIZE_WHITESPACE
    {'inquiry_date is not a valid date in YYYY-MM-DD form': 1,
     'subject_id is not a known subject': 1}
    >>> ingest(tmp / "inquiry.csv", store).already_ingested
    True

    A later file with ``i1`` again: the same values change nothing, other values are a new
    version from its ingestion time, and ``action = delete`` withdraws a record.

    >>> _ = (tmp / "later.csv").write_text(
    ...     "record_id,subject_id,furnisher,purpose,inquiry_date,action\\n"
    ...     "i1,s1,bank,credit_pricing,2024-01-05,\\n"
    ...     "i4,s1,bank,deposit_waiver,2024-01-07,\\n")
    >>> later = ingest(tmp / "later.csv", store, kind="inquiry", ingested_at=at + dt.timedelta(1))
    >>> later.rows_new, later.rows_versions, later.rows_unchanged, later.rows_quarantined
    (1, 0, 1, 0)
    >>> _ = (tmp / "fix.csv").write_text(
    ...     "record_id,subject_id,furnisher,purpose,inquiry_date,action\\n"
    ...     "i1,s1,bank,credit_pricing,2024-01-06,\\n"
    ...     "i4,s1,bank,deposit_waiver,2024-01-07,delete\\n")
    >>> fix = ingest(tmp / "fix.csv", store, kind="inquiry", ingested_at=at + dt.timedelta(2))
    >>> fix.rows_new, fix.rows_versions, fix.rows_deleted, fix.rows_unchanged
    (0, 2, 1, 0)
    >>> [v["inquiry_date"].day for v in store.versions("inquiry", "i1")]
    [5, 6]
    """
    file = Path(path)
    fmt = FORMATS.get(file.suffix.lower())
    if fmt is None:
        msg = (
            f"{file}: unsupported file type {file.suffix!r}. Send CSV with a header row "
            f"(.csv), Parquet (.parquet) or JSON Lines (.jsonl, .ndjson)."
        )
        raise IngestError(msg, file=str(file))
    kind = check_kind(kind if kind is not None else file.stem, file=file)
    threshold = check_threshold(hold_above)
    at = utc(ingested_at) if ingested_at is not None else dt.datetime.now(dt.UTC)
    if not file.is_file():
        msg = f"{file}: no such file. Check the path."
        raise IngestError(msg, file=str(file))
    sha, has_quotes, size = _file_digest(file)
    if size == 0:
        msg = f"{file}: the file is empty. Nothing was stored; send the file again with its rows."
        raise IngestError(msg, file=str(file), line=1)
    batch_id = batch_id_for(kind, sha)
    if store.has_batch(batch_id):
        logger.info("%s was ingested already as batch %s", file, batch_id)
        return IngestResult.from_manifest(store.batch(batch_id), store, already_ingested=True)

    batch = _Batch(store, kind, batch_id, at, max(1, batch_rows))
    batch.moves_subject = moves_subject
    batch.remove_leftovers()
    try:
        chunks = prefetch(
            read_chunks(
                file,
                fmt,
                kind,
                has_quotes=has_quotes,
                chunk_rows=min(batch_rows, _READ_CHUNK_ROWS),
            )
        )
        for chunk in chunks:
            checked = validate_chunk(kind, chunk.table, chunk.lines, ingest_date=at.date())
            batch.rows_in += chunk.n_rows
            batch.add(checked.good, checked.good_lines)
            batch.quarantine(checked.bad, checked.reasons)
            if chunk.malformed:
                batch.quarantine(
                    malformed_table(kind, chunk.malformed),
                    Counter(reason for _, _, reason in chunk.malformed),
                )
            if progress is not None:
                progress(batch.rows_in)
        batch.resolve_keys()
        holds = hold_rows(batch, threshold) if threshold is not None else {}
        accounted = (
            batch.rows_stored + batch.rows_unchanged + batch.rows_quarantined + batch.rows_held
        )
        if batch.rows_in != accounted or batch.tally.check():  # pragma: no cover
            msg = f"{file}: row counts do not reconcile in batch {batch_id}; this is a bug."
            raise IngestError(msg, file=str(file))
        manifest = batch.commit(
            BatchManifest(
                batch_id=batch_id,
                kind=kind,
                file=str(file),
                sha256=sha,
                rows_in=batch.rows_in,
                rows_stored=0,
                rows_quarantined=0,
                ingested_at=at,
                format=fmt,
                holds=holds,
                released_hold=released_hold,
            )
        )
    except BaseException:
        batch.abort()
        raise
    logger.info(
        "ingested %s as %s: %d in, %d new, %d versions, %d unchanged, %d quarantined",
        file,
        batch_id,
        manifest.rows_in,
        manifest.rows_new,
        manifest.rows_versions,
        manifest.rows_unchanged,
        manifest.rows_quarantined,
    )
    return IngestResult.from_manifest(manifest, store, already_ingested=False)
