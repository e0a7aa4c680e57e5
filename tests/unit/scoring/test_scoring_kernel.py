"""The fused kernel itself: blocks, every loop it picks, reason keys of every width, interactions,
buffers."""

from __future__ import annotations

import dataclasses
import gc
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from scoring_strategies import artifact_of
from trustscore.scoring import ScorecardArtifact, score
from trustscore.scoring._compiled import compile_artifact
from trustscore.scoring._kernel import (
    BLOCK,
    kernel_outputs,
    reason_dtype,
    string_buffers,
    text_outputs,
)
from trustscore.scoring._reference import reference_points
from trustscore.scoring._reference_table import reference_columns, reference_table
from trustscore.scoring._score import _assemble, _kernel_batch

N_ROWS = 2 * BLOCK + 77  # two whole blocks and a part


def _numeric(j: int, dim: str, edges: list[float], **extra: Any) -> dict[str, Any]:
    points = [(5 * (j + b)) % 35 for b in range(len(edges) + 1)]
    bins: list[dict[str, Any]] = [
        {"upper": e, "points": p} for e, p in zip(edges, points, strict=False)
    ]
    bins.append({"upper": None, "points": points[-1]})
    return {
        "name": f"x{j}",
        "dimension": dim,
        "type": "numeric",
        "reason_code": f"R{j:02d}",
        "reason": f"reason {j}",
        "bins": bins,
        "missing": {"points": 15},
        **extra,
    }


def _artifact(
    chars: list[dict[str, Any]],
    criteria: list[dict[str, Any]],
    pairs: list[dict[str, Any]] | None = None,
) -> ScorecardArtifact:
    return artifact_of(chars, criteria, pairs, model_version="kernel-test")


def _pair(
    k: int, a: str, b: str, axes: list[dict[str, Any]], cells: list[int], otherwise: int = 0
) -> dict[str, Any]:
    return {
        "name": f"{a} x {b}",
        "inputs": [a, b],
        "dimension": "abc"[k % 3],
        "reason_code": f"P{k:02d}",
        "reason": f"pair {k}",
        "axes": axes,
        "cells": [{"points": p} for p in cells],
        "otherwise": {"points": otherwise},
    }


def _mixed_characteristics() -> list[dict[str, Any]]:
    return [
        _numeric(0, "a", [0.5]),
        _numeric(1, "a", [-1.0, 0.0, 1.0]),
        _numeric(2, "b", [0.1, 0.2, 0.3, 0.4]),
        _numeric(3, "b", [0.1, 0.2, 0.3, 0.4, 0.6, 0.9]),
        _numeric(4, "c", [k / 9 for k in range(1, 9)]),
        _numeric(5, "c", [k / 14 for k in range(1, 14)]),
        _numeric(6, "a", [0.25, 0.75], special=[{"values": [-1.0, 0.5], "points": 33}]),
        # 0.1 is no float32 number: a float32 column never holds it
        _numeric(7, "b", [], special=[{"values": [2.0, 0.1], "points": 1}]),
        {
            "name": "x8",
            "dimension": "c",
            "type": "categorical",
            "reason_code": "R08",
            "reason": "reason 8",
            "bins": [{"categories": ["a"], "points": 30}, {"categories": ["b"], "points": 0}],
            "missing": {"points": 10},
            "other": {"points": 5},
        },
    ]


_CRITERIA = [
    {"column": "x2", "op": ">", "value": 0.0},
    {"column": "months", "op": ">=", "value": 6.0},
]


@pytest.fixture(scope="module")
def mixed() -> ScorecardArtifact:
    """Every loop of the kernel: 1, 3, 4, 6, 8 and 13 edges, specials, a categorical."""
    return _artifact(_mixed_characteristics(), _CRITERIA)


