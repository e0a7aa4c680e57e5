"""The fused kernel itself: blocks, every loop it picks, reason keys of every width, buffers."""

from __future__ import annotations

import dataclasses
import gc
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from trustscore.exceptions import EngineError
from trustscore.scoring import ScorecardArtifact, score
from trustscore.scoring._artifact import example_artifact_dict
from trustscore.scoring._compiled import compile_artifact
from trustscore.scoring._kernel import BLOCK, reason_dtype, string_buffers
from trustscore.scoring._reference_table import reference_table
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


def _artifact(chars: list[dict[str, Any]], criteria: list[dict[str, Any]]) -> ScorecardArtifact:
    dims = sorted({c["dimension"] for c in chars})
    return ScorecardArtifact.from_dict(
        {
            "format": "trustscore.scorecard",
            "schema_version": 1,
            "model_version": "kernel-test",
            "target": "bad",
            "scaling": {"pdo": 40.0, "anchor_score": 600, "anchor_odds": 20.0},
            "dimensions": [{"name": d, "label": d} for d in dims],
            "characteristics": chars,
            "criteria": criteria,
            "model_card": {"approved_purposes": ["credit_pricing"]},
        }
    )


@pytest.fixture(scope="module")
def mixed() -> ScorecardArtifact:
    """Every loop of the kernel: 1, 3, 4, 6, 8 and 13 edges, specials, a categorical."""
    return _artifact(
        [
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
        ],
        [
            {"column": "x2", "op": ">", "value": 0.0},
            {"column": "months", "op": ">=", "value": 6.0},
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
    for j, c in enumerate(art.characteristics):
        null = rng.random(n) < 0.05
        if c.type == "categorical":
            levels = np.array(["a", "b", "zz", None], dtype=object)
            cols[c.name] = pa.array(rng.choice(levels, n), type=pa.string())
            continue
        x = _values(rng, n, list(c.edges))
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
    # one characteristic that can lose 600 points: int32 keys past 32 characteristics (and
    # int16 reason indices past 127)
    chars = [_numeric(j, f"d{j % 3}", [0.3, 0.6]) for j in range(k)]
    for j, c in enumerate(chars):
        c["reason_code"] = f"R{j:03d}"
        c["bins"] = [{"upper": 0.3, "points": j % 2}, {"upper": 0.6, "points": 1 + j % 3}]
        c["bins"].append({"upper": None, "points": 3 - j % 4})
        c["missing"] = {"points": 1}
    chars[0]["bins"][2]["points"] = 600
    art = _artifact(chars, [])
    assert compile_artifact(art).key_type is np.int32
    assert reason_dtype(k) is (np.int8 if k <= 127 else np.int16)
    data = _table(art, BLOCK + 300, seed=k)
    assert score(art, data).equals(reference_table(art, data))


def test_compiled_once_per_artifact_object(mixed: ScorecardArtifact) -> None:
    again = ScorecardArtifact.from_json(mixed.to_json())
    assert compile_artifact(again) is compile_artifact(mixed)
    before = compile_artifact(again)
    del again
    gc.collect()
    assert compile_artifact(ScorecardArtifact.from_json(mixed.to_json())) is before


def test_large_points_of_either_sign() -> None:
    # characteristics' points far outside int16, the score still in 0..1000: the int16 keys
    # only hold losses, which stay small
    a = _numeric(0, "a", [0.5])
    a["bins"] = [{"upper": 0.5, "points": -1000}, {"upper": None, "points": -900}]
    a["missing"] = {"points": -950}
    b = _numeric(1, "b", [0.2, 0.7])
    b["bins"] = [
        {"upper": 0.2, "points": 1100},
        {"upper": 0.7, "points": 1200},
        {"upper": None, "points": 1150},
    ]
    b["missing"] = {"points": 1100}
    art = _artifact([a, b], [])
    assert compile_artifact(art).key_type is np.int16
    data = _table(art, BLOCK + 5, seed=4)
    got = score(art, data)
    assert got.equals(reference_table(art, data))
    assert set(got["score"].to_pylist()) > {100, 300}


def test_interactions_are_refused_not_dropped() -> None:
    # the kernel does not evaluate pairs yet: leaving them out would give wrong scores
    pairs = ScorecardArtifact.from_dict(example_artifact_dict(interaction=True))
    data = pa.table({"on_time_rate": [0.5], "card_kind": ["card"], "months_history": [12.0]})
    with pytest.raises(EngineError, match=r"numba kernel .* does not evaluate interactions"):
        score(pairs, data)


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
