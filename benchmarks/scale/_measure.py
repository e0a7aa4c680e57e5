"""Running one stage in a child process and measuring it: wall time, CPU time, peak memory.

The child and everything it starts (a Spark JVM, DuckDB's threads are inside the child) are
polled with psutil every 50 ms: the peak is the largest sum of the resident sets of the
process tree seen at one poll, the CPU time the sum of each process's last seen user and system
time. ``getrusage(RUSAGE_SELF).ru_maxrss`` would not do (ENGINE-NOTES.md: it survives
``execve`` and reports the parent's high-water mark), and a poll can miss a peak shorter than
its interval, so the child's own ``VmHWM`` (read from ``/proc`` at its last poll) is kept too.
"""

from __future__ import annotations

import os
import resource
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil

__all__ = ["Measured", "run_measured"]

_POLL_S = 0.05


@dataclass(frozen=True)
class Measured:
    """What one child process cost."""

    name: str
    argv: list[str]
    wall_s: float
    cpu_s: float
    peak_rss_bytes: int
    peak_hwm_bytes: int
    returncode: int
    stdout_tail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _hwm(proc: psutil.Process) -> int:
    try:
        text = Path(f"/proc/{proc.pid}/status").read_text(encoding="ascii")
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def run_measured(
    name: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: str | os.PathLike[str] | None = None,
    log: Path | None = None,
) -> Measured:
    """Run ``argv``, polling its process tree; raise if it fails (with its output's tail)."""
    out = open(log, "w", encoding="utf-8") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        start = time.perf_counter()
        child = subprocess.Popen(
            list(argv), env=dict(env), cwd=cwd, stdout=out, stderr=subprocess.STDOUT
        )
        root = psutil.Process(child.pid)
        cpu: dict[int, float] = {}
        peak = hwm = 0
        while child.poll() is None:
            total = 0
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                tree = []
            for proc in tree:
                try:
                    with proc.oneshot():
                        total += proc.memory_info().rss
                        t = proc.cpu_times()
                        cpu[proc.pid] = t.user + t.system
                except psutil.NoSuchProcess:
                    continue
            peak = max(peak, total)
            hwm = max(hwm, _hwm(root))
            time.sleep(_POLL_S)
        wall = time.perf_counter() - start
    finally:
        if log is not None:
            out.close()  # type: ignore[union-attr]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    waited = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    tail = log.read_text(encoding="utf-8", errors="replace")[-2000:] if log is not None else ""
    if child.returncode != 0:
        msg = f"stage {name} failed (exit {child.returncode}): {' '.join(argv)}\n{tail}"
        raise RuntimeError(msg)
    return Measured(
        name=name,
        argv=list(argv),
        wall_s=wall,
        # the children this harness waited for, exactly; a JVM nobody waited for only by polls
        cpu_s=max(waited, sum(cpu.values())),
        peak_rss_bytes=peak,
        peak_hwm_bytes=hwm,
        returncode=child.returncode,
        stdout_tail=tail[-600:],
    )
