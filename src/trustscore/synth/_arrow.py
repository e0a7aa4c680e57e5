"""Small helpers that turn numpy arrays into Arrow arrays with NULLs (never NaN).

Examples
--------
>>> import numpy as np
>>> date_array(np.array([0, 1]), null=np.array([False, True])).to_pylist()
[datetime.date(1970, 1, 1), None]
>>> take_strings(("a", "b"), np.array([1, 1, 0])).to_pylist()
['b', 'b', 'a']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["RecordRows", "date_array", "float_array", "int_array", "join", "take_strings"]

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
    return source.take(pa.array(index.astype(np.int64)))


def join(*parts: pa.Array | str, sep: str = "-") -> pa.Array:
    """Element-wise join of string arrays and literals with ``sep``."""
    return pc.binary_join_element_wise(*parts, sep)


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
