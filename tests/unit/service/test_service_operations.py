"""The deadline job's single runner, the rate limiter's bucket, and ``serve``'s flags."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import trustscore.ledger as lg
from trustscore.cli import app as cli
from trustscore.exceptions import SchemaError
from trustscore.service import create_app
from trustscore.service._deadlines import LEASE_NAME, DeadlineRunner
from trustscore.service._rate_limit import RateLimiter
from trustscore.settings import Settings

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
OVERDUE = T0 + dt.timedelta(days=31)


@pytest.fixture
def ledger(tmp_path: Path) -> Any:
    ledger = lg.Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}", sqlite_synchronous="NORMAL")
    ledger.upgrade()
    yield ledger
    ledger.dispose()


def _runners(path: Path, n: int) -> tuple[list[lg.Ledger], list[DeadlineRunner]]:
    """n apps (as n workers), each with its own ledger connection to one file."""
    ledgers = [lg.Ledger(f"sqlite:///{path}", sqlite_synchronous="NORMAL") for _ in range(n)]
    runners = [create_app(ledger=x, deadline_interval_s=60).state.deadlines for x in ledgers]
    return ledgers, runners


def test_of_two_apps_one_runs_the_deadline_job_until_its_lease_expires(
    ledger: lg.Ledger, tmp_path: Path
) -> None:
    first = lg.open_dispute(ledger, "s1", "obligation", "ob-1", "never billed", T0)
    ledgers, (a, b) = _runners(tmp_path / "ledger.sqlite", 2)
    assert [d.dispute_id for d in a.run_once(OVERDUE) or []] == [first.dispute_id]
    assert b.run_once(OVERDUE) is None
    assert b.run_once(OVERDUE + dt.timedelta(seconds=119)) is None  # a's lease lasts 120 s
    assert a.run_once(OVERDUE + dt.timedelta(seconds=100)) == []  # a renews as it runs
    second = lg.open_dispute(ledger, "s2", "obligation", "ob-2", "paid", T0)
    # a stops (dies without giving the lease back): b takes over once a's lease has expired
    assert b.run_once(OVERDUE + dt.timedelta(seconds=219)) is None
    done = b.run_once(OVERDUE + dt.timedelta(seconds=220))
    assert [d.dispute_id for d in done or []] == [second.dispute_id]
    assert (a.runs, b.runs) == (2, 1)
    resolved = [e for e in lg.audit_entries(ledger) if e.action == "dispute.resolve"]
    assert len(resolved) == 2
    for x in ledgers:
        x.dispose()


def test_two_apps_trying_at_once_run_the_job_once(ledger: lg.Ledger, tmp_path: Path) -> None:
    lg.open_dispute(ledger, "s1", "obligation", "ob-1", "never billed", T0)
    ledgers, runners = _runners(tmp_path / "ledger.sqlite", 2)
    start = threading.Barrier(2)
    results: list[object] = [None, None]

    def go(i: int) -> None:
        start.wait()
        results[i] = runners[i].run_once(OVERDUE)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r is None for r in results) == [False, True]
    assert sum(r.runs for r in runners) == 1
    assert lg.lease_holder(ledger, LEASE_NAME, OVERDUE) in {r.holder for r in runners}
    assert [d.status for d in lg.disputes(ledger)] == ["unverifiable"]
    for x in ledgers:
        x.dispose()


def test_the_runner_tries_at_each_interval_and_survives_a_failed_run(ledger: lg.Ledger) -> None:
    lg.open_dispute(ledger, "s1", "obligation", "ob-1", "never billed", T0)
    moments = iter([OVERDUE, OVERDUE + dt.timedelta(seconds=60), OVERDUE])
    failures = iter([None, RuntimeError("the record store is read-only"), None])

    def on_run() -> None:
        failure = next(failures)
        if failure is not None:
            raise failure

    runner = DeadlineRunner(
        ledger, None, interval_s=60, holder="w1", clock=lambda: next(moments), on_run=on_run
    )
    waited: list[float] = []

    async def wait(seconds: float) -> None:  # the interval passes at once, and is counted
        waited.append(seconds)
        if len(waited) == 3:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(runner.run_forever(wait))
    assert waited == [60, 60, 60]
    assert runner.runs == 3
    assert [d.status for d in lg.disputes(ledger)] == ["unverifiable"]


def test_a_token_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(rate_per_s=10.0, burst=5, clock=lambda: now[0])
    assert [limiter.wait_s("cl_1") for _ in range(6)] == [0.0] * 5 + [pytest.approx(0.1)]
    assert limiter.wait_s("cl_2") == 0.0  # a bucket per client
    now[0] = 0.25  # 2.5 tokens back
    assert [limiter.wait_s("cl_1") for _ in range(3)] == [0.0, 0.0, pytest.approx(0.05)]
    now[0] = 100.0  # full again, never over the burst
    assert sum(limiter.wait_s("cl_1") == 0.0 for _ in range(10)) == 5
    assert (RateLimiter.retry_after(0.05), RateLimiter.retry_after(2.2)) == ("1", "3")
    with pytest.raises(SchemaError, match="TRUSTSCORE_RATE_LIMIT_PER_S=0"):
        RateLimiter(rate_per_s=0, burst=1)


def test_serve_flags_override_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    import trustscore.service as service
    import trustscore.settings as settings_module

    served: list[Settings] = []
    monkeypatch.setattr(service, "serve", served.append)
    base = Settings(workspace="/tmp/ts-serve-flags", port=9000, _env_file=None)  # type: ignore[call-arg]
    monkeypatch.setattr(settings_module, "get_settings", lambda: base)
    done = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--workers", "3"])
    assert done.exit_code == 0, done.output
    [got] = served
    assert (got.host, got.port, got.workers) == ("0.0.0.0", 9000, 3)
    assert "0.0.0.0:9000" in done.output
    assert "3 worker(s)" in done.output
    bad = CliRunner().invoke(cli, ["serve", "--port", "70000"])
    assert bad.exit_code == 2
    assert "65535" in bad.output


def test_refusals_go_through_the_group_commit_beside_accesses(ledger: lg.Ledger) -> None:
    from trustscore.service._group_commit import GroupCommit

    item = lg.ScoreAccess(
        subject_id="s1", as_of=dt.date(2026, 1, 31), model_version="1.0.0", model_hash="m" * 64,
        score=700, status="OK", subscores={"payment": 700}, reasons=["R01"],
        feature_hash="f" * 64, client_id="cl_bank", purpose="credit_limit",
    )  # fmt: skip
    group = GroupCommit(ledger)

    async def main() -> list[object]:
        refused = lg.RefusalAttempt(
            "purpose_refused", "POST", "/v1/scores", "never approvable", client_id="cl_bank",
            subject_id="s1", purpose="employment",
        )  # fmt: skip
        bad = lg.RefusalAttempt("curious", "GET", "/v1/x", "no such kind")
        return await asyncio.gather(
            group.submit(item), group.refuse(refused), group.refuse(bad), return_exceptions=True
        )

    access, refusal, bad = asyncio.run(main())
    group.close()
    assert isinstance(access, lg.RecordedAccess)
    assert isinstance(refusal, lg.Refusal)
    assert isinstance(bad, SchemaError)  # only the bad one fails
    assert [r.purpose for r in lg.refusals(ledger, subject_id="s1")] == ["employment"]
    assert [a.purpose for a in lg.accesses(ledger, "s1")] == ["credit_limit"]
    assert lg.audit_verify(ledger).ok
    assert group.pending == 0
