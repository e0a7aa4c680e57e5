"""Vectorised validation of one chunk of furnisher rows against a record kind.

A chunk arrives with any subset of the kind's columns, as strings (CSV, JSON Lines) or already
typed (Parquet). Every check is a pyarrow.compute kernel over whole columns; a row that fails any
check goes to quarantine with the *first* failure (fields in schema order, then the cross-field
checks), so a row is counted once and ``rows in = rows stored + rows quarantined`` holds per chunk.

Examples
--------
>>> import datetime as dt
>>> import numpy as np
>>> import pyarrow as pa
>>> chunk = pa.table({"subject_id": ["s1", "s2"], "kind": ["person", "robot"],
...                   "created_date": ["2020-01-31", "2020-01-31"]})
>>> out = validate_chunk("subject", chunk, np.array([2, 3]), ingest_date=dt.date(2024, 1, 1))
>>> out.good.column("subject_id").to_pylist()
['s1']
>>> row = out.bad.to_pylist()[0]
>>> row["line"], row["field"], row["value"], row["reason"]
(3, 'kind', 'robot', 'kind is not one of: person, organisation')
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from trustscore.records._schemas import RECORD_KINDS, FieldSpec, arrow_schema

__all__ = [
    "QUARANTINE_COLUMNS",
    "ChunkResult",
    "quarantine_schema",
    "to_strings",
    "validate_chunk",
]

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

# The columns of a quarantine file before the original values (one string column per field).
QUARANTINE_COLUMNS: Final[tuple[str, ...]] = ("line", "field", "value", "reason")

_DATE_RE: Final = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# Digits are required, so "nan", "inf" and hex are not numbers; finiteness is checked after.
_FLOAT_RE: Final = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?$"
_INT_RE: Final = r"^[+-]?[0-9]{1,18}$"

EMPTY_ROW: Final = "empty row: no field has a value"

#: Integers from 2^53 on are not all exact as float64 amounts.
_EXACT_FLOAT: Final = 2.0**53


def quarantine_schema(kind: str) -> pa.Schema:
    """The schema of a quarantine file for ``kind``: line, field, value, reason, then originals.

    Examples
    --------
    >>> quarantine_schema("inquiry").names[:6]
    ['line', 'field', 'value', 'reason', 'record_id', 'subject_id']
    """
    return pa.schema(
        [
            pa.field("line", pa.int64()),
            pa.field("field", pa.string()),
            pa.field("value", pa.string()),
            pa.field("reason", pa.string()),
            *[pa.field(name, pa.string()) for name in RECORD_KINDS[kind].field_names],
        ]
    )


@dataclass(frozen=True)
class ChunkResult:
    """What :func:`validate_chunk` found: typed good rows, their lines, and quarantine rows."""

    good: pa.Table
    good_lines: IntArray
    bad: pa.Table
    reasons: Counter[str]


def to_strings(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Any Arrow array as strings, for showing original values (nulls stay null)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_string(arr.type):
        return arr
    try:
        return pc.cast(arr, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.array([None if v is None else str(v) for v in arr.to_pylist()], pa.string())


def _np(mask: pa.Array | pa.ChunkedArray) -> BoolArray:
    """A boolean Arrow array as numpy, null meaning False."""
    filled = pc.fill_null(mask, False)
    if isinstance(filled, pa.ChunkedArray):
        filled = filled.combine_chunks()
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.bool_)


@dataclass
class _Parsed:
    typed: pa.Array  # the target type; null where missing or unparseable
    present: BoolArray  # a value was given
    bad_type: BoolArray  # a value was given but is not of the field's type
    inexact: BoolArray | None = None  # an integer too large to be an exact float64


def _parse_strings(spec: FieldSpec, raw: pa.Array) -> _Parsed:
    text = pc.utf8_trim_whitespace(raw)
    present = _np(pc.not_equal(text, ""))
    if spec.type in ("string", "enum"):
        typed = text if present.all() else pc.if_else(pa.array(present), text, None)
        return _Parsed(typed, present, np.zeros(len(raw), np.bool_))
    pattern = {"date": _DATE_RE, "float": _FLOAT_RE, "int": _INT_RE}[spec.type]
    ok = _np(pc.match_substring_regex(text, pattern))
    parsed_ok = ok.copy()
    safe = text if ok.all() else pc.if_else(pa.array(ok), text, None)
    if spec.type == "date":
        try:  # the strict ISO parser is fast, but fails the whole array on one bad date
            typed = pc.cast(pc.cast(safe, pa.timestamp("s")), pa.date32())
        except pa.ArrowInvalid:
            stamp = pc.strptime(safe, format="%Y-%m-%d", unit="s", error_is_null=True)
            # strptime rolls 2023-02-30 over to 2023-03-02: the day must be the one given.
            given_day = pc.cast(pc.utf8_slice_codeunits(safe, 8, 10), pa.int64())
            ok &= _np(pc.equal(pc.day(stamp), given_day))
            typed = pc.cast(stamp, pa.date32())
    elif spec.type == "float":
        typed = pc.cast(safe, pa.float64())
        ok &= _np(pc.is_finite(typed))
    else:
        # Arrow's integer parser refuses the sign that _INT_RE (and any reader) accepts: "+5" is 5
        typed = pc.cast(pc.replace_substring_regex(safe, r"^\+", ""), pa.int64())
    if not np.array_equal(ok, parsed_ok):  # values that parsed but are not valid
        typed = pc.if_else(pa.array(ok), typed, pa.scalar(None, typed.type))
    return _Parsed(typed, present, present & ~ok)


def _parse(spec: FieldSpec, column: pa.Array) -> _Parsed:
    """Bring one column to its field's Arrow type, keeping typed inputs (Parquet) as they are."""
    t = column.type
    target = arrow_schema_type(spec)
    n = len(column)
    if pa.types.is_null(t):
        return _Parsed(pa.nulls(n, target), np.zeros(n, np.bool_), np.zeros(n, np.bool_))
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return _parse_strings(spec, column.cast(pa.string()))
    valid = _np(pc.is_valid(column))
    if spec.type == "float" and (pa.types.is_integer(t) or pa.types.is_floating(t)):
        # a 64-bit integer beyond 2^53 has no exact float: unsafe cast, then quarantine it
        typed = pc.cast(column, pa.float64(), safe=not pa.types.is_integer(t))
        finite = _np(pc.is_finite(typed))
        # NaN from outside is a missing value and is stored as NULL (ENGINE-NOTES.md).
        nan = _np(pc.is_nan(typed))
        present = valid & ~nan
        ok = finite & present
        inexact = None
        if pa.types.is_integer(t):
            inexact = present & ~_np(pc.less(pc.abs(typed), _EXACT_FLOAT))
            ok &= ~inexact
        return _Parsed(pc.if_else(pa.array(ok), typed, None), present, present & ~ok, inexact)
    if spec.type == "int" and pa.types.is_integer(t):
        try:
            return _Parsed(pc.cast(column, pa.int64()), valid, np.zeros(n, np.bool_))
        except pa.ArrowInvalid:
            pass
    if spec.type == "int" and pa.types.is_floating(t):
        f = pc.cast(column, pa.float64())
        present = valid & ~_np(pc.is_nan(f))
        ok = present & _np(pc.and_(pc.is_finite(f), pc.equal(pc.floor(f), f)))
        ok &= _np(pc.less_equal(pc.abs(f), 9.0e15))
        safe = pc.if_else(pa.array(ok), f, None)
        return _Parsed(pc.cast(safe, pa.int64()), present, present & ~ok)
    if spec.type == "date" and (pa.types.is_date(t) or pa.types.is_timestamp(t)):
        return _Parsed(pc.cast(column, pa.date32()), valid, np.zeros(n, np.bool_))
    return _parse_strings(spec, to_strings(column))


