"""Hash buckets of the subject: the record store's partitioning, and its layout file.

A subject's bucket is declared exactly, so that Python, DuckDB SQL and Spark SQL compute the
same number for every id::

    bucket(subject_id) = int.from_bytes(sha256(subject_id.encode("utf-8"))[:8], "big") % buckets

(the first 8 bytes of the SHA-256 digest of the UTF-8 id, as an unsigned big-endian 64-bit
integer, modulo the store's bucket count). :func:`bucket_sql` writes the same in each dialect.

The bucket count is fixed per store and recorded in ``<store>/_layout.json``::

    {"version": 2, "buckets": 64, "hash": "sha256-u64be-mod"}

A store without that file, but with committed batches, is a version-1 store (every kind's parts
in one folder); it is read as before until ``trustscore store migrate`` rewrites it
(:mod:`trustscore.records._migrate`). A store without batches gets the file on its first write.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from trustscore.exceptions import SchemaError

__all__ = [
    "BUCKET_HASH",
    "DEFAULT_BUCKETS",
    "LAYOUT_FILE",
    "Layout",
    "bucket_of_part",
    "bucket_sql",
    "read_layout",
    "subject_bucket",
    "subject_buckets",
    "write_buckets",
]

#: The name of the bucket function in ``_layout.json`` (see the module docstring).
BUCKET_HASH: Final = "sha256-u64be-mod"
#: Buckets of a new store: a few files per batch on a laptop, and up to about 64 parallel
#: tasks; a nation's store wants about 2**14 (see docs/architecture.md, "Record store layout").
DEFAULT_BUCKETS: Final = 64
LAYOUT_FILE: Final = "_layout.json"
#: Bucket counts above this are refused: a folder per bucket per kind must stay listable.
MAX_BUCKETS: Final = 1 << 20

#: Bucket files :func:`write_buckets` keeps open at once: beyond this (stores with many buckets
#: and a large batch), every open file is closed and a bucket's later rows start a new part, so
#: file handles stay bounded.
MAX_OPEN_BUCKETS: Final = 256

#: Rows per row group of a bucket's part (rows sorted by subject): a read of one subject
#: decodes about this many rows of each part of its bucket.
ROW_GROUP_ROWS: Final = 4096

_BUCKET_DIR: Final = re.compile(r"^bucket=(?P<b>\d+)/")


def check_buckets(buckets: int) -> int:
    """``buckets`` if it is a whole number from 1 to 2**20; a clear error otherwise."""
    if isinstance(buckets, bool) or not isinstance(buckets, int) or not 1 <= buckets <= MAX_BUCKETS:
        msg = (
            f"The bucket count must be a whole number from 1 to {MAX_BUCKETS}, got {buckets!r}; "
            f"use {DEFAULT_BUCKETS} for a small store, about 2**14 (16384) for a nation."
        )
        raise SchemaError(msg, field="buckets", value=repr(buckets))
    return buckets


def subject_bucket(subject_id: str, buckets: int) -> int:
    """The bucket of one subject id.

    Examples
    --------
    >>> subject_bucket("s1", 64), subject_bucket("S000000001", 64), subject_bucket("é", 16384)
    (7, 55, 851)
    """
    digest = hashlib.sha256(subject_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % buckets


def subject_buckets(subject_ids: pa.Array | pa.ChunkedArray, buckets: int) -> npt.NDArray[np.int64]:
    """The bucket of every id in a column (each distinct id hashed once).

    Examples
    --------
    >>> subject_buckets(pa.array(["s1", "s2", "s1"]), 64).tolist()
    [7, 42, 7]
    """
    encoded = pc.dictionary_encode(subject_ids)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.unify_dictionaries().combine_chunks()
    if encoded.null_count:
        msg = "A record without a subject_id cannot be stored: its bucket is undefined."
        raise SchemaError(msg, field="subject_id")
    values = np.array(
        [subject_bucket(s, buckets) for s in encoded.dictionary.to_pylist()], dtype=np.int64
    )
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    return values[indices] if len(values) else np.zeros(0, dtype=np.int64)


def bucket_sql(column: str, buckets: int, *, dialect: Literal["duckdb", "spark"]) -> str:
    """The bucket of a string column as a SQL expression of DuckDB or Spark.

    ``column`` is used as given (quote it yourself where needed). Both dialects give the same
    integer as :func:`subject_bucket`.

    Examples
    --------
    >>> bucket_sql("subject_id", 64, dialect="duckdb")
    "CAST(CAST(('0x' || substr(sha256(subject_id), 1, 16)) AS UBIGINT) % 64 AS BIGINT)"
    """
    n = check_buckets(buckets)
    if dialect == "duckdb":
        return f"CAST(CAST(('0x' || substr(sha256({column}), 1, 16)) AS UBIGINT) % {n} AS BIGINT)"
    if dialect == "spark":
        return (
            f"CAST(pmod(CAST(conv(substr(sha2(CAST({column} AS BINARY), 256), 1, 16), 16, 10)"
            f" AS DECIMAL(20, 0)), {n}) AS BIGINT)"
        )
    msg = f"Unknown SQL dialect {dialect!r}; choose 'duckdb' or 'spark'."
    raise SchemaError(msg, field="dialect", value=dialect)


def bucket_of_part(name: str) -> int | None:
    """The bucket of a part named relative to its kind's folder (None in a version-1 store).

    Examples
    --------
    >>> bucket_of_part("bucket=12/obligation-ab-00000.parquet"), bucket_of_part("x-00000.parquet")
    (12, None)
    """
    m = _BUCKET_DIR.match(name)
    return int(m["b"]) if m is not None else None


@dataclass(frozen=True)
class Layout:
    """How a record store is laid out: version 1 (flat) or 2 (hash buckets of the subject).

    Examples
    --------
    >>> Layout(2, 64).part_name("obligation-ab", 7, 0)
    'bucket=7/obligation-ab-00000.parquet'
    >>> Layout(1).part_name("obligation-ab", None, 3)
    'obligation-ab-00003.parquet'
    """

    version: int
    buckets: int | None = None
    hash: str | None = None

    @property
    def bucketed(self) -> bool:
        return self.version >= 2

    def to_json(self) -> str:
        data = {"version": self.version, "buckets": self.buckets, "hash": self.hash}
        return json.dumps(data, indent=2, sort_keys=True)

    def part_name(self, batch_id: str, bucket: int | None, part: int) -> str:
        """A part's name relative to its kind's folder."""
        name = f"{batch_id}-{part:05d}.parquet"
        return name if bucket is None else f"bucket={bucket}/{name}"

    def part_glob(self) -> str:
        """The glob, relative to a kind's folder, that matches the layout's part files."""
        return "bucket=*/*.parquet" if self.bucketed else "*.parquet"

    def buckets_of(self, subject_ids: list[str]) -> set[int] | None:
        """The buckets that hold these subjects' records (None: every part, version 1)."""
        if not self.bucketed or self.buckets is None:
            return None
        return {subject_bucket(s, self.buckets) for s in subject_ids}


