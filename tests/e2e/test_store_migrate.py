"""Issue 13, step 3: ``trustscore store migrate`` rewrites a version-1 store into hash buckets.

A demo workspace is written in the old, flat layout (the store's new-store layout is patched to
version 1 while the demo runs, which is what the code before buckets wrote); its records,
features, scores and one subject's replayed score must be exactly the same after the migration,
a second migration changes nothing, and a migration killed at random points and run again ends
exactly as a clean one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import multiprocessing as mp
import os
import random
import shutil
import signal
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from trustscore.cli import app
from trustscore.pipeline import Workspace, run_demo
from trustscore.pipeline._provider import score_subject
from trustscore.pipeline._registry import artifact_subject_kind
from trustscore.records import (
    RECORD_KINDS,
    Layout,
    RecordStore,
    _store,
    migrate_store,
    subject_bucket,
)
from trustscore.records._buckets import FLAT
from trustscore.scoring import ScorecardArtifact

pytestmark = pytest.mark.slow

SUBJECTS = 150
KILL_TRIALS = 8


@pytest.fixture(scope="module")
def flat_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("flat-demo") / "ws"
    with pytest.MonkeyPatch.context() as mp_:
        mp_.setattr(_store, "bucketed_layout", lambda buckets=64: FLAT)
        run_demo(str(root), n_subjects=SUBJECTS)
    store = RecordStore(Workspace(root).store_dir)
    assert not store.layout_path.exists()
    assert store.layout() == Layout(1)
    assert list((store.root / "obligation").glob("*.parquet"))
    return root


def _copy(src: Path, dst: Path) -> Workspace:
    shutil.copytree(src, dst)
    return Workspace(dst)


def _records(store: RecordStore) -> dict[str, list[str]]:
    return {
        kind: sorted(map(repr, (tuple(r.values()) for r in store.read(kind).to_pylist())))
        for kind in RECORD_KINDS
    }


def _artifact(ws: Workspace) -> Path:
    """A persons' model of the demo (the features compared are the persons')."""
    found = [
        p
        for p in sorted(ws.models_dir.glob("*.json"))
        if p.name != "registry.json"
        and artifact_subject_kind(ScorecardArtifact.from_json(p.read_text())) == "person"
    ]
    assert found
    return found[0]


def _features_and_scores(ws: Workspace, out: Path) -> tuple[pa.Table, pa.Table]:
    runner = CliRunner()
    as_of = ws.as_of().isoformat()
    features = out / "features.parquet"
    scores = out / "scores.parquet"
    result = runner.invoke(
        app,
        ["features", "--as-of", as_of, "--store", str(ws.store_dir), "--out", str(features)],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app,
        ["score", "--data", str(features), "--out", str(scores), "--model", str(_artifact(ws)),
         "--carry", "subject_id"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return (
        pq.read_table(features).sort_by("subject_id"),
        pq.read_table(scores).sort_by("subject_id"),
    )


def _listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_a_migrated_store_gives_the_same_records_features_and_scores(
    flat_demo: Path, tmp_path: Path
) -> None:
    ws = _copy(flat_demo, tmp_path / "ws")
    store = RecordStore(ws.store_dir)
    art = ScorecardArtifact.from_json(_artifact(ws).read_text())
    as_of = ws.as_of()
    known_at = dt.datetime.now(dt.UTC)
    records = _records(store)
    (tmp_path / "before").mkdir()
    features, scores = _features_and_scores(ws, tmp_path / "before")
    some = sorted(features.column("subject_id").to_pylist())[:: SUBJECTS // 5]
    replayed = {s: score_subject(store, art, s, as_of, known_at=known_at) for s in some}
    files_before = {k: len(store.paths(k)) for k in RECORD_KINDS}

    result = CliRunner().invoke(app, ["store", "migrate", str(ws.store_dir), "--buckets", "16"])
    assert result.exit_code == 0, result.output
    n_obligations = len(records["obligation"])
    assert (
        f"obligation: {n_obligations:,} rows in {files_before['obligation']:,} files before, "
        f"{n_obligations:,} rows in "
    ) in result.output
    assert "migrated" in result.output

    assert store.layout() == Layout(2, 16, "sha256-u64be-mod")
    assert not [p for k in RECORD_KINDS for p in store.kind_dir(k).glob("*.parquet")]  # flat
    assert not (store.root / "_migration.json").exists()
    assert all(not m.migrated_parts for m in store.batches())
    assert _records(store) == records
    subject = some[1]
    assert {p.parent.name for p in store.paths("obligation", subjects=[subject])} == {
        f"bucket={subject_bucket(subject, 16)}"
    }
    (tmp_path / "after").mkdir()
    features_after, scores_after = _features_and_scores(ws, tmp_path / "after")
    assert features_after.equals(features)
    assert scores_after.equals(scores)
    assert {s: score_subject(store, art, s, as_of, known_at=known_at) for s in some} == replayed

    listing = _listing(store.root)
    again = CliRunner().invoke(app, ["store", "migrate", str(ws.store_dir)])
    assert again.exit_code == 0, again.output
    assert "nothing to do" in again.output
    assert _listing(store.root) == listing


def test_store_commands_create_and_refuse_clearly(flat_demo: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["store", "migrate", str(tmp_path / "nope")])
    assert result.exit_code != 0
    assert "No record store at" in result.output
    assert "Traceback" not in result.output
    new = tmp_path / "new" / "store"
    result = CliRunner().invoke(app, ["store", "init", str(new), "--buckets", "16384"])
    assert result.exit_code == 0, result.output
    assert RecordStore(new).layout() == Layout(2, 16384, "sha256-u64be-mod")
    flat = Workspace(flat_demo).store_dir
    result = CliRunner().invoke(app, ["store", "init", str(flat)])
    assert result.exit_code != 0
    assert "flat (version 1)" in result.output
    assert "trustscore store migrate" in result.output
    assert "Traceback" not in result.output
    assert RecordStore(flat).layout() == Layout(1)


def _migrate_in_child(root: str) -> None:  # pragma: no cover - runs in a killed child
    migrate_store(root, buckets=16)


def test_a_killed_migration_run_again_ends_as_a_clean_one(flat_demo: Path, tmp_path: Path) -> None:
    clean = _copy(flat_demo, tmp_path / "clean")
    records = _records(RecordStore(clean.store_dir))
    start = time.monotonic()
    done = migrate_store(clean.store_dir, buckets=16)
    duration = time.monotonic() - start
    assert done.migrated
    assert done.rows == done.rows_before
    assert done.rows["obligation"] == len(records["obligation"])
    expected = _listing(clean.store_dir)
    expected_manifests = {m.batch_id: m for m in RecordStore(clean.store_dir).batches()}

    rng = random.Random(13)
    context = mp.get_context("fork")
    killed_midway = 0
    for trial in range(KILL_TRIALS):
        ws = _copy(flat_demo, tmp_path / f"trial-{trial}")
        child = context.Process(target=_migrate_in_child, args=(str(ws.store_dir),))
        child.start()
        time.sleep(rng.uniform(0.0, duration))
        if child.is_alive():
            os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        child.join()
        store = RecordStore(ws.store_dir)
        killed_midway += child.exitcode == -signal.SIGKILL
        # whatever the kill left, readers see every record once, in one layout or the other
        assert _records(store) == records
        again = migrate_store(ws.store_dir)
        assert again.rows["obligation"] == len(records["obligation"])
        assert store.layout() == Layout(2, 16, "sha256-u64be-mod")
        assert _listing(ws.store_dir) == expected
        assert {m.batch_id: _same(m) for m in store.batches()} == {
            k: _same(m) for k, m in expected_manifests.items()
        }
        assert _records(store) == records
    assert killed_midway > 0


def _same(m: Any) -> Any:
    return dataclasses.asdict(m)
