"""Turning caller data into what the scorers read: an Arrow table, numeric and categorical columns.

Numeric columns become float32 or float64 numpy arrays with missing values as NaN, without a copy
when the Arrow column is float32/float64 without nulls (:func:`numeric_array`); the kernel reads
them with their validity bitmap instead, without a copy even when they hold nulls
(:func:`numeric_parts`). Categorical columns are dictionary-encoded
by Arrow; each dictionary entry is turned into its text exactly as the reference does
(:func:`trustscore.scoring._reference.to_text`: a float level ``2.0`` is the level ``"2"``) and
looked up once, so the kernel only sees int32 codes and a small code → points table.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from trustscore.exceptions import SchemaError
from trustscore.scoring._artifact import ScorecardArtifact

__all__ = [
    "as_arrow_table",
    "category_table",
    "check_columns",
    "check_input_types",
    "level_text",
    "numeric_array",
    "numeric_column",
    "numeric_inputs",
    "numeric_parts",
    "text_column",
]


def _from_pandas(df: Any) -> pa.Table:
    arrays, names = [], []
    for name in df.columns:
        try:
            arrays.append(pa.array(df[name], from_pandas=True))
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            msg = (
                f"Column {str(name)!r} mixes types Arrow cannot hold in one column ({exc}); "
                "give it one type (numbers, or text for a categorical characteristic)."
            )
            raise SchemaError(msg, field=str(name)) from None
        names.append(str(name))
    return pa.Table.from_arrays(arrays, names=names)


def as_arrow_table(data: Any) -> pa.Table:
    """A pyarrow Table from a pyarrow Table/RecordBatch, a pandas or a polars DataFrame."""
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    to_arrow = getattr(data, "to_arrow", None)
    if callable(to_arrow):  # polars, or anything else that speaks Arrow
        table = to_arrow()
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        if isinstance(table, pa.Table):
            return table
    if type(data).__module__.startswith("pandas") and hasattr(data, "columns"):
        return _from_pandas(data)
    if isinstance(data, Mapping):
        return pa.table({str(k): v for k, v in data.items()})
    msg = (
        f"Cannot score data of type {type(data).__name__}: pass a pyarrow Table, a pandas or "
        "a polars DataFrame."
    )
    raise SchemaError(msg)


def check_columns(art: ScorecardArtifact, names: Iterable[str], extra: Iterable[str] = ()) -> None:
    """Raise :class:`SchemaError` naming the first input column the data lacks."""
    have = set(names)
    lacking = [c for c in (*art.input_columns, *extra) if c not in have]
    if lacking:
        msg = (
            f"The data lacks the column(s) {lacking} that model {art.model_version} reads; "
            "add them (NULL where unknown)."
        )
        raise SchemaError(msg, model_version=art.model_version, field=lacking[0])


def _first_non_numeric(arr: pa.Array) -> tuple[int, Any]:
    for i, v in enumerate(arr.to_pylist()):
        if v is None:
            continue
        try:
            float(v)
        except (TypeError, ValueError):
            return i, v
    return 0, None


def _float_array(arr: pa.Array | pa.ChunkedArray, name: str) -> pa.Array:
    """A numeric column as one float32/float64 Arrow array (nulls kept); raise if not numeric."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    typ = arr.type
    if pa.types.is_dictionary(typ):
        arr = arr.dictionary_decode()
        typ = arr.type
    if pa.types.is_null(typ):
        return pa.array(np.full(len(arr), np.nan))
    if not (pa.types.is_floating(typ) and typ != pa.float16()):
        if (
            pa.types.is_integer(typ)
            or pa.types.is_boolean(typ)
            or pa.types.is_decimal(typ)
            or pa.types.is_float16(typ)
        ):
            arr = pc.cast(arr, pa.float64(), safe=False)
        else:
            row, value = (
                _first_non_numeric(arr)
                if pa.types.is_string(typ) or pa.types.is_large_string(typ)
                else (0, None)
            )
            where = f"; row {row} holds {value!r}" if value is not None else ""
            msg = (
                f"Column {name!r} must be numeric, got {typ}{where}. Convert it to numbers "
                "(NULL where unknown)."
            )
            raise SchemaError(msg, field=name, row=row if value is not None else None, value=value)
    return arr


