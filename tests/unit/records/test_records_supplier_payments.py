"""Supplier payments: an organisation's kind, validated like any other, refused on a person."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from trustscore.records import RecordStore, ingest

AT = dt.datetime(2024, 7, 1, tzinfo=dt.UTC)
HEADER = "record_id,subject_id,furnisher,category,invoice,invoice_date,terms_days,amount,paid_date"


def test_a_supplier_payment_of_a_person_or_an_invalid_one_is_quarantined(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "store")
    (tmp_path / "subject.csv").write_text(
        "subject_id,kind,created_date\np1,person,2020-01-01\nf1,organisation,2020-01-01\n"
    )
    assert ingest(tmp_path / "subject.csv", store, ingested_at=AT).rows_stored == 2
    (tmp_path / "supplier_payment.csv").write_text(
        f"{HEADER}\n"
        "i1,f1,steel,supplier,n1,2024-05-01,30,100.5,2024-05-20\n"
        "i2,p1,steel,supplier,n2,2024-05-01,30,100.5,\n"
        "i3,f1,steel,catering,n3,2024-05-01,30,100.5,\n"
        "i4,f1,steel,utility,n4,2024-05-01,30,-1,\n"
        "i5,f1,steel,utility,n5,2024-05-01,30,10,2024-04-01\n"
        "i6,f1,steel,utility,n6,2024-05-01,400,10,\n"
    )
    result = ingest(tmp_path / "supplier_payment.csv", store, ingested_at=AT)
    assert (result.rows_in, result.rows_stored, result.rows_quarantined) == (6, 1, 5)
    assert result.reasons["supplier_payment of a subject that is not an organisation"] == 1
    assert store.record("supplier_payment", "i1")["subject_id"] == "f1"
    text = " ".join(result.reasons)
    assert "category is not one of: supplier, utility" in text
    assert "paid_date" in text
    assert "terms_days" in text
    assert "amount" in text
