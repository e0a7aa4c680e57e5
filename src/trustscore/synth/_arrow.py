"""Small helpers that turn numpy arrays into Arrow arrays with NULLs (never NaN).

Examples
--------
>>> import numpy as np
>>> date_array(np.array([0, 1]), null=np.array([False, True])).to_pylist()
[datetime.date(1970, 1, 1), None]
>>> take_strings(("a", "b"), np.array([1, 1, 0])).to_pylist()
['b', 'b', 'a']
>>> ids = digits(np.array([7, 42]), 3, prefix=b"S")
>>> fixed_strings(literal(b"OB-", 2), ids).to_pylist()
['OB-S007', 'OB-S042']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa

__all__ = [
    "RecordRows",
    "date_array",
    "digits",
    "fixed_strings",
    "float_array",
    "int_array",
    "literal",
    "take_strings",
]

Mask = npt.NDArray[np.bool_] | None


def date_array(days: npt.NDArray[np.integer], null: Mask = None) -> pa.Array:
    """``date32`` from days since 1970-01-01."""
    return pa.array(days.astype(np.int32), type=pa.date32(), mask=null)


def float_array(values: npt.NDArray[np.floating], null: Mask = None) -> pa.Array:
    """``float64``; masked entries are NULL."""
    return pa.array(values.astype(np.float64), type=pa.float64(), mask=null)


def int_array(values: npt.NDArray[np.integer], null: Mask = None) -> pa.Array:
    """``int64``; masked entries are NULL."""
    return pa.array(values.astype(np.int64), type=pa.int64(), mask=null)


def take_strings(values: tuple[str, ...] | pa.Array, index: npt.NDArray[np.integer]) -> pa.Array:
    """``values[index]`` as a plain string array."""
    source = values if isinstance(values, pa.Array) else pa.array(values, pa.string())
    return source.take(index.astype(np.int64, copy=False))


Bytes = npt.NDArray[np.uint8]


def literal(text: bytes, n: int) -> Bytes:
    """``text`` repeated on ``n`` rows, as an (n, len(text)) byte matrix."""
    return np.broadcast_to(np.frombuffer(text, dtype=np.uint8), (n, len(text)))


def digits(values: npt.NDArray[np.integer], width: int, *, prefix: bytes = b"") -> Bytes:
    """Zero-padded decimal ``values`` (after ``prefix``) as an (n, len(prefix) + width) matrix."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    body = ((values.astype(np.int64)[:, None] // powers) % 10 + ord("0")).astype(np.uint8)
    return np.concatenate([literal(prefix, len(values)), body], axis=1)


def fixed_strings(*parts: Bytes) -> pa.Array:
    """Concatenate byte matrices row by row into a string array (every string the same width).

    Building fixed-width strings straight into Arrow's buffers is several times faster than
    joining string arrays, and record ids are written for every row.
    """
    matrix = np.ascontiguousarray(np.concatenate(parts, axis=1))
    n, width = matrix.shape
    if n * width >= 2**31:
        msg = f"Too many bytes for one string array: {n} rows of {width}; use smaller chunks."
        raise ValueError(msg)
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(matrix)]
    return pa.Array.from_buffers(pa.string(), n, buffers)


@dataclass
class RecordRows:
    """The rows of one record kind for one chunk, with each row's subject and counter.

    ``pos`` (the subject's position in the chunk) and ``counter`` (unique per row within the
    subject) key the random draws that decide which rows are made dirty.
    """

    columns: dict[str, pa.Array]
    pos: npt.NDArray[np.int64]
    counter: npt.NDArray[np.int64]
    dirty: dict[str, int] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return len(self.pos)