def arrow_schema_type(spec: FieldSpec) -> pa.DataType:
    """The Arrow type a field is stored as."""
    return {
        "string": pa.string(),
        "enum": pa.string(),
        "date": pa.date32(),
        "float": pa.float64(),
        "int": pa.int64(),
    }[spec.type]


_TYPE_WORDS: Final[dict[str, str]] = {
    "date": "is not a valid date in YYYY-MM-DD form",
    "float": "is not a finite number",
    "int": "is not a whole number",
}


def validate_chunk(
    kind: str, chunk: pa.Table, lines: IntArray, *, ingest_date: dt.date
) -> ChunkResult:
    """Split ``chunk`` into typed valid rows and quarantine rows (first failure per row).

    ``lines`` gives each row's line in the furnisher's file. Duplicate keys are not checked here
    (they need the whole file and the store; see :func:`trustscore.records.ingest`).
    """
    spec = RECORD_KINDS[kind]
    n = chunk.num_rows
    names = spec.field_names
    columns: dict[str, pa.Array] = {}
    for name in names:
        if name in chunk.column_names:
            columns[name] = chunk.column(name).combine_chunks()
        else:
            columns[name] = pa.nulls(n, pa.string())

    reasons: list[str] = []
    code = np.full(n, -1, dtype=np.int32)
    where = np.full(n, -1, dtype=np.int32)  # index into names; -1: the row as a whole

    def fail(mask: BoolArray, field_index: int, reason: str) -> None:
        hit = mask & (code < 0)
        if hit.any():
            reasons.append(reason)
            code[hit] = len(reasons) - 1
            where[hit] = field_index

    parsed = {name: _parse(spec.field(name), columns[name]) for name in names}
    any_present = np.zeros(n, np.bool_)
    for p in parsed.values():
        any_present |= p.present
    fail(~any_present, -1, EMPTY_ROW)

    for i, f in enumerate(spec.fields):
        p = parsed[f.name]
        if f.required:
            fail(~p.present, i, f"{f.name} is required but empty")
        if p.inexact is not None:
            fail(p.inexact, i, f"{f.name} is an integer of 2^53 or more, not exact as an amount")
        if f.type in _TYPE_WORDS:
            fail(p.bad_type, i, f"{f.name} {_TYPE_WORDS[f.type]}")
        if f.type == "enum":
            allowed = pa.array(list(f.values), pa.string())
            fail(
                p.present & ~_np(pc.is_in(p.typed, value_set=allowed)),
                i,
                f"{f.name} is not one of: {', '.join(f.values)}",
            )
        if f.minimum is not None:
            fail(
                _np(pc.less(p.typed, f.minimum)), i, f"{f.name} is below the minimum {f.minimum:g}"
            )
        if f.maximum is not None:
            fail(
                _np(pc.greater(p.typed, f.maximum)),
                i,
                f"{f.name} is above the maximum {f.maximum:g}",
            )

    for i, f in enumerate(spec.fields):
        if f.not_before is not None:
            before = pc.less(parsed[f.name].typed, parsed[f.not_before].typed)
            fail(_np(before), i, f"{f.name} is before {f.not_before}")
    b = names.index(spec.business_date)
    future = pc.greater(parsed[spec.business_date].typed, pa.scalar(ingest_date, pa.date32()))
    fail(_np(future), b, f"{spec.business_date} is after the ingestion date {ingest_date}")

    bad = code >= 0
    typed = [parsed[name].typed for name in names]
    if bad.any():
        good_mask = pa.array(~bad)
        typed = [a.filter(good_mask) for a in typed]
    good = pa.Table.from_arrays(typed, schema=arrow_schema(kind))
    counts = np.bincount(code[bad], minlength=len(reasons)).tolist() if bad.any() else []
    tally: Counter[str] = Counter({r: c for r, c in zip(reasons, counts, strict=False) if c})
    return ChunkResult(
        good=good,
        good_lines=np.asarray(lines, dtype=np.int64)[~bad],
        bad=_quarantine_rows(kind, columns, np.asarray(lines, np.int64), code, where, reasons),
        reasons=tally,
    )


