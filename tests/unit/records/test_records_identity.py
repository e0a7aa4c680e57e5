"""Identity fields: checks, the public-record identity floor, and their refusal as inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from trustscore import Scorecard
from trustscore.exceptions import ProhibitedInputError
from trustscore.records import RecordStore, ingest
from trustscore.records._identity import (
    FLOOR_ORG,
    FLOOR_PERSON,
    IDENTITY_FIELDS,
    TOO_LITTLE,
    identity_problems,
    normalise_identity,
    split_identity,
)
from trustscore.safeguards import check_input_names

GOOD_ID = "11010519491231002X"
GOOD_USCC = "91350100M000100Y43"


def _problems(kind: str, **columns: list[str | None]) -> list[object]:
    return list(identity_problems(kind, pa.table(columns)))


def test_public_record_identity_floor_for_persons() -> None:
    ok_with_id = {"full_name": ["li wei"], "address": ["1 road"], "national_id": [GOOD_ID]}
    ok_with_birth = {"full_name": ["li wei"], "address": ["1 road"], "birth_date": ["1980-01-02"]}
    assert _problems("public_record", **ok_with_id) == [None]
    assert _problems("public_record", **ok_with_birth) == [None]
    # name and address alone: the CFPB's "name only" mistake, refused
    assert _problems("public_record", full_name=["li wei"], address=["1 road"]) == [
        ("birth_date", None, FLOOR_PERSON)
    ]
    assert _problems("public_record", full_name=["li wei"], national_id=[GOOD_ID]) == [
        ("address", None, FLOOR_PERSON)
    ]
    assert _problems(
        "public_record", given_name=["wei"], address=["1 road"], birth_date=["1980-01-02"]
    ) == [("full_name", None, FLOOR_PERSON)]


def test_public_record_identity_floor_for_organisations() -> None:
    assert _problems(
        "public_record", org_name=["acme"], address=["1 road"], registration_code=[GOOD_USCC]
    ) == [None]
    assert _problems("public_record", org_name=["acme"], address=["1 road"]) == [
        ("registration_code", None, FLOOR_ORG)
    ]


def test_failing_check_characters_are_reasons() -> None:
    bad_id = GOOD_ID[:-1] + "1"
    (problem,) = _problems("obligation", national_id=[bad_id])
    assert problem == (
        "national_id",
        bad_id,
        "national_id is not a valid resident identity number: check character is 1, expected X",
    )
    (problem,) = _problems("tradeline", registration_code=[GOOD_USCC[:-1]])
    assert problem is not None
    assert (
        problem[2] == "registration_code is not a valid credit code: has 17 characters, expected 18"
    )


def test_too_little_identity_to_link() -> None:
    assert _problems("obligation", family_name=["li"]) == [("national_id", None, TOO_LITTLE)]
    assert _problems("obligation", family_name=["li"], birth_date=["1980-01-02"]) == [None]
    # a row that names its subject needs no identity at all
    assert identity_problems("obligation", pa.table({"city": [None]}), has_subject_id=True) == [
        None
    ]


def test_normalisation_upper_cases_ids_and_lower_cases_names() -> None:
    table = normalise_identity(
        pa.table({"national_id": [" 11010519491231002x "], "full_name": ["  Li   WEI "]})
    )
    row = table.to_pylist()[0]
    assert row["national_id"] == GOOD_ID
    assert row["full_name"] == "li wei"
    assert table.column_names == list(IDENTITY_FIELDS)


def test_split_keeps_identity_out_of_the_record_columns() -> None:
    table = pa.table({"record_id": ["r"], "address": ["1 road"], "due_date": ["2024-01-01"]})
    records, identity = split_identity(table)
    assert records.column_names == ["record_id", "due_date"]
    assert identity.column_names == ["address"]


@pytest.mark.parametrize("name", IDENTITY_FIELDS)
def test_identity_fields_are_refused_as_inputs(name: str) -> None:
    with pytest.raises(ProhibitedInputError, match=repr(name)):
        check_input_names([name], where="model input")


@pytest.mark.parametrize("name", ["family_name", "national_id", "postcode"])
def test_training_refuses_identity_fields(name: str) -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=200), name: rng.integers(0, 5, 200).astype(float)})
    y = (rng.random(200) < 0.3).astype(int)
    with pytest.raises(ProhibitedInputError, match="identity"):
        Scorecard().fit(X, y)


def test_plain_ingest_refuses_identity_fields(tmp_path: Path) -> None:
    path = tmp_path / "inquiry.csv"
    path.write_text(
        "record_id,subject_id,furnisher,purpose,inquiry_date,national_id\n"
        "i1,s1,bank,credit_pricing,2024-01-05,11010519491231002X\n"
    )
    with pytest.raises(ProhibitedInputError, match="trustscore identity link"):
        ingest(path, RecordStore(tmp_path / "store"))
    assert not (tmp_path / "store").exists()
