"""Same arguments give the same files; the seed matters; the chunk size does not."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pytest

from trustscore.synth import SynthSummary

FILES = ("subject", "obligation", "tradeline", "public_record", "inquiry", "outcomes", "protected")
Load = Callable[[SynthSummary, str], pa.Table]
Gen = Callable[..., SynthSummary]


@pytest.fixture(scope="session")
def again(gen: Gen) -> SynthSummary:
    return gen("again")


@pytest.mark.parametrize("name", FILES)
def test_same_seed_same_files(
    clean: SynthSummary, again: SynthSummary, load: Load, name: str
) -> None:
    assert load(clean, name).equals(load(again, name))
    assert clean.rows == again.rows


def test_different_seed_different_population(clean: SynthSummary, gen: Gen, load: Load) -> None:
    other = gen("other_seed", seed=12)
    assert load(other, "subject")["subject_id"].equals(load(clean, "subject")["subject_id"])
    for name in ("subject", "obligation", "tradeline", "outcomes"):
        assert not load(other, name).equals(load(clean, name)), name
    a = load(clean, "outcomes")["oracle_p"].to_numpy()
    b = load(other, "outcomes")["oracle_p"].to_numpy()
    assert (a != b).mean() > 0.99


@pytest.mark.parametrize(("chunk_size", "n"), [(1, 30), (333, 2_000), (5_000, 2_000)])
def test_chunk_size_does_not_change_the_data(
    clean: SynthSummary, gen: Gen, load: Load, chunk_size: int, n: int
) -> None:
    other = gen(f"chunks_{chunk_size}", chunk_size=chunk_size, n_subjects=n)
    for name in FILES:
        mine = load(other, name)
        reference = load(clean, name)
        if n < 2_000:  # a smaller population is a prefix of the larger one
            keep = pa.compute.less_equal(reference["subject_id"], f"S{n:09d}")
            reference = reference.filter(keep)
        assert mine.equals(reference), name


def test_progress_reports_each_chunk(gen: Gen) -> None:
    calls: list[tuple[int, int]] = []
    gen("progress", n_subjects=250, chunk_size=100, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(100, 250), (200, 250), (250, 250)]
