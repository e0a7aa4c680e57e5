"""Every scorer of one artifact side by side, in one run, against this machine's memory bandwidth.

What is measured (rows per second; the best of a few repetitions after a warm-up, each engine
on as many rows as fit its time budget, up to ``--rows``):

- memory read bandwidth (numpy sum over a 512 MiB float32 array) and copy bandwidth;
- the trustscore kernel on one core, score only and with reasons (points, score, sub-scores,
  status, reasons into numpy arrays), and ``score()`` end to end (Arrow in, Arrow table out);
- the numpy ``searchsorted`` reference (:mod:`trustscore.scoring._reference`), score only;
- ``score(engine="duckdb")`` (DuckDB scans, the kernel scores, 2 threads) and the scorecard as
  SQL evaluated by DuckDB itself (``to_ibis(form="search")``), with and without reasons;
- Spark local[2], in fresh processes (:mod:`benchmarks.scoring._spark_child`), every form on
  the same rows: ``to_ibis(form="search")`` (what ``score(engine="spark")`` runs), the CASE
  form (``form="case"``), the arithmetic form (``form="sum"``) and a naive nested ``CASE WHEN``
  per characteristic in the project's session (JVM ``-XX:-DontCompileHugeMethods``,
  ``hugeMethodLimit=8000``); the naive and search forms on a JVM with its default options, and
  both again with the session conf ``spark.sql.codegen.hugeMethodLimit=8000``; each written to
  Spark's ``noop`` sink from a cached DataFrame;
- optbinning's ``Scorecard.score`` on a scorecard fitted here to the same data;
- ``score()``'s first call on new tables (built from numpy with NULLs, and read from Parquet)
  side by side with the kernel on the same tables, and the first call in a fresh process, with
  the numba cache on disk and with an empty one (:mod:`benchmarks.scoring._first_call`);
- ``score_parquet`` over 100 M rows of Parquet with each engine (kernel, DuckDB, Spark), each
  in a fresh process, with its peak RSS.

Every engine's scores are checked against the kernel's on the rows it scored (sum and count of
the scores, and of the NS rows) before its speed counts.

``--only SECTION[,SECTION]`` runs the kernel and the named sections (``--skip`` leaves some
out); the rows of the sections not run are kept from the previous results.json, marked with the
run they come from.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from benchmarks.scoring._data import (
    BINS,
    CHARACTERISTICS,
    benchmark_arrays,
    benchmark_artifact,
    benchmark_table,
    benchmark_target,
    parquet_ready,
    write_parquet,
)
from benchmarks.scoring._first_call import (
    COLD_SCORE,
    FIRST_KERNEL,
    FIRST_SCORE,
    FRESH_KERNEL,
    FRESH_SCORE,
    SOURCES,
    bench_first_call,
    bench_fresh_process,
)
from trustscore.scoring import ScorecardArtifact, score
from trustscore.scoring._kernel import reason_dtype

__all__ = ["main"]

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
GIB = 1 << 30

KERNEL_SCORE = "trustscore kernel, score only"
KERNEL_ALL = "trustscore kernel, with reasons"
KERNEL_IN_CACHE = "trustscore kernel, with reasons, in the cache"
KERNEL_CACHE_ROWS = 65_536
TARGETS = {
    "kernel_rows_per_s": 50e6,
    "kernel_vs_numpy": 25.0,
    "duckdb_rows_per_s": 10e6,
    "spark_arith_vs_naive": 5.0,
    "parquet_peak_rss_bytes": 4 * GIB,
    "first_call_vs_kernel": 0.8,
}
SECTIONS = ("numpy", "duckdb", "spark", "optbinning", "first-call", "cold-compile", "parquet")


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _best(fn: Callable[[], Any], reps: int) -> tuple[float, float, Any]:
    """The fastest of ``reps`` calls: (wall seconds, CPU seconds of this process, result)."""
    best_wall, best_cpu, result = float("inf"), float("inf"), None
    for _ in range(reps):
        c0 = time.process_time()
        t0 = time.perf_counter()
        result = fn()
        wall = time.perf_counter() - t0
        if wall < best_wall:
            best_wall, best_cpu = wall, time.process_time() - c0
    return best_wall, best_cpu, result


def _row(
    name: str, rows: int, wall: float, cpu: float | None, threads: str, note: str = ""
) -> dict[str, Any]:
    return {
        "approach": name,
        "rows": rows,
        "seconds": round(wall, 4),
        "cpu_seconds": None if cpu is None else round(cpu, 4),
        "rows_per_s": rows / wall,
        "threads": threads,
        "note": note,
    }


def _rows_for(rate: float, budget_s: float, cap: int, floor: int) -> int:
    """How many rows one repetition can take within ``budget_s`` at ``rate`` rows/s."""
    return int(min(cap, max(floor, rate * budget_s)) // 1000 * 1000)


# -- machine ------------------------------------------------------------------------------------
def machine_facts() -> dict[str, Any]:
    import psutil

    model = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    flags = ""
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("flags"):
                have = set(line.split(":", 1)[1].split())
                flags = " ".join(x for x in ("avx2", "avx512f", "avx512bw") if x in have)
                break
    versions = {"python": platform.python_version()}
    for pkg in ("numpy", "numba", "pyarrow", "duckdb", "ibis-framework", "pyspark", "optbinning"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    try:
        java = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
        versions["java"] = (java.stderr or java.stdout).splitlines()[0]
    except OSError:
        versions["java"] = "not found"
    from llvmlite import binding

    return {
        "cpu_model": model,
        "simd": flags,
        "llvm_cpu": binding.get_host_cpu_name(),
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "memory_bytes": psutil.virtual_memory().total,
        "kernel": platform.release(),
        "versions": versions,
    }


def memory_bandwidth() -> dict[str, float]:
    """Read bandwidth (numpy sum of float32) and copy bandwidth (bytes read + written), GB/s."""
    a = np.ones(128 << 20, dtype=np.float32)  # 512 MiB
    b = np.empty_like(a)
    np.copyto(b, a)
    read, _, _ = _best(lambda: a.sum(), 7)
    copy, _, _ = _best(lambda: np.copyto(b, a), 5)
    return {"read_gb_s": a.nbytes / read / 1e9, "copy_gb_s": 2 * a.nbytes / copy / 1e9}


# -- reference values -----------------------------------------------------------------------------
def _check(name: str, got: tuple[int, int, int], want: tuple[int, int, int]) -> None:
    if got != want:
        msg = f"{name} disagrees with the kernel: (sum, count, NS) {got} != {want}"
        raise AssertionError(msg)


def _summary(scores: pa.ChunkedArray | pa.Array) -> tuple[int, int, int]:
    """(sum of scores, number scored, number NS) — the check every engine must pass."""
    total = pc.sum(scores, min_count=0).as_py() or 0
    return int(total), len(scores) - scores.null_count, scores.null_count


# -- engines --------------------------------------------------------------------------------------
def bench_kernel(art: ScorecardArtifact, table: pa.Table, reps: int) -> list[dict[str, Any]]:
    from trustscore.scoring._compiled import compile_artifact
    from trustscore.scoring._score import _kernel_batch

    c = compile_artifact(art)
    _kernel_batch(c, table.slice(0, 10_000), reasons=True)  # load (or compile) the kernel
    n = table.num_rows
    rows = []
    for reasons in (False, True):
        wall, cpu, _ = _best(lambda r=reasons: _kernel_batch(c, table, reasons=r), reps)
        what = "with reasons" if reasons else "score only"
        rows.append(
            _row(
                KERNEL_ALL if reasons else KERNEL_SCORE,
                n,
                wall,
                cpu,
                "1",
                "points, score, 4 sub-scores, status"
                + (", top-4 reasons" if reasons else "")
                + " into numpy arrays",
            )
        )
    # the same work on rows that stay in the cache: what the kernel does without waiting on
    # memory (the gap to the rows above is the memory's share)
    small = table.slice(0, min(n, KERNEL_CACHE_ROWS))
    loops = 50

    def in_cache() -> None:
        for _ in range(loops):
            _kernel_batch(c, small, reasons=True)

    wall, cpu, _ = _best(in_cache, reps)
    rows.append(
        _row(
            KERNEL_IN_CACHE,
            small.num_rows * loops,
            wall,
            cpu,
            "1",
            f"as above, {small.num_rows:,} rows scored {loops} times (in the cache)",
        )
    )
    for reasons in (False, True):
        wall, cpu, _ = _best(lambda r=reasons: score(art, table, reasons=r), reps)
        what = "with reasons" if reasons else "score only"
        rows.append(
            _row(
                f"trustscore score() end to end, {what}",
                n,
                wall,
                cpu,
                "1",
                "Arrow table in, Arrow table out (the public API)",
            )
        )
    return rows


def bench_numpy(art: ScorecardArtifact, n: int, reps: int) -> dict[str, Any]:
    from trustscore.scoring._reference import reference_points

    cols = benchmark_arrays(n)

    def run() -> Any:
        r = reference_points(art, cols)
        return np.where(r.ok, r.points.sum(axis=1), -1)

    wall, cpu, _ = _best(run, reps)
    return _row(
        "numpy searchsorted + take (trustscore.scoring._reference)",
        n,
        wall,
        cpu,
        "1",
        "score only; per characteristic, float64",
    )


DUCKDB_SCORE = 'score(engine="duckdb"), score only'
DUCKDB_ALL = 'score(engine="duckdb"), with reasons'
DUCKDB_SQL_SCORE = 'DuckDB SQL, to_ibis(form="search"), score only'
DUCKDB_SQL_ALL = 'DuckDB SQL, to_ibis(form="search"), with reasons'


def _duckdb_sql(art: ScorecardArtifact, table: pa.Table, reasons: bool) -> pa.Table:
    """The scorecard as SQL (the search form, DuckDB's fastest) over ``table``, in input order."""
    import ibis

    from trustscore import engines
    from trustscore.scoring import to_ibis

    t = ibis.table(ibis.Schema.from_pyarrow(table.schema), name="features")
    names = ["score", "status", *art.dimension_names]
    if reasons:
        names += [f"reason_{i}" for i in range(1, 5)]
    sql = str(ibis.to_sql(to_ibis(art, t, reasons=reasons, form="search").select(*names), "duckdb"))
    return engines.duckdb_query_arrow(table, "features", sql, batch_rows=122_880)


def bench_duckdb(
    art: ScorecardArtifact,
    table: pa.Table,
    want: Callable[[int], tuple[int, int, int]],
    budget: float,
    reps: int,
) -> list[dict[str, Any]]:
    """``score(engine="duckdb")`` (DuckDB scans, the kernel scores) and the SQL search form run
    by DuckDB itself, each with and without reasons, on DuckDB's default threads."""
    from trustscore import engines

    threads = engines.connect("duckdb").raw_sql("SELECT current_setting('threads')").fetchone()
    runs: list[tuple[str, Callable[[pa.Table, bool], pa.Table], bool, str]] = [
        (
            DUCKDB_SCORE,
            lambda p, r: score(art, p, engine="duckdb", reasons=r),
            False,
            "DuckDB scans the Arrow table and streams it through the kernel; Arrow in and out, "
            "input order kept",
        ),
        (
            DUCKDB_ALL,
            lambda p, r: score(art, p, engine="duckdb", reasons=r),
            True,
            "as above, with the reason columns",
        ),
        (
            DUCKDB_SQL_SCORE,
            lambda p, r: _duckdb_sql(art, p, r),
            False,
            "the scorecard as SQL, evaluated by DuckDB (float32 compared as float32)",
        ),
        (DUCKDB_SQL_ALL, lambda p, r: _duckdb_sql(art, p, r), True, "as above, with reasons"),
    ]
    rows = []
    for name, fn, reasons, note in runs:
        probe = table.slice(0, 200_000)
        t0 = time.perf_counter()
        fn(probe, reasons)
        rate = probe.num_rows / (time.perf_counter() - t0)
        n = _rows_for(rate, budget, table.num_rows, 200_000)
        part = table.slice(0, n)
        wall, cpu, out = _best(lambda p=part, f=fn, r=reasons: f(p, r), reps)
        _check(name, _summary(out["score"]), want(n))
        rows.append(_row(name, n, wall, cpu, str(threads[0] if threads else "?"), note))
    return rows


def _spark_child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run :mod:`benchmarks.scoring._spark_child` (a fresh JVM) and return its JSON."""
    cmd = [sys.executable, "-m", "benchmarks.scoring._spark_child", json.dumps(spec)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=HERE.parent.parent)
    if proc.returncode:
        msg = f"the Spark run failed:\n{proc.stderr[-3000:]}"
        raise RuntimeError(msg)
    res: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return res


SPARK_SCORE = 'Spark to_ibis(form="search") (what score(engine="spark") runs), score only'
SPARK_SCORE_REASONS = 'Spark to_ibis(form="search") (what score(engine="spark") runs), with reasons'
SPARK_CASE = 'Spark to_ibis(form="case"), score only'
SPARK_CASE_REASONS = 'Spark to_ibis(form="case"), with reasons'
SPARK_SUM = 'Spark to_ibis(form="sum") (arithmetic form), score only'
SPARK_NAIVE_FLAG = "Spark naive nested CASE WHEN per characteristic, score only"
SPARK_NAIVE_DEFAULT = "Spark naive nested CASE WHEN, score only, default JVM"
SPARK_OURS_DEFAULT = 'Spark to_ibis(form="search"), score only, default JVM'
SPARK_OURS_LIMIT = 'Spark to_ibis(form="search"), score only, default JVM, hugeMethodLimit=8000'
SPARK_NAIVE_LIMIT = "Spark naive nested CASE WHEN, score only, default JVM, hugeMethodLimit=8000"
_HUGE_LIMIT = {"spark.sql.codegen.hugeMethodLimit": "8000"}


def bench_spark(
    table: pa.Table, want: Callable[[int], tuple[int, int, int]], n: int
) -> list[dict[str, Any]]:
    """Spark local[2] in two fresh processes: the project's session (JVM flag and
    hugeMethodLimit, :func:`trustscore.engines.spark_session`) and a JVM with its default
    options, every form on the same ``n`` rows (enough that a job's fixed cost, about 0.1 s, is
    not what is timed)."""
    path = DATA / f"spark_{n}.parquet"
    if not (path.exists() and pq.ParquetFile(path).metadata.num_rows == n):
        pq.write_table(table.slice(0, n), path)

    flag = "project session (JVM -XX:-DontCompileHugeMethods, hugeMethodLimit=8000)"
    default = "JVM defaults (as a typical deployment runs Spark)"
    limit = (
        "JVM defaults, session conf spark.sql.codegen.hugeMethodLimit=8000 (Spark then splits "
        "the plan's code into methods the JIT compiles; no JVM option needed)"
    )

    def run(
        name: str,
        note: str,
        form: str,
        reasons: bool,
        reps: int,
        conf: dict[str, str] | None = None,
    ) -> Any:
        return {
            "name": name,
            "note": note,
            "form": form,
            "rows": n,
            "reasons": reasons,
            "reps": reps,
            "conf": conf or {},
            "want": want(n),
        }

    ours = _spark_child(
        {
            "parquet": str(path),
            "flag": True,
            "runs": [
                run(SPARK_SCORE, flag, "search", False, 3),
                run(SPARK_SCORE_REASONS, flag, "search", True, 2),
                run(SPARK_CASE, flag, "case", False, 3),
                run(SPARK_CASE_REASONS, flag, "case", True, 2),
                run(SPARK_SUM, flag, "sum", False, 2),
                run(SPARK_NAIVE_FLAG, f"{flag}; 160 WHEN branches", "naive", False, 3),
            ],
        }
    )
    plain = _spark_child(
        {
            "parquet": str(path),
            "flag": False,
            "runs": [
                run(SPARK_NAIVE_DEFAULT, default, "naive", False, 2),
                run(SPARK_OURS_DEFAULT, default, "search", False, 2),
                run(SPARK_OURS_LIMIT, limit, "search", False, 3, _HUGE_LIMIT),
                run(SPARK_NAIVE_LIMIT, limit, "naive", False, 3, _HUGE_LIMIT),
            ],
        }
    )
    rows = []
    for res in (ours, plain):
        for r in res["runs"]:
            name, note = r["name"], r["note"]
            what = "score, status, sub-scores, reasons" if r["reasons"] else "score only"
            rows.append(
                _row(
                    name,
                    r["rows"],
                    r["seconds"],
                    None,
                    "local[2]",
                    f"{note}; {what}, cached DataFrame in 2 partitions to the noop sink",
                )
            )
    return rows


def bench_optbinning(
    art: ScorecardArtifact, table: pa.Table, n_fit: int, n_score: int
) -> list[dict[str, Any]]:
    import pandas as pd
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    names = [c.name for c in art.characteristics]
    fit = table.slice(0, n_fit)
    X = pd.DataFrame({n: fit.column(n).to_numpy(zero_copy_only=False) for n in names})
    y = benchmark_target(fit)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sc = Scorecard(
            binning_process=BinningProcess(names, max_n_bins=BINS, max_n_prebins=20),
            estimator=LogisticRegression(),
            scaling_method="min_max",
            scaling_method_params={"min": 0, "max": 1000},
        )
        sc.fit(X, y)
    fit_s = time.perf_counter() - t0
    part = table.slice(0, n_score)
    Xs = pd.DataFrame({n: part.column(n).to_numpy(zero_copy_only=False) for n in names})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sc.score(Xs.iloc[:1000])
        wall, cpu, _ = _best(lambda: sc.score(Xs), 2)
    return [
        _row(
            "optbinning Scorecard.score",
            n_score,
            wall,
            cpu,
            "1",
            f"score only (no reasons, no criteria); fitted on {n_fit:,} rows in {fit_s:.0f} s",
        )
    ]


def bench_parquet(n: int, batch_rows: int, engine: str) -> dict[str, Any]:
    DATA.mkdir(parents=True, exist_ok=True)
    src = DATA / f"features_{n}.parquet"
    gen_s = 0.0
    if not parquet_ready(src, n):
        _log(f"writing {n:,} rows of Parquet to {src} (once; kept for later runs)")
        t0 = time.perf_counter()
        write_parquet(src, n)
        gen_s = time.perf_counter() - t0
    dest = DATA / f"scores_{n}.parquet"
    cmd = [sys.executable, "-m", "benchmarks.scoring._parquet_child", str(src), str(dest)]
    cmd += [str(batch_rows), engine]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=HERE.parent.parent)
    if proc.returncode:
        msg = f"the Parquet run failed:\n{proc.stderr[-3000:]}"
        raise RuntimeError(msg)
    res: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    res["input_bytes"] = src.stat().st_size
    res["batch_rows"] = batch_rows
    res["generated_in_s"] = round(gen_s, 1)
    check = pq.read_table(dest, columns=["score"]).column("score")
    res["summary"] = _summary(check)
    dest.unlink()
    return res


_PARQUET_NOTES = {
    "kernel": "Arrow reads file by file (no pre-buffering), the kernel scores each batch",
    "duckdb": "DuckDB's Parquet reader on 2 threads streams batches through the kernel",
    "spark": "Spark local[2] reads, sorts back into file and row order, scores as SQL (search "
    "form) and writes part files, which are appended to the one output file",
}


# -- report ---------------------------------------------------------------------------------------
def _fmt_rate(r: float) -> str:
    return f"{r / 1e6:,.2f} M" if r >= 1e5 else f"{r / 1e3:,.1f} k"


def _verdicts(results: dict[str, Any]) -> list[dict[str, Any]]:
    rates = {r["approach"]: r["rows_per_s"] for r in results["table"]}
    out = []

    def add(claim: str, value: float | None, target: float, unit: str, ok: bool | None) -> None:
        out.append({"claim": claim, "measured": value, "target": target, "unit": unit, "holds": ok})

    k = rates.get(KERNEL_ALL)
    npy = next((v for a, v in rates.items() if a.startswith("numpy")), None)
    for claim, rate in (
        (
            "kernel >= 50 M rows/s on one core, everything (points, score, 4 sub-scores, "
            "status, top-4 reasons)",
            k,
        ),
        ("kernel >= 50 M rows/s on one core, score only (no reasons)", rates.get(KERNEL_SCORE)),
    ):
        target = TARGETS["kernel_rows_per_s"]
        add(claim, rate, target, "rows/s", None if rate is None else rate >= target)
    ratio = None if k is None or not npy else k / npy
    add(
        "kernel with reasons >= 25x the numpy baseline (score only)",
        ratio,
        TARGETS["kernel_vs_numpy"],
        "x",
        None if ratio is None else ratio >= TARGETS["kernel_vs_numpy"],
    )
    for claim, name in (
        (
            'DuckDB path, score(engine="duckdb"), >= 10 M rows/s on 2 cores, score only',
            DUCKDB_SCORE,
        ),
        (
            'DuckDB path, score(engine="duckdb"), >= 10 M rows/s on 2 cores, with reasons',
            DUCKDB_ALL,
        ),
        (
            "DuckDB evaluating the scorecard as SQL (search form), score only (no issue target)",
            DUCKDB_SQL_SCORE,
        ),
    ):
        d = rates.get(name)
        add(
            claim,
            d,
            TARGETS["duckdb_rows_per_s"],
            "rows/s",
            None if d is None else d >= TARGETS["duckdb_rows_per_s"],
        )
    for num, naive_name, claim, target in (
        (
            SPARK_SCORE,
            SPARK_NAIVE_DEFAULT,
            'Spark path, score(engine="spark") (project session), >= 5x naive nested CASE '
            "(default JVM)",
            TARGETS["spark_arith_vs_naive"],
        ),
        (
            SPARK_OURS_LIMIT,
            SPARK_NAIVE_DEFAULT,
            "Spark search form on a default JVM with hugeMethodLimit=8000 >= 5x naive nested "
            "CASE (default JVM)",
            TARGETS["spark_arith_vs_naive"],
        ),
        (
            SPARK_SCORE,
            SPARK_NAIVE_FLAG,
            "Spark score >= naive nested CASE, both in the project session (no issue target)",
            1.0,
        ),
    ):
        a, nv = rates.get(num), rates.get(naive_name)
        sr = None if a is None or not nv else a / nv
        add(claim, sr, target, "x", None if sr is None else sr >= target)
    kernel_best = rates.get(KERNEL_ALL)
    rows = {r["approach"]: r for r in results["table"]}
    for source in SOURCES:
        for what in ("with reasons", "score only"):
            sc = rates.get(FIRST_SCORE.format(source=source, what=what))
            kn = rates.get(FIRST_KERNEL.format(source=source, what=what))
            fr = None if sc is None or not kn else sc / kn
            target = TARGETS["first_call_vs_kernel"]
            add(
                f"score() first call on a new table ({source}), {what}, >= 0.8x the kernel on "
                "the same tables, side by side",
                fr,
                target,
                "x",
                None if fr is None else fr >= target,
            )
            s_row = rows.get(FIRST_SCORE.format(source=source, what=what))
            k_row = rows.get(FIRST_KERNEL.format(source=source, what=what))
            if s_row and k_row and s_row.get("cpu_seconds") and k_row.get("cpu_seconds"):
                cr = k_row["cpu_seconds"] / s_row["cpu_seconds"]
                add(
                    f"the same by CPU time ({source}, {what}): the steadier measure on a "
                    "shared machine",
                    cr,
                    target,
                    "x",
                    cr >= target,
                )
            if what == "with reasons" and sc is not None and kernel_best:
                fb = sc / kernel_best
                add(
                    f"score() first call on a new table ({source}), with reasons, >= 0.8x the "
                    "kernel's best rate in this run (trustscore kernel, with reasons)",
                    fb,
                    target,
                    "x",
                    fb >= target,
                )
    for engine, pqr in (results.get("parquet") or {}).items():
        rss = pqr["peak_rss_bytes"] + (pqr.get("jvm_peak_rss_bytes") or 0)
        add(
            f"{pqr['rows']:,} rows from Parquet with peak RSS <= 4 GiB, "
            f"score_parquet(engine={engine!r})"
            + (" (Python and JVM together)" if pqr.get("jvm_peak_rss_bytes") else ""),
            rss,
            TARGETS["parquet_peak_rss_bytes"],
            "bytes",
            rss <= TARGETS["parquet_peak_rss_bytes"],
        )
    return out


def _notes(results: dict[str, Any]) -> list[str]:
    """What the numbers mean, from the numbers."""
    rates = {r["approach"]: r for r in results["table"]}
    bw = results["memory"]["read_gb_s"] * 1e9
    out = [
        "Rates are the best of a few repetitions (fast engines on all rows, slow ones on a "
        "sample sized to their time budget); the machine was shared with other work "
        f"(load average {results['load_before'][0]:.1f} at the start), so every rate is a "
        "lower bound for a quiet machine and the ratios are the more stable figures.",
    ]
    k = rates.get(KERNEL_ALL)
    if k:
        need = k["rows_per_s"] * 4 * (CHARACTERISTICS + 1)
        reason_bytes = np.dtype(reason_dtype(2 * CHARACTERISTICS)).itemsize  # two slots each
        written = 4 + 1 + 4 * 4 + 4 * reason_bytes
        out.append(
            f"The kernel runs on one thread (CPU seconds {k['cpu_seconds']:.3f} for "
            f"{k['seconds']:.3f} s of wall time, with reasons) and read its input at "
            f"{need / 1e9:.1f} GB/s, {need / bw:.0%} of the read bandwidth measured in the same "
            f"run; it also writes {written} bytes per row (score 4, status 1, 4 sub-scores 16, "
            f"4 reason indices {4 * reason_bytes}). Its loops are vectorised for "
            f"{results['machine'].get('llvm_cpu', 'this CPU')} (LLVM's name for it), 512 bits "
            "wide where the CPU has AVX-512."
        )
    a, sm = rates.get(SPARK_SCORE), rates.get(SPARK_SUM)
    nv, nd = rates.get(SPARK_NAIVE_FLAG), rates.get(SPARK_NAIVE_DEFAULT)
    ad, al, nl = (
        rates.get(SPARK_OURS_DEFAULT),
        rates.get(SPARK_OURS_LIMIT),
        rates.get(SPARK_NAIVE_LIMIT),
    )
    if a and nv and nd and sm and ad and al and nl:
        out.append(
            "Spark: a scorecard's generated code is one method above the JVM's 8,000-byte "
            "limit for compiling, so on a JVM with its default options it runs interpreted: "
            f"the naive CASE SQL ran at {_fmt_rate(nd['rows_per_s'])} rows/s and "
            f'score(engine="spark")\'s search form at {_fmt_rate(ad["rows_per_s"])}. Two '
            "remedies lift both: the JVM option -XX:-DontCompileHugeMethods, and the session "
            "conf spark.sql.codegen.hugeMethodLimit=8000, which makes Spark split the code into "
            "methods the JIT compiles and needs no JVM option (on a default JVM: search form "
            f"{_fmt_rate(al['rows_per_s'])}, naive {_fmt_rate(nl['rows_per_s'])} rows/s). The "
            "project's session sets both (trustscore.engines.spark_session; the conf halves "
            "the time of the reasons): search form "
            f"{_fmt_rate(a['rows_per_s'])}, naive {_fmt_rate(nv['rows_per_s'])}, arithmetic "
            f'form {_fmt_rate(sm["rows_per_s"])} rows/s. So score(engine="spark") is '
            f"{a['rows_per_s'] / nd['rows_per_s']:.1f}x the naive SQL as a default deployment "
            f"runs it, and {a['rows_per_s'] / nv['rows_per_s']:.1f}x it in the same session: "
            "the gain is the compiled code, which the expression's shape alone does not bring."
        )
    ns = rates.get(FIRST_SCORE.format(source=SOURCES[0], what="with reasons"))
    nk = rates.get(FIRST_KERNEL.format(source=SOURCES[0], what="with reasons"))
    if ns and nk:
        extra = (ns["cpu_seconds"] - nk["cpu_seconds"]) / ns["rows"] * 1e9
        out.append(
            "score() on a new table does what the kernel does and writes the Arrow columns: "
            "the kernel writes the status and reason columns' buffers (offsets and characters, "
            "block by block beside its numbers) and score() then packs the validity bitmaps. "
            f"On the new tables built from numpy that cost {extra:.1f} ns of CPU a row over "
            f"the kernel's {nk['cpu_seconds'] / nk['rows'] * 1e9:.1f} ns (medians; with "
            "reasons). A table read from Parquet comes in record batches of 128 Ki rows, each "
            "scored into its rows of one set of outputs."
        )
    fs, fk, cold = rates.get(FRESH_SCORE), rates.get(FRESH_KERNEL), rates.get(COLD_SCORE)
    if fs and fk:
        out.append(
            "The first call in a process is not the first call on a new table. In a fresh "
            f"process (the numba cache on disk), score() took {fs['seconds']:.2f} s on "
            f"{fs['rows']:,} new rows and the kernel alone {fk['seconds']:.2f} s: both load "
            "the compiled kernel from the cache and touch fresh memory for their outputs (the "
            f"kernel {fk['output_bytes_per_row']:.0f} bytes a row, score() "
            f"{fs['output_bytes_per_row']:.0f}, with the Arrow string columns), and here "
            "memory a process touches for the first time was filled at "
            f"{fs['touch_gb_s']:.2f} GB/s, memory filled again at {fs['refill_gb_s']:.1f} "
            "GB/s (measured in the same child). The next new table in the same "
            f"process took {fs['second_s']:.3f} s for score() and {fk['second_s']:.3f} s for "
            "the kernel: Arrow's memory pool reuses the pages of outputs that were freed."
            + (
                f" With an empty numba cache the first call compiles the kernel: "
                f"{cold['seconds']:.1f} s (once per machine and source version: "
                "``cache=True`` writes the machine code next to the module)."
                if cold
                else ""
            )
        )
    d, q = rates.get(DUCKDB_ALL), rates.get(DUCKDB_SQL_SCORE)
    if d and q:
        out.append(
            'DuckDB: score(engine="duckdb") has DuckDB scan the data and stream it through the '
            f"kernel ({_fmt_rate(d['rows_per_s'])} rows/s with reasons). DuckDB evaluating the "
            f"scorecard as SQL itself reached {_fmt_rate(q['rows_per_s'])} rows/s (score only): "
            "it interprets an expression one vectorised operation at a time, at 1.5-2.5 ns per "
            "value and operation here, and an exact bin search of 20 x 8 bins is at least 60 "
            "comparisons and as many selections per row, so no SQL form reaches 10 M rows/s on "
            "2 cores. The SQL stays the portable form (identical values, tested on DuckDB, "
            "PostgreSQL and Spark); the kernel does the same work in registers."
        )
    return out


def _from_run(row: dict[str, Any]) -> str:
    return f" (from the run of {row['from_run']})" if row.get("from_run") else ""


def write_report(results: dict[str, Any], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    m = results["machine"]
    bw = results["memory"]
    lines = [
        "# Scoring benchmark",
        "",
        f"Run {results['started_at']} with "
        f"`{' '.join(['python -m benchmarks.scoring', *results['argv']])}` "
        f"in {results['total_seconds']:.0f} s.",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu_model']} ({m['simd']}; LLVM target {m.get('llvm_cpu', '?')}), "
        f"{m['usable_cores']} usable cores, "
        f"{m['memory_bytes'] / GIB:.0f} GiB memory, Linux {m['kernel']}",
        f"- memory bandwidth measured in this run: read {bw['read_gb_s']:.1f} GB/s (numpy sum "
        f"of 512 MiB float32, one core), copy {bw['copy_gb_s']:.1f} GB/s (read + write)",
        f"- load average (1 min) at start {results['load_before'][0]:.2f}, at end "
        f"{results['load_after'][0]:.2f}: other work on the machine slows every number here",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
        "",
        f"Data: {CHARACTERISTICS} float32 characteristics × {BINS} bins (2 % NULL), a criterion "
        "column (about 5 % of rows NS), 4 dimensions. Each engine scored as many rows as fit its "
        f"time budget, up to {results['sizes']['rows']:,}; every engine's scores were checked "
        "against the kernel's on the same rows (sum, count, NS count).",
        "",
        "## Rows per second",
        "",
        "| approach | threads | rows | seconds | rows/s | bytes read/s | note |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    in_bytes = 4 * (CHARACTERISTICS + 1)
    for r in results["table"]:
        lines.append(
            f"| {r['approach']} | {r['threads']} | {r['rows']:,} | {r['seconds']:.3f} | "
            f"{_fmt_rate(r['rows_per_s'])} | {r['rows_per_s'] * in_bytes / 1e9:.2f} GB/s | "
            f"{r['note']}{_from_run(r)} |"
        )
    runs = results.get("parquet") or {}
    if runs:
        first = next(iter(runs.values()))
        lines += [
            "",
            "## Parquet, out of core",
            "",
            f"`score_parquet` read one Parquet file of {first['rows']:,} rows "
            f"({first['input_bytes'] / GIB:.2f} GiB, 21 float32 columns and an int64 "
            "`subject_id`), carried `subject_id` and wrote the scores with reasons to one "
            f"Parquet file ({first['output_bytes'] / GIB:.2f} GiB), in input order, in "
            f"batches of {first['batch_rows']:,} rows; each engine in a fresh process.",
            "",
            "| engine | seconds | rows/s | CPU seconds (Python process) | peak RSS | "
            "peak RSS of Spark's JVM | note |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for engine, pqr in runs.items():
            jvm = pqr.get("jvm_peak_rss_bytes")
            lines.append(
                f"| {engine} | {pqr['seconds']:.1f} | {_fmt_rate(pqr['rows'] / pqr['seconds'])} "
                f"| {pqr['cpu_seconds']:.1f} | {pqr['peak_rss_bytes'] / GIB:.2f} GiB | "
                f"{'—' if not jvm else f'{jvm / GIB:.2f} GiB'} | {_PARQUET_NOTES[engine]} |"
            )
    lines += [
        "",
        "## The issue's targets",
        "",
        "| claim | measured | target | holds |",
        "|---|---:|---:|---|",
    ]
    for v in results["verdicts"]:
        val = v["measured"]
        if val is None:
            shown, tgt = "not measured", ""
        elif v["unit"] == "rows/s":
            shown, tgt = _fmt_rate(val) + " rows/s", _fmt_rate(v["target"]) + " rows/s"
        elif v["unit"] == "bytes":
            shown, tgt = f"{val / GIB:.2f} GiB", f"{v['target'] / GIB:.0f} GiB"
        else:
            shown, tgt = (f"{val:.2f}×" if val < 10 else f"{val:.1f}×"), f"{v['target']:g}×"
        holds = "—" if v["holds"] is None else ("yes" if v["holds"] else "**no**")
        lines.append(f"| {v['claim']} | {shown} | {tgt} | {holds} |")
    notes = [*results.get("notes", []), *_notes(results)]
    if notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    (out_dir / "results.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _section(row: dict[str, Any]) -> str:
    """The section a row of the table belongs to (rows from before sections were recorded
    are told by their names)."""
    if "section" in row:
        return str(row["section"])
    name = row["approach"]
    for prefix, section in (
        ("numpy", "numpy"),
        ('score(engine="duckdb")', "duckdb"),
        ("DuckDB", "duckdb"),
        ("Spark", "spark"),
        ("optbinning", "optbinning"),
    ):
        if name.startswith(prefix):
            return section
    return "kernel"


def _carry_rows(results: dict[str, Any], previous: Path, skipped: list[str]) -> None:
    """Keep the previous run's rows of the sections this run skipped, saying from when."""
    if not previous.exists():
        return
    old = json.loads(previous.read_text(encoding="utf-8"))
    have = {r["approach"] for r in results["table"]}
    kept = [
        {**r, "from_run": r.get("from_run", old["started_at"])}
        for r in old.get("table", [])
        if _section(r) in skipped and r["approach"] not in have
    ]
    if not kept:
        return
    results["table"] += kept
    for when in sorted({r["from_run"] for r in kept}):
        names = sorted({_section(r) for r in kept if r["from_run"] == when})
        results["notes"].append(
            f"Not run this time ({', '.join(names)}): those rows are from the run of {when}."
        )


