"""The files' columns and types, NULL handling, dates and where the protected label lives."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from trustscore.records._schemas import RECORD_KINDS, arrow_schema
from trustscore.safeguards import prohibited_category
from trustscore.synth import SynthSummary

RECORD_FILES = (
    "subject",
    "obligation",
    "tradeline",
    "public_record",
    "inquiry",
    "supplier_payment",
)
AS_OF = dt.date(2025, 12, 31)
Load = Callable[[SynthSummary, str], pa.Table]


@pytest.mark.parametrize("kind", RECORD_FILES)
def test_record_files_have_exactly_the_kind_schema(clean: SynthSummary, kind: str) -> None:
    schema = pq.read_schema(clean.paths[kind]).remove_metadata()
    assert schema.equals(arrow_schema(kind))
    assert clean.paths[kind].name == f"{kind}.parquet"


@pytest.mark.parametrize("kind", RECORD_FILES[1:])
def test_dirty_files_keep_names_and_types_but_allow_nulls(dirty: SynthSummary, kind: str) -> None:
    schema = pq.read_schema(dirty.paths[kind])
    expected = arrow_schema(kind)
    assert schema.names == expected.names
    assert schema.types == expected.types
    assert all(f.nullable for f in schema)


def test_outcome_and_protected_schemas(clean: SynthSummary, load: Load) -> None:
    outcomes = load(clean, "outcomes")
    assert outcomes.schema.names == ["subject_id", "target", "oracle_p", "split"]
    assert outcomes.schema.types == [pa.string(), pa.int8(), pa.float64(), pa.string()]
    assert set(outcomes["target"].to_pylist()) == {0, 1}
    assert set(outcomes["split"].to_pylist()) == {"train", "holdout"}
    p = outcomes["oracle_p"].to_numpy()
    assert ((p >= 0) & (p <= 1)).all()
    assert not np.signbit(p).any()
    # A probability of exactly 0 only for a subject with nothing that can fall due.
    zero = set(pc.filter(outcomes["subject_id"], pc.equal(outcomes["oracle_p"], 0.0)).to_pylist())
    billed = set(load(clean, "obligation")["subject_id"].to_pylist())
    assert zero.isdisjoint(billed)
    protected = load(clean, "protected")
    assert protected.schema.names == ["subject_id", "group"]
    assert set(protected["group"].to_pylist()) == {"A", "B"}
    subjects = load(clean, "subject")["subject_id"]
    assert outcomes["subject_id"].equals(subjects)
    assert protected["subject_id"].equals(subjects)


def test_subject_ids_and_summary_rows(clean: SynthSummary, load: Load) -> None:
    ids = load(clean, "subject")["subject_id"].to_pylist()
    assert ids[:3] == ["S000000001", "S000000002", "S000000003"]
    assert ids[-1] == "S000002000"
    for name, path in clean.paths.items():
        assert pq.read_metadata(path).num_rows == clean.rows[name]
    assert clean.rows["subject"] == 2000
    # Row groups follow the chunks (700, 700, 600 subjects).
    assert pq.read_metadata(clean.paths["subject"]).num_row_groups == 3


@pytest.mark.parametrize("summary_name", ["clean", "dirty"])
@pytest.mark.parametrize("kind", RECORD_FILES)
def test_no_nan_in_float_columns(
    summary_name: str, kind: str, request: pytest.FixtureRequest, load: Load
) -> None:
    summary: SynthSummary = request.getfixturevalue(summary_name)
    table = load(summary, kind)
    for name, dtype in zip(table.schema.names, table.schema.types, strict=True):
        if pa.types.is_floating(dtype):
            assert pc.sum(pc.is_nan(table[name])).as_py() in (0, None), name


@pytest.mark.parametrize("kind", RECORD_FILES)
def test_every_date_is_on_or_before_as_of(clean: SynthSummary, load: Load, kind: str) -> None:
    table = load(clean, kind)
    dates = [f.name for f in RECORD_KINDS[kind].fields if f.type == "date"]
    assert dates
    for name in dates:
        latest = pc.max(table[name]).as_py()
        assert latest is not None
        assert latest <= AS_OF, (kind, name, latest)
    business = pc.min(table[RECORD_KINDS[kind].business_date]).as_py()
    assert business >= dt.date(1990, 1, 1)


def test_business_dates_fill_the_window(clean: SynthSummary, load: Load) -> None:
    due = load(clean, "obligation")["due_date"]
    assert pc.min(due).as_py() == dt.date(2023, 1, 1) or pc.min(due).as_py() < dt.date(2023, 1, 29)
    assert pc.max(due).as_py() >= dt.date(2025, 12, 1)
    reported = load(clean, "tradeline")["reported_date"]
    assert pc.max(reported).as_py() == AS_OF
    assert pc.min(reported).as_py() == dt.date(2023, 1, 31)


def test_protected_group_is_only_in_protected_file(clean: SynthSummary, load: Load) -> None:
    groups = set(load(clean, "protected")["group"].to_pylist())
    for kind in RECORD_FILES:
        table = load(clean, kind)
        assert "group" not in table.column_names
        assert all(prohibited_category(name) is None for name in table.column_names), kind
        for name, dtype in zip(table.schema.names, table.schema.types, strict=True):
            if pa.types.is_string(dtype):
                assert groups.isdisjoint(pc.unique(table[name]).to_pylist()), (kind, name)
    outcomes = load(clean, "outcomes")
    assert "group" not in outcomes.column_names


def test_protected_group_is_mildly_correlated_with_risk(clean: SynthSummary, load: Load) -> None:
    group = np.array(load(clean, "protected")["group"].to_pylist())
    p = load(clean, "outcomes")["oracle_p"].to_numpy()
    share_b = (group == "B").mean()
    assert 0.3 < share_b < 0.6
    ratio = p[group == "B"].mean() / p[group == "A"].mean()
    assert 1.1 < ratio < 3.0


def test_organisations_are_invoiced_against_terms_and_persons_billed(
    clean: SynthSummary, load: Load
) -> None:
    subjects = load(clean, "subject").to_pylist()
    orgs = {r["subject_id"] for r in subjects if r["kind"] == "organisation"}
    assert 0.05 < len(orgs) / len(subjects) < 0.15
    invoiced = set(load(clean, "supplier_payment")["subject_id"].to_pylist())
    billed = set(load(clean, "obligation")["subject_id"].to_pylist())
    assert invoiced <= orgs
    assert len(invoiced) > 0.8 * len(orgs)
    assert billed.isdisjoint(orgs)  # a firm's utilities are invoices, never a person's bills
    invoices = load(clean, "supplier_payment").to_pandas()
    days = pd.to_datetime(invoices["paid_date"]) - pd.to_datetime(invoices["invoice_date"])
    late = days.dt.days - invoices["terms_days"]
    assert (late > 0).any()  # beyond terms
    assert (late <= -10).any()  # and anticipated
    assert (late <= -10).any()