@pytest.fixture(scope="module")
def pairs() -> ScorecardArtifact:
    """``mixed`` with four interactions: every kind of axis and both loops of a numeric one.

    float32 x float64 inputs (an axis edge that is no bin edge, an axis of six edges); an input
    with specials against a categorical one; an axis of no edges over an input that has only
    specials; a categorical first axis; otherwise points above, inside and below the cells'.
    """
    return _artifact(
        _mixed_characteristics(),
        _CRITERIA,
        [
            _pair(
                0,
                "x1",
                "x2",
                [{"edges": [0.0, 0.5]}, {"edges": [0.1, 0.2, 0.3, 0.35, 0.4, 0.45]}],
                [(7 * i + 3 * j) % 26 for i in range(3) for j in range(7)],
                otherwise=9,
            ),
            _pair(
                1, "x6", "x8", [{"edges": [0.75]}, {"groups": [["b"], ["a"]]}], [5, 15, 0, 25], 8
            ),
            _pair(2, "x7", "x0", [{"edges": []}, {"edges": [0.5]}], [4, 8], 0),
            _pair(3, "x8", "x3", [{"groups": [["a", "b"]]}, {"edges": [0.3]}], [0, 7], 0),
        ],
    )


def _values(rng: np.random.Generator, n: int, edges: list[float]) -> np.ndarray:
    x = rng.uniform(-0.2, 1.2, n)
    special = np.array([np.nan, np.inf, -np.inf, -0.0, -1.0, 2.0, 0.5, 0.1, *edges])
    pick = rng.random(n) < 0.3
    x[pick] = rng.choice(special, int(pick.sum()))
    return x


def _table(art: ScorecardArtifact, n: int, seed: int = 0) -> pa.Table:
    """float32 and float64 columns with NaN, NULL, +-inf and values on the edges."""
    rng = np.random.default_rng(seed)
    cols: dict[str, pa.Array] = {}
    axis_edges = {
        name: list(ax.edges)
        for p in art.interactions
        for name, ax in zip(p.inputs, p.axes, strict=True)
    }
    for j, c in enumerate(art.characteristics):
        null = rng.random(n) < 0.05
        if c.type == "categorical":
            levels = np.array(["a", "b", "zz", None], dtype=object)
            cols[c.name] = pa.array(rng.choice(levels, n), type=pa.string())
            continue
        x = _values(rng, n, [*c.edges, *axis_edges.get(c.name, [])])
        typ = pa.float32() if j % 2 else pa.float64()
        with np.errstate(over="ignore"):
            cols[c.name] = pa.array(x.astype(typ.to_pandas_dtype()), type=typ, mask=null)
    months = rng.choice([0.0, 5.0, 6.0, 24.0, np.nan], n)
    cols["months"] = pa.array(months, mask=rng.random(n) < 0.05)
    return pa.table(cols)


def test_many_blocks_equal_the_reference(mixed: ScorecardArtifact) -> None:
    data = _table(mixed, N_ROWS)
    got = score(mixed, data)
    assert got.equals(reference_table(mixed, data))
    assert 0 < got["score"].null_count < N_ROWS  # some rows are NS, most are scored
    assert got["reason_4"].null_count < N_ROWS


def test_slices_read_their_validity_from_an_offset(mixed: ScorecardArtifact) -> None:
    data = _table(mixed, N_ROWS, seed=1)
    for start in (3, 13, BLOCK - 5):  # bit offsets that are not whole bytes
        part = data.slice(start, BLOCK + 11)
        assert score(mixed, part).equals(reference_table(mixed, part))


def test_reason_keys_of_every_width_agree(mixed: ScorecardArtifact) -> None:
    data = _table(mixed, N_ROWS, seed=2)
    c = compile_artifact(mixed)
    assert c.key_type is np.int16
    want = _assemble(c, *_kernel_batch(c, data, reasons=True), reasons=True)
    for key_type in (np.int32, np.int64):
        wide = dataclasses.replace(c, key_type=key_type)
        got = _assemble(wide, *_kernel_batch(wide, data, reasons=True), reasons=True)
        assert all(g.equals(w) for g, w in zip(got, want, strict=True))


