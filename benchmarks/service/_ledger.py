"""The ledger's write path per score request, timed alone (no HTTP): old and new.

``python -m benchmarks.service --ledger-only``: for each SQLite sync mode, the milliseconds per
request of (a) what the service did before, ``record_snapshot`` then ``log_access`` (two
transactions), (b) one ``record_score_accesses`` transaction per request, and (c) groups of 16
requests in one transaction (what the group commit does under load), plus ``authenticate``;
and the CPU time of (b) and (c), which is what a write costs the server besides waiting for the
disk.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trustscore import ledger as lg

__all__ = ["ledger_write_path"]


def _ms(
    fn: Callable[[], object], n: int, per: int = 1, clock: Callable[[], float] = time.perf_counter
) -> float:
    start = clock()
    for _ in range(n):
        fn()
    return round((clock() - start) / (n * per) * 1000, 3)


def ledger_write_path(folder: Path, n: int = 200) -> dict[str, Any]:
    """Milliseconds per request for each write path and sync mode."""
    return {mode: _one_mode(folder, mode, n) for mode in ("FULL", "NORMAL")}


def _one_mode(folder: Path, mode: str, n: int) -> dict[str, float]:
    path = folder / f"ledger-micro-{mode}.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    ledger = lg.Ledger(f"sqlite:///{path}", sqlite_synchronous=mode)  # type: ignore[arg-type]
    ledger.upgrade()
    client, token = lg.create_client(ledger, "lender", ["credit_pricing"], name="bank")
    item = lg.ScoreAccess(
        subject_id="S000000001", as_of=dt.date(2025, 12, 31), model_version="m1",
        model_hash="m" * 64, score=612, status="OK",
        subscores={"payment_reliability": 300, "credit_history": 250, "legal": 62},
        reasons=[{"code": "PR01", "text": "late bills", "improve": "pay on time"}] * 4,
        feature_hash="sha256:" + "f" * 64, client_id=client.client_id,
        purpose="credit_pricing",
    )  # fmt: skip

    def before() -> None:
        lg.record_snapshot(
            ledger, subject_id=item.subject_id, as_of=item.as_of,
            model_version=item.model_version, model_hash=item.model_hash, score=item.score,
            status=item.status, subscores=item.subscores, reasons=item.reasons,
            feature_hash=item.feature_hash, actor=item.client_id,
        )  # fmt: skip
        lg.log_access(
            ledger, client_id=item.client_id, subject_id=item.subject_id,
            purpose=item.purpose, action="score",
        )  # fmt: skip

    out = {
        "authenticate_ms": _ms(lambda: lg.authenticate(ledger, token), n),
        "before_two_transactions_ms": _ms(before, n),
        "one_transaction_per_request_ms": _ms(lambda: lg.record_score_accesses(ledger, [item]), n),
        "groups_of_16_ms_per_request": _ms(
            lambda: lg.record_score_accesses(ledger, [item] * 16), max(n // 16, 10), 16
        ),
        # the CPU of this process (the disk's sync is not CPU): what a group costs the server
        "one_transaction_cpu_ms": _ms(
            lambda: lg.record_score_accesses(ledger, [item]), n, clock=time.process_time
        ),
        "groups_of_16_cpu_ms_per_request": _ms(
            lambda: lg.record_score_accesses(ledger, [item] * 16),
            max(n // 16, 10),
            16,
            clock=time.process_time,
        ),
    }
    ledger.dispose()
    return out
