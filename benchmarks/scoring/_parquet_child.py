"""Score a Parquet file with one engine in a fresh process and report time and peak RSS.

Run by :mod:`benchmarks.scoring._run` as
``python -m benchmarks.scoring._parquet_child SOURCE DEST BATCH_ROWS ENGINE``; prints one JSON
line. A separate process, so that the peak resident memory is the scoring's alone (for Spark,
the Python side's: the JVM is a process of its own, reported apart).
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
from pathlib import Path

import psutil

from benchmarks.scoring._data import benchmark_artifact
from trustscore.scoring import score_parquet


def _hwm(pid: int | str) -> int:
    """A process's peak resident set (VmHWM), in bytes.

    Not ``getrusage``'s ``ru_maxrss``: Linux carries it across ``execve``, so a child started
    by the benchmark reported the benchmark's own high-water mark (3.15 GiB for every engine
    in one run, when the parent held the 10 M-row table).
    """
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024  # kB
    return 0


def main() -> int:
    source, dest, batch_rows = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    engine = sys.argv[4]
    art = benchmark_artifact()
    proc = psutil.Process()
    peak = [proc.memory_info().rss]
    done = threading.Event()

    jvm_peak = [0]

    def sample() -> None:  # VmHWM is the authority; the samples show the steady state
        while not done.wait(0.05):
            peak[0] = max(peak[0], proc.memory_info().rss)
            for child in proc.children(recursive=True):  # Spark's JVM
                with contextlib.suppress(psutil.Error, OSError):
                    jvm_peak[0] = max(jvm_peak[0], child.memory_info().rss, _hwm(child.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    start_rss = proc.memory_info().rss
    sampler.start()
    t0 = time.perf_counter()
    c0 = time.process_time()
    rows = score_parquet(
        art, source, dest, engine=engine, batch_rows=batch_rows, carry=("subject_id",)
    )
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    for child in proc.children(recursive=True):  # the JVM outlives the scoring
        with contextlib.suppress(psutil.Error, OSError):
            jvm_peak[0] = max(jvm_peak[0], _hwm(child.pid))
    done.set()
    sampler.join()
    out = {
        "engine": engine,
        "rows": rows,
        "jvm_peak_rss_bytes": jvm_peak[0] or None,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss_bytes": max(_hwm("self"), peak[0]),
        "rss_before_bytes": start_rss,
        "output_bytes": dest.stat().st_size,
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
