"""Streaming readers for furnisher files: CSV, Parquet and JSON Lines.

Each reader checks the file's columns first (the whole file is refused on a bad header) and then
yields :class:`Chunk` objects: the rows as an Arrow table (strings for CSV and JSON Lines, the
file's own types for Parquet), each row's line in the file, and the rows that could not even be
split into fields (malformed CSV rows, lines that are not JSON objects) as quarantine rows.

Line numbers: for CSV the physical line in the file (the header is line 1; a quoted value with
line breaks moves the following lines down; a line ends at LF, CRLF or a lone CR, as pyarrow
reads it, so files with old Mac line endings read like any other); for Parquet and JSON Lines
the 1-based row (line).
"""

from __future__ import annotations

import csv
import io
import json
import queue
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from trustscore.exceptions import IngestError, SchemaError
from trustscore.records._schemas import RECORD_KINDS
from trustscore.records._validate import quarantine_schema
from trustscore.safeguards import check_input_names

__all__ = ["FORMATS", "Chunk", "check_columns", "prefetch", "read_chunks"]

FORMATS: Final[dict[str, str]] = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}

_CSV_BLOCK_BYTES: Final = 16 << 20
_MAX_SHOWN: Final = 2000  # characters of a malformed row kept in quarantine
_NO_LINES: Final = np.zeros(0, dtype=np.int64)
#: Where a CSV line ends: LF, CRLF, or a CR alone (pyarrow's reader splits records on all three).
_LINE_END: Final = r"\r\n|\r|\n"
_LINE_END_BYTES: Final = re.compile(_LINE_END.encode())
_LINE_END_TEXT: Final = re.compile(_LINE_END)


@dataclass(frozen=True)
class Chunk:
    """Rows read from a file, their lines, and rows that could not be split into fields."""

    table: pa.Table
    lines: npt.NDArray[np.int64]
    malformed: list[tuple[int, str, str]] = field(default_factory=list)  # line, text, reason

    @property
    def n_rows(self) -> int:
        return int(self.table.num_rows) + len(self.malformed)


def malformed_table(kind: str, rows: list[tuple[int, str, str]]) -> pa.Table:
    """Quarantine rows for rows that could not be split into fields."""
    schema = quarantine_schema(kind)
    n = len(rows)
    arrays = [
        pa.array([r[0] for r in rows], pa.int64()),
        pa.nulls(n, pa.string()),
        pa.array([r[1][:_MAX_SHOWN] for r in rows], pa.string()),
        pa.array([r[2] for r in rows], pa.string()),
        *[pa.nulls(n, pa.string()) for _ in schema.names[4:]],
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def check_columns(kind: str, columns: list[str], file: Path, *, require: bool = True) -> None:
    """Refuse a file whose columns are prohibited, unexpected, repeated or missing."""
    spec = RECORD_KINDS[kind]
    check_input_names(columns, where=f"file {file.name}")
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            msg = f"{file}: the column {name!r} appears more than once in the header."
            raise SchemaError(msg, file=str(file), field=name)
        seen.add(name)
    unexpected = [c for c in columns if c not in spec.field_names]
    if unexpected:
        msg = (
            f"{file}: unexpected column(s) {', '.join(map(repr, unexpected))} for record kind "
            f"{kind!r}. trustscore stores only fields it has a schema for (data minimisation); "
            f"remove them. The {kind} fields are: {', '.join(spec.field_names)}."
        )
        raise SchemaError(msg, file=str(file), field=unexpected[0])
    if require:
        for f in spec.fields:
            if f.required and f.name not in seen:
                msg = (
                    f"{file}: the required column {f.name!r} of record kind {kind!r} is missing. "
                    f"Add it; the {kind} fields are: {', '.join(spec.field_names)}."
                )
                raise SchemaError(msg, file=str(file), field=f.name)


def read_chunks(
    path: Path, fmt: str, kind: str, *, has_quotes: bool, chunk_rows: int
) -> Iterator[Chunk]:
    """Check the file's columns, then yield its rows chunk by chunk."""
    if fmt == "csv":
        return _csv_chunks(path, kind, has_quotes=has_quotes)
    if fmt == "parquet":
        return _parquet_chunks(path, kind, chunk_rows=chunk_rows)
    return _jsonl_chunks(path, kind, chunk_rows=chunk_rows)


def prefetch(chunks: Iterator[Chunk], depth: int = 2) -> Iterator[Chunk]:
    """Read the next chunks in a thread while the caller validates and writes this one.

    pyarrow releases the GIL while parsing, so reading overlaps with validation; errors from
    the reader are raised in the caller, and closing this iterator stops the reader.
    """
    q: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
            except queue.Full:
                continue
            return True
        return False

    def work() -> None:
        try:
            for chunk in chunks:
                if not put(("chunk", chunk)):
                    return
            put(("done", None))
        except BaseException as exc:  # handed to the caller, which re-raises it
            put(("error", exc))
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=work, name="trustscore-ingest-reader", daemon=True)
    thread.start()
    try:
        while True:
            what, item = q.get()
            if what == "done":
                return
            if what == "error":
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def _unreadable(path: Path, what: str, line: int | None, exc: BaseException | None) -> IngestError:
    where = f" at line {line}" if line is not None else ""
    detail = f" ({exc})" if exc is not None else ""
    msg = (
        f"{path}{where}: {what}{detail}. Nothing from this file was stored; fix or re-export "
        "the file and ingest it again."
    )
    return IngestError(msg, file=str(path), line=line)


