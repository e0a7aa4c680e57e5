"""Every reason the scorers give is true of the subject it is given to.

The reference scorer's reasons (and so, by the identity tests, every engine's) are checked by
:func:`trustscore.scoring.untrue_reasons`, which reads the claim of each code against the row's
own values apart from any scorer; the checker itself is shown to catch the falsehoods the old
rule told (a clean borrower told about a default, a missing value told as an adverse fact).
"""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring_strategies import artifact_of, artifacts_and_data
from trustscore.exceptions import ArtifactError
from trustscore.scoring import score, untrue_reasons
from trustscore.scoring._reference import reference_points
from trustscore.scoring._reference_table import reference_columns, reference_table

_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(case=artifacts_and_data(max_rows=40))
def test_every_reference_reason_is_true(case: tuple[Any, pa.Table]) -> None:
    art, data = case
    assert untrue_reasons(art, data, reference_table(art, data)) == []


@_SETTINGS
@given(case=artifacts_and_data(max_rows=40, interactions=True))
def test_every_reason_is_true_with_interactions(case: tuple[Any, pa.Table]) -> None:
    art, data = case
    assert untrue_reasons(art, data, reference_table(art, data)) == []


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=artifacts_and_data(max_rows=40, interactions=True))
def test_every_kernel_reason_is_true(case: tuple[Any, pa.Table]) -> None:
    art, data = case
    assert untrue_reasons(art, data, score(art, data)) == []


def _card(missing: int, direction: int | None = 1) -> Any:
    return artifact_of(
        [
            {
                "name": "n_loans_clean",
                "dimension": "credit",
                "type": "numeric",
                "direction": direction,
                "reason_code": "CH01",
                "reason": "Few loans repaid on time",
                "missing_reason_code": "CH01N",
                "missing_reason": "No loan or card reported",
                "bins": [
                    {"upper": 1.0, "points": 10},
                    {"upper": 3.0, "points": 30},
                    {"upper": None, "points": 39},
                ],
                "missing": {"points": missing},
            }
        ]
    )


def _scores(*reasons: str | None) -> pa.Table:
    n = len(reasons)
    return pa.table(
        {
            "status": ["OK"] * n,
            "reason_1": list(reasons),
            **{f"reason_{r}": pa.nulls(n, pa.string()) for r in (2, 3, 4)},
        }
    )


def test_a_clean_borrower_is_not_told_about_what_they_lack() -> None:
    # no loans at all earns 42, more than the best bin (39): the old rule told every clean
    # borrower (5 loans, 39 points) that they lost 3 points under CH01
    art = _card(missing=42)
    clean = pa.table({"n_loans_clean": [5.0]})
    assert reference_table(art, clean)["reason_1"].to_pylist() == [None]
    told = untrue_reasons(art, clean, _scores("CH01"))
    assert [(v.code, v.why) for v in told] == [
        ("CH01", "n_loans_clean is 5, in a bin that earns its best (39 points)")
    ]


def test_a_missing_value_gets_the_no_information_reason_not_the_adverse_fact() -> None:
    art = _card(missing=20)
    row = pa.table({"n_loans_clean": pa.array([None], pa.float64())})
    assert reference_table(art, row)["reason_1"].to_pylist() == ["CH01N"]
    assert art.reason_text("CH01N")[0] == "No loan or card reported"
    told = untrue_reasons(art, row, _scores("CH01"))
    assert [v.why for v in told] == [
        "n_loans_clean is missing: no value to make the adverse claim about",
        "lost 19 points but is not given",
    ]


def test_a_reason_left_out_or_out_of_order_is_caught() -> None:
    art = _card(missing=20)
    row = pa.table({"n_loans_clean": [0.0]})
    assert reference_table(art, row)["reason_1"].to_pylist() == ["CH01"]
    assert [v.why for v in untrue_reasons(art, row, _scores(None))] == [
        "lost 29 points but is not given"
    ]


