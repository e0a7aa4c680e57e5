"""The Splink model's pairs: outright disagreements on given name or birth date are flagged."""

from __future__ import annotations

import pyarrow as pa

from trustscore.identity._link import birth_date_of
from trustscore.identity._model import COMPARED_FIELDS, score_pairs


def _profiles() -> pa.Table:
    rows = []
    for i in range(40):
        # a household per address: twins (other given names), a typo, a junior, a transposed date
        for j, (given, born) in enumerate(
            [("yongna", "1965-02-10"), ("dili", "1965-02-10"), ("yongnq", "1965-10-02"),
             ("yongna", "1995-07-01")]
        ):  # fmt: skip
            rows.append(
                {"profile_id": f"p{i}-{j}", "given_name": given, "family_name": "feng",
                 "birth_date": born, "address": f"{i} changjiang road", "postcode": f"{i:06d}",
                 "city": "wuhan"}
            )  # fmt: skip
    return pa.Table.from_pylist([{f: r.get(f) for f in ("profile_id", *COMPARED_FIELDS)}
                                 for r in rows])  # fmt: skip


def test_twins_and_a_junior_are_flagged_a_typo_and_a_transposed_date_are_not() -> None:
    scored = score_pairs(_profiles(), lower_weight=-100.0)
    flags = {
        frozenset((a.split("-")[1], b.split("-")[1])): c
        for a, b, c in zip(scored.left, scored.right, scored.conflicts, strict=True)
        if a.split("-")[0] == b.split("-")[0]
    }
    assert flags[frozenset(("0", "1"))] == ("given_name",)  # twins
    assert flags[frozenset(("0", "2"))] == ()  # a typo and day/month transposed
    assert flags[frozenset(("0", "3"))] == ("birth_date",)  # junior: 30 years apart
    assert flags[frozenset(("1", "3"))] == ("given_name", "birth_date")


def test_a_valid_resident_id_stands_for_its_birth_date() -> None:
    assert birth_date_of({"national_id": "11010519491231002X"}) == "1949-12-31"
    assert birth_date_of({"national_id": "11010519491231002X", "birth_date": "1950-01-01"}) == (
        "1950-01-01"
    )
    assert birth_date_of({"national_id": "110105194912310021"}) is None  # bad check character
