"""The scaling curve: each batch stage as the CLI runs it, at one population size per run.

``python -m benchmarks.scale --subjects 100000 [--engine duckdb|spark]`` runs, each in a child
process measured by :mod:`benchmarks.scale._measure` (wall time, CPU time, peak resident memory
of the process tree):

1. ``synth``: ``trustscore synth`` with a later delivery of 10 % updated records;
2. ``ingest``: ``trustscore ingest`` of the five first-delivery files, then ``ingest_updates``
   of the later delivery half an hour later (versions and deletions); the synthetic consent
   events are then copied into the store, as the demo does (not timed);
3. ``features``: ``trustscore features`` (the feature table, then the count of bills left out
   for lack of consent, as the CLI prints it);
4. ``hand_sql``: the hand-written DuckDB SQL of :mod:`benchmarks.scale._sql` computing the same
   table and the same count, with the same DuckDB settings; its table is compared with the
   stage's cell by cell (``hand_sql_equal``);
5. ``score``: ``trustscore score`` of the feature table with :mod:`benchmarks.scale._model`;
6. ``snapshot_load``: loading the latest scores into the keyed store the service reads, when
   the CLI has that command (``trustscore scores load``); otherwise recorded as absent.

With ``--engine spark`` the features and score stages run on Spark local (``local[2]``) and the
hand-written SQL still runs on DuckDB, as the yardstick. Records per second count the records
each stage handles: synth the rows it writes, ingest the rows read, features and the SQL the
records stored, score the subjects. Per core means divided by the cores the machine gives
this process (``sched_getaffinity``), the machine being shared: the load average is recorded
at each stage's start.

Results go into ``results.json`` (one entry per engine and size, a rerun replaces its entry) and
``results.md`` (the table, the cost model fitted over every entry, the projection).

``--stages synth,ingest,ingest_updates --label NAME`` measures the stages that write the store
only (with ``--reuse-from DIR``: ingest DIR's ``synth/`` files, synth not measured), as an entry
of its own (engine, size and label; a rerun with the same label replaces it) that results.md
lists under "Ingest memory" and leaves out of the cost model; ``--src DIR`` runs the trustscore
of another source tree (``git archive`` of an earlier commit), so a change is measured before
and after in the same session.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from benchmarks.scale._measure import Measured, run_measured

__all__ = ["compare_tables", "main", "run_scale"]

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RESULTS_JSON = HERE / "results.json"
RESULTS_MD = HERE / "results.md"
AS_OF = "2025-12-31"
FIRST_AT = "2025-12-31T23:00:00+00:00"
UPDATES_AT = "2025-12-31T23:30:00+00:00"
KINDS = ("subject", "obligation", "tradeline", "public_record", "inquiry")
UPDATE_KINDS = ("obligation", "tradeline", "public_record")
CONSENT_CATEGORIES = ("platform", "rent", "telecom", "utility")
_CLI = "import sys; from trustscore.cli import main; sys.argv[0] = 'trustscore'; main()"


def _cores() -> int:
    return len(os.sched_getaffinity(0))


STORE_STAGES = ("synth", "ingest", "ingest_updates")


def _env(work: Path, args: argparse.Namespace) -> dict[str, str]:
    src = Path(args.src).resolve() if getattr(args, "src", None) else REPO / "src"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(src), str(REPO)]),
        "TRUSTSCORE_WORKSPACE": str(work),
        "TRUSTSCORE_DUCKDB_MEMORY_LIMIT": args.memory_limit,
        "TRUSTSCORE_DUCKDB_THREADS": str(args.threads),
        "TRUSTSCORE_DUCKDB_TEMP_DIRECTORY": str(work / ".duckdb-tmp"),
        "TRUSTSCORE_SPARK_MASTER": f"local[{args.threads}]",
        "TRUSTSCORE_SPARK_CONF": json.dumps({"spark.driver.memory": args.spark_memory}),
    }
    env.pop("TRUSTSCORE_CONSENT_CATEGORIES", None)
    return env


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", _CLI, *args]


def _stage(name: str, argv: list[str], env: dict[str, str], work: Path) -> dict[str, Any]:
    load = [round(x, 2) for x in os.getloadavg()]
    print(f"  {name} ...", flush=True)
    m: Measured = run_measured(name, argv, env=env, cwd=work, log=work / f"{name}.log")
    out = m.as_dict()
    out["loadavg_at_start"] = load
    print(
        f"  {name}: {m.wall_s:.1f} s wall, {m.cpu_s:.1f} s CPU, "
        f"peak {m.peak_rss_bytes / 2**30:.2f} GiB",
        flush=True,
    )
    return out


def _parquet_rows(path: Path) -> int:
    return sum(pq.ParquetFile(p).metadata.num_rows for p in _parquet_files(path))


def _parquet_files(path: Path) -> list[Path]:
    return sorted(path.rglob("*.parquet")) if path.is_dir() else [path]


def _read(path: Path) -> pa.Table:
    tables = [pq.read_table(p) for p in _parquet_files(path)]
    return pa.concat_tables(tables).sort_by("subject_id")


def compare_tables(stage: pa.Table, hand: pa.Table) -> dict[str, Any]:
    """Cell-by-cell comparison of two feature tables sorted by subject: differing cells per
    column (a NULL against a value differs; NULL against NULL is equal)."""
    out: dict[str, Any] = {"rows": [stage.num_rows, hand.num_rows], "columns": {}}
    if stage.column_names != hand.column_names:
        out["column_names"] = [stage.column_names, hand.column_names]
    equal = stage.num_rows == hand.num_rows and stage.column_names == hand.column_names
    if stage.num_rows == hand.num_rows:
        for name in stage.column_names:
            if name not in hand.column_names:
                continue
            a, b = stage[name], hand[name].cast(stage[name].type)
            same = pc.or_kleene(
                pc.equal(a, b), pc.and_(pc.is_null(a), pc.is_null(b))
            ).combine_chunks()
            n = len(same) - int(pc.sum(pc.fill_null(same, False)).as_py() or 0)
            out["columns"][name] = n
            equal = equal and n == 0
    out["equal"] = equal
    return out


def _records(store: Path) -> int:
    from trustscore.records import RecordStore

    return sum(RecordStore(store).count(kind) for kind in KINDS)


def _copy_consents(work: Path, env: dict[str, str]) -> None:
    code = (
        "import sys, pyarrow.parquet as pq; from trustscore.records import RecordStore, "
        "write_consents; write_consents(RecordStore(sys.argv[1]), pq.read_table(sys.argv[2]))"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(work / "store"), str(work / "synth" / "consent.parquet")],
        env=env,
        check=True,
    )


def _snapshot_argv(env: dict[str, str], work: Path, scores: Path) -> list[str] | None:
    """The CLI command that loads the batch's scores into the keyed store, if there is one.

    The keyed store of latest scores (issue 13, step 4) is filled by ``trustscore publish``,
    which scores a workspace with its registry's champion; this harness scores with an
    unregistered quantile-binned model in a bare store, so the stage stays absent until the
    harness registers its model (a follow-up). A ``scores load`` command, if one is added, is
    measured here.
    """
    probe = subprocess.run(
        _cli("scores", "load", "--help"), env=env, capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        return None
    return _cli("scores", "load", str(scores), "--workspace", str(work))


def _write_store(
    args: argparse.Namespace,
    env: dict[str, str],
    work: Path,
    stages: dict[str, dict[str, Any]],
    *,
    synthesise: bool = True,
) -> None:
    """synth (unless the files are there), ingest and ingest_updates, measured; then the
    consents copied to the store."""
    synth, store = work / "synth", work / "store"
    if synthesise:
        argv = _cli("synth", "--out", str(synth), "--subjects", str(args.subjects))
        stages["synth"] = _stage("synth", [*argv, "--updates", str(args.updates)], env, work)
    first = [str(synth / f"{k}.parquet") for k in KINDS]
    stages["ingest"] = _stage(
        "ingest",
        _cli("ingest", *first, "--store", str(store), "--ingested-at", FIRST_AT),
        env,
        work,
    )
    if args.updates > 0:
        updates = [str(synth / "updates" / f"{k}.parquet") for k in UPDATE_KINDS]
        stages["ingest_updates"] = _stage(
            "ingest_updates",
            _cli("ingest", *updates, "--store", str(store), "--ingested-at", UPDATES_AT),
            env,
            work,
        )
    _copy_consents(work, env)


def run_scale(args: argparse.Namespace) -> dict[str, Any]:
    """Run every stage at ``args.subjects``; return the entry for results.json."""
    work = Path(args.workdir) / f"{args.engine}-{args.subjects}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = _env(work, args)
    synth, store = work / "synth", work / "store"
    spark = args.engine == "spark"
    features = work / ("features" if spark else "features.parquet")
    scores = work / ("scores" if spark else "scores.parquet")
    stages: dict[str, dict[str, Any]] = {}
    print(f"{args.subjects:,} subjects on {args.engine} in {work}", flush=True)

    if getattr(args, "stages", None) is not None and args.reuse_from:
        # the store-writing stages on an earlier run's synthetic files (synth not measured)
        shutil.copytree(Path(args.reuse_from) / "synth", synth)
        _write_store(args, env, work, stages, synthesise=False)
    elif args.reuse_from:
        # the synthetic files and the store of an earlier run of the same size (the stages up
        # to here do not depend on the engine): copied, not measured again
        for name in ("synth", "store"):
            shutil.copytree(Path(args.reuse_from) / name, work / name)
    else:
        _write_store(args, env, work, stages)
    if getattr(args, "stages", None) is not None:
        return _store_entry(args, work, stages)
    engine_args = ["--engine", "spark"] if spark else []
    stages["features"] = _stage(
        "features",
        _cli(
            "features",
            "--as-of",
            AS_OF,
            "--store",
            str(store),
            "--out",
            str(features),
            *engine_args,
        ),
        env,
        work,
    )
    hand = work / "hand.parquet"
    spec = {
        "repo": str(REPO),
        "store": str(store),
        "as_of": AS_OF,
        "out": str(hand),
        "consent_categories": list(CONSENT_CATEGORIES),
        "duckdb": {
            "memory_limit": args.memory_limit,
            "threads": str(args.threads),
            "temp_directory": str(work / ".duckdb-tmp"),
        },
    }
    (work / "hand.json").write_text(json.dumps(spec), encoding="utf-8")
    stages["hand_sql"] = _stage(
        "hand_sql", [sys.executable, str(HERE / "_child.py"), str(work / "hand.json")], env, work
    )
    comparison = compare_tables(_read(features), _read(hand))
    from benchmarks.scale._model import write_model

    model = write_model(features, work / "model.json")
    stages["score"] = _stage(
        "score",
        _cli(
            "score",
            "--model",
            str(model),
            "--data",
            str(features),
            "--out",
            str(scores),
            *engine_args,
        ),
        env,
        work,
    )
    snapshot = _snapshot_argv(env, work, scores)
    if snapshot is not None:
        stages["snapshot_load"] = _stage("snapshot_load", snapshot, env, work)

    n_records = _records(store)
    n_synth = sum(_parquet_rows(synth / f"{k}.parquet") for k in KINDS)
    n_updates = sum(
        _parquet_rows(path)
        for k in UPDATE_KINDS
        if (path := synth / "updates" / f"{k}.parquet").is_file()
    )
    handled = {
        "synth": n_synth + n_updates,
        "ingest": n_synth,
        "ingest_updates": n_updates,
        "features": n_records,
        "hand_sql": n_records,
        "score": _parquet_rows(scores),
        "snapshot_load": _parquet_rows(scores),
    }
    cores = _cores()
    for name, s in stages.items():
        s["records"] = handled[name]
        s["records_per_s"] = handled[name] / s["wall_s"]
        s["records_per_cpu_s"] = handled[name] / s["cpu_s"] if s["cpu_s"] else None
        s["records_per_s_per_core"] = s["records_per_s"] / min(cores, args.threads)
    entry = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "engine": args.engine,
        "subjects": args.subjects,
        "records_stored": n_records,
        "commit": _git("rev-parse", "HEAD"),
        "dirty_tree": bool(_git("status", "--porcelain", "--", "src", "benchmarks/scale")),
        "reused_store_from": args.reuse_from,
        "settings": {
            "updates": args.updates,
            "duckdb_memory_limit": args.memory_limit,
            "threads": args.threads,
            "spark_driver_memory": args.spark_memory if spark else None,
        },
        "machine": _machine(),
        "stages": stages,
        "hand_sql_comparison": comparison,
        "feature_vs_hand_sql": stages["hand_sql"]["wall_s"] / stages["features"]["wall_s"],
        "feature_vs_hand_sql_cpu": stages["hand_sql"]["cpu_s"] / stages["features"]["cpu_s"],
        "snapshot_load": "measured" if snapshot is not None else "absent: no keyed store on main",
    }
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return entry


def _store_entry(
    args: argparse.Namespace, work: Path, stages: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """The entry of a run of the store-writing stages only (``--stages``, ``--label``)."""
    synth = work / "synth"
    n_synth = sum(_parquet_rows(synth / f"{k}.parquet") for k in KINDS)
    n_updates = sum(
        _parquet_rows(path)
        for k in UPDATE_KINDS
        if (path := synth / "updates" / f"{k}.parquet").is_file()
    )
    handled = {"synth": n_synth + n_updates, "ingest": n_synth, "ingest_updates": n_updates}
    for name, s in stages.items():
        s["records"] = handled[name]
        s["records_per_s"] = handled[name] / s["wall_s"]
        s["records_per_cpu_s"] = handled[name] / s["cpu_s"] if s["cpu_s"] else None
        s["records_per_s_per_core"] = s["records_per_s"] / min(_cores(), args.threads)
    entry = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "engine": args.engine,
        "subjects": args.subjects,
        "label": args.label,
        "src": args.src,
        "synth_from": args.reuse_from,
        "records_stored": _records(work / "store"),
        "commit": _git("rev-parse", "HEAD"),
        "dirty_tree": bool(_git("status", "--porcelain", "--", "src", "benchmarks/scale")),
        "settings": {
            "updates": args.updates,
            "duckdb_memory_limit": args.memory_limit,
            "threads": args.threads,
        },
        "machine": _machine(),
        "stages": stages,
    }
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return entry


def _machine() -> dict[str, Any]:
    with open("/proc/meminfo", encoding="ascii") as fh:
        total_kib = int(fh.readline().split()[1])
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="ascii").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": _cores(),
        "cpu": cpu,
        "memory_gib": round(total_kib / 2**20, 1),
        "python": platform.python_version(),
        "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
    }


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=False
    )
    return done.stdout.strip()


def _merge(entry: dict[str, Any], path: Path) -> dict[str, Any]:
    results = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"runs": []}
    runs = [
        r
        for r in results["runs"]
        if (r["engine"], r["subjects"], r.get("label"))
        != (entry["engine"], entry["subjects"], entry.get("label"))
    ]
    runs.append(entry)
    runs.sort(key=lambda r: (r["engine"], r["subjects"]))
    results["runs"] = runs
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__)
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    parser.add_argument("--workdir", default=str(HERE / "data"), help="where the runs write")
    parser.add_argument("--memory-limit", default="4GB", help="DuckDB's, for every stage")
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads / Spark cores")
    parser.add_argument("--spark-memory", default="3g", help="Spark local's driver memory")
    parser.add_argument("--keep", action="store_true", help="keep the run's files")
    parser.add_argument(
        "--updates", type=float, default=0.1, help="share of records in the later delivery"
    )
    parser.add_argument(
        "--reuse-from", default=None, help="a kept run's folder: reuse its synth/ and store/"
    )
    parser.add_argument("--results", default=str(RESULTS_JSON), help="results.json to update")
    parser.add_argument(
        "--stages",
        type=lambda text: tuple(text.split(",")),
        default=None,
        help="synth,ingest,ingest_updates: only the stages that write the store (with --label)",
    )
    parser.add_argument("--label", default=None, help="names a --stages entry (before, after)")
    parser.add_argument("--src", default=None, help="the trustscore source tree to run")
    parser.add_argument("--markdown-only", action="store_true", help="rewrite results.md only")
    args = parser.parse_args(argv)
    if args.stages is None:
        if args.label is not None:
            parser.error("--label names a run of --stages synth,ingest,ingest_updates")
    elif set(args.stages) - set(STORE_STAGES) or args.label is None:
        parser.error(
            "--stages takes synth,ingest,ingest_updates (the stages that write the store), "
            "with --label to name the entry (and --reuse-from: a folder whose synth/ to ingest)"
        )
    else:
        args.stages = STORE_STAGES
    results_path = Path(args.results)
    if not args.markdown_only:
        entry = run_scale(args)
        results = _merge(entry, results_path)
        results_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    from benchmarks.scale._report import write_markdown

    write_markdown(results_path, results_path.with_suffix(".md"))
    return 0