@pytest.mark.parametrize("reasons", [True, False])
def test_a_table_of_many_record_batches_is_scored_into_one_set_of_outputs(
    pairs: ScorecardArtifact, reasons: bool
) -> None:
    # as a table read from Parquet arrives: record batches whose starts are neither block nor
    # byte boundaries, each scored into its rows of the one output (and its string columns)
    data = _table(pairs, N_ROWS, seed=4)
    chunked = pa.Table.from_batches(data.to_batches(max_chunksize=BLOCK // 3 + 5))
    assert chunked.column(0).num_chunks > 6
    got = score(pairs, chunked, reasons=reasons)
    got.validate(full=True)
    want = reference_table(pairs, data)
    assert got.equals(want.select(got.column_names))


@pytest.mark.parametrize("code", ["R{j:02d}", "LONGER-CODE-{j:02d}"])
def test_string_columns_written_by_the_kernel_equal_those_built_after_it(code: str) -> None:
    # reason codes shorter than a word are written by the kernel, block by block; longer ones
    # are built afterwards from the kernel's reason slots: the columns are the same either way
    chars = [
        {**_numeric(j, "ab"[j % 2], [0.25, 0.5, 0.75]), "reason_code": code.format(j=j)}
        for j in range(5)
    ]
    art = _artifact(chars, _CRITERIA)
    data = _table(art, N_ROWS, seed=5)
    c = compile_artifact(art)
    outputs = kernel_outputs(N_ROWS, c.n_dimensions, c.n_slots, reasons=True)
    texts = text_outputs(N_ROWS, tuple(r.encode() for r in art.reason_codes))
    assert texts.has_reasons == (code == "R{j:02d}")
    _kernel_batch(c, data, reasons=True, outputs=outputs, texts=texts)
    written = _assemble(c, *outputs, reasons=True, texts=texts)
    built = _assemble(c, *outputs, reasons=True)
    for w, b in zip(written, built, strict=True):
        w.validate(full=True)
        assert w.equals(b)
    assert pa.Table.from_arrays(written, names=score(art, data).column_names).equals(
        reference_table(art, data)
    )


def test_score_only_equals_the_score_with_reasons(mixed: ScorecardArtifact) -> None:
    data = _table(mixed, N_ROWS, seed=3)
    full = score(mixed, data)
    lean = score(mixed, data, reasons=False)
    assert lean.equals(full.select(lean.column_names))


def test_ties_go_in_artifact_order() -> None:
    # every characteristic loses 10 points on the same row: the first four are the reasons
    chars = [_numeric(j, "a", [0.5]) for j in range(6)]
    for c in chars:
        c["bins"] = [{"upper": 0.5, "points": 0}, {"upper": None, "points": 10}]
        c["missing"] = {"points": 10}
    art = _artifact(chars, [])
    data = pa.table({f"x{j}": [0.1, 0.9] for j in range(6)})
    out = score(art, data)
    assert [out[f"reason_{r}"].to_pylist() for r in range(1, 5)] == [
        ["R00", None],
        ["R01", None],
        ["R02", None],
        ["R03", None],
    ]


@pytest.mark.parametrize("k", [33, 130])
def test_many_characteristics(k: int) -> None:
    # one characteristic that can lose 600 points: int32 keys past 16 characteristics (32
    # reason slots; and int16 reason slots past 127)
    chars = [_numeric(j, f"d{j % 3}", [0.3, 0.6]) for j in range(k)]
    for j, c in enumerate(chars):
        c["reason_code"] = f"R{j:03d}"
        c["bins"] = [{"upper": 0.3, "points": j % 2}, {"upper": 0.6, "points": 1 + j % 3}]
        c["bins"].append({"upper": None, "points": 3 - j % 4})
        c["missing"] = {"points": 1}
    chars[0]["bins"][2]["points"] = 600
    art = _artifact(chars, [])
    assert compile_artifact(art).key_type is np.int32
    assert reason_dtype(2 * k) is (np.int8 if 2 * k <= 127 else np.int16)
    data = _table(art, BLOCK + 300, seed=k)
    assert score(art, data).equals(reference_table(art, data))


def test_compiled_once_per_artifact_object(mixed: ScorecardArtifact) -> None:
    again = ScorecardArtifact.from_json(mixed.to_json())
    assert compile_artifact(again) is compile_artifact(mixed)
    before = compile_artifact(again)
    del again
    gc.collect()
    assert compile_artifact(ScorecardArtifact.from_json(mixed.to_json())) is before


def test_the_largest_losses_a_valid_artifact_allows_fit_int16_keys() -> None:
    # 16 characteristics, 32 reason slots (span 32): x0 can lose 985 points (key 985 * 32 + 31,
    # near int16's top) and x1's missing value earns 15 above its best bin (a negative loss);
    # the attainable scores reach 1000
    chars = [_numeric(j, "a", [0.5]) for j in range(16)]
    for c in chars:
        c["bins"] = [{"upper": 0.5, "points": 0}, {"upper": None, "points": 0}]
        c["missing"] = {"points": 0}
    chars[0]["bins"][1]["points"] = 985
    chars[1]["missing"] = {"points": 15}
    art = _artifact(chars, [])
    c = compile_artifact(art)
    assert art.score_range == (0, 1000)
    assert (c.span, c.key_type) == (32, np.int16)
    data = _table(art, BLOCK + 5, seed=4)
    got = score(art, data)
    assert got.equals(reference_table(art, data))
    assert set(got["reason_1"].to_pylist()) == {"R00", "R00N", None}


def test_pairs_equal_the_reference_over_many_blocks(pairs: ScorecardArtifact) -> None:
    data = _table(pairs, N_ROWS, seed=5)
    got = score(pairs, data)
    assert got.equals(reference_table(pairs, data))
    # every pair gives each of its points somewhere: the cells, otherwise, and losses as reasons
    points = reference_points(pairs, reference_columns(pairs, data)).points
    k = len(pairs.characteristics)
    for q, p in enumerate(pairs.interactions):
        assert set(points[:, k + q]) == {o.points for o in p.outcomes}
    codes = {c for r in range(1, 5) for c in got[f"reason_{r}"].to_pylist()}
    # P02 and P03 lose at most 4 and 7 points in a cell (their otherwise is never a reason):
    # never among the top four. Missing values give the no-information codes where they earn
    # less than the best bin (x6, x8), none where they earn more (x0, x7; x7's special value
    # and its one bin never lose either)
    assert {"P00", "P01", "R06N", "R08N"} <= codes
    assert codes.isdisjoint({"P02", "R00N", "R07", "R07N"})


def test_pairs_in_slices_read_their_validity_from_an_offset(pairs: ScorecardArtifact) -> None:
    data = _table(pairs, N_ROWS, seed=6)
    for start in (3, 13, BLOCK - 5):
        part = data.slice(start, BLOCK + 11)
        assert score(pairs, part).equals(reference_table(pairs, part))
        lean = score(pairs, part, reasons=False)
        assert lean.equals(reference_table(pairs, part, reasons=False))


def test_pairs_with_reason_keys_of_every_width(pairs: ScorecardArtifact) -> None:
    data = _table(pairs, N_ROWS, seed=7)
    c = compile_artifact(pairs)
    assert (c.n_characteristics, c.n_interactions, c.n_elements) == (9, 4, 13)
    assert c.key_type is np.int16
    want = reference_table(pairs, data)
    for key_type in (np.int16, np.int32, np.int64):
        wide = dataclasses.replace(c, key_type=key_type)
        got = _assemble(wide, *_kernel_batch(wide, data, reasons=True), reasons=True)
        assert pa.Table.from_arrays(got, names=want.column_names).equals(want)


def test_pairs_rank_after_characteristics_on_ties() -> None:
    # row 0: x0, x2, x3 lose 10 each (x1, missing, earns its baseline), and the pair gets
    # otherwise (x1 missing), which is never a reason, though it earns 10 below the best cell.
    # Row 1: the pair loses 15, more than any: it comes first, ties put the characteristics
    # first. Row 2: nothing lost, no reasons
    chars = [_numeric(j, "a", [0.5]) for j in range(4)]
    for c in chars:
        c["bins"] = [{"upper": 0.5, "points": 0}, {"upper": None, "points": 10}]
        c["missing"] = {"points": 10}
    pair = _pair(0, "x0", "x1", [{"edges": [0.5]}, {"edges": [0.5]}], [0, 15, 15, 15], 5)
    art = _artifact(chars, [], [pair])
    data = pa.table({f"x{j}": [0.1, 0.1, 0.9] for j in range(4)})
    data = data.set_column(1, "x1", pa.array([None, 0.1, 0.9]))
    out = score(art, data)
    assert out.equals(reference_table(art, data))
    assert out["score"].to_pylist() == [15, 0, 55]
    assert [out[f"reason_{r}"].to_pylist() for r in range(1, 5)] == [
        ["R00", "P00", None],
        ["R02", "R00", None],
        ["R03", "R01", None],
        [None, "R02", None],
    ]


def _reasons(out: pa.Table) -> list[list[str]]:
    """Each row's reason codes, first to last."""
    cols = [out[f"reason_{r}"].to_pylist() for r in range(1, 5)]
    return [[code for code in row if code is not None] for row in zip(*cols, strict=True)]


_FLOATS = pytest.mark.parametrize("typ", [pa.float32(), pa.float64()])


@_FLOATS
def test_missing_that_earns_more_than_the_best_bin_gives_no_reason(typ: pa.DataType) -> None:
    # the baseline is the best bin (20), not missing (40): a row at the best bin loses nothing,
    # a missing row (NaN or null) a negative amount, no reason either; a worse bin the adverse
    # code. x1's thirteen edges take the kernel's other loops
    a = _numeric(0, "a", [0.5])
    a["bins"] = [{"upper": 0.5, "points": 5}, {"upper": None, "points": 20}]
    a["missing"] = {"points": 40}
    b = _numeric(1, "a", [k / 14 for k in range(1, 14)])
    for q, bin_ in enumerate(b["bins"]):
        bin_["points"] = 20 if q == 13 else 5
    b["missing"] = {"points": 40}
    art = _artifact([a, b], [])
    x = pa.array([0.95, None, np.nan, 0.1], type=typ)
    data = pa.table({"x0": x, "x1": x})
    out = score(art, data)
    assert out.equals(reference_table(art, data))
    assert out["score"].to_pylist() == [40, 80, 80, 10]
    assert _reasons(out) == [[], [], [], ["R00", "R01"]]


@_FLOATS
def test_missing_that_earns_less_gives_the_no_information_code(typ: pa.DataType) -> None:
    # x0 missing loses 10 (R00N), as much as x1 in its worse bin (R01): ties in artifact order;
    # x1 missing loses 30 (R01N), more than x0's worse bin (R00, 15)
    a = _numeric(0, "a", [0.5])
    a["bins"] = [{"upper": 0.5, "points": 5}, {"upper": None, "points": 20}]
    a["missing"] = {"points": 10}
    b = _numeric(1, "a", [0.5])
    b["bins"] = [{"upper": 0.5, "points": 20}, {"upper": None, "points": 30}]
    b["missing"] = {"points": 0}
    art = _artifact([a, b], [])
    data = pa.table(
        {
            "x0": pa.array([None, np.nan, 0.1, 0.9], type=typ),
            "x1": pa.array([0.1, 0.2, None, 0.9], type=typ),
        }
    )
    out = score(art, data)
    assert out.equals(reference_table(art, data))
    assert _reasons(out) == [["R00N", "R01"], ["R00N", "R01"], ["R01N", "R00"], []]


@_FLOATS
def test_a_special_value_gives_the_no_information_code(typ: pa.DataType) -> None:
    # x0: -1 earns 2 of the baseline's 20: R00N, not R00; 7 earns more than the baseline: no
    # reason; a null whose data slot holds -1 is missing (loses 5: R00N). x1 (baseline 39) has
    # more edges than one loop takes: -1 loses 19 (R01N), missing 39 (R01N)
    a = _numeric(0, "a", [0.5])
    a["bins"] = [{"upper": 0.5, "points": 5}, {"upper": None, "points": 20}]
    a["missing"] = {"points": 15}
    a["special"] = [{"values": [-1.0], "points": 2}, {"values": [7.0], "points": 30}]
    b = _numeric(1, "a", [k / 14 for k in range(1, 14)])
    for q, bin_ in enumerate(b["bins"]):
        bin_["points"] = 3 * q
    b["missing"] = {"points": 0}
    b["special"] = [{"values": [-1.0], "points": 20}]
    art = _artifact([a, b], [])
    x = np.array([-1.0, 7.0, -1.0, 0.1, 0.9], dtype=typ.to_pandas_dtype())
    col = pa.array(x, type=typ, mask=np.array([False, False, True, False, False]))
    data = pa.table({"x0": col, "x1": col})
    out = score(art, data)
    assert out.equals(reference_table(art, data))
    assert out["score"].to_pylist() == [22, 69, 15, 8, 56]
    assert _reasons(out) == [["R01N", "R00N"], [], ["R01N", "R00N"], ["R01", "R00"], ["R01"]]


def test_category_reasons_follow_the_outcome_not_the_points() -> None:
    # "b" earns as many points as missing (10): the adverse code for "b", the no-information
    # one for null and NaN (a float level); an unseen level is adverse (other)
    c = {
        "name": "x0",
        "dimension": "a",
        "type": "categorical",
        "reason_code": "R00",
        "reason": "reason 0",
        "bins": [{"categories": ["a"], "points": 30}, {"categories": ["b"], "points": 10}],
        "missing": {"points": 10},
        "other": {"points": 5},
    }
    art = _artifact([c], [])
    texts = pa.array(["a", "b", None, "zz", "b"])
    for col in (texts, texts.dictionary_encode()):
        data = pa.table({"x0": col})
        out = score(art, data)
        assert out.equals(reference_table(art, data))
        assert _reasons(out) == [[], ["R00"], ["R00N"], ["R00"], ["R00"]]
    c["bins"] = [{"categories": ["1"], "points": 30}, {"categories": ["2"], "points": 10}]
    art = _artifact([c], [])
    data = pa.table({"x0": pa.array([1.0, 2.0, np.nan, None, 3.0])})
    out = score(art, data)
    assert out.equals(reference_table(art, data))
    assert _reasons(out) == [[], ["R00"], ["R00N"], ["R00N"], ["R00"]]


def test_otherwise_of_a_pair_is_never_a_reason() -> None:
    # the pair's best cell earns 50 and otherwise 0: a row off either axis (missing, special)
    # loses 50 against the baseline but gets no reason from the pair; a worse cell does
    chars = [_numeric(j, "a", [0.5]) for j in range(2)]
    for c in chars:
        c["bins"] = [{"upper": 0.5, "points": 0}, {"upper": None, "points": 10}]
        c["missing"] = {"points": 10}
    chars[0]["special"] = [{"values": [-1.0], "points": 10}]
    pair = _pair(0, "x0", "x1", [{"edges": [0.5]}, {"edges": [0.5]}], [0, 20, 20, 50], 0)
    art = _artifact(chars, [], [pair])
    data = pa.table(
        {"x0": pa.array([None, -1.0, 0.9, 0.9, 0.1]), "x1": pa.array([0.9, 0.9, None, 0.9, 0.1])}
    )
    out = score(art, data)
    assert out.equals(reference_table(art, data))
    assert out["score"].to_pylist() == [20, 20, 20, 70, 0]
    assert _reasons(out) == [[], [], [], [], ["P00", "R00", "R01"]]


def test_negative_losses_of_many_elements_need_wide_keys() -> None:
    # 130 characteristics (260 reason slots: span 512, int16 reason slots); the bins' losses
    # are small (keys up to 2047 would fit int16) but x0's missing value earns 590 points above
    # its best bin (3): its key, -597 * 512 + 510 (slot 1), needs int32, and is never a reason
    k = 130
    chars = [_numeric(j, f"d{j % 3}", [0.3, 0.6]) for j in range(k)]
    for j, c in enumerate(chars):
        c["reason_code"] = f"R{j:03d}"
        c["bins"] = [{"upper": 0.3, "points": j % 2}, {"upper": 0.6, "points": 1 + j % 3}]
        c["bins"].append({"upper": None, "points": 3 - j % 4})
        c["missing"] = {"points": j % 2}
    chars[0]["missing"] = {"points": 600}
    art = _artifact(chars, [])
    c = compile_artifact(art)
    assert c.key_type is np.int32
    assert c.span == 512
    assert int(c.missing_key[0]) == -597 * 512 + 510 < np.iinfo(np.int16).min
    assert reason_dtype(c.n_slots) is np.int16
    data = _table(art, BLOCK + 300, seed=11)
    got = score(art, data)
    assert got.equals(reference_table(art, data))
    codes = {code for r in range(1, 5) for code in got[f"reason_{r}"].to_pylist()}
    assert "R000N" not in codes
    assert "R002N" in codes  # x2's missing value loses all its 3 points


@pytest.mark.parametrize(("k", "m"), [(30, 3), (126, 3)])
def test_pairs_push_the_keys_and_reasons_wider(k: int, m: int) -> None:
    # 63 and 255 reason slots: int32 keys, and past 127 int16 reason slots, the last ones pairs
    chars = [_numeric(j, f"d{j % 3}", [0.3, 0.6]) for j in range(k)]
    for j, c in enumerate(chars):
        c["reason_code"] = f"R{j:03d}"
        c["dimension"] = "abc"[j % 3]
        c["bins"] = [{"upper": 0.3, "points": j % 2}, {"upper": 0.6, "points": 1 + j % 3}]
        c["bins"].append({"upper": None, "points": 3 - j % 4})
        c["missing"] = {"points": 1}
    pairs = [
        _pair(q, f"x{q}", f"x{k - 1 - q}", [{"edges": [0.3]}, {"edges": [0.6]}], [0, 5, 10, 20])
        for q in range(m)
    ]
    pairs[0]["cells"][3]["points"] = 600  # a pair that can lose 600 points: int32 keys
    art = _artifact(chars, [], pairs)
    assert compile_artifact(art).key_type is np.int32
    assert reason_dtype(2 * k + m) is (np.int8 if 2 * k + m <= 127 else np.int16)
    data = _table(art, BLOCK + 300, seed=k)
    got = score(art, data)
    assert got.equals(reference_table(art, data))
    assert "P02" in got["reason_1"].to_pylist()


def test_categorical_axes_read_numbers_and_dictionaries_as_the_reference() -> None:
    # levels given as floats (2.0 is the level "2", NaN is missing), as integers and as a
    # dictionary column; each axis takes its input's codes through its own table
    level = {
        "dimension": "a",
        "type": "categorical",
        "bins": [{"categories": ["1", "2"], "points": 10}, {"categories": ["3"], "points": 0}],
        "missing": {"points": 5},
        "other": {"points": 2},
    }
    chars = [
        {**level, "name": "u", "reason_code": "RU", "reason": "u"},
        {**level, "name": "v", "reason_code": "RV", "reason": "v"},
        _numeric(2, "b", [0.5]),
    ]
    pairs = [
        _pair(
            0,
            "u",
            "v",
            [{"groups": [["3"], ["2", "1"]]}, {"groups": [["1"], ["3", "2"]]}],
            [0, 30, 20, 10],
            5,
        ),
        _pair(1, "x2", "u", [{"edges": [0.5]}, {"groups": [["1", "2", "3"]]}], [3, 0], 1),
    ]
    art = _artifact(chars, [], pairs)
    u = [1.0, 2.0, 3.0, np.nan, None, 4.0, 2.0, 1.0]
    v = ["1", "2", None, "3", "3", "1", "9", "2"]
    for v_col in (pa.array(v), pa.array(v).dictionary_encode()):
        data = pa.table({"u": pa.array(u), "v": v_col, "x2": [0.7, 0.1] * 4})
        assert score(art, data).equals(reference_table(art, data))
        ints = data.set_column(0, "u", pa.array([1, 2, 3, None, None, 4, 2, 1]))
        assert score(art, ints).equals(reference_table(art, ints))


def test_edges_just_past_the_largest_float32() -> None:
    # an edge between float32's largest number and the next float64 that rounds to inf: for
    # float32 columns it rounds up to inf (only inf reaches it), without an overflow warning
    big = float(np.finfo(np.float32).max) * (1 + 2**-30)
    a = _numeric(0, "a", [-big, 0.0, big])
    b = _numeric(1, "b", [1.0])
    pair = _pair(0, "x0", "x1", [{"edges": [-big, big]}, {"edges": []}], [0, 10, 20], 0)
    art = _artifact([a, b], [], [pair])
    top = float(np.finfo(np.float32).max)
    x0 = [-np.inf, -top, 0.0, top, np.inf, None]
    for typ in (pa.float32(), pa.float64()):
        data = pa.table({"x0": pa.array(x0, type=typ), "x1": pa.array([0.5] * 6, type=typ)})
        assert score(art, data).equals(reference_table(art, data))
    assert score(art, data)["score"].to_pylist()[3:5] == [
        a["bins"][2]["points"] + b["bins"][0]["points"] + 10,
        a["bins"][3]["points"] + b["bins"][0]["points"] + 20,
    ]


def test_artifacts_without_pairs_compile_no_pair_arrays(mixed: ScorecardArtifact) -> None:
    c = compile_artifact(mixed)
    assert c.n_interactions == 0
    assert c.n_elements == c.n_characteristics == 9
    assert c.pair_inputs.shape == (0, 2)
    assert c.axis_groups == ()
    assert c.axis_edge_off.tolist() == [0]


def test_string_buffers_of_texts_of_any_length() -> None:
    texts = (b"A", b"", b"longer text", "ß".encode())
    idx = np.array([2, -1, 0, 1, 3, -1, 2, 0, 3, 3, -1], dtype=np.int8)
    valid, offsets, data, nulls = string_buffers(idx, texts)
    buffers = [None if valid is None else pa.py_buffer(valid), pa.py_buffer(offsets)]
    got = pa.Array.from_buffers(
        pa.string(), len(idx), [*buffers, pa.py_buffer(data)], null_count=nulls
    )
    want = [None if i < 0 else texts[i].decode() for i in idx]
    assert got.to_pylist() == want
    assert nulls == 3
    got.validate(full=True)


@pytest.mark.parametrize("longest", [b"LONGST7", b"LONGEST8"])
@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 1000])
def test_string_buffers_of_short_texts_of_different_lengths(n: int, longest: bytes) -> None:
    # reason codes: adverse and no-information codes of one and two more bytes, up to seven
    # (a word a row, its length in the word's top byte) or eight (the general loop)
    texts = (b"PR01", b"PR01N", b"X", b"", longest, b"CH01N")
    idx = (np.arange(n) * 5 % 7 - 1).astype(np.int8)  # -1 (null) every seventh row
    valid, offsets, data, nulls = string_buffers(idx, texts)
    assert nulls == int((idx < 0).sum())
    assert (valid is None) == (nulls == 0)
    buffers = [None if valid is None else pa.py_buffer(valid), pa.py_buffer(offsets)]
    got = pa.Array.from_buffers(pa.string(), n, [*buffers, pa.py_buffer(data)], null_count=nulls)
    got.validate(full=True)
    want = [None if i < 0 else texts[i].decode() for i in idx]
    assert got.to_pylist() == want
    assert got.equals(pa.array(want, type=pa.string()))
    assert len(data) == sum(len(texts[i]) for i in idx if i >= 0)


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 1000])
def test_string_buffers_of_fixed_width_texts(n: int) -> None:
    texts = (b"OK", b"NS", b"XY", b"AB")
    idx = (np.arange(n) % 5 - 1).astype(np.int16)  # -1 (null) every fifth row
    valid, offsets, data, nulls = string_buffers(idx, texts)
    assert nulls == int((idx < 0).sum())
    assert (valid is None) == (nulls == 0)
    buffers = [None if valid is None else pa.py_buffer(valid), pa.py_buffer(offsets)]
    got = pa.Array.from_buffers(pa.string(), n, [*buffers, pa.py_buffer(data)], null_count=nulls)
    got.validate(full=True)
    want = [None if i < 0 else texts[i].decode() for i in idx]
    assert got.to_pylist() == want
    assert got.equals(pa.array(want, type=pa.string()))
