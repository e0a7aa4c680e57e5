"""``POST /v1/scores`` driven in process, one request at a time: CPU per request and a profile.

``python -m benchmarks.service._inprocess [--requests N] [--profile] [--subjects N]`` builds the
app as the load test's server does (``_app.app_factory``: the workspace's provider, the ledger
as ``trustscore serve`` opens it, an audit checkpoint signed every second), runs its lifespan
and calls it as a bare ASGI app on uvloop: no socket, no HTTP parser, no load generator. Each
request is awaited before the next is sent, so each is a group commit of one, as in the quiet
runs. It prints the process's CPU (every thread: the event loop, the writer, the signer) per
request and, with ``--profile``, cProfile's view of the event loop's thread.

To compare with another checkout's package, run it with ``PYTHONPATH=/tmp/before/src``
(``git archive <commit> src | tar -x -C /tmp/before``), the harness staying this one's.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

__all__ = ["main"]

DATA = Path(__file__).resolve().parent / "data"
PURPOSE = "credit_limit"


class _Lifespan:
    """Runs an ASGI app's lifespan: startup on enter, shutdown on exit."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state: dict[str, Any] = {}
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> _Lifespan:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": self.state}
        self._task = asyncio.create_task(
            self.app(scope, self._inbox.get, self._outbox.put)  # type: ignore[arg-type]
        )
        await self._inbox.put({"type": "lifespan.startup"})
        message = await self._outbox.get()
        if message["type"] != "lifespan.startup.complete":
            msg = f"the app did not start: {message}"
            raise RuntimeError(msg)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._inbox.put({"type": "lifespan.shutdown"})
        await self._outbox.get()
        if self._task is not None:
            await self._task


async def _post(app: Any, state: dict[str, Any], path: str, headers: list[Any], body: bytes) -> int:
    """One request through the ASGI app; its status (the body is read and dropped)."""
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1", "method": "POST", "scheme": "http", "path": path,
        "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": dict(state),
    }  # fmt: skip
    sent = False
    status = 0
    done = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    await app(scope, receive, send)
    return status


def _thread_cpu_s() -> dict[str, float]:
    """CPU seconds (user + system) of each live thread of this process, by thread name."""
    import threading

    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for thread in threading.enumerate():
        try:
            stat = Path(f"/proc/self/task/{thread.native_id}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        out[thread.name] = out.get(thread.name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


async def _drive(
    app: Any, token: str, subjects: list[str], n: int, profile: bool
) -> dict[str, Any]:
    rng = random.Random(0)
    headers = [
        (b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json"),
        (b"authorization", f"Bearer {token}".encode()),
    ]  # fmt: skip
    bodies = [
        json.dumps({"subject_id": rng.choice(subjects), "purpose": PURPOSE}).encode()
        for _ in range(n)
    ]
    async with _Lifespan(app) as life:
        for body in bodies[:200]:  # warm: the token cache, the first commits
            status = await _post(app, life.state, "/v1/scores", headers, body)
            if status != 200:
                msg = f"the warm-up score answered {status}"
                raise RuntimeError(msg)
        profiler = cProfile.Profile() if profile else None
        threads0 = _thread_cpu_s()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        if profiler is not None:
            profiler.enable()
        statuses = [await _post(app, life.state, "/v1/scores", headers, b) for b in bodies]
        if profiler is not None:
            profiler.disable()
        cpu1, wall1 = time.process_time(), time.perf_counter()
        threads1 = _thread_cpu_s()
    out: dict[str, Any] = {
        "requests": n,
        "ok": statuses.count(200),
        "cpu_ms_per_request": round((cpu1 - cpu0) * 1000 / n, 4),
        "wall_ms_per_request": round((wall1 - wall0) * 1000 / n, 4),
        "thread_cpu_ms_per_request": {
            name: round((threads1[name] - threads0.get(name, 0.0)) * 1000 / n, 3)
            for name in sorted(threads1)
        },
    }
    if profiler is not None:
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("tottime").print_stats(45)
        stats.sort_stats("cumulative").print_stats(70)
        out["profile"] = text.getvalue()
    return out


def _profiled_writer() -> cProfile.Profile:
    """Profile every call of the ledger write the group commit makes (on its thread)."""
    import trustscore.ledger as lg

    profiler = cProfile.Profile()
    write = lg.record_scored_accesses

    def profiled(ledger: Any, items: Any) -> Any:
        return profiler.runcall(write, ledger, items)

    lg.record_scored_accesses = profiled  # type: ignore[assignment]
    return profiler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.service._inprocess")
    parser.add_argument(
        "--subjects", type=int, default=20_000, help="data/ws<N> (built by the load test)"
    )
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--synchronous", choices=("FULL", "NORMAL"), default="NORMAL")
    parser.add_argument("--checkpoints", type=float, default=1.0, metavar="SECONDS")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    parser.add_argument(
        "--profile-writer", action="store_true",
        help="profile the group commit's ledger writes (its thread) instead of the event loop",
    )  # fmt: skip
    args = parser.parse_args(argv)

    import uvloop

    from trustscore.ledger import Ledger, create_client

    ws = DATA / f"ws{args.subjects}"
    if not ws.is_dir():
        msg = (
            f"No workspace at {ws}: run `python -m benchmarks.service --subjects "
            f"{args.subjects}` once."
        )
        raise SystemExit(msg)
    subjects = pq.read_table(ws / "scores.parquet", columns=["subject_id"]).column(0).to_pylist()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/ledger.sqlite"
        ledger = Ledger(url)
        ledger.upgrade()
        _, token = create_client(ledger, "lender", [PURPOSE], name="bench-bank")
        ledger.dispose()
        os.environ.update(
            TRUSTSCORE_WORKSPACE=str(ws), TRUSTSCORE_DATABASE_URL=url,
            BENCH_SQLITE_SYNCHRONOUS=args.synchronous,
        )  # fmt: skip
        if args.checkpoints:
            from trustscore.ledger import generate_signing_key

            key = Path(tmp) / "audit-key.pem"
            generate_signing_key(key)
            os.environ["TRUSTSCORE_AUDIT_KEY_FILE"] = str(key)
            os.environ["TRUSTSCORE_AUDIT_CHECKPOINT_INTERVAL_S"] = str(args.checkpoints)
        from benchmarks.service._app import app_factory

        app = app_factory()
        writer = _profiled_writer() if args.profile_writer else None
        result = uvloop.run(_drive(app, token, subjects, args.requests, args.profile))
    profile = result.pop("profile", None)
    if writer is not None:
        text = io.StringIO()
        stats = pstats.Stats(writer, stream=text)
        stats.sort_stats("tottime").print_stats(40)
        stats.sort_stats("cumulative").print_stats(50)
        profile = text.getvalue()
    print(json.dumps(result))
    if profile:
        print(profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
