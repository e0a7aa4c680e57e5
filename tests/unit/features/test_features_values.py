"""Every feature of the hand-built store (tests/unit/features/conftest.py) against a hand count.

as_of = 2024-06-30; windows start after 2023-06-30 (12 m), 2022-06-30 (24 m), 2021-06-30 (36 m),
2023-12-30 (6 m); the horizon starts after 2017-06-30.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from types import SimpleNamespace

import pyarrow as pa
import pytest

from trustscore.features import CRITERIA_COLUMNS, FEATURES, compute_features

AS_OF = dt.date(2024, 6, 30)

# s1's bills that count: o1 (0 days late), o2 (45), o3 (unpaid: 150), o4 (paid after as_of: 10),
# o5 (105, 2022), o6 (0, 2021), o7 (152, 2016: aged out), o10 (0), o12 (40; suppressed only later).
# Not counted: o8 (due after as_of), o9 (ingested after as_of), o11 (suppressed), o99 (no manifest).
S1 = {
    "on_time_share_12m": 2 / 6,  # o1, o10 of o1 o2 o3 o4 o10 o12
    "on_time_share_36m": 3 / 8,  # + o5 (late), o6 (on time)
    "n_late_30_24m": 4.0,  # o2, o3, o12, o5
    "n_late_90_24m": 2.0,  # o3, o5
    "max_days_late_12m": 150.0,  # o3
    "months_since_late_30": 3.0,  # o2, due 2024-03-01
    "unpaid_amount_ratio_12m": 130 / 500,  # o3 50 + o4 80 of 100+200+50+80+10+60
    # reports r1 (corrected: balance 350), r2, r3, r4 (c2 closed), r5, r6 (default), r9; not r7,
    # r8 (after as_of) nor r1's second correction (known after as_of)
    "worst_dpd_12m": 35.0,  # r2
    "n_months_30dpd_24m": 2.0,  # 2024-04 (r2), 2022-10 (r3)
    "card_utilisation": (350 + 100) / (1000 + 500),  # c1 and c3; c2 closed
    "months_since_oldest_opened": 73.0,  # l1 opened 2018-05-20
    "n_open_accounts": 3.0,  # c1, l1, c3
    "any_default_36m": 1.0,  # r6, 2022-01-31
    "months_since_delinquency": 2.0,  # r2, 2024-04-30
    "n_inquiries_6m": 2.0,  # i1, i3 (on the as-of day); not i2
    "n_unsatisfied_public_records": 2.0,  # p1, p3 (satisfied only after as_of); not p2, p4
    "unsatisfied_public_record_amount": 1700.0,
    "months_since_public_record": 16.0,  # p3, 2023-02-14
    "months_history": 101.0,  # o7, 2016-01-01
    "n_records_12m": 11.0,  # 6 bills + r1 r2 r4 r5 r9
}
# s2: one bill paid on time in 2020 and one inquiry.
S2 = dict.fromkeys(S1)
S2 |= {
    "n_late_30_24m": 0.0,
    "n_late_90_24m": 0.0,
    "n_inquiries_6m": 1.0,
    "n_unsatisfied_public_records": 0.0,
    "unsatisfied_public_record_amount": 0.0,
    "months_history": 49.0,  # 2020-05-01
    "n_records_12m": 0.0,
}
# s4: no records at all.
S4 = dict.fromkeys(S1)
S4 |= {
    "n_inquiries_6m": 0.0,
    "n_unsatisfied_public_records": 0.0,
    "unsatisfied_public_record_amount": 0.0,
    "n_records_12m": 0.0,
}


@pytest.fixture(scope="module")
def table(hand_store: Path) -> pa.Table:
    return compute_features(hand_store, AS_OF)


def _row(table: pa.Table, sid: str) -> dict[str, object]:
    rows = [r for r in table.to_pylist() if r["subject_id"] == sid]
    assert len(rows) == 1
    return rows[0]


def test_one_row_per_subject_known_and_created_by_as_of(table: pa.Table) -> None:
    # s3 was created after as_of; s5's subject record was ingested after as_of
    assert table["subject_id"].to_pylist() == ["s1", "s2", "s4"]


def test_columns_and_types(table: pa.Table) -> None:
    names = ["subject_id", *(f.name for f in FEATURES), *CRITERIA_COLUMNS]
    assert table.column_names == names
    assert table.schema.field("subject_id").type == pa.string()
    assert all(table.schema.field(n).type == pa.float64() for n in names[1:])


@pytest.mark.parametrize(("sid", "expected"), [("s1", S1), ("s2", S2), ("s4", S4)])
def test_every_value_matches_the_hand_count(
    table: pa.Table, sid: str, expected: dict[str, float | None]
) -> None:
    row = _row(table, sid)
    assert set(expected) == set(row) - {"subject_id"}
    for name, want in expected.items():
        got = row[name]
        if want is None:
            assert got is None, name
        else:
            assert isinstance(got, float), name
            assert got == pytest.approx(want, rel=1e-12), name


def test_no_nan_anywhere(table: pa.Table) -> None:
    for name in table.column_names[1:]:
        assert not any(isinstance(v, float) and math.isnan(v) for v in table[name].to_pylist())


def test_subjects_restricts_to_the_ones_asked_for(hand_store: Path, table: pa.Table) -> None:
    one = compute_features(hand_store, AS_OF, subjects=["s1"])
    assert one.to_pylist() == [_row(table, "s1")]
    two = compute_features(hand_store, AS_OF, subjects=["s4", "s2", "s3", "nobody"])
    assert two["subject_id"].to_pylist() == ["s2", "s4"]
    assert compute_features(hand_store, AS_OF, subjects=[]).num_rows == 0


def test_store_given_as_an_object_with_a_root(hand_store: Path, table: pa.Table) -> None:
    assert compute_features(SimpleNamespace(root=hand_store), AS_OF).equals(table)


def test_same_as_of_gives_the_same_table(hand_store: Path, table: pa.Table) -> None:
    assert compute_features(str(hand_store), AS_OF).equals(table)


def test_a_later_as_of_sees_the_later_facts(hand_store: Path) -> None:
    later = compute_features(hand_store, dt.date(2024, 7, 20), subjects=["s1", "s5"])
    assert later["subject_id"].to_pylist() == ["s1", "s5"]
    s1 = later.to_pylist()[0]
    # r8 (charged off, reported 2024-06-15) is now known and is l1's latest report: l1 stays open
    # (charged off is not closed); r1's second correction (balance 900) replaces the first
    assert s1["card_utilisation"] == pytest.approx((900 + 100) / 1500)
    assert s1["worst_dpd_12m"] == 120.0
    # o12 is suppressed from 2024-07-15 on; o9 (due 2024-06-01, unpaid) now counts
    assert s1["n_late_30_24m"] == 4.0  # o2 o3 o5 o9 (49 days); o12 gone
