"""Clean files pass the schema rules; dirty rows are counted and each is really invalid."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from trustscore.synth import SynthSummary

KINDS = ("obligation", "tradeline", "public_record", "inquiry", "supplier_payment")
Load = Callable[[SynthSummary, str], pa.Table]
Validate = Callable[[pa.Table, str], np.ndarray]


@pytest.mark.parametrize("kind", ["subject", *KINDS])
def test_clean_files_break_no_rule(
    clean: SynthSummary, load: Load, validate: Validate, kind: str
) -> None:
    table = load(clean, kind)
    assert table.num_rows > 0
    assert int(validate(table, kind).sum()) == 0
    assert pc.count_distinct(table[table.column_names[0]]).as_py() == table.num_rows
    assert clean.n_dirty.get(kind, 0) == 0


@pytest.mark.parametrize("kind", KINDS)
def test_dirty_rows_are_counted_and_invalid(
    clean: SynthSummary, dirty: SynthSummary, load: Load, validate: Validate, kind: str
) -> None:
    table = load(dirty, kind)
    bad = validate(table, kind)
    # Dirt replaces values; it never adds or drops rows.
    assert table.num_rows == clean.rows[kind] == dirty.rows[kind]
    assert int(bad.sum()) == dirty.n_dirty[kind]
    assert sum(dirty.dirty_by_defect[kind].values()) == dirty.n_dirty[kind]
    if kind != "public_record":  # too few rows for a rate
        assert 0.03 < dirty.n_dirty[kind] / table.num_rows < 0.07
    # Every row the reference validator rejects differs from the clean file, and only those.
    reference = load(clean, kind)
    changed = np.zeros(table.num_rows, dtype=bool)
    for name in table.column_names:
        a, b = table[name], reference[name].cast(table[name].type)
        equal = pc.fill_null(pc.equal(a, b), False)
        both_null = pc.and_(pc.is_null(a), pc.is_null(b))
        changed |= ~pc.or_(equal, both_null).to_numpy(zero_copy_only=False)
    assert (changed == bad).all()


def test_each_defect_appears(dirty: SynthSummary) -> None:
    tradeline = dirty.dirty_by_defect["tradeline"]
    assert set(tradeline) == {
        "closed_before_opened",
        "negative_amount",
        "unknown_enum",
        "null_required",
        "dpd_out_of_range",
        "duplicate_record_id",
    }
    assert set(dirty.dirty_by_defect["obligation"]) == {
        "negative_amount",
        "unknown_enum",
        "null_required",
        "duplicate_record_id",
    }
    assert all(count > 0 for count in tradeline.values())


def test_duplicates_copy_a_clean_previous_row(dirty: SynthSummary, load: Load) -> None:
    ids = load(dirty, "obligation")["record_id"].to_pandas()
    duplicated = ids.duplicated(keep=False)
    assert int(ids.duplicated().sum()) == dirty.dirty_by_defect["obligation"]["duplicate_record_id"]
    # Each id appears at most twice, in adjacent rows of the same subject.
    assert ids[duplicated].value_counts().max() == 2
    first = np.flatnonzero(ids.duplicated(keep="last").to_numpy())
    assert (ids.iloc[first].to_numpy() == ids.iloc[first + 1].to_numpy()).all()
