"""The Ibis form of a scorecard run on Spark equals the reference scorer, in input order.

The artifacts are drawn with and without interactions (pairs).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring_strategies import artifacts_and_data
from trustscore.scoring import ScorecardArtifact, score
from trustscore.scoring._reference_table import reference_table

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    case=st.one_of(
        artifacts_and_data(max_rows=25), artifacts_and_data(max_rows=25, interactions=True)
    )
)
def test_spark_engine_equals_reference(
    spark: Any, case: tuple[ScorecardArtifact, pa.Table]
) -> None:
    art, data = case
    got = score(art, data, engine="spark")
    want = reference_table(art, data)
    assert got.schema == want.schema
    for name in want.column_names:
        assert got[name].to_pylist() == want[name].to_pylist(), name


def test_spark_keeps_order_and_ids(spark: Any) -> None:
    from trustscore.scoring._artifact import example_artifact_dict

    art = ScorecardArtifact.from_dict(example_artifact_dict())
    n = 300
    data = pa.table(
        {
            "subject_id": [f"s{(i * 37) % n:03d}" for i in range(n)],
            "on_time_rate": [None if i % 11 == 0 else (i % 13) / 10 for i in range(n)],
            "card_kind": [["none", "card", "loan", "zz", None][i % 5] for i in range(n)],
            "months_history": [float(i % 9) for i in range(n)],
        }
    )
    got = score(art, data, engine="spark", carry=["subject_id"])
    assert got.equals(score(art, data, carry=["subject_id"]))