def _quarantine_rows(
    kind: str,
    columns: dict[str, pa.Array],
    lines: IntArray,
    code: npt.NDArray[np.int32],
    where: npt.NDArray[np.int32],
    reasons: list[str],
) -> pa.Table:
    schema = quarantine_schema(kind)
    rows = np.flatnonzero(code >= 0)
    if rows.size == 0:
        return schema.empty_table()
    names = RECORD_KINDS[kind].field_names
    idx = pa.array(rows)
    # take the rows first: casting whole columns to text for a few bad rows is most of the cost
    originals = {name: to_strings(columns[name].take(idx)) for name in names}
    values: list[str | None] = [None] * rows.size
    for field_index in np.unique(where[rows]):
        if field_index < 0:
            continue
        pos = np.flatnonzero(where[rows] == field_index)
        shown = originals[names[field_index]].take(pa.array(pos)).to_pylist()
        for p, v in zip(pos.tolist(), shown, strict=True):
            values[p] = v
    field_names = np.array([*names, None], dtype=object)
    reason_text = np.array(reasons, dtype=object)
    return pa.Table.from_arrays(
        [
            pa.array(lines[rows], pa.int64()),
            pa.array(field_names[where[rows]], pa.string()),
            pa.array(values, pa.string()),
            pa.array(reason_text[code[rows]], pa.string()),
            *originals.values(),
        ],
        schema=schema,
    )
