"""The feature definitions: names allowed, codes unique, texts a subject can read."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from trustscore.features import DIMENSIONS, FEATURES, FeatureDef, feature, write_features
from trustscore.safeguards import check_input_names, prohibited_category


@pytest.mark.parametrize("name", [f.name for f in FEATURES])
def test_feature_names_are_not_prohibited_inputs(name: str) -> None:
    assert prohibited_category(name) is None


def test_the_criteria_columns_are_not_prohibited_inputs() -> None:
    check_input_names(["months_history", "n_records_12m"], where="feature")


def test_counts_codes_and_dimensions() -> None:
    assert 12 <= len(FEATURES) <= 18
    assert len({f.name for f in FEATURES}) == len(FEATURES)
    assert len({f.reason_code for f in FEATURES}) == len(FEATURES)
    prefixes = {"payment_reliability": "PR", "credit_history": "CH", "legal_compliance": "LC"}
    assert set(DIMENSIONS) == set(prefixes)
    for f in FEATURES:
        assert re.fullmatch(prefixes[f.dimension] + r"\d\d", f.reason_code), f
        assert re.fullmatch(r"[a-z][a-z0-9_]*", f.name), f
    for dimension in DIMENSIONS:
        assert sum(f.dimension == dimension for f in FEATURES) >= 3


def test_reason_texts_are_plain_and_say_how_to_improve() -> None:
    for f in FEATURES:
        assert f.reason[0].isupper(), f.name
        assert not f.reason.endswith("."), f.name
        assert 15 <= len(f.reason) <= 90, f.name
        assert f.improve.endswith("."), f.name
        assert f.description.endswith("."), f.name
        assert "_" not in f.reason, f.name
        assert "_" not in f.improve, f.name


def test_every_feature_declares_its_direction_and_a_no_information_statement() -> None:
    for f in FEATURES:
        assert f.direction in (1, -1, 0), f.name
        # a feature without a direction says why; one with a direction needs no note
        assert bool(f.direction_note) == (f.direction == 0), f.name
        assert f.missing_reason_code == f.reason_code + "N"
        assert f.missing_reason.startswith("No"), f.name
        assert not f.missing_reason.endswith("."), f.name
        assert "_" not in f.missing_reason, f.name
        assert f.missing_improve == "" or f.missing_improve.endswith("."), f.name
    # the direction follows what the value means
    assert feature("on_time_share_12m").direction == 1
    assert feature("n_late_30_24m").direction == -1
    assert feature("months_since_late_30").direction == 1
    assert feature("card_utilisation").direction == -1
    assert feature("any_default_36m").direction == -1
    assert feature("n_open_accounts").direction == 0


def test_feature_def_is_frozen_and_looked_up_by_name() -> None:
    f = feature("n_late_30_24m")
    assert isinstance(f, FeatureDef)
    assert f.reason == "Bills paid 30 or more days late in the last 24 months"
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.name = "x"  # type: ignore[misc]
    with pytest.raises(KeyError, match="No feature named 'religion'"):
        feature("religion")


def test_write_features_stores_null_not_nan(tmp_path: Path) -> None:
    table = pa.table({"subject_id": ["a", "b"], "x": [float("nan"), 1.5], "y": [None, 2.0]})
    out = write_features(table, tmp_path / "deep" / "features.parquet")
    back = pq.read_table(out)
    assert back["x"].to_pylist() == [None, 1.5]
    assert back["y"].to_pylist() == [None, 2.0]
    assert not any(isinstance(v, float) and math.isnan(v) for v in back["x"].to_pylist())