def _numeric_type(typ: pa.DataType) -> bool:
    if pa.types.is_dictionary(typ):
        return _numeric_type(typ.value_type)
    return bool(
        pa.types.is_floating(typ)
        or pa.types.is_integer(typ)
        or pa.types.is_boolean(typ)
        or pa.types.is_decimal(typ)
        or pa.types.is_null(typ)
    )


def numeric_inputs(art: ScorecardArtifact) -> list[str]:
    """The input columns read as numbers: numeric characteristics and criteria columns."""
    names = [c.name for c in art.characteristics if c.type == "numeric"]
    return list(dict.fromkeys([*names, *(crit.column for crit in art.criteria)]))


def check_input_types(
    art: ScorecardArtifact, schema: pa.Schema, table: pa.Table | None = None
) -> None:
    """Raise :class:`SchemaError` for a numeric input column whose type holds no numbers.

    Checked once, on the schema, before a stream is scored batch by batch, so that the error
    names the column (and, given the ``table``, the first row that is not a number) whatever
    batch it would have surfaced in.
    """
    for name in numeric_inputs(art):
        typ = schema.field(name).type
        if _numeric_type(typ):
            continue
        if table is not None:
            _float_array(table.column(name), name)  # raises, naming the row
        msg = (
            f"Column {name!r} must be numeric, got {typ}. Convert it to numbers "
            "(NULL where unknown)."
        )
        raise SchemaError(msg, field=name, value=str(typ))


def numeric_array(arr: pa.Array | pa.ChunkedArray, name: str) -> npt.NDArray[Any]:
    """A numeric column as a float32/float64 numpy array, NaN where missing (no copy if it can)."""
    farr = _float_array(arr, name)
    if farr.null_count:
        farr = pc.fill_null(farr, pa.scalar(math.nan, farr.type))
    out: npt.NDArray[Any] = farr.to_numpy(zero_copy_only=False)
    return out


def numeric_column(arr: pa.Array | pa.ChunkedArray, name: str) -> pa.Array | pa.ChunkedArray:
    """A numeric column as float32/float64 Arrow data, nulls and chunks kept (floats: no copy)."""
    if arr.type in (pa.float32(), pa.float64()):
        return arr
    return _float_array(arr, name)


def numeric_parts(
    arr: pa.Array | pa.ChunkedArray, name: str
) -> tuple[npt.NDArray[Any], npt.NDArray[np.uint8] | None, int]:
    """A numeric column's values, validity bitmap and bit offset, without copying them.

    The values are a float32/float64 numpy array whose null slots hold anything; the bitmap
    (Arrow's, least significant bit first, None when the column has no nulls) says which rows
    are valid, starting at the returned bit offset. A NaN value is missing too.
    """
    farr = _float_array(arr, name)
    if not farr.null_count:
        values: npt.NDArray[Any] = farr.to_numpy(zero_copy_only=False)
        return values, None, 0
    validity, data = farr.buffers()[:2]
    assert validity is not None  # a float array with nulls has both
    assert data is not None
    dtype = np.float32 if farr.type == pa.float32() else np.float64
    values = np.frombuffer(data, dtype=dtype, count=farr.offset + len(farr))[farr.offset :]
    return values, np.frombuffer(validity, dtype=np.uint8), farr.offset


def level_text(value: Any) -> str | None:
    """A categorical level as text, exactly as the reference reads it (None for missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def category_table(
    arr: pa.Array | pa.ChunkedArray, lookup: Mapping[str, int], other: int, missing: int
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """int32 codes (-1 for null) and a points table indexed by ``code + 1`` (0: missing)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(arr)
    dictionary = arr.dictionary.to_pylist()
    table = np.empty(len(dictionary) + 1, dtype=np.int32)
    table[0] = missing
    for i, v in enumerate(dictionary):
        text = level_text(v)
        table[i + 1] = missing if text is None else lookup.get(text, other)
    indices = arr.indices
    if indices.null_count:
        indices = pc.fill_null(indices, -1)
    codes = np.ascontiguousarray(indices.to_numpy(zero_copy_only=False), dtype=np.int32)
    return codes, table


def text_column(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A categorical column as a string array with the reference's reading of each level."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if pa.types.is_string(arr.type):
        return arr
    if pa.types.is_large_string(arr.type):
        return arr.cast(pa.string())
    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(arr)
    texts = pa.array([level_text(v) for v in arr.dictionary.to_pylist()], type=pa.string())
    return texts.take(arr.indices)
