"""Ingest throughput with versions, side by side with the ingest of the base commit.

What is measured: rows per second of :func:`trustscore.records.ingest` (wall time of the call,
reading the furnisher file, validating, writing the store, the key checks and the manifest), for

- the *first delivery*: the demo's five files (subjects, bills, account reports, public records,
  inquiries) into an empty store, as ``trustscore demo`` ingests them;
- the *update batch*: the furnishers' later delivery (:func:`trustscore.synth.split_deliveries`,
  10 % of the bills, account reports and public records sent again with other values, and
  deletions of bills billed twice), ingested half an hour later into that store.

Both versions ingest the same rows, each in a fresh process (``_child.py``) with ``PYTHONPATH``
pointing at its own ``src``: this branch's, and the base commit's, extracted with
``git archive`` into ``data/base-<commit>/``. The base has no ``action`` column (it refuses an
unexpected column), so it reads the same files without it; there its update rows are quarantined
("already stored with different values"), which is the behaviour this change replaces. Runs
alternate (base, new, base, new, ...) so that load from other work on the machine falls on both;
each figure is the median over the repetitions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

__all__ = ["main"]

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DATA = HERE / "data"
RESULTS_JSON = HERE / "results.json"
RESULTS_MD = HERE / "results.md"
#: main before issue 11's versions (the merge base of the branch that added them).
BASE_COMMIT = "f2494f5bbdec20ea161290228d55ab1ea55a1449"
KINDS = ("subject", "obligation", "tradeline", "public_record", "inquiry")
UPDATE_KINDS = ("obligation", "tradeline", "public_record")
AS_OF = dt.date(2025, 12, 31)
FIRST_AT = dt.datetime(2025, 12, 31, 23, tzinfo=dt.UTC)
UPDATE_AT = dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC)


def _data(n_subjects: int, share: float) -> tuple[Path, Path]:
    """The demo's files and the update batch, with and without the ``action`` column."""
    root = DATA / f"synth{n_subjects}-{share:g}"
    with_action, without = root / "new", root / "base"
    if not (without / "updates" / "public_record.parquet").is_file():
        from trustscore.synth import generate, split_deliveries

        print(f"synthesising {n_subjects:,} subjects into {root} ...", flush=True)
        generate(with_action, n_subjects=n_subjects, seed=0, as_of=AS_OF, dirty_rate=0.0005)
        split_deliveries(with_action, as_of=AS_OF, share=share, seed=0)
        for sub in ("", "updates"):
            (without / sub).mkdir(parents=True, exist_ok=True)
            for path in sorted((with_action / sub).glob("*.parquet")):
                table = pq.read_table(path)
                if "action" in table.column_names:
                    table = table.drop_columns(["action"])
                pq.write_table(table, without / sub / path.name)
    return with_action, without


def _base_src(commit: str) -> Path:
    """The base commit's ``src``, extracted once with ``git archive``."""
    target = DATA / f"base-{commit[:12]}"
    if not (target / "src" / "trustscore" / "__init__.py").is_file():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", commit, "src"], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target / "src"


def _run_child(src: Path, files: Path, name: str) -> dict[str, Any]:
    spec = {
        "store": str(DATA / f"run-{name}" / "store"),
        "first": [[k, str(files / f"{k}.parquet")] for k in KINDS],
        "update": [[k, str(files / "updates" / f"{k}.parquet")] for k in UPDATE_KINDS],
        "first_at": FIRST_AT.isoformat(),
        "update_at": UPDATE_AT.isoformat(),
    }
    spec_path = DATA / f"spec-{name}.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, str(HERE / "_child.py"), str(spec_path)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if Path(result["trustscore"]).resolve() != (src / "trustscore").resolve():
        msg = f"{name} ran trustscore from {result['trustscore']}, not {src}"
        raise RuntimeError(msg)
    return result


