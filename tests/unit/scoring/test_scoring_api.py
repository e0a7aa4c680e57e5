"""The public scoring API: output shape and types, input forms, errors, order, NS rows."""

from __future__ import annotations

import decimal
import json
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from trustscore.exceptions import EngineError, SchemaError
from trustscore.scoring import (
    ScorecardArtifact,
    load_artifact,
    output_schema,
    score,
)
from trustscore.scoring._artifact import example_artifact_dict
from trustscore.scoring._compiled import compile_artifact
from trustscore.scoring._inputs import numeric_array
from trustscore.scoring._reference_table import reference_table

OUTPUT = ["score", "status", "payment_reliability", "credit_history"] + [
    f"reason_{i}" for i in range(1, 5)
]


@pytest.fixture(scope="module")
def art() -> ScorecardArtifact:
    return ScorecardArtifact.from_dict(example_artifact_dict())


@pytest.fixture(scope="module")
def rows() -> pa.Table:
    rng = np.random.default_rng(7)
    n = 500
    rate = rng.choice([0.2, 0.5, 0.9, 0.95, -1.0, np.nan, np.inf, -np.inf], size=n)
    kinds = rng.choice(np.array(["none", "card", "loan", "zzz", None], dtype=object), size=n)
    months = rng.choice([1.0, 6.0, 12.0, np.nan], size=n)
    return pa.table(
        {
            "subject_id": [f"s{i:04d}" for i in range(n)],
            "on_time_rate": pa.array(rate, type=pa.float32()),
            "card_kind": pa.array(kinds, type=pa.string()),
            "months_history": pa.array(months, from_pandas=False),
        }
    )


def test_output_columns_types_and_values(art: ScorecardArtifact) -> None:
    data = pa.table(
        {
            "on_time_rate": [0.95, 0.5, None, -1.0, 0.4999],
            "card_kind": ["card", "none", None, "zzz", "loan"],
            "months_history": [12.0, 3.0, 24.0, 8.0, 6.0],
        }
    )
    out = score(art, data)
    assert out.schema == output_schema(art)
    assert out.column_names == OUTPUT
    assert out["score"].type == pa.int32()
    assert out["credit_history"].type == pa.int32()
    assert out["score"].to_pylist() == [150, None, 70, 60, 100]
    assert out["status"].to_pylist() == ["OK", "NS", "OK", "OK", "OK"]
    assert out["payment_reliability"].to_pylist() == [60, None, 30, 20, 10]
    assert out["credit_history"].to_pylist() == [90, None, 40, 40, 90]
    # a missing value or a special one (-1) gives the no-information code (PR01N, CH01N), an
    # unseen level ("zzz", other) the adverse one
    assert out["reason_1"].to_pylist() == [None, None, "CH01N", "CH01", "PR01"]
    assert out["reason_2"].to_pylist() == [None, None, "PR01N", "PR01N", None]
    assert out["reason_3"].to_pylist() == [None] * 5


def test_kernel_matches_reference_and_keeps_order(art: ScorecardArtifact, rows: pa.Table) -> None:
    order = np.random.default_rng(1).permutation(rows.num_rows)
    shuffled = rows.take(pa.array(order))
    out = score(art, shuffled, carry=["subject_id"])
    assert out["subject_id"].to_pylist() == shuffled["subject_id"].to_pylist()
    assert out.drop_columns(["subject_id"]).equals(reference_table(art, shuffled))


def test_sub_scores_add_up_and_ns_rows_are_empty(art: ScorecardArtifact, rows: pa.Table) -> None:
    out = score(art, rows).to_pydict()
    for i, status in enumerate(out["status"]):
        if status == "OK":
            assert out["score"][i] == out["payment_reliability"][i] + out["credit_history"][i]
        else:
            assert status == "NS"
            assert out["score"][i] is None
            assert out["payment_reliability"][i] is None
            assert out["credit_history"][i] is None
            assert all(out[f"reason_{r}"][i] is None for r in range(1, 5))
    assert "NS" in out["status"]
    assert "OK" in out["status"]


def test_pandas_polars_like_and_arrow_inputs_agree(art: ScorecardArtifact, rows: pa.Table) -> None:
    want = score(art, rows)
    frame = rows.to_pandas()
    assert score(art, frame).equals(want)

    class PolarsLike:  # polars is not installed: any object with to_arrow() is accepted
        def to_arrow(self) -> pa.Table:
            return rows

    assert score(art, PolarsLike()).equals(want)
    assert score(art, rows.to_batches()[0]).equals(want)


def test_pandas_object_column_with_none_and_nan(art: ScorecardArtifact) -> None:
    frame = pd.DataFrame(
        {
            "on_time_rate": pd.Series([0.95, None, np.nan], dtype=object),
            "card_kind": pd.Series(["card", None, np.nan], dtype=object),
            "months_history": [12, 12, 12],
        }
    )
    out = score(art, frame)
    assert out["score"].to_pylist() == [150, 70, 70]


def test_artifact_from_path(art: ScorecardArtifact, tmp_path: Any) -> None:
    path = tmp_path / "model.json"
    art.to_json(path)
    data = pa.table({"on_time_rate": [0.7], "card_kind": ["loan"], "months_history": [9.0]})
    assert score(str(path), data).equals(score(art, data))
    assert load_artifact(path) == art


def test_missing_column_is_named(art: ScorecardArtifact) -> None:
    data = pa.table({"on_time_rate": [0.7], "months_history": [9.0]})
    with pytest.raises(SchemaError, match="card_kind") as info:
        score(art, data)
    assert info.value.context["field"] == "card_kind"


