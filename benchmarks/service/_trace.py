"""Where a slow request's time went: a timeline of the server process (``--trace``).

With ``BENCH_TRACE=<file>`` set, :func:`traced` wraps the app so the server records, in
``time.perf_counter`` seconds:

- every HTTP request: when the app got it and when its last body byte was handed to uvicorn;
- every garbage collection (``gc.callbacks``): generation and duration;
- every ledger write of the group commit (``record_scored_accesses``): items and duration, and
  the WAL header's checkpoint sequence number after it: SQLite moves it on when a writer
  restarts the WAL after a complete checkpoint, so a change marks the write before it as the
  one whose commit ran the (automatic) checkpoint;
- the event loop's lag: a task that asks to sleep 2 ms and records how late it woke when the
  delay exceeds 2 ms more.

The file is written when the server shuts down (uvicorn re-raises SIGTERM after its shutdown,
so ``atexit`` would not run); :func:`summarise` turns it into the numbers that
``results.json`` keeps. Tracing costs a few microseconds per request and per write.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

__all__ = ["summarise", "traced"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]


def _wal_generation(wal: Path | None) -> int | None:
    """The checkpoint sequence number in the WAL header (bytes 12-15), None without a WAL."""
    if wal is None:
        return None
    try:
        with wal.open("rb") as f:
            head = f.read(16)
    except OSError:
        return None
    return int.from_bytes(head[12:16], "big") if len(head) == 16 else None


def traced(app: ASGIApp, out: Path, sqlite_path: Path | None) -> ASGIApp:
    """``app``, recording the timeline described in the module docstring into ``out``."""
    import trustscore.ledger as lg

    requests: list[tuple[float, float]] = []
    gcs: list[tuple[int, float, float, int]] = []
    writes: list[tuple[float, float, int, int | None]] = []
    lags: list[tuple[float, float]] = []
    gc_start: dict[str, float] = {}
    wal = None if sqlite_path is None else Path(f"{sqlite_path}-wal")

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_start["t"] = time.perf_counter()
        else:
            t0 = gc_start.pop("t", None)
            if t0 is not None:
                gcs.append((info["generation"], t0, time.perf_counter(), info["collected"]))

    gc.callbacks.append(on_gc)

    # the group commit's write, looked up on the module (older checkouts had only the first)
    name = (
        "record_scored_accesses"
        if hasattr(lg, "record_scored_accesses")
        else ("record_score_accesses")
    )
    record = getattr(lg, name)

    def timed_record(ledger: Any, items: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return record(ledger, items)
        finally:
            t1 = time.perf_counter()
            writes.append((t0, t1, len(items), _wal_generation(wal)))

    setattr(lg, name, timed_record)

    async def lag_probe() -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(0.002)
            late = time.perf_counter() - t0 - 0.002
            if late > 0.002:
                lags.append((t0, late))

    probe: list[asyncio.Task[None]] = []

    async def wrapper(
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] == "lifespan":

            async def dump_at_shutdown(message: Message) -> None:
                if message["type"] == "lifespan.shutdown.complete":
                    dump()
                await send(message)

            await app(scope, receive, dump_at_shutdown)
            return
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        if not probe:
            probe.append(asyncio.get_running_loop().create_task(lag_probe()))
        t0 = time.perf_counter()

        async def timed_send(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                requests.append((t0, time.perf_counter()))

        await app(scope, receive, timed_send)

    def dump() -> None:
        data = {
            "pid": os.getpid(),
            "requests": requests,
            "gc": gcs,
            "writes": writes,
            "loop_lag": lags,
        }
        out.write_text(json.dumps(data))

    return wrapper


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, round(q / 100 * (len(s) - 1)))], 2)


def summarise(path: Path, window: tuple[float, float] | None = None) -> dict[str, Any]:
    """The trace in numbers: request time in the app, GC pauses, ledger writes, loop lag (ms).

    ``window`` (perf_counter seconds of the server, which on Linux is the same clock as the load
    generator's) limits it to the timed run.
    """
    data = json.loads(path.read_text())

    def inside(t: float) -> bool:
        return window is None or window[0] <= t <= window[1]

    req = [(t1 - t0) * 1000 for t0, t1 in data["requests"] if inside(t0)]
    gcs = [(g, (t1 - t0) * 1000) for g, t0, t1, _ in data["gc"] if inside(t0)]
    raw = data["writes"]
    # the write after a checkpoint restarts the WAL: the one before it ran the checkpoint
    ckpts = {i for i in range(len(raw) - 1) if raw[i + 1][3] != raw[i][3]}
    writes = [
        (t0, (t1 - t0) * 1000, n, i in ckpts) for i, (t0, t1, n, _) in enumerate(raw) if inside(t0)
    ]
    lags = [late * 1000 for t0, late in data["loop_lag"] if inside(t0)]
    by_gen: dict[str, Any] = {}
    for gen in (0, 1, 2):
        ms = [d for g, d in gcs if g == gen]
        by_gen[f"gen{gen}"] = {
            "n": len(ms),
            "total_ms": round(sum(ms), 1),
            "max_ms": round(max(ms), 2) if ms else None,
        }
    write_ms = [d for _, d, _, _ in writes]
    ckpt_ms = [d for _, d, _, c in writes if c]
    sizes = [n for _, _, n, _ in writes]
    return {
        "app_time_ms": {f"p{q}": _pct(req, q) for q in (50, 99, 99.9)}
        | {"max": _pct(req, 100), "n": len(req)},
        "gc": by_gen,
        "ledger_writes": {
            "n": len(writes),
            "items_mean": round(sum(sizes) / len(sizes), 1) if sizes else None,
            "items_max": max(sizes, default=None),
            "ms": {f"p{q}": _pct(write_ms, q) for q in (50, 90, 99)} | {"max": _pct(write_ms, 100)},
            "over_20ms": sum(1 for d in write_ms if d > 20),
            "checkpoints": len(ckpt_ms),
            "checkpoint_write_ms": sorted(round(d, 1) for d in ckpt_ms)[-10:],
        },
        "loop_lag": {
            "n_over_2ms": len(lags),
            "over_10ms": sum(1 for x in lags if x > 10),
            "max_ms": round(max(lags), 1) if lags else None,
            "total_ms": round(sum(lags), 1),
        },
    }
