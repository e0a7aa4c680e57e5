"""Make a share of the rows invalid, in ways a validator must catch.

Each row of a record file is dirty with probability ``dirty_rate`` (a draw keyed by the subject and
the row, so independent of chunking), and gets one defect chosen at random among its kind's:

============================ ==================================================================
defect                       what the row breaks
============================ ==================================================================
``negative_amount``          a money field below its minimum of 0
``unknown_enum``             an enum field with a value outside its list
``null_required``            NULL in a required field
``closed_before_opened``     ``closed_date`` before ``opened_date`` (tradeline)
``satisfied_before_filed``   ``satisfied_date`` before ``filed_date`` (public record)
``dpd_out_of_range``         ``days_past_due`` below 0 (tradeline)
``duplicate_record_id``      the ``record_id`` of the row before it, with different content
============================ ==================================================================

A duplicate copies the id of the previous row of the same subject, which is always clean, so the
first occurrence is valid and only the second is counted dirty. Where a row cannot be a duplicate
(it is its subject's first row, or the row before it is dirty) it takes its kind's first defect.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from trustscore.synth._arrow import RecordRows
from trustscore.synth._random import SubjectKeys, row_uniform

__all__ = ["DEFECTS", "make_dirty"]

Mask = npt.NDArray[np.bool_]
Apply = Callable[[dict[str, pa.Array], Mask], None]


def _set(columns: dict[str, pa.Array], name: str, mask: Mask, value: pa.Array | pa.Scalar) -> None:
    columns[name] = pc.if_else(pa.array(mask), value, columns[name])


def _negative(name: str) -> Apply:
    def apply(columns: dict[str, pa.Array], mask: Mask) -> None:
        _set(columns, name, mask, pc.subtract(pc.negate(pc.abs(columns[name])), 1.0))

    return apply


def _unknown(name: str, value: str) -> Apply:
    def apply(columns: dict[str, pa.Array], mask: Mask) -> None:
        _set(columns, name, mask, pa.scalar(value, pa.string()))

    return apply


def _null(name: str) -> Apply:
    def apply(columns: dict[str, pa.Array], mask: Mask) -> None:
        _set(columns, name, mask, pa.scalar(None, columns[name].type))

    return apply


def _before(name: str, anchor: str, days: int) -> Apply:
    def apply(columns: dict[str, pa.Array], mask: Mask) -> None:
        anchor_days = pc.cast(columns[anchor], pa.int32()).to_numpy(zero_copy_only=False)
        early = pa.array((anchor_days - days).astype(np.int32), type=pa.date32())
        _set(columns, name, mask, early)

    return apply


def _dpd_negative(columns: dict[str, pa.Array], mask: Mask) -> None:
    _set(columns, "days_past_due", mask, pa.scalar(-30, pa.int64()))


DEFECTS: dict[str, tuple[tuple[str, Apply | None], ...]] = {
    "obligation": (
        ("negative_amount", _negative("amount_due")),
        ("unknown_enum", _unknown("category", "gambling")),
        ("null_required", _null("due_date")),
        ("duplicate_record_id", None),
    ),
    "tradeline": (
        ("closed_before_opened", _before("closed_date", "opened_date", 45)),
        ("negative_amount", _negative("balance")),
        ("unknown_enum", _unknown("status", "frozen")),
        ("null_required", _null("opened_date")),
        ("dpd_out_of_range", _dpd_negative),
        ("duplicate_record_id", None),
    ),
    "public_record": (
        ("unknown_enum", _unknown("kind", "parking_ticket")),
        ("negative_amount", _negative("amount")),
        ("satisfied_before_filed", _before("satisfied_date", "filed_date", 20)),
        ("null_required", _null("filed_date")),
        ("duplicate_record_id", None),
    ),
    "inquiry": (
        ("null_required", _null("subject_id")),
        ("null_required", _null("inquiry_date")),
        ("duplicate_record_id", None),
    ),
    "supplier_payment": (
        ("negative_amount", _negative("amount")),
        ("unknown_enum", _unknown("category", "catering")),
        ("paid_before_invoiced", _before("paid_date", "invoice_date", 5)),
        ("null_required", _null("invoice_date")),
        ("duplicate_record_id", None),
    ),
}


def make_dirty(rows: RecordRows, kind: str, keys: SubjectKeys, dirty_rate: float) -> None:
    """Make ``rows`` dirty in place; counts per defect go to ``rows.dirty``."""
    defects = DEFECTS[kind]
    n = rows.n_rows
    if n == 0 or dirty_rate <= 0.0:
        return
    dirty = row_uniform(keys, f"dirty_{kind}", rows.pos, rows.counter) < dirty_rate
    choice = np.floor(
        row_uniform(keys, f"dirty_defect_{kind}", rows.pos, rows.counter) * len(defects)
    ).astype(np.int64)
    choice = np.where(dirty, choice, -1)

    dup_code = len(defects) - 1
    previous_clean = np.zeros(n, dtype=np.bool_)
    previous_clean[1:] = (rows.pos[1:] == rows.pos[:-1]) & ~dirty[:-1]
    choice = np.where((choice == dup_code) & ~previous_clean, 0, choice)

    columns = dict(rows.columns)
    for code, (name, apply) in enumerate(defects):
        mask = choice == code
        if not mask.any():
            continue
        if apply is None:
            source = np.where(mask, np.arange(n) - 1, np.arange(n))
            columns["record_id"] = columns["record_id"].take(pa.array(source))
        else:
            apply(columns, mask)
        rows.dirty[name] = rows.dirty.get(name, 0) + int(mask.sum())
    rows.columns = columns
