"""Score a Parquet file with one engine in a fresh process and report time and peak RSS.

Run by :mod:`benchmarks.scoring._run` as
``python -m benchmarks.scoring._parquet_child SOURCE DEST BATCH_ROWS ENGINE``; prints one JSON
line. A separate process, so that the peak resident memory is the scoring's alone (for Spark,
the Python side's: the JVM is a process of its own, reported apart).
"""

from __future__ import annotations

import contextlib
import json
import resource
import sys
import threading
import time
from pathlib import Path

import psutil

from benchmarks.scoring._data import benchmark_artifact
from trustscore.scoring import score_parquet


def main() -> int:
    source, dest, batch_rows = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    engine = sys.argv[4]
    art = benchmark_artifact()
    proc = psutil.Process()
    peak = [proc.memory_info().rss]
    done = threading.Event()

    jvm_peak = [0]

    def sample() -> None:  # ru_maxrss is the authority; the samples show the steady state
        while not done.wait(0.05):
            peak[0] = max(peak[0], proc.memory_info().rss)
            for child in proc.children(recursive=True):  # Spark's JVM
                with contextlib.suppress(psutil.Error):
                    jvm_peak[0] = max(jvm_peak[0], child.memory_info().rss)

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
    done.set()
    sampler.join()
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    out = {
        "engine": engine,
        "rows": rows,
        "jvm_peak_rss_bytes": jvm_peak[0] or None,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss_bytes": max(maxrss, peak[0]),
        "rss_before_bytes": start_rss,
        "output_bytes": dest.stat().st_size,
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
