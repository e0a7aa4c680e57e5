"""``score()`` on tables it has never seen, side by side with the kernel on the same tables.

What a user sees is the first call on a fresh batch: new Arrow buffers, built from numpy with
NULLs or read from Parquet. Each trial builds (or reads) a new table and times the first
``score()`` on it and the kernel's own work on it (each record batch scored into one set of
numpy outputs, what ``score()`` runs before it builds the Arrow columns), alternating which
goes first; the table and the outputs are dropped before the next trial, as a loop over
batches does. The rates are the medians over the trials (the machine is shared: the ratio of
the two, measured side by side, is the figure that counts).

The first call in a *process* is reported apart, in fresh child processes
(``python -m benchmarks.scoring._first_call MODE ROWS``): with the numba cache on disk (what
``cache=True`` gives after the first run) it pays for importing, loading the compiled kernel
and the first touch of the memory its outputs take; with an empty cache directory it also
compiles the kernel.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "FIRST_KERNEL",
    "FIRST_SCORE",
    "bench_first_call",
    "bench_fresh_process",
    "kernel_only",
]

HERE = Path(__file__).resolve().parent
FIRST_SCORE = "score() first call on a new table ({source}), {what}"
FIRST_KERNEL = "trustscore kernel on the same new tables ({source}), {what}"
SOURCES = ("built from numpy, 2 % NULL", "read from Parquet")
_TOUCH_BYTES = 256 << 20


def kernel_only(c: Any, table: pa.Table, *, reasons: bool) -> Any:
    """The kernel's work on ``table``: every record batch into one set of numpy outputs."""
    from trustscore.scoring._kernel import kernel_outputs
    from trustscore.scoring._score import _kernel_batch

    outputs = kernel_outputs(table.num_rows, c.n_dimensions, c.n_slots, reasons=reasons)
    row = 0
    for batch in table.to_batches():
        _kernel_batch(c, batch, reasons=reasons, outputs=outputs, out_row=row)
        row += batch.num_rows
    return outputs


def _timed(fn: Callable[[], Any]) -> tuple[float, float]:
    gc.collect()
    c0 = time.process_time()
    t0 = time.perf_counter()
    out = fn()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    del out
    return wall, cpu


def _check(c: Any, table: pa.Table, out: pa.Table) -> None:
    """Raise unless ``score()``'s scores on ``table`` are the kernel's, NS rows null."""
    score_, ok, _, _ = kernel_only(c, table, reasons=False)
    want = pa.array(score_, mask=~ok)
    if not out.column("score").combine_chunks().equals(want):
        msg = "score() on a new table disagrees with the kernel on the same table"
        raise AssertionError(msg)


def bench_first_call(art: Any, n: int, trials: int, parquet_path: Path) -> list[dict[str, Any]]:
    """Rows for ``score()``'s first call on new tables and the kernel on the same tables."""
    from benchmarks.scoring._data import benchmark_table
    from trustscore.scoring import score
    from trustscore.scoring._compiled import compile_artifact

    c = compile_artifact(art)
    if not (parquet_path.exists() and pq.ParquetFile(parquet_path).metadata.num_rows == n):
        parquet_path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(benchmark_table(n, seed=2024), parquet_path)
    makers: dict[str, Callable[[int], pa.Table]] = {
        SOURCES[0]: lambda seed: benchmark_table(n, seed=seed),
        SOURCES[1]: lambda seed: pq.read_table(parquet_path),  # noqa: ARG005 (new buffers each time)
    }
    rows: list[dict[str, Any]] = []
    for source, make in makers.items():
        for reasons in (True, False):
            got: dict[str, list[tuple[float, float]]] = {"score": [], "kernel": []}
            batches = 0
            for trial in range(trials):
                table = make(100 + trial)
                batches = len(table.to_batches())
                if trial == 0 and reasons:
                    _check(c, table, score(art, table))  # not timed: the timed call gets
                    table = make(200)  # a new table
                runs = [
                    ("score", lambda t=table, r=reasons: score(art, t, reasons=r)),
                    ("kernel", lambda t=table, r=reasons: kernel_only(c, t, reasons=r)),
                ]
                if trial % 2:
                    runs.reverse()
                for name, fn in runs:
                    got[name].append(_timed(fn))
                del table, runs
            what = "with reasons" if reasons else "score only"
            for name in ("score", "kernel"):
                wall = statistics.median(w for w, _ in got[name])
                cpu = statistics.median(u for _, u in got[name])
                label = FIRST_SCORE if name == "score" else FIRST_KERNEL
                note = f"median of {trials} new tables of {batches} record batch(es)" + (
                    ", Arrow table in, Arrow table out (the public API)"
                    if name == "score"
                    else ", into numpy arrays (no Arrow output)"
                )
                rows.append(
                    {
                        "approach": label.format(source=source, what=what),
                        "rows": n,
                        "seconds": round(wall, 4),
                        "cpu_seconds": round(cpu, 4),
                        "rows_per_s": n / wall,
                        "threads": "1",
                        "note": note,
                        "section": "first-call",
                        "trials_wall": [round(w, 4) for w, _ in got[name]],
                        "trials_cpu": [round(u, 4) for _, u in got[name]],
                    }
                )
    return rows