def test_without_a_direction_the_statement_is_relative_and_names_the_value() -> None:
    art = _card(missing=20, direction=None)
    text, _ = art.reason_text("CH01", {"n_loans_clean": 2.0})
    assert text == "Your n loans clean, 2, is outside the range that scores best (3 or more)"
    assert art.reason_text("CH01")[0] == (
        "Your n loans clean is outside the range that scores best (3 or more)"
    )


@pytest.mark.parametrize(
    ("direction", "points"), [(1, [10, 30, 20]), (-1, [10, 30, 5]), (1, [40, 30, 39])]
)
def test_points_against_the_declared_direction_are_refused(
    direction: int, points: list[int]
) -> None:
    with pytest.raises(ArtifactError, match="points must follow the declared direction"):
        artifact_of(
            [
                {
                    "name": "x",
                    "dimension": "d",
                    "type": "numeric",
                    "direction": direction,
                    "reason_code": "R1",
                    "reason": "r",
                    "bins": [
                        {"upper": 1.0, "points": points[0]},
                        {"upper": 2.0, "points": points[1]},
                        {"upper": None, "points": points[2]},
                    ],
                    "missing": {"points": 0},
                }
            ]
        )


@pytest.mark.parametrize("bad", [0, 2, True, "up", math.nan])
def test_a_direction_must_be_plus_or_minus_one(bad: Any) -> None:
    with pytest.raises(ArtifactError, match="direction must be 1"):
        artifact_of(
            [
                {
                    "name": "x",
                    "dimension": "d",
                    "type": "numeric",
                    "direction": bad,
                    "reason_code": "R1",
                    "reason": "r",
                    "bins": [{"upper": None, "points": 0}],
                    "missing": {"points": 0},
                }
            ]
        )


def test_cells_against_a_declared_direction_are_refused() -> None:
    chars = [
        {
            "name": name,
            "dimension": "d",
            "type": "numeric",
            "direction": 1,
            "reason_code": code,
            "reason": "r",
            "bins": [{"upper": 1.0, "points": 0}, {"upper": None, "points": 10}],
            "missing": {"points": 0},
        }
        for name, code in (("a", "R1"), ("b", "R2"))
    ]
    pair = {
        "name": "a x b",
        "inputs": ["a", "b"],
        "dimension": "d",
        "reason_code": "P1",
        "reason": "p",
        "axes": [{"edges": [1.0]}, {"edges": [1.0]}],
        "cells": [{"points": 0}, {"points": 5}, {"points": 6}, {"points": 4}],
        "otherwise": {"points": 0},
    }
    with pytest.raises(ArtifactError, match="cells must follow each input's declared direction"):
        artifact_of(chars, pairs=[pair])


@given(st.data())
@settings(max_examples=50, deadline=None)
def test_the_checker_flags_a_reason_from_another_element(data: st.DataObject) -> None:
    art, rows = data.draw(artifacts_and_data(max_rows=10))
    ref = reference_table(art, rows)
    res = reference_points(art, reference_columns(art, rows))
    codes = art.reason_codes
    for i, (status, first) in enumerate(
        zip(ref["status"].to_pylist(), ref["reason_1"].to_pylist(), strict=True)
    ):
        if status != "OK" or first is None:
            continue
        # a code this row's values do not bear out: any but those of the elements that lost
        true = {codes[s] for s, lost in zip(res.slot[i], res.lost[i], strict=True) if lost > 0}
        wrong = data.draw(st.sampled_from([c for c in codes if c not in true]))
        told = ref.slice(i, 1).set_column(
            ref.schema.get_field_index("reason_1"), "reason_1", pa.array([wrong], pa.string())
        )
        assert untrue_reasons(art, rows.slice(i, 1), told) != []


def test_an_outcome_below_zero_is_refused() -> None:
    """Sub-scores are sums of points; a negative outcome could make one negative."""
    with pytest.raises(ArtifactError, match="every outcome must earn 0 or more"):
        artifact_of(
            [
                {
                    "name": "x",
                    "dimension": "d",
                    "type": "numeric",
                    "reason_code": "R1",
                    "reason": "r",
                    "bins": [{"upper": 1.0, "points": 5}, {"upper": None, "points": 10}],
                    "missing": {"points": -1},
                }
            ]
        )
