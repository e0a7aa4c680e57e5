"""The scaling benchmark: its hand-written SQL gives exactly the feature stage's table, and the
harness runs every stage end to end on a tiny population (timings are not asserted)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from random_stores import write_random_store
from trustscore.features import DEFAULT_CONSENT_CATEGORIES, FEATURES, compute_features

REPO = Path(__file__).resolve().parents[3]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.scale._report import cost_model, projection, write_markdown  # noqa: E402
from benchmarks.scale._run import compare_tables, run_scale  # noqa: E402
from benchmarks.scale._sql import feature_sql, left_out_sql  # noqa: E402


def _hand(store: Path, as_of: dt.date, categories: tuple[str, ...]) -> pa.Table:
    con = duckdb.connect(":memory:")
    try:
        return con.sql(feature_sql(store, as_of, consent_categories=categories)).to_arrow_table()
    finally:
        con.close()


@pytest.mark.parametrize(
    ("seed", "categories"), [(1, DEFAULT_CONSENT_CATEGORIES), (2, ("rent",)), (3, ())]
)
@pytest.mark.parametrize("as_of", [dt.date(2024, 2, 29), dt.date(2025, 6, 30)])
def test_hand_sql_equals_the_feature_stage_exactly(
    tmp_path: Path, seed: int, as_of: dt.date, categories: tuple[str, ...]
) -> None:
    # random stores hold versions, deletions, uncommitted batches, suppressions and consents
    store = write_random_store(tmp_path / "store", n_subjects=50, seed=seed)
    stage = compute_features(store, as_of, consent_categories=categories)
    hand = _hand(store, as_of, categories)
    assert hand.column_names == stage.column_names
    assert stage.num_rows > 0
    result = compare_tables(stage, hand)
    assert result["equal"], result["columns"]
    # and not by accident: every feature takes more than one value here
    assert all(len(set(stage[f.name].to_pylist())) > 1 for f in FEATURES[:5])


def test_hand_sql_counts_the_bills_left_out_as_the_stage_does(tmp_path: Path) -> None:
    from trustscore.features import bills_without_consent

    store = write_random_store(tmp_path / "store", n_subjects=50, seed=4)
    as_of = dt.date(2025, 6, 30)
    expected = bills_without_consent(
        store, as_of, consent_categories=DEFAULT_CONSENT_CATEGORIES
    ).num_rows
    con = duckdb.connect(":memory:")
    found = con.execute(left_out_sql(store, as_of)).fetchone()
    assert expected > 0
    assert found is not None
    assert found[0] == expected


def test_compare_tables_names_the_differing_cells() -> None:
    a = pa.table({"subject_id": ["a", "b"], "x": [1.0, None]})
    assert compare_tables(a, a)["equal"]
    b = pa.table({"subject_id": ["a", "b"], "x": [0.8611111111111112, None]})
    c = pa.table({"subject_id": ["a", "b"], "x": [0.86111111111111, None]})
    out = compare_tables(b, c)
    assert not out["equal"]
    assert out["columns"] == {"subject_id": 0, "x": 1}
    d = pa.table({"subject_id": ["a", "b"], "x": [1.0, 2.0]})
    assert compare_tables(a, d)["columns"]["x"] == 1


@pytest.mark.slow
def test_the_harness_runs_every_stage_on_a_tiny_population(tmp_path: Path) -> None:
    args = argparse.Namespace(
        subjects=200, engine="duckdb", workdir=str(tmp_path / "runs"), memory_limit="1GB",
        threads=1, spark_memory="1g", keep=True, updates=0.1, reuse_from=None,
    )  # fmt: skip
    entry = run_scale(args)
    stages = entry["stages"]
    assert set(stages) >= {"synth", "ingest", "ingest_updates", "features", "hand_sql", "score"}
    for name, s in stages.items():
        assert s["records"] > 0, name
        assert s["wall_s"] > 0, name
        assert s["cpu_s"] > 0, name
        assert s["peak_rss_bytes"] > 0, name
    # the store holds what was ingested: the first delivery's rows, and the updates' versions
    assert stages["features"]["records"] == entry["records_stored"]
    # the persons' features and scores (organisations have their own; synth makes about 10 %)
    persons = entry["hand_sql_comparison"]["rows"][0]
    assert 150 <= persons < 200
    assert stages["score"]["records"] == persons
    assert entry["hand_sql_comparison"]["equal"], entry["hand_sql_comparison"]
    assert entry["hand_sql_comparison"]["rows"] == [persons, persons]

    results = tmp_path / "results.json"
    results.write_text(json.dumps({"runs": [entry]}), encoding="utf-8")
    write_markdown(results, tmp_path / "results.md")
    text = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "| features | " in text
    assert "Projection" in text
    model = cost_model([entry])
    assert set(model["duckdb"]) >= {"features", "score"}
    proj = projection(model)
    # more workers, less time: the projection divides the work among them
    totals = [p["total_s"] for p in proj]
    assert totals == sorted(totals, reverse=True)
    assert totals[0] > totals[-1]


def _store_run(label: str, subjects: int, peak_gib: float) -> dict[str, object]:
    stage = {
        "records": subjects * 100, "wall_s": 10.0, "cpu_s": 9.0,
        "peak_rss_bytes": int(peak_gib * 2**30), "peak_hwm_bytes": 0,
        "loadavg_at_start": [1.0, 1.0, 1.0],
    }  # fmt: skip
    return {
        "when": "2026-12-07T20:00:00+00:00", "engine": "duckdb", "subjects": subjects,
        "label": label, "src": None, "synth_from": None, "records_stored": subjects * 100,
        "commit": "0" * 40, "dirty_tree": False, "machine": {},
        "settings": {"duckdb_memory_limit": "4GB", "threads": 2}, "stages": {"ingest": stage},
    }  # fmt: skip


def test_labelled_runs_are_listed_apart_with_their_growth(tmp_path: Path) -> None:
    runs = [
        _store_run("before", 100_000, 2.0),
        _store_run("before", 1_000_000, 10.0),
        _store_run("after", 100_000, 1.0),
        _store_run("after", 1_000_000, 1.5),
    ]
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"runs": runs}), encoding="utf-8")
    write_markdown(results, tmp_path / "results.md")
    text = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "| before | 1,000,000 | ingest | 100,000,000 | 10.0 | 9.0 | 10.00 | 5.00x |" in text
    assert "| after | 1,000,000 | ingest | 100,000,000 | 10.0 | 9.0 | 1.50 | 1.50x |" in text
    # not in the cost model, which fits the full runs only
    assert "| duckdb | ingest |" not in text