#: A store written before buckets (or one without a layout file and with batches).
FLAT: Final = Layout(1)


def bucketed_layout(buckets: int = DEFAULT_BUCKETS) -> Layout:
    """The version-2 layout with ``buckets`` buckets."""
    return Layout(2, check_buckets(buckets), BUCKET_HASH)


def read_layout(root: str | os.PathLike[str]) -> Layout | None:
    """The layout recorded in ``<root>/_layout.json``; None where the file does not exist.

    A file that cannot be read, or names an unknown version or hash, is refused clearly.
    """
    path = Path(root) / LAYOUT_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
        layout = Layout(int(data["version"]), data.get("buckets"), data.get("hash"))
    except (ValueError, KeyError, TypeError) as exc:
        msg = f"{path}: not a record store layout file ({exc}); restore it from a backup."
        raise SchemaError(msg, file=str(path)) from exc
    if layout.version == 1:
        return FLAT
    if layout.version != 2 or layout.hash != BUCKET_HASH or layout.buckets is None:
        msg = (
            f"{path}: unknown record store layout {text.strip()!r}; this trustscore reads "
            f'version 1 and version 2 with hash "{BUCKET_HASH}". Upgrade trustscore.'
        )
        raise SchemaError(msg, file=str(path))
    check_buckets(layout.buckets)
    return layout


def write_buckets(
    sources: list[Path],
    folder: Path,
    batch_id: str,
    schema: pa.Schema,
    layout: Layout,
    *,
    max_rows: int,
    opened: list[Path],
) -> list[tuple[Path, str]]:
    """Write the rows of Parquet files ``sources`` into bucket files of one batch.

    Each bucket present gets ``<folder>/bucket=<b>/<batch_id>-00000.parquet``, and a new part
    for each further ``max_rows`` rows (or when over :data:`MAX_OPEN_BUCKETS` files would be
    open at once). Files are written under temporary names (each appended to ``opened`` before
    it is created, so a caller can remove them on failure); returns (temporary file, final name
    relative to ``folder``), in name order. The caller renames them into place.
    """
    if not layout.bucketed or layout.buckets is None:
        msg = f"{folder}: a version-1 store has no buckets to write."
        raise SchemaError(msg, file=str(folder))
    n_buckets = layout.buckets
    writers: dict[int, tuple[pq.ParquetWriter, int]] = {}  # bucket -> writer, rows in it
    n_files: dict[int, int] = {}
    written: list[tuple[Path, str]] = []

    def close(bucket: int) -> None:
        writer, _ = writers.pop(bucket)
        writer.close()

    try:
        for source in sources:
            table = pq.read_table(source, schema=schema)
            if not table.num_rows:
                continue
            buckets = subject_buckets(table.column("subject_id"), n_buckets)
            # by bucket, then by subject (stable): each row group then holds a narrow range of
            # subject ids, which its statistics record, so a read of one subject skips the
            # bucket's other row groups (RecordStore.read pushes its filter into the reader)
            keys = pa.table({"b": buckets, "s": table.column("subject_id")})
            order = pc.sort_indices(keys, [("b", "ascending"), ("s", "ascending")])
            table, buckets = table.take(order), buckets[order.to_numpy()]
            edges = (np.flatnonzero(np.diff(buckets)) + 1).tolist()
            for start, stop in zip([0, *edges], [*edges, len(buckets)], strict=True):
                bucket = int(buckets[start])
                while start < stop:
                    if bucket in writers and writers[bucket][1] >= max_rows:
                        close(bucket)
                    if bucket not in writers:
                        if len(writers) >= MAX_OPEN_BUCKETS:
                            for b in list(writers):
                                close(b)
                        name = layout.part_name(batch_id, bucket, n_files.get(bucket, 0))
                        n_files[bucket] = n_files.get(bucket, 0) + 1
                        final = folder / name
                        final.parent.mkdir(parents=True, exist_ok=True)
                        tmp = final.with_name(f".{final.name}.tmp")
                        opened.append(tmp)
                        written.append((tmp, name))
                        writers[bucket] = (pq.ParquetWriter(tmp, schema), 0)
                    writer, n = writers[bucket]
                    take = min(stop - start, max_rows - n)
                    writer.write_table(table.slice(start, take), row_group_size=ROW_GROUP_ROWS)
                    writers[bucket] = (writer, n + take)
                    start += take
    finally:
        for b in list(writers):
            close(b)
    return sorted(written, key=lambda w: w[1])
