"""The identity benchmark: its DuckDB measures equal the plain Python ones, and results.md is
rendered from the json files (every figure kept there shows up, a run replaces its own entry)."""

from __future__ import annotations

import json
import random
import shutil
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[3]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.identity._report import TEMPLATE, render, write_results  # noqa: E402
from benchmarks.identity._run import pair_metrics, pair_metrics_sql  # noqa: E402

HERE = REPO / "benchmarks" / "identity"


def _keys(rows: list[tuple[str, str, str]]) -> pa.Table:
    return pa.table(
        {
            "record_kind": [k for k, _, _ in rows],
            "record_id": [r for _, r, _ in rows],
            "subject_id": [s for _, _, s in rows],
        }
    )


def test_sql_measures_equal_the_python_ones(tmp_path: Path) -> None:
    rng = random.Random(3)
    truth, links, with_id = [], [], []
    for i in range(400):
        kind = rng.choice(["tradeline", "inquiry"])
        true = f"t{rng.randrange(40)}"
        truth.append((kind, f"r{i}", true))
        if rng.random() < 0.9:  # the rest are held: assigned to nobody
            pred = true if rng.random() < 0.9 else f"p{rng.randrange(45)}"
            links.append((kind, f"r{i}", pred))
        if rng.random() < 0.5:
            with_id.append((kind, f"r{i}"))
    pq.write_table(_keys(truth), tmp_path / "truth.parquet")
    pq.write_table(_keys(links), tmp_path / "links.parquet")
    ids = pa.table({"record_kind": [k for k, _ in with_id], "record_id": [r for _, r in with_id]})
    expected = pair_metrics(
        {(k, r): s for k, r, s in truth}, {(k, r): s for k, r, s in links}, set(with_id)
    )
    got = pair_metrics_sql(tmp_path / "truth.parquet", tmp_path / "links.parquet", ids)
    assert got == expected
    assert 0 < got["precision"] < 1
    assert got["mixed_with_national_id_both_sides"] > 0


def test_results_md_shows_every_json_figure(tmp_path: Path) -> None:
    for path in [*HERE.glob("results-*.json"), HERE / "febrl.json"]:
        shutil.copy(path, tmp_path / path.name)
    text = render(tmp_path)
    assert "{{" not in text
    for path in tmp_path.glob("results-*.json"):
        out = json.loads(path.read_text())
        assert f"{out['precision']:.5f}" in text
        assert f"{out['recall']:.5f}" in text
        assert f"{out['records']:,}".replace(",", " ") in text
        assert f"{out['records_per_second']:,}".replace(",", " ") in text
    for row in json.loads((tmp_path / "febrl.json").read_text()):
        assert f"{row['recall']:.5f}" in text


def test_a_run_replaces_its_own_entry(tmp_path: Path) -> None:
    out = json.loads((HERE / "results-30000.json").read_text())
    (tmp_path / "results-30000.json").write_text(json.dumps(out))
    first = write_results(tmp_path).read_text()
    (tmp_path / "results-30000.json").write_text(json.dumps({**out, "recall": 0.912345678}))
    (tmp_path / "results-5000-after.json").write_text(json.dumps({**out, "subjects": 5000}))
    second = write_results(tmp_path).read_text()
    assert f"{out['recall']:.5f}" in first
    assert f"{out['recall']:.5f}" not in second.split("### Side by side")[0]
    assert "0.91235" in second
    assert "### Side by side, 5 000 subjects" in second
    assert TEMPLATE.read_text().splitlines()[0] == second.splitlines()[0]
