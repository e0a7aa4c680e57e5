"""Counting input-quality flags over scored tables."""

from __future__ import annotations

import pyarrow as pa
import pytest

from trustscore.exceptions import SchemaError
from trustscore.scoring import ScorecardArtifact, flagged_rows, quality_counts, score
from trustscore.scoring._artifact import example_artifact_dict


def test_counts_by_kind_and_characteristic_from_a_scored_table() -> None:
    art = ScorecardArtifact.from_dict(example_artifact_dict())
    data = pa.table(
        {
            "on_time_rate": [3.5, 0.5, -2.0, 0.7, None],
            "card_kind": ["gold", "card", "card", "gold", "silver"],
            "months_history": [12.0] * 5,
        }
    )
    scored = score(art, data, quality=True)
    assert quality_counts(scored) == [
        {"kind": "unseen_level", "characteristic": "card_kind", "n": 3},
        {"kind": "impossible", "characteristic": "on_time_rate", "n": 2},
    ]
    assert flagged_rows(scored) == 4


def test_clean_tables_count_nothing_and_tables_without_flags_are_refused() -> None:
    assert quality_counts(pa.table({"quality": pa.array([None, None], pa.string())})) == []
    assert flagged_rows(pa.table({"quality": pa.array([None], pa.string())})) == 0
    with pytest.raises(SchemaError, match="quality=True"):
        quality_counts(pa.table({"score": [1]}))