def _arrow_row(exc: BaseException) -> int | None:
    """The row pyarrow names in a CSV error ("Row #3"), counting the header as row 1."""
    found = re.search(r"Row #(\d+)", str(exc))
    return int(found.group(1)) if found else None


def _csv_header(path: Path) -> tuple[list[str], bool]:
    """The header's column names, and whether anything follows the header line."""
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    first = _LINE_END_BYTES.split(head, 1)[0].removeprefix(b"\xef\xbb\xbf")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _unreadable(path, "the header is not UTF-8 text", 1, exc) from None
    if not text.strip():
        raise _unreadable(path, "the first line is empty; a CSV file needs a header row", 1, None)
    if "\x00" in text:
        raise _unreadable(path, "the file is binary, not CSV text", 1, None)
    try:
        names = next(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise _unreadable(path, "the header cannot be parsed", 1, exc) from None
    return names, _LINE_END_BYTES.search(head) is not None or len(head) == 1 << 20


def _quotes_after_cr_header(path: Path) -> bool:
    """Whether a double quote follows the first line of a file whose lines end in a lone CR.

    The ingest's own scan looks for quotes after the first LF, which such a file lacks.
    """
    with path.open("rb") as fh:
        first = fh.read(1 << 20)
        end = _LINE_END_BYTES.search(first)
        if end is None or end.group() != b"\r":
            return False  # LF or CRLF: the ingest's scan has looked already
        body = first[end.end() :]
        while True:
            if b'"' in body:
                return True
            body = fh.read(8 << 20)
            if not body:
                return False


def _csv_chunks(path: Path, kind: str, *, has_quotes: bool) -> Iterator[Chunk]:
    raw_header, has_rows = _csv_header(path)
    has_quotes = has_quotes or _quotes_after_cr_header(path)
    header = [c.strip() for c in raw_header]
    check_columns(kind, header, path)
    if not has_rows:  # a header without even a line break: no rows (pyarrow would refuse it)
        yield Chunk(pa.schema([(h, pa.string()) for h in header]).empty_table(), _NO_LINES)
        return
    invalid: list[tuple[int, str, int, int]] = []

    def on_invalid(row: Any) -> str:
        invalid.append((row.number, row.text, row.expected_columns, row.actual_columns))
        return "skip"

    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=False, block_size=_CSV_BLOCK_BYTES),
            # Blank lines are kept (as empty rows, quarantined) so record numbers stay lines.
            parse_options=pacsv.ParseOptions(
                invalid_row_handler=on_invalid, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(raw_header, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        raise _unreadable(path, "cannot be read", _arrow_row(exc), exc) from None
    if reader.schema.names != raw_header:
        raise _unreadable(path, "the header cannot be parsed consistently", 1, None)

    record = 2  # record numbers from pyarrow count the header as record 1
    shift = 0  # extra physical lines from quoted line breaks before ``record``
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            batch = None
        except (pa.ArrowInvalid, OSError) as exc:
            raise _unreadable(path, "cannot be read", _arrow_row(exc) or record, exc) from None
        n = 0 if batch is None else batch.num_rows
        k = 0  # invalid rows among the next n + k records
        while k < len(invalid) and invalid[k][0] < record + n + k:
            k += 1
        if batch is None:
            k = len(invalid)
        taken, invalid[:k] = invalid[:k], []
        numbers = np.arange(record, record + n + k, dtype=np.int64)
        is_invalid = np.isin(numbers, np.array([t[0] for t in taken], dtype=np.int64))
        lines = numbers.copy()
        if has_quotes:
            extra = np.zeros(n + k, dtype=np.int64)
            if n:
                table = pa.Table.from_batches([batch])  # type: ignore[list-item]
                per_row = np.zeros(n, dtype=np.int64)
                for col in table.columns:
                    counts = pc.fill_null(pc.count_substring_regex(col, _LINE_END), 0)
                    per_row += np.asarray(counts.to_numpy(), dtype=np.int64)
                extra[~is_invalid] = per_row
            extra[is_invalid] = [len(_LINE_END_TEXT.findall(t[1])) for t in taken]
            before = np.concatenate([[0], np.cumsum(extra)[:-1]]) if n + k else extra
            lines = numbers + shift + before
            shift += int(extra.sum())
        malformed = [
            (int(line), t[1], f"malformed row: expected {t[2]} fields, found {t[3]}")
            for line, t in zip(lines[is_invalid].tolist(), taken, strict=True)
        ]
        record += n + k
        table = (
            pa.Table.from_batches([batch]).rename_columns(header)
            if batch is not None
            else pa.schema([(h, pa.string()) for h in header]).empty_table()
        )
        yield Chunk(table, lines[~is_invalid], malformed)
        if batch is None:
            return


def _parquet_chunks(path: Path, kind: str, *, chunk_rows: int) -> Iterator[Chunk]:
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise _unreadable(path, "cannot be read as Parquet", None, exc) from None
    columns = list(pf.schema_arrow.names)
    check_columns(kind, columns, path)
    start = 1
    batches = pf.iter_batches(batch_size=chunk_rows)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (pa.ArrowException, OSError) as exc:
            raise _unreadable(path, "cannot be read as Parquet", start, exc) from None
        n = batch.num_rows
        yield Chunk(pa.Table.from_batches([batch]), np.arange(start, start + n, dtype=np.int64))
        start += n


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value)


#: A JSON escape of a UTF-16 surrogate: alone, it is no character and cannot be stored as UTF-8.
_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _json_object(text: str) -> tuple[dict[str, str | None] | None, str]:
    """A JSON Lines line as its fields, each as text, else None and the reason.

    Rows that cannot be stored are quarantined with the reason rather than failing the file:
    not an object, nested past Python's recursion limit, or holding an escaped lone surrogate
    (``"\\ud800"``), which json accepts but no UTF-8 text can hold.
    """
    if not text.strip():
        return None, "empty row: a blank line"
    try:
        obj = json.loads(text)
        if not isinstance(obj, dict):
            return None, "not a JSON object"
        values = {str(k): _json_text(v) for k, v in obj.items()}
    except RecursionError:
        return None, "not a JSON object this reader accepts: nested too deeply"
    except ValueError:
        return None, "not a JSON object"
    if _SURROGATE_ESCAPE.search(text):  # rare: only then look at every value
        for name, value in values.items():
            try:
                name.encode("utf-8")
                if value is not None:
                    value.encode("utf-8")
            except UnicodeEncodeError:
                shown = name.encode("utf-8", "backslashreplace").decode("ascii", "replace")
                reason = f"{shown} holds an escaped lone surrogate (\\ud800-\\udfff): not text"
                return None, reason
    return values, ""


def _jsonl_chunks(path: Path, kind: str, *, chunk_rows: int) -> Iterator[Chunk]:
    names = RECORD_KINDS[kind].field_names
    seen: set[str] = set()
    stored_any = False
    with path.open("rb") as fh:
        line_no = 0
        while True:
            cols: dict[str, list[str | None]] = {name: [] for name in names}
            lines: list[int] = []
            malformed: list[tuple[int, str, str]] = []
            for raw in fh:
                line_no += 1
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise _unreadable(path, "is not UTF-8 text", line_no, exc) from None
                obj, reason = _json_object(text)
                if obj is None:
                    malformed.append((line_no, text.rstrip("\r\n"), reason))
                else:
                    new = obj.keys() - seen
                    if new:
                        check_columns(kind, sorted(new), path, require=False)
                        seen |= new
                    for name in names:
                        cols[name].append(obj.get(name))
                    lines.append(line_no)
                if len(lines) + len(malformed) >= chunk_rows:
                    break
            table = pa.table({name: pa.array(v, pa.string()) for name, v in cols.items()})
            if lines:
                stored_any = True
            yield Chunk(table, np.array(lines, dtype=np.int64), malformed)
            if not lines and not malformed:
                break
    if not stored_any and line_no > 0:
        raise _unreadable(path, "no line is a JSON object; this is not a JSON Lines file", 1, None)
    if stored_any:
        missing = [f.name for f in RECORD_KINDS[kind].fields if f.required and f.name not in seen]
        if missing:
            msg = (
                f"{path}: the required field {missing[0]!r} of record kind {kind!r} appears in "
                f"no line. Add it; the {kind} fields are: {', '.join(names)}."
            )
            raise SchemaError(msg, file=str(path), field=missing[0])
