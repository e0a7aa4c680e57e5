"""A bounded loopback load test of ``POST /v1/scores``: uvicorn, a real ledger, a fixed rate.

What is measured: the latency of ``POST /v1/scores`` as a lender client sees it over loopback
HTTP/1.1 (keep-alive), from the moment the request was *due* under a fixed arrival rate to the
moment its response was read (so a slow server cannot hide its queue: no coordinated omission).
Each request is authenticated with a bearer token, purpose-checked, scored from the workspace,
recorded as a ledger snapshot and logged in the subject's access log, each write with its audit
chain entry, on a SQLite ledger (WAL, ``synchronous=FULL``). Subject ids are drawn uniformly from
the workspace's subjects.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
import psutil
import pyarrow.parquet as pq

__all__ = ["main"]

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DATA = HERE / "data"
RESULTS_JSON = HERE / "results.json"
RESULTS_MD = HERE / "results.md"
LEDGER_JSON = HERE / "results-ledger.json"
PURPOSE = "credit_pricing"
PACKAGES = (
    "trustscore", "fastapi", "starlette", "uvicorn", "httpx", "pydantic", "sqlalchemy",
    "duckdb", "pyarrow", "ibis-framework", "httptools", "uvloop",
)  # fmt: skip


def _workspace(n_subjects: int) -> tuple[Path, dict[str, Any] | None]:
    """The demo workspace of ``n_subjects`` under data/, built once, and its keyed store of
    latest scores filled (the demo fills it; a workspace built before it existed is filled
    here, timed: the batch run's write rate)."""
    from trustscore.ledger import Ledger, count_latest_scores
    from trustscore.pipeline import Workspace, publish_scores, run_demo

    root = DATA / f"ws{n_subjects}"
    if not (root / "scores.parquet").is_file() or not (root / "workspace.json").is_file():
        shutil.rmtree(root, ignore_errors=True)
        print(f"building a demo workspace of {n_subjects:,} subjects in {root} ...", flush=True)
        run_demo(str(root), n_subjects=n_subjects)
    ws = Workspace(root)
    ledger = Ledger(ws.ledger_url)
    ledger.upgrade()
    try:
        # the keyed store holds the persons' scores (an organisation is scored per request by
        # its own model): full when it has a row per subject of scores.parquet
        scored = pq.read_metadata(root / "scores.parquet").num_rows
        if count_latest_scores(ledger) >= scored:
            return root, None
        print(f"filling the keyed store of latest scores in {ws.ledger_url} ...", flush=True)
        done = publish_scores(ws, ledger)
    finally:
        ledger.dispose()
    fill = {
        "rows": done.n_rows, "compute_s": round(done.compute_s, 2),
        "write_s": round(done.write_s, 2), "rows_per_s": round(done.rows_per_s),
    }  # fmt: skip
    return root, fill


def _rss_mib(server: list[psutil.Process]) -> float:
    """Resident memory of the server's processes together (MiB)."""
    return round(sum(p.memory_info().rss for p in server) / 2**20, 1)


def _first_file_reads(
    url: str, token: str, subjects: list[str], n: int, seed: int
) -> dict[str, Any]:
    """GET the file of ``n`` distinct subjects never read before, one after another (ms)."""
    rng = random.Random(seed + 1)
    # subjects[0] was scored by the warm-up request; the load run comes after these
    chosen = rng.sample(subjects[1:], min(n, len(subjects) - 1))
    took: list[float] = []
    errors = 0
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
        for sid in chosen:
            t0 = time.perf_counter()
            answer = client.get(f"{url}/v1/subjects/{sid}/file")
            took.append((time.perf_counter() - t0) * 1000)
            errors += answer.status_code != 200
    took.sort()
    return {
        "n": len(chosen), "errors": errors,
        **{f"p{q}": _percentile(took, q) for q in (50, 90, 99)},
        "max": round(took[-1], 2) if took else None,
    }  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "-"
    return out


def _disk_sync_ms(n: int = 100) -> dict[str, float | None]:
    """How long this disk takes to sync a 4 KiB write (``fdatasync``), as a commit does.

    The disk is shared with other engineers' work, so it is measured with every run.
    """
    path = DATA / "sync-probe.bin"
    times = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        block = b"\0" * 4096
        for i in range(n):
            os.pwrite(fd, block, (i % 16) * 4096)
            t0 = time.perf_counter()
            os.fdatasync(fd)
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        os.close(fd)
        path.unlink(missing_ok=True)
    times.sort()
    return {f"p{q}": _percentile(times, q) for q in (50, 90, 99)}


def _machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)),
        "cpu_model": _cpu_model(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "disk_sync_ms": _disk_sync_ms(),
        "versions": _versions(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _percentile(sorted_ms: list[float], q: float) -> float | None:
    if not sorted_ms:
        return None
    k = min(len(sorted_ms) - 1, max(0, round(q / 100 * (len(sorted_ms) - 1))))
    return round(sorted_ms[k], 2)


class _RawConnection:
    """One keep-alive HTTP/1.1 connection that sends a POST and reads its answer, no more.

    httpx costs about 10 ms of the load generator's CPU per request here, so the generator
    (one Python thread on the same 2 cores) ran out of CPU near 90 requests/s before the server.
    This writes the request bytes itself and reads the status line, headers and a
    Content-Length body (what uvicorn sends for a JSON answer).
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> _RawConnection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def post(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        self.writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def _load_raw(
    url: str, token: str, subjects: list[str], rate: float, duration_s: float,
    max_requests: int, timeout_s: float, seed: int, connections: int,
) -> dict[str, Any]:  # fmt: skip
    """As :func:`_load`, over ``connections`` raw keep-alive connections."""
    rng = random.Random(seed)
    n = min(max_requests, int(rate * duration_s))
    host, port = url.removeprefix("http://").split(":")
    head = (
        f"POST /v1/scores HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        "Content-Length: "
    ).encode()
    tally = _Tally()
    pool: asyncio.Queue[_RawConnection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await _RawConnection.open(host, int(port)))

    async def one(due: float, subject: str) -> None:
        conn = await pool.get()
        sent = time.perf_counter()
        if sent - due > timeout_s:
            tally.error("not_sent_in_time")
            pool.put_nowait(conn)
            return
        body = json.dumps({"subject_id": subject, "purpose": PURPOSE}).encode()
        try:
            status, _ = await asyncio.wait_for(conn.post(head, body), timeout_s)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
            tally.error(type(exc).__name__)
            conn.close()
            pool.put_nowait(await _RawConnection.open(host, int(port)))
            return
        pool.put_nowait(conn)
        tally.answered(status, due, sent)

    start, sent_by, end = await _open_loop(one, n, rate, subjects, rng)
    while not pool.empty():
        pool.get_nowait().close()
    return _summary(n, tally.latencies, tally.service, tally.errors, rate, start, sent_by, end)


async def _load(
    url: str, token: str, subjects: list[str], rate: float, duration_s: float,
    max_requests: int, timeout_s: float, seed: int, connections: int,
) -> dict[str, Any]:  # fmt: skip
    """Send requests at ``rate`` per second for ``duration_s`` (open loop); gather latencies."""
    rng = random.Random(seed)
    n = min(max_requests, int(rate * duration_s))
    headers = {"Authorization": f"Bearer {token}"}
    tally = _Tally()
    # httpx's pool costs time per queued request and open connection: bound both, and let a
    # request that finds every connection busy wait (its latency still counts from its due time)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    gate = asyncio.Semaphore(connections)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout_s) as client:

        async def one(due: float, subject: str) -> None:
            async with gate:
                sent = time.perf_counter()
                if sent - due > timeout_s:
                    tally.error("not_sent_in_time")
                    return
                try:
                    r = await client.post(
                        "/v1/scores",
                        json={"subject_id": subject, "purpose": PURPOSE},
                        headers=headers,
                    )
                    status = r.status_code
                except httpx.HTTPError as exc:
                    tally.error(type(exc).__name__)
                    return
            tally.answered(status, due, sent)

        start, sent_by, end = await _open_loop(one, n, rate, subjects, rng)
    return _summary(n, tally.latencies, tally.service, tally.errors, rate, start, sent_by, end)


@dataclass
class _Tally:
    """What the load clients record: latencies from the due time and from the send, errors."""

    latencies: list[float] = field(default_factory=list)  # from the due time, ms
    service: list[float] = field(default_factory=list)  # from the actual send, ms
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, name: str) -> None:
        self.errors[name] = self.errors.get(name, 0) + 1

    def answered(self, status: int, due: float, sent: float) -> None:
        done = time.perf_counter()
        if status != 200:
            self.error(str(status))
            return
        self.latencies.append((done - due) * 1000)
        self.service.append((done - sent) * 1000)


async def _open_loop(
    one: Callable[[float, str], Coroutine[Any, Any, None]],
    n: int,
    rate: float,
    subjects: list[str],
    rng: random.Random,
) -> tuple[float, float, float]:
    """Start ``one(due, subject)`` at ``rate`` per second whatever the answers (an open loop).

    Returns when the first request was due, when the last was sent and when all were answered.

    The load generator must not pause on its own: Python's cyclic garbage collector is off
    while it sends (what it already holds frozen), and a request's task is let go once done.
    With the collector on, a full collection of this process's heap (the harness, pyarrow, the
    tasks of every request sent) held its loop up to 200 ms, and requests due meanwhile were
    sent that late: 1 % of the requests, counted against the server (the runs before
    "issue15-quiet-gc-off" carry that).
    """
    running: set[asyncio.Task[None]] = set()
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        start = time.perf_counter() + 0.05
        for i in range(n):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(due, rng.choice(subjects)))
            running.add(task)
            task.add_done_callback(running.discard)
        sent_by = time.perf_counter()
        await asyncio.gather(*running)
        return start, sent_by, time.perf_counter()
    finally:
        gc.enable()
        gc.unfreeze()


def _summary(
    n: int, latencies: list[float], service: list[float], errors: dict[str, int], rate: float,
    start: float, sent_by: float, end: float,
) -> dict[str, Any]:  # fmt: skip
    latencies.sort()
    service.sort()
    ok = len(latencies)
    return {
        "requests": n,
        "ok": ok,
        "errors": sum(errors.values()),
        "errors_by_kind": errors,
        "offered_rate": rate,
        "send_window_s": round(sent_by - start, 3),
        "wall_s": round(end - start, 3),
        "achieved_rate": round(ok / (end - start), 1),
        "latency_ms": {f"p{q}": _percentile(latencies, q) for q in (50, 90, 95, 99, 99.9)}
        | {"max": round(latencies[-1], 2) if latencies else None},
        "service_time_ms": {f"p{q}": _percentile(service, q) for q in (50, 95, 99)},
    }


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            msg = f"uvicorn exited with {proc.returncode} before answering"
            raise RuntimeError(msg)
        try:
            if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    msg = f"uvicorn did not answer {url}/v1/health in {timeout_s} s"
    raise RuntimeError(msg)


def _terminated(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from trustscore.ledger import Ledger, create_client

    ws, fill = _workspace(args.subjects)
    machine = _machine()  # before the run: its load average and disk are what the run met
    subjects = pq.read_table(ws / "scores.parquet", columns=["subject_id"]).column(0).to_pylist()
    ledger_path = DATA / f"ledger-{args.label}.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{ledger_path}{suffix}").unlink(missing_ok=True)
    url_db = f"sqlite:///{ledger_path}"
    ledger = Ledger(url_db)
    ledger.upgrade()
    _, token = create_client(ledger, "lender", [PURPOSE], name="bench-bank")
    _, operator = create_client(ledger, "operator", [], name="bench-operator")
    ledger.dispose()

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(
        os.environ, TRUSTSCORE_WORKSPACE=str(ws), TRUSTSCORE_DATABASE_URL=url_db,
        BENCH_SQLITE_SYNCHRONOUS=args.synchronous,
    )  # fmt: skip
    if args.src:
        # the server runs another checkout's package (e.g. the commit before a change)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(Path(args.src).resolve()), str(REPO), env.get("PYTHONPATH", "")]
        ).rstrip(os.pathsep)
    trace = DATA / f"trace-{args.label}.json"
    trace.unlink(missing_ok=True)
    if args.trace:
        env["BENCH_TRACE"] = str(trace)
    if args.checkpoints:
        # the service signs an audit checkpoint every --checkpoints seconds with its own key
        from trustscore.ledger import generate_signing_key

        key_file = DATA / f"audit-key-{args.label}.pem"
        key_file.unlink(missing_ok=True)
        generate_signing_key(key_file)
        env["TRUSTSCORE_AUDIT_KEY_FILE"] = str(key_file)
        env["TRUSTSCORE_AUDIT_CHECKPOINT_INTERVAL_S"] = str(args.checkpoints)
    cmd = [
        sys.executable, "-m", "uvicorn", "--factory", "benchmarks.service._app:app_factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    log = (DATA / f"uvicorn-{args.label}.log").open("wb")
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    signal.signal(signal.SIGTERM, _terminated)
    try:
        _wait_ready(url, proc, args.ready_timeout)
        startup_s = time.perf_counter() - started
        # the first score warms the server (and builds any cache): timed, not in the statistics
        t0 = time.perf_counter()
        first = httpx.post(
            f"{url}/v1/scores",
            json={"subject_id": subjects[0], "purpose": PURPOSE},
            headers={"Authorization": f"Bearer {token}"},
            timeout=600,
        )
        first_ms = (time.perf_counter() - t0) * 1000
        if first.status_code != 200:
            msg = f"the first score failed: {first.status_code} {first.text}"
            raise RuntimeError(msg)
        server = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
        rss_warm = _rss_mib(server)
        files = (
            _first_file_reads(url, operator, subjects, args.file_reads, args.seed)
            if args.file_reads
            else None
        )
        cpu0 = sum(p.cpu_times().user + p.cpu_times().system for p in server)
        load = _load_raw if args.client == "raw" else _load
        own0 = time.process_time()
        window0 = time.perf_counter()
        result = asyncio.run(
            load(url, token, subjects, args.rate, args.duration, args.max_requests,
                 args.timeout, args.seed, args.connections)
        )  # fmt: skip
        window1 = time.perf_counter()
        cpu1 = sum(p.cpu_times().user + p.cpu_times().system for p in server)
        own_cpu = time.process_time() - own0
        rss_after = _rss_mib(server)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    result["first_request_ms"] = round(first_ms, 1)
    result["startup_s"] = round(startup_s, 2)
    result["rss_mib"] = {"after_warmup": rss_warm, "after_run": rss_after}
    result["first_file_read_ms"] = files
    if fill is not None:
        result["fill"] = fill
    result["server_cpu_s"] = round(cpu1 - cpu0, 2)
    result["server_cpu_ms_per_request"] = (
        round((cpu1 - cpu0) * 1000 / result["ok"], 3) if result["ok"] else None
    )
    result["client"] = args.client
    if args.trace and trace.is_file():
        from benchmarks.service._trace import summarise

        result["trace"] = summarise(trace, (window0, window1))
    result["client_cpu_ms_per_request"] = (
        round(own_cpu * 1000 / result["requests"], 3) if result["requests"] else None
    )
    ledger = Ledger(url_db)
    from trustscore.ledger import aggregates, audit_verify

    agg = aggregates(ledger)
    verified = audit_verify(ledger)
    result["ledger"] = {
        "snapshots": agg["snapshots"],
        "audit_entries": agg["audit_entries"],
        "audit_chain_ok": verified.ok,
    }
    if args.checkpoints:
        result["ledger"]["audit_checkpoints"] = verified.checkpoints_checked
    ledger.dispose()
    return {
        "label": args.label,
        "note": args.note,
        "server_src": args.src or "this checkout",
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "subjects": args.subjects,
        "workers": args.workers,
        "sqlite_synchronous": args.synchronous,
        "machine": machine,
        "result": result,
    }


def _cell(value: Any) -> str:
    return "-" if value is None else f"{value:,}" if isinstance(value, int) else f"{value:g}"


def _trace_lines(trace: dict[str, Any] | None) -> list[str]:
    """The server's timeline of a ``--trace`` run, in two lines."""
    if not trace:
        return []
    gc, writes, lag, app = (
        trace["gc"],
        trace["ledger_writes"],
        trace["loop_lag"],
        trace["app_time_ms"],
    )
    return [
        f"- trace (server side): time in the app p50 {app['p50']} ms, p99 {app['p99']} ms; "
        f"GC pauses gen0/1/2 max {gc['gen0']['max_ms']} / {gc['gen1']['max_ms']} / "
        f"{gc['gen2']['max_ms']} ms ({gc['gen2']['n']} full collections); event loop late by "
        f"more than 10 ms {lag['over_10ms']} times (max {lag['max_ms']} ms)",
        f"- trace (ledger): {writes['n']:,} group commits of {writes['items_mean']} requests on "
        f"average (max {writes['items_max']}), each p50 {writes['ms']['p50']} ms, p99 "
        f"{writes['ms']['p99']} ms, max {writes['ms']['max']} ms; the WAL restarted "
        f"{writes['checkpoints']} times",
    ]


def _markdown(runs: dict[str, Any]) -> str:
    lines = [
        "# Service load test: POST /v1/scores",
        "",
        "Generated by `python -m benchmarks.service` (see README.md for what is measured and how).",
        "Latency is from the moment a request was due under the fixed arrival rate to the moment",
        "its response was read; service time is from the actual send.",
        "",
        "| run | subjects | workers | SQLite sync | offered/s | achieved/s | ok | errors "
        "| p50 ms | p90 ms | p95 ms | p99 ms | max ms | server CPU ms/req | first request ms "
        "| HTTP server | load client | client CPU ms/req | load avg at start "
        "| disk sync p50 / p99 ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, run_ in runs.items():
        r = run_["result"]
        lat = r["latency_ms"]
        m = run_["machine"]
        fast = m["versions"].get("httptools", "-") != "-"
        sync = m.get("disk_sync_ms")
        disk = f"{_cell(sync['p50'])} / {_cell(sync['p99'])}" if sync else "-"
        lines.append(
            f"| {label} | {run_['subjects']:,} | {run_['workers']} "
            f"| {run_.get('sqlite_synchronous', 'FULL')} | {_cell(r['offered_rate'])} "
            f"| {_cell(r['achieved_rate'])} | {_cell(r['ok'])} | {_cell(r['errors'])} "
            f"| {_cell(lat['p50'])} | {_cell(lat.get('p90'))} | {_cell(lat['p95'])} "
            f"| {_cell(lat['p99'])} | {_cell(lat['max'])} "
            f"| {_cell(r['server_cpu_ms_per_request'])} | {_cell(r['first_request_ms'])} "
            f"| {'httptools+uvloop' if fast else 'h11+asyncio'} | {r.get('client', 'httpx')} "
            f"| {_cell(r.get('client_cpu_ms_per_request'))} | {_cell(m['loadavg_at_start'][0])} "
            f"| {disk} |"
        )
    sized = {k: v for k, v in runs.items() if "rss_mib" in v["result"]}
    if sized:
        lines += [
            "",
            "## Memory, startup and first reads of a subject's file (issue 13)",
            "",
            "RSS: resident memory of the uvicorn process(es) (psutil) after the warm-up request "
            "and after the load run; startup: from starting uvicorn to its first answer of "
            "/v1/health; file: `GET /v1/subjects/{id}/file` (operator) of subjects never read "
            "before, one at a time, before the load run.",
            "",
            "| run | subjects | startup s | RSS after warm-up MiB | RSS after run MiB "
            "| file reads | file p50 ms | file p99 ms | file max ms | fill rows/s |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for label, run_ in sized.items():
            r = run_["result"]
            f = r.get("first_file_read_ms") or {}
            fill = r.get("fill") or {}
            lines.append(
                f"| {label} | {run_['subjects']:,} | {_cell(r['startup_s'])} "
                f"| {_cell(r['rss_mib']['after_warmup'])} | {_cell(r['rss_mib']['after_run'])} "
                f"| {_cell(f.get('n'))} | {_cell(f.get('p50'))} | {_cell(f.get('p99'))} "
                f"| {_cell(f.get('max'))} | {_cell(fill.get('rows_per_s'))} |"
            )
    if LEDGER_JSON.is_file():
        micro = json.loads(LEDGER_JSON.read_text())["ms"]
        lines += [
            "",
            "## The ledger's write path per request, alone (`--ledger-only`, ms per request)",
            "",
            "| SQLite sync | authenticate | before: snapshot + access, 2 transactions "
            "| 1 transaction | groups of 16 | 1 transaction, CPU | groups of 16, CPU |",
            "|---|---|---|---|---|---|---|",
        ]
        for mode, m in micro.items():
            lines.append(
                f"| {mode} | {m['authenticate_ms']} | {m['before_two_transactions_ms']} "
                f"| {m['one_transaction_per_request_ms']} | {m['groups_of_16_ms_per_request']} "
                f"| {m.get('one_transaction_cpu_ms', '-')} "
                f"| {m.get('groups_of_16_cpu_ms_per_request', '-')} |"
            )
    lines += ["", "## Runs", ""]
    for label, run_ in runs.items():
        m = run_["machine"]
        lines += [
            f"### {label}",
            "",
            run_.get("note") or "",
            "",
            f"- at {run_['at']}; {m['cpu_count']} cores ({m['cpu_model']}), "
            f"{m['memory_gib']} GiB; load average at start {m['loadavg_at_start']} "
            "(the machine is shared)",
            f"- Python {m['python']} on {m['platform']}; server code: "
            f"{run_.get('server_src', 'this checkout')}",
            "- " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
            f"- requests {run_['result']['requests']:,} over {run_['result']['wall_s']} s; "
            f"errors {run_['result']['errors_by_kind'] or 'none'}; "
            f"ledger after: {run_['result']['ledger']}",
            *_trace_lines(run_["result"].get("trace")),
            "",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.service", description=__doc__)
    parser.add_argument("--subjects", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=500.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of sending")
    parser.add_argument("--max-requests", type=int, default=12_000, help="hard cap")
    parser.add_argument("--timeout", type=float, default=30.0, help="per request, seconds")
    parser.add_argument(
        "--connections", type=int, default=64, help="keep-alive connections (most in flight)"
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--synchronous", choices=("FULL", "NORMAL"), default="FULL",
        help="the ledger's SQLite synchronous mode (the service's default is FULL)",
    )  # fmt: skip
    parser.add_argument(
        "--client", choices=("httpx", "raw"), default="raw",
        help="the load generator: raw HTTP/1.1 on asyncio streams, or httpx (the earlier runs)",
    )  # fmt: skip
    parser.add_argument(
        "--trace", action="store_true",
        help="record the server's timeline (GC, ledger writes, checkpoints, loop lag)",
    )  # fmt: skip
    parser.add_argument(
        "--src", default=None,
        help="serve the trustscore package from this src folder (another checkout, e.g. "
        "`git archive <commit> src | tar -x -C /tmp/before` then --src /tmp/before/src)",
    )  # fmt: skip
    parser.add_argument(
        "--checkpoints", type=float, default=0.0, metavar="SECONDS",
        help="the service signs an audit checkpoint this often (0: none, the default)",
    )  # fmt: skip
    parser.add_argument(
        "--file-reads", type=int, default=200,
        help="GET this many subjects' files, each never read before, before the load (0: none)",
    )  # fmt: skip
    parser.add_argument(
        "--ready-timeout", type=float, default=300.0,
        help="seconds to wait for the server's first answer (imports take a minute on a busy "
        "shared machine)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--label", default="run", help="the name of this run in results")
    parser.add_argument("--note", default="", help="a sentence saying what this run is")
    parser.add_argument(
        "--no-save", action="store_true", help="print the result, do not write results.*"
    )
    parser.add_argument(
        "--ledger-only", action="store_true", help="time the ledger's write path alone"
    )
    args = parser.parse_args(argv)
    DATA.mkdir(parents=True, exist_ok=True)
    if args.ledger_only:
        from benchmarks.service._ledger import ledger_write_path

        micro = {"machine": _machine(), "ms": ledger_write_path(DATA)}
        print(json.dumps(micro["ms"], indent=2))
        if not args.no_save:
            LEDGER_JSON.write_text(json.dumps(micro, indent=2) + "\n")
            runs = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.is_file() else {}
            RESULTS_MD.write_text(_markdown(runs))
        return 0
    record = run(args)
    print(json.dumps(record["result"], indent=2))
    if not args.no_save:
        runs = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.is_file() else {}
        runs[args.label] = record
        RESULTS_JSON.write_text(json.dumps(runs, indent=2) + "\n")
        RESULTS_MD.write_text(_markdown(runs))
    return 0