def _phase(run: dict[str, Any], phase: str) -> dict[str, float]:
    rows = [f for f in run["files"] if f["phase"] == phase]
    n = sum(f["rows_in"] for f in rows)
    seconds = sum(f["seconds"] for f in rows)
    return {"rows": n, "seconds": seconds, "rows_per_s": n / seconds}


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ingest", description=__doc__)
    parser.add_argument("--subjects", type=int, default=100_000, help="the demo's default size")
    parser.add_argument("--share", type=float, default=0.1, help="share of records updated")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each version")
    parser.add_argument("--base", default=BASE_COMMIT, help="commit to compare with")
    args = parser.parse_args(argv)

    new_files, base_files = _data(args.subjects, args.share)
    base_src = _base_src(args.base)
    new_src = REPO / "src"
    runs: dict[str, list[dict[str, Any]]] = {"base": [], "new": []}
    for i in range(args.repeat):
        for name, src, files in (("base", base_src, base_files), ("new", new_src, new_files)):
            print(f"run {i + 1}/{args.repeat}: {name} ...", flush=True)
            runs[name].append(_run_child(src, files, name))

    summary: dict[str, Any] = {}
    for phase in ("first", "update"):
        for name in ("base", "new"):
            rates = [_phase(r, phase)["rows_per_s"] for r in runs[name]]
            summary[f"{name}_{phase}_rows_per_s"] = statistics.median(rates)
            summary[f"{name}_{phase}_rows"] = _phase(runs[name][0], phase)["rows"]
        summary[f"ratio_{phase}"] = (
            summary[f"new_{phase}_rows_per_s"] / summary[f"base_{phase}_rows_per_s"]
        )
    result = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "subjects": args.subjects,
        "share": args.share,
        "repeat": args.repeat,
        "base_commit": args.base,
        "new_commit": _git("rev-parse", "HEAD"),
        "dirty_tree": bool(_git("status", "--porcelain", "--", "src")),
        "machine": {
            "cpu_count": os.cpu_count(),
            "cpu_affinity": len(os.sched_getaffinity(0)),
            "python": platform.python_version(),
            "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "summary": summary,
        "runs": runs,
    }
    RESULTS_JSON.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return _write_markdown()


def _write_markdown() -> int:
    """(Re)write results.md from results.json."""
    result = json.loads(RESULTS_JSON.read_text(encoding="utf-8"))
    RESULTS_MD.write_text(_markdown(result), encoding="utf-8")
    print(RESULTS_MD.read_text(encoding="utf-8"))
    return 0


def _markdown(result: dict[str, Any]) -> str:
    s = result["summary"]
    new_run = result["runs"]["new"][0]
    base_run = result["runs"]["base"][0]
    lines = [
        "# Ingest throughput with versions",
        "",
        "Generated by `python -m benchmarks.ingest` (what is measured and how: the docstring of",
        "`benchmarks/ingest/_run.py`).",
        "",
        f"- base: the ingest of main before versions, commit `{result['base_commit'][:12]}`;",
        f"- new: commit `{result['new_commit'][:12]}`"
        + (" with uncommitted changes under src/" if result["dirty_tree"] else "")
        + ";",
        f"- data: {result['subjects']:,} subjects, the demo's files (0.05 % of rows made invalid",
        f"  on purpose), then an update batch of {result['share']:.0%} of the bills, account",
        "  reports and public records;",
        f"- median of {result['repeat']} alternating runs of each version, each in a fresh "
        "process;",
        f"- machine: {result['machine']['cpu_affinity']} cores, load average at start "
        f"{result['machine']['loadavg_at_start']}: it is shared with other work, so single runs "
        "vary (each run is listed below).",
        "",
        "| delivery | rows | base rows/s | new rows/s | new / base |",
        "|---|---|---|---|---|",
    ]
    for phase, label in (("first", "the demo's five files"), ("update", "the update batch")):
        lines.append(
            f"| {label} | {s[f'new_{phase}_rows']:,} | {s[f'base_{phase}_rows_per_s']:,.0f} | "
            f"{s[f'new_{phase}_rows_per_s']:,.0f} | {s[f'ratio_{phase}']:.2f}x |"
        )
    lines += ["", "Each run (rows/s, in the order run; base and new alternate):", ""]
    for phase in ("first", "update"):
        for name in ("base", "new"):
            rates = [f"{_phase(r, phase)['rows_per_s']:,.0f}" for r in result["runs"][name]]
            lines.append(f"- {phase}, {name}: {', '.join(rates)}")
    lines += [
        "",
        "Target: new at least 0.8x base on both.",
        "",
        "## What each version did with the rows (first run)",
        "",
        "| file | rows in | base stored | base quarantined | new stored | new versions "
        "| new deletions | new quarantined | base s | new s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for b, n in zip(base_run["files"], new_run["files"], strict=True):
        lines.append(
            f"| {n['phase']} {n['kind']} | {n['rows_in']:,} | {b['rows_stored']:,} | "
            f"{b['rows_quarantined']:,} | {n['rows_stored']:,} | {n.get('rows_versions', 0):,} | "
            f"{n.get('rows_deleted', 0):,} | {n['rows_quarantined']:,} | {b['seconds']:.2f} | "
            f"{n['seconds']:.2f} |"
        )
    lines += [
        "",
        "The base quarantines every update row (its key is stored with different values); the",
        "new ingest stores them as versions after comparing each with its record's latest stored",
        "version, and also checks every record's subject against the stored subjects.",
        "",
    ]
    return "\n".join(lines)
