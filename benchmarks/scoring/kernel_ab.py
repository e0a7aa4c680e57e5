"""The kernel of this tree against another checkout's, side by side in one run.

``python benchmarks/scoring/kernel_ab.py OTHER_TREE [--rows N] [--rounds R]`` (run it by its
path: each child imports ``trustscore`` and ``benchmarks`` from the tree it times, so the other
tree needs no copy of this file). Both score the benchmark's 20 x 8 artifact
(:func:`benchmarks.scoring._data.benchmark_artifact` of each tree) on the same rows. Each round
starts one child per tree, alternating which goes first; a child loads (or compiles) its
kernel and keeps the best of a few repetitions of ``_kernel_batch`` with and without reasons,
of ``score()`` with reasons and of the kernel on rows in the cache. The report gives each
tree's best rate over the rounds and their ratio, by wall time and by CPU time: on a machine
shared with other work the CPU time is the steadier measure (a run of one tree against a copy
of itself, the same way, is the noise to compare the ratios with).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

_REPS = 7
_CACHE_ROWS = 100_000


def _child(n: int) -> dict[str, float]:
    from benchmarks.scoring._data import benchmark_artifact, benchmark_table
    from trustscore.scoring import score
    from trustscore.scoring._compiled import compile_artifact
    from trustscore.scoring._score import _kernel_batch

    art = benchmark_artifact()
    table = benchmark_table(n)
    c = compile_artifact(art)
    _kernel_batch(c, table.slice(0, 10_000), reasons=True)  # load (or compile) the kernel
    small = table.slice(0, _CACHE_ROWS)
    loops = max(n // _CACHE_ROWS, 1)

    def in_cache() -> None:
        for _ in range(loops):
            _kernel_batch(c, small, reasons=True)

    runs: dict[str, tuple[Callable[[], Any], int, int]] = {
        "kernel with reasons": (lambda: _kernel_batch(c, table, reasons=True), n, _REPS),
        "kernel score only": (lambda: _kernel_batch(c, table, reasons=False), n, _REPS),
        "score() with reasons": (lambda: score(art, table), n, 3),
        "kernel with reasons, in the cache": (in_cache, loops * small.num_rows, _REPS),
    }
    out: dict[str, float] = {}
    for name, (fn, rows, reps) in runs.items():
        wall = cpu = float("inf")
        for _ in range(reps):
            c0 = time.process_time()
            t0 = time.perf_counter()
            fn()
            wall = min(wall, time.perf_counter() - t0)
            cpu = min(cpu, time.process_time() - c0)
        out[f"{name} (wall)"] = rows / wall
        out[f"{name} (CPU)"] = rows / cpu
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="the other checkout (its root folder)")
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args(argv)
    here = Path(__file__).resolve().parents[2]
    trees = {"this": here, "other": args.other.resolve()}
    best: dict[str, dict[str, float]] = {label: {} for label in trees}
    for r in range(args.rounds):
        order = list(trees.items())
        if r % 2:
            order.reverse()
        for label, tree in order:
            env = dict(os.environ, PYTHONPATH=f"{tree / 'src'}{os.pathsep}{tree}")
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(args.rows)],
                env=env,
                cwd=tree,
                capture_output=True,
                text=True,
                check=True,
            )
            rates = json.loads(done.stdout.strip().splitlines()[-1])
            for name, rate in rates.items():
                best[label][name] = max(best[label].get(name, 0.0), rate)
            print(f"round {r} {label}: " + ", ".join(f"{v / 1e6:.1f}" for v in rates.values()))
    print(f"\n{args.rows:,} rows, best of {args.rounds} rounds, M rows/s (this / other)")
    for name in best["this"]:
        a, b = best["this"][name], best["other"][name]
        print(f"{name:45s} {a / 1e6:7.1f} {b / 1e6:7.1f}  ratio {a / b:.3f}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(_child(int(sys.argv[2]))))
        sys.exit(0)
    sys.exit(main())