def _carry_parquet(results: dict[str, Any], previous: Path, parquet_rows: int) -> None:
    """Keep the Parquet results of the previous run when this run skipped them (same rows)."""
    if not previous.exists():
        return
    old = json.loads(previous.read_text(encoding="utf-8"))
    runs = old.get("parquet") or {}
    if "rows" in runs:  # a run from before there was one per engine: the kernel's
        runs = {"kernel": runs}
    kept = {e: r for e, r in runs.items() if r.get("rows") == parquet_rows}
    if kept:
        when = next(iter(kept.values())).get("from_run", old["started_at"])
        results["parquet"] = {e: {**r, "from_run": when} for e, r in kept.items()}
        results["notes"].append(
            f"The Parquet part was skipped in this run; its numbers are from the run of {when}."
        )


# -- main -----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scoring", description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows in memory")
    parser.add_argument("--parquet-rows", type=int, default=100_000_000)
    parser.add_argument("--batch-rows", type=int, default=1_000_000, help="score_parquet batch")
    parser.add_argument(
        "--parquet-engines", default="kernel,duckdb,spark", help="score_parquet's engines to run"
    )
    parser.add_argument("--reps", type=int, default=3, help="repetitions of the fast engines")
    parser.add_argument(
        "--kernel-reps", type=int, default=7, help="repetitions of the kernel (the fastest)"
    )
    parser.add_argument("--budget", type=float, default=8.0, help="seconds per slow-engine run")
    parser.add_argument("--spark-rows", type=int, default=2_000_000)
    parser.add_argument("--optbinning-rows", type=int, default=500_000)
    parser.add_argument("--numpy-rows", type=int, default=2_000_000)
    parser.add_argument("--first-call-rows", type=int, default=2_000_000)
    parser.add_argument("--first-call-trials", type=int, default=7)
    parser.add_argument("--skip", action="append", default=[], choices=SECTIONS)
    parser.add_argument(
        "--only",
        type=lambda v: v.split(","),
        default=None,
        help=f"run the kernel and only these sections (comma-separated: {', '.join(SECTIONS)})",
    )
    parser.add_argument("--out", type=Path, default=HERE, help="where results.md/json go")
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite results.md from results.json"
    )
    args = parser.parse_args(argv)
    if args.only is not None:
        unknown = sorted(set(args.only) - set(SECTIONS))
        if unknown:
            parser.error(f"--only: unknown section(s) {unknown}; choose from {SECTIONS}")
        args.skip = [x for x in SECTIONS if x not in args.only]
    if args.report_only:
        results = json.loads((args.out / "results.json").read_text(encoding="utf-8"))
        results["verdicts"] = _verdicts(results)
        write_report(results, args.out)
        print((args.out / "results.md").read_text(encoding="utf-8"))
        return 0
    argv_used = sys.argv[1:] if argv is None else argv

    started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    t_start = time.perf_counter()
    load_before = os.getloadavg()
    DATA.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "started_at": started,
        "argv": argv_used,
        "load_before": load_before,
        "sizes": {"rows": args.rows, "parquet_rows": args.parquet_rows},
        "notes": [],
    }
    _log("machine facts")
    results["machine"] = machine_facts()
    _log("memory bandwidth")
    results["memory"] = memory_bandwidth()
    _log(f"data: {args.rows:,} rows")
    art = benchmark_artifact()
    table = benchmark_table(args.rows)
    kernel_scores = score(art, table, reasons=False)["score"]

    def want(n: int) -> tuple[int, int, int]:
        return _summary(kernel_scores.slice(0, n))

    rows: list[dict[str, Any]] = []
    _log("kernel")
    rows += bench_kernel(art, table, args.kernel_reps)
    if "numpy" not in args.skip:
        _log("numpy reference")
        rows.append(bench_numpy(art, min(args.numpy_rows, args.rows), 2))
    if "duckdb" not in args.skip:
        _log("duckdb")
        rows += bench_duckdb(art, table, want, args.budget, args.reps)
    if "spark" not in args.skip:
        _log("spark")
        rows += bench_spark(table, want, min(args.spark_rows, args.rows))
    if "optbinning" not in args.skip:
        _log("optbinning")
        rows += bench_optbinning(art, table, 100_000, min(args.optbinning_rows, args.rows))
    if "first-call" not in args.skip:
        _log(f"score() on new tables of {args.first_call_rows:,} rows, first call each")
        rows += bench_first_call(
            art,
            min(args.first_call_rows, args.rows),
            args.first_call_trials,
            DATA / f"first_call_{args.first_call_rows}.parquet",
        )
        _log("the first call in a fresh process")
        rows += bench_fresh_process(args.first_call_rows, cold="cold-compile" not in args.skip)
    results["table"] = rows
    _carry_rows(results, args.out / "results.json", args.skip)
    if "parquet" not in args.skip:
        results["parquet"] = {}
        for engine in args.parquet_engines.split(","):
            _log(f"score_parquet(engine={engine!r}) over {args.parquet_rows:,} rows")
            results["parquet"][engine] = bench_parquet(args.parquet_rows, args.batch_rows, engine)
    else:
        _carry_parquet(results, args.out / "results.json", args.parquet_rows)
    results["load_after"] = os.getloadavg()
    results["total_seconds"] = time.perf_counter() - t_start
    results["verdicts"] = _verdicts(results)
    write_report(results, args.out)
    _log(f"wrote {args.out / 'results.md'}")
    print((args.out / "results.md").read_text(encoding="utf-8"))
    return 0
