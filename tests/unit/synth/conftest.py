"""Shared synthetic populations (generated once per session) and a small reference validator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from trustscore.records._schemas import RECORD_KINDS
from trustscore.synth import SynthSummary, generate

AS_OF = dt.date(2025, 12, 31)
N = 2_000
SEED = 11


def _gen(root: Path, name: str, **kwargs: object) -> SynthSummary:
    args: dict[str, object] = {"n_subjects": N, "seed": SEED, "chunk_size": 700}
    args.update(kwargs)
    return generate(root / name, **args)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def synth_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("synth")


@pytest.fixture(scope="session")
def clean(synth_root: Path) -> SynthSummary:
    """2 000 subjects, seed 11, chunks of 700, no dirty rows."""
    return _gen(synth_root, "clean")


@pytest.fixture(scope="session")
def dirty(synth_root: Path) -> SynthSummary:
    """The same population with 5 % of the record rows made invalid."""
    return _gen(synth_root, "dirty", dirty_rate=0.05)


@pytest.fixture(scope="session")
def gen(synth_root: Path) -> Callable[..., SynthSummary]:
    """Generate another population under the session's temporary folder."""
    return lambda name, **kwargs: _gen(synth_root, name, **kwargs)


def violations(table: pa.Table, kind: str) -> np.ndarray:
    """Per row, whether it breaks its kind's schema rules (a reference validator for tests).

    Rules: required fields not NULL, enums in their list, numbers within their bounds, dates not
    before the field named by ``not_before``, and ``record_id`` not seen in an earlier row.
    """
    spec = RECORD_KINDS[kind]
    bad = np.zeros(table.num_rows, dtype=bool)
    for f in spec.fields:
        col = table[f.name]
        is_null = col.is_null().to_numpy(zero_copy_only=False)
        if f.required:
            bad |= is_null
        if f.values:
            bad |= ~is_null & ~pc.is_in(col, pa.array(f.values)).to_numpy(zero_copy_only=False)
        if f.minimum is not None:
            bad |= pc.fill_null(pc.less(col, f.minimum), False).to_numpy(zero_copy_only=False)
        if f.maximum is not None:
            bad |= pc.fill_null(pc.greater(col, f.maximum), False).to_numpy(zero_copy_only=False)
        if f.not_before is not None:
            before = pc.less(col, table[f.not_before])
            bad |= pc.fill_null(before, False).to_numpy(zero_copy_only=False)
    key = spec.key[0]
    ids = table[key].to_pandas()
    bad |= (ids.duplicated(keep="first") & ids.notna()).to_numpy()
    return bad


@pytest.fixture(scope="session")
def validate() -> Callable[[pa.Table, str], np.ndarray]:
    return violations


def read(summary: SynthSummary, name: str) -> pa.Table:
    return pq.read_table(summary.paths[name])


@pytest.fixture(scope="session")
def load() -> Callable[[SynthSummary, str], pa.Table]:
    return read