FRESH_SCORE = "score() first call in a fresh process, numba cache on disk, with reasons"
FRESH_KERNEL = "trustscore kernel first call in a fresh process, numba cache on disk, with reasons"
COLD_SCORE = "score() first call in a fresh process, empty numba cache (compiles), with reasons"


def _child_run(mode: str, n: int, env: dict[str, str] | None = None) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.scoring._first_call", mode, str(n)]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, check=False, cwd=HERE.parent.parent, env=env
    )
    if proc.returncode:
        msg = f"the fresh-process run ({mode}) failed:\n{proc.stderr[-3000:]}"
        raise RuntimeError(msg)
    res: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return res


def bench_fresh_process(n: int, *, cold: bool) -> list[dict[str, Any]]:
    """The first call in a fresh process: ``score()`` and the kernel alone, each in its own
    child; with ``cold``, also ``score()`` with an empty numba cache directory."""
    runs = [(FRESH_SCORE, "score", None), (FRESH_KERNEL, "kernel", None)]
    tmp = None
    if cold:
        tmp = tempfile.TemporaryDirectory(prefix="numba-cold-")
        runs.append((COLD_SCORE, "score", {**os.environ, "NUMBA_CACHE_DIR": tmp.name}))
    rows = []
    try:
        for name, mode, env in runs:
            res = _child_run(mode, n, env)
            first, second = res["first_s"], res["second_s"]
            rows.append(
                {
                    "approach": name,
                    "rows": n,
                    "seconds": round(first, 4),
                    "cpu_seconds": round(res["first_cpu_s"], 4),
                    "rows_per_s": n / first,
                    "threads": "1",
                    "note": (
                        f"import {res['import_s']:.2f} s before it (not counted); "
                        f"the same call on a second new table then took {second:.3f} s "
                        f"({n / second / 1e6:.1f} M rows/s)"
                    ),
                    "section": "cold-compile" if name == COLD_SCORE else "first-call",
                    "second_s": round(second, 4),
                    "import_s": round(res["import_s"], 3),
                    "output_bytes_per_row": round(res["output_bytes_per_row"], 1),
                    "touch_gb_s": round(res["touch_gb_s"], 2),
                    "refill_gb_s": round(res["refill_gb_s"], 2),
                }
            )
    finally:
        if tmp is not None:
            tmp.cleanup()
    return rows


def _output_bytes(out: Any) -> int:
    if isinstance(out, pa.Table):
        return int(out.nbytes)
    return sum(int(a.nbytes) for a in out)


def _child(mode: str, n: int) -> dict[str, float]:
    t0 = time.perf_counter()
    from benchmarks.scoring._data import benchmark_artifact, benchmark_table
    from trustscore.scoring import score
    from trustscore.scoring._compiled import compile_artifact

    art = benchmark_artifact()
    import_s = time.perf_counter() - t0
    c = compile_artifact(art)
    tables = [benchmark_table(n, seed=300), benchmark_table(n, seed=301)]
    times = []
    for table in tables:
        if mode == "score":
            times.append(_timed(lambda t=table: score(art, t)))
        else:
            times.append(_timed(lambda t=table: kernel_only(c, t, reasons=True)))
    out = score(art, tables[0]) if mode == "score" else kernel_only(c, tables[0], reasons=True)
    out_bytes = _output_bytes(out)
    del out, tables
    # what memory this process has not touched before costs here, against memory refilled
    fresh = np.empty(_TOUCH_BYTES, dtype=np.uint8)
    t0 = time.perf_counter()
    fresh.fill(1)
    touch_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    fresh.fill(2)
    refill_s = time.perf_counter() - t0
    return {
        "import_s": import_s,
        "first_s": times[0][0],
        "first_cpu_s": times[0][1],
        "second_s": times[1][0],
        "output_bytes_per_row": out_bytes / n,
        "touch_gb_s": _TOUCH_BYTES / touch_s / 1e9,
        "refill_gb_s": _TOUCH_BYTES / refill_s / 1e9,
    }


if __name__ == "__main__":
    print(json.dumps(_child(sys.argv[1], int(sys.argv[2]))))
