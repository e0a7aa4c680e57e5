"""The population looks like the brief: shares, volumes, consistency of the records, outcomes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from trustscore.synth import SynthSummary, generate

AS_OF = dt.date(2025, 12, 31)
Load = Callable[[SynthSummary, str], pa.Table]


def frame(summary: SynthSummary, load: Load, name: str) -> pd.DataFrame:
    return load(summary, name).to_pandas()


def test_event_rate_and_calibration(clean: SynthSummary) -> None:
    assert 0.06 < clean.event_rate < 0.16
    assert 0.06 < clean.mean_oracle_p < 0.16
    sd = np.sqrt(clean.mean_oracle_p * (1 - clean.mean_oracle_p) / clean.n_subjects)
    assert abs(clean.event_rate - clean.mean_oracle_p) < 4 * sd


def test_split_is_seventy_thirty(clean: SynthSummary, load: Load) -> None:
    split = frame(clean, load, "outcomes")["split"]
    assert 0.66 < (split == "train").mean() < 0.74


def test_persons_and_organisations(clean: SynthSummary, load: Load) -> None:
    subjects = frame(clean, load, "subject")
    assert set(subjects["kind"]) == {"person", "organisation"}
    assert 0.07 < (subjects["kind"] == "organisation").mean() < 0.13
    created = pd.to_datetime(subjects["created_date"])
    assert (created < pd.Timestamp("2023-01-01")).mean() > 0.8


def test_volume_per_subject(clean: SynthSummary) -> None:
    per_subject = clean.n_record_rows / clean.n_subjects
    assert 100 < per_subject < 200


def test_thin_files_have_little_history(clean: SynthSummary, load: Load) -> None:
    subjects = frame(clean, load, "subject").set_index("subject_id")
    first = pd.concat(
        [
            frame(clean, load, "obligation").groupby("subject_id")["due_date"].min(),
            frame(clean, load, "tradeline").groupby("subject_id")["reported_date"].min(),
            # an organisation's history: its invoices (it has no person's bills)
            frame(clean, load, "supplier_payment").groupby("subject_id")["invoice_date"].min(),
        ],
        axis=1,
    ).min(axis=1)
    first = pd.to_datetime(first.reindex(subjects.index))
    months = (pd.Timestamp(AS_OF) - first).dt.days / 30.44
    thin = months.isna() | (months < 6)
    assert 0.025 < thin.mean() < 0.065
    recent = pd.to_datetime(subjects["created_date"]) > pd.Timestamp(AS_OF) - pd.Timedelta(days=155)
    assert thin[recent].all()  # created in the last ~5 months
    assert (thin & ~recent).mean() < 0.01  # or, rarely, with almost no records


def test_record_ids_are_readable(clean: SynthSummary, load: Load) -> None:
    patterns = {
        "obligation": r"OB-S\d{9}-[UTRP]1-20\d{4}",
        "tradeline": r"TL-S\d{9}-A[1-4]-20\d{4}",
        "public_record": r"PR-S\d{9}-[1-3]",
        "inquiry": r"IQ-S\d{9}-[1-6]",
    }
    for kind, pattern in patterns.items():
        ids = load(clean, kind)["record_id"].to_pylist()
        assert all(re.fullmatch(pattern, i) for i in ids), kind
    ob = frame(clean, load, "obligation")
    assert (ob["record_id"].str[3:13] == ob["subject_id"]).all()


def test_obligations_are_consistent(clean: SynthSummary, load: Load) -> None:
    ob = frame(clean, load, "obligation")
    assert set(ob["category"]) == {"utility", "telecom", "rent", "platform"}
    unpaid = ob["paid_date"].isna()
    assert (unpaid == ob["amount_paid"].isna()).all()
    assert 0.002 < unpaid.mean() < 0.05
    paid = ob[~unpaid]
    assert (paid["amount_paid"] <= paid["amount_due"]).all()
    assert 0.005 < (paid["amount_paid"] < paid["amount_due"]).mean() < 0.1
    days_late = (pd.to_datetime(paid["paid_date"]) - pd.to_datetime(paid["due_date"])).dt.days
    assert days_late.min() >= -6
    assert 0.03 < (days_late > 0).mean() < 0.2
    assert (days_late >= 90).sum() > 0
    rent = ob.loc[ob["category"] == "rent", "amount_due"].median()
    telecom = ob.loc[ob["category"] == "telecom", "amount_due"].median()
    assert rent > 10 * telecom


def test_tradelines_are_consistent(clean: SynthSummary, load: Load) -> None:
    tl = frame(clean, load, "tradeline")
    dpd, status = tl["days_past_due"], tl["status"]
    assert set(tl["kind"]) == {"card", "instalment", "mortgage"}
    assert set(status) == {"current", "delinquent", "default", "closed", "charged_off"}
    assert (status[dpd == 0].isin(["current", "closed"])).all()
    assert (status[(dpd > 0) & (dpd < 90)] == "delinquent").all()
    assert (status[(dpd >= 90) & (dpd < 180)] == "default").all()
    assert (status[dpd >= 180] == "charged_off").all()
    ends = status.isin(["closed", "charged_off"])
    assert (tl["closed_date"].notna() == ends).all()
    assert (tl.loc[ends, "closed_date"] == tl.loc[ends, "reported_date"]).all()
    assert (tl["reported_date"] >= tl["opened_date"]).all()
    # One report per account and month, and nothing after an account ended.
    assert not tl.duplicated(["account", "reported_date"]).any()
    last = tl.groupby("account")["reported_date"].transform("max")
    assert (tl.loc[ends, "reported_date"] == last[ends]).all()
    card = tl[(tl["kind"] == "card") & (tl["status"] != "closed")]
    util = card["balance"] / card["credit_limit"]
    assert 0.1 < util.median() < 0.6
    assert util.max() <= 1.1 + 1e-9


def test_behaviour_follows_risk(clean: SynthSummary, load: Load) -> None:
    outcomes = frame(clean, load, "outcomes").set_index("subject_id")
    ob = frame(clean, load, "obligation")
    late = (pd.to_datetime(ob["paid_date"]) - pd.to_datetime(ob["due_date"])).dt.days > 0
    late_rate = late.groupby(ob["subject_id"]).mean()
    quintile = pd.qcut(outcomes["oracle_p"], 5, labels=False)
    by_quintile = late_rate.groupby(quintile.reindex(late_rate.index)).mean()
    assert by_quintile.is_monotonic_increasing
    assert by_quintile.iloc[-1] > 3 * by_quintile.iloc[0]
    target_rate = outcomes["target"].groupby(quintile).mean()
    assert target_rate.iloc[-1] > 5 * max(target_rate.iloc[0], 0.005)


def test_public_records_and_inquiries(clean: SynthSummary, load: Load) -> None:
    subjects = frame(clean, load, "subject").set_index("subject_id")["kind"]
    pr = frame(clean, load, "public_record")
    assert set(pr["kind"]) <= {"court_judgment", "bankruptcy", "tax_arrears", "regulatory_penalty"}
    per_subject = (
        pr.groupby(subjects.reindex(pr["subject_id"]).to_numpy()).size() / subjects.value_counts()
    )
    assert per_subject["organisation"] > 1.5 * per_subject["person"]
    assert 0.02 < per_subject["person"] < 0.2
    satisfied = pr.dropna(subset=["satisfied_date"])
    assert len(satisfied) > 0
    assert (satisfied["satisfied_date"] > satisfied["filed_date"]).all()
    iq = frame(clean, load, "inquiry")
    assert set(iq["purpose"]) == {"credit_pricing", "credit_limit", "deposit_waiver"}
    assert 1.0 < len(iq) / len(subjects) < 4.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_subjects": 0}, "'n_subjects' parameter of generate must be an int"),
        ({"n_subjects": 2.5}, "Got 2.5 instead"),
        ({"seed": -1}, "'seed' parameter"),
        ({"months": 0}, "'months' parameter"),
        ({"chunk_size": 0}, "'chunk_size' parameter"),
        ({"dirty_rate": 0.9}, "'dirty_rate' parameter of generate must be a float in"),
        ({"as_of": dt.datetime(2025, 1, 1)}, "'as_of' parameter"),
    ],
)
def test_bad_arguments_are_refused(tmp_path: Path, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        generate(tmp_path / "x", **{"n_subjects": 10, **kwargs})  # type: ignore[arg-type]
    assert not (tmp_path / "x").exists()


def test_other_as_of_and_window(tmp_path: Path) -> None:
    summary = generate(tmp_path, n_subjects=300, as_of=dt.date(2024, 3, 15), months=12, seed=5)
    ob = pd.read_parquet(summary.paths["obligation"])
    assert ob["due_date"].max() <= dt.date(2024, 3, 15)
    assert ob["due_date"].min() >= dt.date(2023, 4, 1)
    tl = pd.read_parquet(summary.paths["tradeline"])
    assert tl["reported_date"].max() == dt.date(2024, 3, 15)
    assert 30 < summary.n_record_rows / 300 < 80
