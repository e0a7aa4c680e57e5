"""Issue 15, step 2: held batches and refused requests are held to the audit log.

A direct UPDATE, DELETE or INSERT of their rows, made behind the ledger's functions, fails
``audit_verify``; the rows the functions write verify.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

import trustscore.ledger as lg

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

EDITS = {
    "held_batches": [
        "UPDATE held_batches SET status = 'released' WHERE hold_id = 'b1.hold-1'",
        "DELETE FROM held_batches WHERE hold_id = 'b1.hold-2'",
        "INSERT INTO held_batches (hold_id, batch_id, kind, furnisher, rows, reason, status, "
        "held_at) VALUES ('b9.hold', 'b9', 'obligation', 'power', 5, 'x', 'held', "
        "'2026-01-01 00:00:00')",
    ],
    "access_refusals": [
        "UPDATE access_refusals SET reason = 'nothing to see' WHERE refusal_id = 1",
        "DELETE FROM access_refusals WHERE refusal_id = 2",
        "INSERT INTO access_refusals (kind, method, path, reason, at) VALUES "
        "('invalid_token', 'GET', '/v1/scores', 'x', '2026-01-01 00:00:00')",
    ],
}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A ledger file with two holds (one resolved) and two refusals, as bytes to copy."""
    path = tmp_path_factory.mktemp("committed") / "ledger.sqlite"
    ledger = lg.Ledger(f"sqlite:///{path}")
    ledger.upgrade()
    for n in (1, 2):
        lg.record_hold(
            ledger, hold_id=f"b1.hold-{n}", batch_id="b1", kind="obligation", furnisher="power",
            rows=40, reason="60% quarantined", held_at=T0,
        )  # fmt: skip
    lg.resolve_hold(ledger, "b1.hold-2", "rejected", "op-1", now=T0)
    lg.record_refusals(
        ledger,
        [
            lg.RefusalAttempt(
                "purpose_refused", "POST", "/v1/scores", "employment is never approvable",
                client_id="cl_bank", subject_id="s1", purpose="employment", at=T0,
            ),
            lg.RefusalAttempt("invalid_token", "GET", "/v1/scores/s2", "no such token", at=T0),
        ],
    )  # fmt: skip
    ledger.dispose()
    return path.read_bytes()


def test_rows_written_through_the_ledger_verify(written: bytes, tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    path.write_bytes(written)
    result = lg.audit_verify(lg.Ledger(f"sqlite:///{path}"))
    assert result.ok, result.reason
    assert result.rows_checked == 4


@pytest.mark.parametrize(("table", "edit"), [(t, e) for t, edits in EDITS.items() for e in edits])
def test_a_direct_edit_is_detected(table: str, edit: str, written: bytes, tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    path.write_bytes(written)
    ledger = lg.Ledger(f"sqlite:///{path}")
    with ledger.engine.begin() as conn:
        conn.execute(sa.text(edit))
    result = lg.audit_verify(ledger)
    assert not result.ok
    assert table in str(result.reason)
