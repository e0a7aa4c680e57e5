"""Organisations' own feature table: values by hand, and no record crosses between kinds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from trustscore.exceptions import SchemaError
from trustscore.features import (
    FEATURES,
    ORG_FEATURES,
    check_feature_kind,
    compute_features,
    subject_kinds,
)

D = dt.date
AS_OF = D(2024, 6, 30)


def invoice(
    rid: str, sid: str, day: dt.date, terms: int, amount: float, paid: dt.date | None
) -> dict[str, Any]:
    return {
        "record_id": rid, "subject_id": sid, "furnisher": "steel-co", "category": "supplier",
        "invoice": rid, "invoice_date": day, "terms_days": terms, "amount": amount,
        "paid_date": paid,
    }  # fmt: skip


@pytest.fixture(scope="module")
def org_store(tmp_path_factory: pytest.TempPathFactory, kit: SimpleNamespace) -> Path:
    w = kit.writer(tmp_path_factory.mktemp("org-features") / "store")
    at = kit.at(2024, 6, 30, 12)
    w.batch("subject", [kit.subject("p1", D(2020, 1, 1)),
                        kit.subject("f1", D(2020, 1, 1), "organisation"),
                        kit.subject("f2", D(2021, 1, 1), "organisation")], at)  # fmt: skip
    w.batch(
        "supplier_payment",
        [
            invoice("i1", "f1", D(2024, 5, 1), 30, 1000.0, D(2024, 5, 20)),  # 11 days early: 100
            invoice("i2", "f1", D(2024, 3, 1), 30, 500.0, D(2024, 4, 20)),  # 20 beyond: 60
            invoice("i3", "f1", D(2024, 1, 10), 60, 250.0, None),  # unpaid, 112 beyond: 20
            invoice("i4", "f1", D(2023, 3, 1), 30, 100.0, D(2023, 6, 1)),  # 62 beyond, 24m only
            invoice("i5", "f1", D(2024, 6, 20), 30, 250.0, None),  # within terms so far: 80
            # a person's supplier payment written past ingest (which refuses it): never counted
            invoice("i9", "p1", D(2024, 5, 1), 30, 10.0, D(2024, 9, 1)),
        ],
        at,
    )
    w.batch("tradeline", [
        kit.report("t1", "f1", "l1", "instalment", D(2022, 1, 1), 9000.0, D(2024, 5, 31), 5.0,
                   dpd=40),
        kit.report("t2", "f1", "l1", "instalment", D(2022, 1, 1), 9000.0, D(2023, 1, 31), 5.0,
                   dpd=95),
        kit.report("t3", "p1", "c1", "card", D(2019, 1, 1), 1000.0, D(2024, 5, 31), 900.0,
                   dpd=120),
    ], at)  # fmt: skip
    w.batch("public_record", [
        kit.public("r1", "f1", "tax_arrears", D(2023, 2, 1), 3000.0),
        kit.public("r2", "f1", "tax_arrears", D(2022, 1, 1), 999.0, D(2022, 6, 1)),
        kit.public("r3", "f1", "regulatory_penalty", D(2021, 3, 1), 50.0),
        kit.public("r4", "f1", "regulatory_penalty", D(2023, 9, 1), 70.0, D(2023, 10, 1)),
        kit.public("r5", "f1", "court_judgment", D(2023, 12, 15), 8000.0),
        kit.public("r6", "p1", "court_judgment", D(2024, 1, 15), 400.0),
    ], at)  # fmt: skip
    bills = [
        kit.bill("o1", "p1", D(2024, 5, 1), 80.0, D(2024, 5, 1)),
        kit.bill("o2", "f1", D(2024, 5, 1), 80.0, D(2024, 8, 1)),  # a firm's bill: never counted
    ]
    w.batch("obligation", bills, at)
    return w.root


def test_organisation_features_by_hand(org_store: Path) -> None:
    table = compute_features(org_store, AS_OF, subject_kind="organisation")
    assert table.column_names == [
        "subject_id",
        *[f.name for f in ORG_FEATURES],
        "months_history",
        "n_records_12m",
    ]
    rows = {r["subject_id"]: r for r in table.to_pylist()}
    assert sorted(rows) == ["f1", "f2"]  # organisations only: never the person p1
    f1 = rows["f1"]
    # amount-weighted: (100*1000 + 60*500 + 20*250 + 80*250) / 2000
    assert f1["paydex_12m"] == 77.5
    assert f1["max_days_beyond_terms_12m"] == 112.0
    assert f1["n_beyond_terms_60_24m"] == 2.0
    assert f1["credit_worst_dpd_12m"] == 40.0  # the person's 120 days are not the firm's
    assert (f1["n_tax_arrears"], f1["tax_arrears_amount"]) == (1.0, 3000.0)
    assert f1["n_regulatory_penalties_36m"] == 1.0
    assert (f1["n_unsatisfied_judgments"], f1["months_since_judgment"]) == (1.0, 6.0)
    assert (f1["months_history"], f1["n_records_12m"]) == (16.0, 5.0)
    f2 = rows["f2"]
    assert f2["paydex_12m"] is None
    assert f2["months_history"] is None
    assert (f2["n_tax_arrears"], f2["n_records_12m"]) == (0.0, 0.0)


def test_a_person_row_holds_no_firm_record_and_the_reverse(org_store: Path) -> None:
    people = compute_features(org_store, AS_OF)
    assert people["subject_id"].to_pylist() == ["p1"]
    assert set(people.column_names).isdisjoint({f.name for f in ORG_FEATURES})
    p1 = people.to_pylist()[0]
    # the person's own records only: its card (120 days) and judgment, never the firm's
    assert p1["worst_dpd_12m"] == 120.0
    assert p1["n_unsatisfied_public_records"] == 1.0
    assert subject_kinds(org_store) == {"p1": "person", "f1": "organisation",
                                        "f2": "organisation"}  # fmt: skip
    one = compute_features(org_store, AS_OF, subjects=["f1"], subject_kind="organisation")
    assert one.to_pylist() == [
        r
        for r in compute_features(org_store, AS_OF, subject_kind="organisation").to_pylist()
        if r["subject_id"] == "f1"
    ]


def test_feature_sets_share_no_name_and_a_model_refuses_the_other_kind() -> None:
    assert {f.name for f in FEATURES}.isdisjoint({f.name for f in ORG_FEATURES})
    with pytest.raises(SchemaError, match="A person model cannot use paydex_12m: it describes an"):
        check_feature_kind(["on_time_share_12m", "paydex_12m"], "person")
    with pytest.raises(SchemaError, match="organisation model cannot use worst_dpd_12m"):
        check_feature_kind(["worst_dpd_12m"], "organisation")
    check_feature_kind([f.name for f in ORG_FEATURES], "organisation")
    with pytest.raises(SchemaError, match="Unknown subject kind 'firm'"):
        compute_features(".", AS_OF, subject_kind="firm")
