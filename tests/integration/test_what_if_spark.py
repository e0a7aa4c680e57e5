"""The what-if on Spark: the same answer as the kernel and the reference for the changed rows."""

from __future__ import annotations

from typing import Any

import pytest

from trustscore.pipeline import what_if_row
from trustscore.scoring import ScorecardArtifact
from trustscore.scoring._artifact import example_artifact_dict

pytestmark = [pytest.mark.spark, pytest.mark.slow]

ROWS = [
    {"on_time_rate": 0.5, "card_kind": "none", "months_history": 12},
    {"on_time_rate": None, "card_kind": "card", "months_history": 7},
    {"on_time_rate": 0.95, "card_kind": "zzz", "months_history": 30},
]
CHANGES: list[dict[str, Any]] = [
    {"on_time_rate": 0.95},
    {"card_kind": "loan", "on_time_rate": -1.0},
    {"card_kind": None},
]


def test_what_if_on_spark_equals_the_kernel(spark: Any) -> None:
    art = ScorecardArtifact.from_dict(example_artifact_dict(interaction=True))
    for row in ROWS:
        for changes in CHANGES:
            kernel = what_if_row(art, row, changes, purposes=["credit_pricing"])
            on_spark = what_if_row(art, row, changes, purposes=["credit_pricing"], engine="spark")
            assert on_spark == kernel