def test_non_numeric_value_in_numeric_column(art: ScorecardArtifact) -> None:
    data = pa.table(
        {"on_time_rate": ["0.5", "high"], "card_kind": ["a", "b"], "months_history": [9.0, 9.0]}
    )
    with pytest.raises(SchemaError, match=r"on_time_rate.*row 1 holds .high."):
        score(art, data)
    frame = pd.DataFrame(
        {
            "on_time_rate": pd.Series([0.5, "high"], dtype=object),
            "card_kind": ["a", "b"],
            "months_history": [9.0, 9.0],
        }
    )
    with pytest.raises(SchemaError, match="on_time_rate"):
        score(art, frame)
    with pytest.raises(SchemaError, match="on_time_rate"):
        score(art, data, engine="duckdb")


def test_unknown_engine_and_clashing_carry(art: ScorecardArtifact, rows: pa.Table) -> None:
    with pytest.raises(EngineError, match="polars"):
        score(art, rows, engine="polars")  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="clash"):
        score(art, rows.append_column("score", pa.array([1] * rows.num_rows)), carry=["score"])


def test_numeric_categorical_levels_read_like_the_reference() -> None:
    d = example_artifact_dict()
    d["characteristics"][1]["bins"] = [
        {"categories": ["1"], "points": 10},
        {"categories": ["2", "3.5"], "points": 90},
    ]
    art = ScorecardArtifact.from_dict(d)
    for levels in ([1, 2, None, 7], [1.0, 2.0, np.nan, 3.5]):
        data = pa.table(
            {"on_time_rate": [0.95] * 4, "card_kind": levels, "months_history": [12.0] * 4}
        )
        want = reference_table(art, data)
        assert want["credit_history"].to_pylist()[:2] == [10, 90]
        assert score(art, data).equals(want)
        assert score(art, data, engine="duckdb").equals(want)


def test_float32_values_next_to_an_edge() -> None:
    d = example_artifact_dict()
    d["characteristics"][0]["bins"][0]["upper"] = 0.1  # not a float32 number
    art = ScorecardArtifact.from_dict(d)
    above = np.float32(0.1)  # rounds up, to 0.10000000149...
    below = np.nextafter(above, np.float32(0))
    assert float(below) < 0.1 < float(above)
    data = pa.table(
        {
            "on_time_rate": pa.array([below, above], type=pa.float32()),
            "card_kind": ["card", "card"],
            "months_history": [12.0, 12.0],
        }
    )
    assert score(art, data)["payment_reliability"].to_pylist() == [10, 35]
    assert score(art, data).equals(reference_table(art, data))


def test_float_columns_are_read_without_a_copy() -> None:
    x = np.linspace(0, 1, 1000, dtype=np.float32)
    assert np.shares_memory(numeric_array(pa.array(x), "x"), x)


def test_compiled_form_is_cached_per_artifact(art: ScorecardArtifact) -> None:
    again = ScorecardArtifact.from_json(art.to_json())
    assert compile_artifact(again) is compile_artifact(art)
    other = json.loads(art.to_json())
    other["characteristics"][0]["missing"]["points"] = 31
    del other["content_hash"]
    assert compile_artifact(ScorecardArtifact.from_dict(other)) is not compile_artifact(art)


def test_empty_table_and_score_only(art: ScorecardArtifact, rows: pa.Table) -> None:
    empty = score(art, rows.slice(0, 0))
    assert empty.num_rows == 0
    assert empty.schema == output_schema(art)
    lean = score(art, rows, reasons=False)
    assert lean.column_names == OUTPUT[:4]
    assert lean.equals(score(art, rows).select(OUTPUT[:4]))


def test_duckdb_engine_equals_kernel(art: ScorecardArtifact, rows: pa.Table) -> None:
    kernel = score(art, rows, carry=["subject_id"])
    assert score(art, rows, engine="duckdb", carry=["subject_id"]).equals(kernel)


@pytest.mark.parametrize(
    ("rate", "kind"),
    [
        (pa.array([0, 1, None], pa.int64()), pa.array(["card", "none", None])),
        (
            pa.array([decimal.Decimal("0.95"), None, decimal.Decimal("0.2")], pa.decimal128(5, 2)),
            pa.array(["card", "none", None]).dictionary_encode(),
        ),
        (
            pa.array(np.array([0.9, 0.5, 0.1], np.float16)),
            pa.array(["card", "x", None], pa.large_string()),
        ),
        (pa.array([True, False, None]), pa.array(["card", "none", "x"], pa.string_view())),
        (pa.array([None, None, None], pa.null()), pa.array([1.0, float("nan"), 2.0])),
        (pa.array([float("nan"), 0.5, None]), pa.array(["card", "none", "x"])),
    ],
)
def test_duckdb_engine_reads_every_arrow_type_the_kernel_reads(
    rate: pa.Array, kind: pa.Array
) -> None:
    # DuckDB scans the columns before the kernel reads them: the types it cannot scan (float16)
    # are turned into floats first, and what it scans must reach the kernel unchanged
    art = ScorecardArtifact.from_dict(example_artifact_dict())
    data = pa.table({"on_time_rate": rate, "card_kind": kind, "months_history": [12.0, 3.0, 24.0]})
    want = reference_table(art, data)
    assert score(art, data).equals(want)
    assert score(art, data, engine="duckdb").equals(want)


def test_a_duckdb_failure_is_an_engine_error() -> None:
    from trustscore import engines

    with pytest.raises(EngineError, match="DuckDB could not run the query"):
        list(
            engines.duckdb_arrow_batches(
                "SELECT nope FROM t", batch_rows=10, tables={"t": pa.table({"x": [1]})}
            )
        )
