"""Directions of conduct: declared, validated, held in bins and pairs, and written down."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import nnls

from trustscore.exceptions import ModelError
from trustscore.model import Scorecard
from trustscore.model._directions import monotone_violations, repair_points
from trustscore.model._fused import FusedLayout, fit_fused
from trustscore.model._interactions import cell_basis


def _problem(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "good": rng.uniform(size=n),  # more is better
            "bad": rng.uniform(size=n),  # more is worse
            "flag": (rng.random(n) < 0.02).astype(float),  # a rare 0/1 flag, worse when 1
            "kind": rng.choice(list("pqr"), size=n),
        }
    )
    logit = -1.5 - 2.0 * X["good"] + 2.0 * X["bad"] + 1.5 * X["flag"] + 0.3 * (X["kind"] == "p")
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y.to_numpy()


def _points(sc: Scorecard, name: str) -> list[int]:
    return [b.points for b in sc.artifact_.characteristic(name).bins]


@pytest.mark.parametrize("bad", [{"good": 2}, {"good": True}, {"good": "up"}, {"good": 1.0}, [1]])
def test_the_directions_parameter_is_validated(bad: Any) -> None:
    X, y = _problem(500, 0)
    with pytest.raises(ModelError, match=r"The 'directions' parameter of Scorecard must be None"):
        Scorecard(directions=bad).fit(X, y)


def test_a_direction_must_name_a_numeric_characteristic() -> None:
    X, y = _problem(500, 0)
    with pytest.raises(ModelError, match=r"'nope', which is not a characteristic"):
        Scorecard(directions={"nope": 1}).fit(X, y)
    with pytest.raises(ModelError, match=r"categorical characteristic 'kind'.*no order"):
        Scorecard(directions={"kind": -1}).fit(X, y)


def test_directions_and_monotonic_trend_must_agree() -> None:
    X, y = _problem(2000, 0)
    with pytest.raises(ModelError, match=r"direction \+1 .*monotonic_trend declares 'ascending'"):
        Scorecard(directions={"good": 1}, monotonic_trend={"good": "ascending"}).fit(X, y)
    # an agreeing entry is fine, and a direction overrides a trend given for every column
    Scorecard(directions={"good": 1}, monotonic_trend={"good": "descending"}).fit(X, y)
    sc = Scorecard(method="woe", directions={"good": 1}, monotonic_trend="ascending").fit(X, y)
    pts = _points(sc, "good")
    assert len(pts) >= 2
    assert (np.diff(pts) > 0).all()


@pytest.mark.parametrize("method", ["woe", "fused"])
def test_the_artifact_records_each_direction_and_the_no_information_texts(method: str) -> None:
    X, y = _problem(3000, 1)
    chars = {
        "good": {"missing_reason_code": "GN", "missing_reason": "No good on file"},
        "bad": {"missing_improve": "Report a bad."},
        "flag": {},
        "kind": {},
    }
    sc = Scorecard(
        characteristics=chars, method=method, directions={"good": 1, "bad": -1}, min_iv=0
    ).fit(X, y)
    d = sc.artifact_.to_dict()
    by = {c["name"]: c for c in d["characteristics"]}
    assert by["good"]["direction"] == 1
    assert by["bad"]["direction"] == -1
    assert by["kind"]["direction"] is None
    assert (by["good"]["missing_reason_code"], by["good"]["missing_reason"]) == (
        "GN",
        "No good on file",
    )
    assert by["good"]["missing_improve"] == ""  # v2 writes every field
    assert by["bad"]["missing_improve"] == "Report a bad."
    assert monotone_violations(d) == []
    assert sc.artifact_.model_card["estimator"]["params"]["directions"] == {"good": 1, "bad": -1}


def test_a_declared_rare_flag_keeps_its_split() -> None:
    # the WoE method's bins need 5 % of the rows; the flag's 1s are 2 %
    X, y = _problem(6000, 2)
    free = Scorecard(method="woe", min_iv=0).fit(X, y)
    assert free.bins_["flag"].n_bins == 1  # one bin for 0 and 1 alike
    sc = Scorecard(method="woe", min_iv=0, directions={"flag": -1}).fit(X, y)
    pts = _points(sc, "flag")
    assert len(pts) == 2
    assert pts[0] > pts[1]  # a flag of 1 costs points
    assert sc.artifact_.characteristic("flag").edges == (1.0,)


@pytest.mark.parametrize("method", ["woe", "fused"])
def test_a_declared_characteristic_that_cannot_tell_its_values_apart_leaves_the_card(
    method: str,
) -> None:
    # "good" and "flag" are declared against the data: no bins can follow that
    X, y = _problem(4000, 3)
    sc = Scorecard(method=method, directions={"good": -1, "bad": -1, "flag": 1}, min_iv=0).fit(X, y)
    notes = {r["name"]: r["note"] for r in sc.artifact_.model_card["iv_table"]}
    assert "good" not in sc.selected_
    assert notes["good"].startswith("dropped:")
    assert "flag" not in sc.selected_
    assert notes["flag"] == (
        "dropped: its values do not move the event rate in its declared direction"
    )
    assert "bad" in sc.selected_


def test_edited_bins_keep_a_direction_under_either_method() -> None:
    X, y = _problem(4000, 4)
    d = Scorecard(method="woe").fit(X, y).artifact_.to_dict()
    for c in d["characteristics"]:
        if c["name"] == "bad":  # an expert's edges, with the upper ones reversed in risk
            c["edited"] = True
            c["bins"] = [
                {"upper": 0.3, "points": 0},
                {"upper": 0.6, "points": 0},
                {"upper": None, "points": 0},
            ]
    rng = np.random.default_rng(5)
    flip = X["bad"] > 0.6
    X.loc[flip, "bad"] = rng.uniform(0.3, 0.6, size=int(flip.sum()))  # the worst land in 0.3-0.6
    X.loc[rng.random(len(X)) < 0.3, "bad"] = rng.uniform(0.6, 1.0, size=1)[0]
    for method in ("woe", "fused"):
        sc = Scorecard(method=method, fixed_bins=d, directions={"bad": -1}).fit(X, y)
        pts = _points(sc, "bad")
        assert len(pts) == 3  # edited bins stay as the expert drew them
        assert (np.diff(pts) <= 0).all(), (method, pts)


def test_repair_points_is_the_weighted_isotonic_fit_and_leaves_other_outcomes() -> None:
    p = np.array([10, 30, 20, 40, 5, 7])
    out = repair_points(p, np.array([1.0, 3, 1, 1, 9, 9]), 1, n_bins=4)
    assert out.tolist() == [10, 28, 28, 40, 5, 7]  # (3 x 30 + 20) / 4 = 27.5
    out = repair_points(p, np.ones(6), -1, n_bins=4)
    assert (np.diff(out[:4]) <= 0).all()
    assert out[4:].tolist() == [5, 7]
    ordered = np.array([1, 2, 3, 0])
    assert repair_points(ordered, np.ones(4), 1, n_bins=3) is not None
    assert repair_points(ordered, np.ones(4), 1, n_bins=3).tolist() == [1, 2, 3, 0]


@pytest.mark.parametrize(("rows", "cols"), [(2, 2), (2, 3), (3, 2), (3, 3)])
@pytest.mark.parametrize(("da", "db"), [(1, 1), (1, -1), (-1, 1), (-1, -1), (1, 0), (0, -1)])
def test_cell_basis_spans_exactly_the_grids_monotone_along_each_declared_axis(
    rows: int, cols: int, da: int, db: int
) -> None:
    basis, n_free = cell_basis(rows, cols, da, db)
    B = np.asarray(basis)
    rng = np.random.default_rng(rows * 10 + cols)

    def monotone(g: np.ndarray) -> bool:
        # log-odds of the event: +1 (more is better) may only fall along the axis
        ok_a = da == 0 or (-da * np.diff(g, axis=0) >= -1e-9).all()
        ok_b = db == 0 or (-db * np.diff(g, axis=1) >= -1e-9).all()
        return bool(ok_a and ok_b)

    # every combination with non-negative bounded weights is monotone ...
    for _ in range(50):
        w = rng.exponential(size=B.shape[1])
        w[:n_free] = rng.normal(size=n_free)
        assert monotone((B @ w).reshape(rows, cols))
    # ... and every monotone grid is one: integer grids sorted along the declared axes
    for _ in range(50):
        g = rng.integers(-3, 4, size=(rows, cols)).astype(float)
        if da:
            g = np.sort(g, axis=0)[::-1] if da > 0 else np.sort(g, axis=0)
        if db:
            g = np.sort(g, axis=1)[:, ::-1] if db > 0 else np.sort(g, axis=1)
        if not monotone(g):
            continue
        # the free weights take either sign: split them, then non-negative least squares
        A = np.hstack((B[:, :n_free], -B[:, :n_free], B[:, n_free:]))
        _, resid = nnls(A, g.ravel())
        assert resid < 1e-8, g


def test_cell_basis_of_a_grid_without_directions_is_one_free_level_per_cell() -> None:
    assert cell_basis(3, 3, 0, 0) == ((), 0)
    basis, n_free = cell_basis(3, 3, 1, 1)
    # a constant and every proper up-set of the 3 x 3 grid (20 up-sets, less empty and full)
    assert (n_free, len(basis[0])) == (1, 19)


def test_the_fused_fit_holds_monotone_cells() -> None:
    # the truth's cells rise along rows but the data pulls one cell down; rows declared -1
    rng = np.random.default_rng(6)
    n = 30_000
    codes = np.empty((n, 1), dtype=np.int32)
    codes[:, 0] = rng.integers(0, 5, size=n)  # 4 cells (2 x 2) + off-grid
    truth = np.array([0.0, 0.5, 0.8, 0.2, 0.0])  # cell (1, 1) below (0, 1): against rows' -1
    y = (rng.random(n) < 1 / (1 + np.exp(-(truth[codes[:, 0]] - 1.0)))).astype(np.float64)
    basis, n_free = cell_basis(2, 2, -1, 0)
    lay = FusedLayout(5, 0, cells=True, basis=basis, n_free=n_free)
    _, (t,) = fit_fused(codes, [lay], y, lam=1.0)
    grid = t[:4].reshape(2, 2)
    assert (np.diff(grid, axis=0) >= -1e-9).all(), grid
    assert t[4] == 0.0
    free, _ = cell_basis(2, 2, 0, 0), None
    _, (u,) = fit_fused(codes, [FusedLayout(5, 0, cells=True)], y, lam=1.0)
    assert u[3] < u[1]  # unconstrained, the data's dip shows
    assert free == ((), 0)


def test_monotone_violations_reads_bins_and_pairs() -> None:
    d: dict[str, Any] = {
        "characteristics": [
            {
                "name": "a",
                "type": "numeric",
                "direction": 1,
                "bins": [{"upper": 1.0, "points": 5}, {"upper": None, "points": 9}],
            },
            {
                "name": "b",
                "type": "numeric",
                "direction": -1,
                "bins": [{"upper": 2.0, "points": 5}, {"upper": None, "points": 7}],
            },
        ],
        "interactions": [
            {
                "name": "a x b",
                "inputs": ["a", "b"],
                "axes": [{"edges": [0.5]}, {"edges": [3.0]}],
                "cells": [{"points": p} for p in (0, 0, -3, 1)],
            }
        ],
    }
    found = monotone_violations(d)
    assert any(s.startswith("b: points [5, 7]") for s in found)
    # along a: base 5, 5, 9 on [-inf, .5), [.5, 1), [1, inf); cells -3 from 0.5 in column 0
    assert any(s.startswith("a x b: points along a") for s in found)
    d["characteristics"][1]["bins"][1]["points"] = 5
    d["interactions"][0]["cells"] = [{"points": p} for p in (0, 0, 2, 1)]
    assert monotone_violations(d) == []
