"""Crash safety, measured: each job killed with SIGKILL at 100 random points, then re-run.

The harness is the test suite's (``tests/crash_harness.py``, run with 20 trials per job by
``tests/e2e/test_crash_safety.py``): a small demo workspace (``--subjects``), one template per
job (ingest of three furnisher files, ``trustscore score``, ``trustscore disputes
run-deadlines`` over three overdue disputes, an operator's ``corrected`` resolution), a clean run
in a forked child to measure the job's duration, then per trial a fresh copy, a forked child
SIGKILLed after a seeded delay drawn uniformly from [0, 1.1 x that duration], checks of what the
kill left, the job run again to the end, and the workspace compared with the clean run's.

Writes ``results.json`` and ``results.md`` beside this file: per job the trials, the kills that
landed before the job finished (and those after it had changed something), rows or files lost
and duplicated, half-written outputs and audit logs that failed to verify.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["main"]

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def _markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Crash safety: jobs killed with SIGKILL at random points, then re-run",
        "",
        f"Run {result['when']} on {result['machine']} ({result['cpus']} CPUs, load average "
        f"{result['load']} at the start), demo of {result['subjects']} subjects, seed "
        f"{result['seed']}; `python -m benchmarks.crash` (see `_run.py` for the method).",
        "",
        "| job | clean run (s) | trials | killed before the end | of which mid-work | lost | "
        "duplicated | half-written | audit broken |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["jobs"]:
        share = r["killed_mid_work"] / r["trials"] if r["trials"] else 0.0
        lines.append(
            f"| {r['job']} | {r['clean_seconds']:.2f} | {r['trials']} | {r['killed_mid_work']} "
            f"({share:.0%}) | {r['changed_before_kill']} | {r['lost']} | {r['duplicated']} | "
            f"{r['half_written']} | {r['audit_broken']} |"
        )
    lines += [
        "",
        "*Killed before the end*: the child was still running when SIGKILL came. *Mid-work*: "
        "it had already changed the workspace (a file or a ledger row). *Lost* and "
        "*duplicated* count normalised items (store rows, ledger rows, audit actions, files per "
        "folder) the clean run has and the re-run lacks, or has more of.",
        "",
    ]
    failures = [f for r in result["jobs"] for f in r["failures"]]
    lines += ["## Failures", "", *(f"- {f}" for f in failures)] if failures else ["No failures."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.crash", description=__doc__)
    parser.add_argument("--trials", type=int, default=100, help="trials per job")
    parser.add_argument("--subjects", type=int, default=300, help="subjects of the demo")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--jobs", nargs="*", default=None, help="jobs to run (default: all)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO / "tests"))  # the harness is the suite's own
    from crash_harness import JOBS, prepare, run_trials
    from trustscore.pipeline import run_demo

    load = os.getloadavg()[0]
    reports: list[dict[str, Any]] = []

    def write() -> None:  # after each job: a long run stopped early still reports what it did
        result = {
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": platform.platform(),
            "cpus": os.cpu_count(),
            "load": round(load, 1),
            "subjects": args.subjects,
            "seed": args.seed,
            "jobs": reports,
        }
        (HERE / "results.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        (HERE / "results.md").write_text(_markdown(result), encoding="utf-8")

    with tempfile.TemporaryDirectory(prefix="trustscore-crash-") as tmp:
        folder = Path(tmp)
        run_demo(str(folder / "demo"), n_subjects=args.subjects)
        templates = prepare(folder / "demo", folder / "templates")
        for job in args.jobs or sorted(JOBS):
            print(f"{job}: {args.trials} trials ...", flush=True)
            t0 = time.perf_counter()
            work = folder / f"work-{job}"
            work.mkdir()
            report = run_trials(job, templates[job], work, trials=args.trials, seed=args.seed)
            print(f"  {time.perf_counter() - t0:.0f} s: {report.as_dict()}", flush=True)
            reports.append(report.as_dict())
            write()
    bad = sum(r["lost"] + r["duplicated"] + r["half_written"] + r["audit_broken"] for r in reports)
    return 1 if bad else 0
