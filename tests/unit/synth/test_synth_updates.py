"""The later delivery: the furnishers' updates bring the store back to the truth of generate."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from trustscore.features import compute_features
from trustscore.records import RecordStore, ingest
from trustscore.synth import UPDATE_KINDS, generate, split_deliveries

KINDS = ("subject", "obligation", "tradeline", "public_record", "inquiry")
AS_OF = dt.date(2025, 12, 31)
FIRST = dt.datetime(2025, 12, 31, 23, tzinfo=dt.UTC)
LATER = dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC)


def test_both_deliveries_give_the_truth_and_a_replay_sees_the_first(tmp_path: Path) -> None:
    truth = generate(tmp_path / "truth", n_subjects=400, seed=5, as_of=AS_OF)
    shutil.copytree(tmp_path / "truth", tmp_path / "split")
    updates = split_deliveries(tmp_path / "split", as_of=AS_OF, share=0.1, seed=5)

    whole = RecordStore(tmp_path / "whole")
    for kind in KINDS:
        ingest(truth.paths[kind], whole, ingested_at=FIRST)
    store = RecordStore(tmp_path / "store")
    for kind in KINDS:
        first = ingest(tmp_path / "split" / f"{kind}.parquet", store, ingested_at=FIRST)
        assert first.rows_quarantined == 0
    n_rows = {k: pq.read_metadata(truth.paths[k]).num_rows for k in UPDATE_KINDS}
    for kind in UPDATE_KINDS:
        later = ingest(updates.paths[kind], store, kind=kind, ingested_at=LATER)
        # every update row is a new version; none is unchanged, none refused
        assert later.rows_in == updates.rows[kind] > 0
        assert later.rows_versions == later.rows_in
        assert (later.rows_new, later.rows_unchanged, later.rows_quarantined) == (0, 0, 0)
        if kind == "obligation":
            assert later.rows_deleted == updates.n_deletions > 0
            assert later.rows_in - later.rows_deleted == pytest.approx(0.1 * n_rows[kind], 0.2)
        if kind == "tradeline":
            assert later.rows_in == pytest.approx(0.1 * n_rows[kind], rel=0.2)

    now = compute_features(store, AS_OF)
    assert now.equals(compute_features(whole, AS_OF))
    replay = compute_features(store, AS_OF, known_at=LATER - dt.timedelta(seconds=1))
    changed = pc.sum(pc.invert(pc.equal(replay["unpaid_amount_ratio_12m"],
                                        now["unpaid_amount_ratio_12m"]))).as_py()  # fmt: skip
    assert changed > 0


def test_the_split_is_deterministic(tmp_path: Path) -> None:
    for name in ("a", "b"):
        generate(tmp_path / name, n_subjects=150, seed=2, as_of=AS_OF)
        split_deliveries(tmp_path / name, as_of=AS_OF, share=0.2, seed=2)
    for kind in UPDATE_KINDS:
        for sub in (f"{kind}.parquet", f"updates/{kind}.parquet"):
            assert pq.read_table(tmp_path / "a" / sub).equals(pq.read_table(tmp_path / "b" / sub))


def test_share_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'share' parameter of split_deliveries"):
        split_deliveries(tmp_path, as_of=AS_OF, share=0)
