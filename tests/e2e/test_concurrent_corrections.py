"""Issue 15, step 3: two operators correct the same bill at once; it counts once.

Each operator resolves their own dispute of the same record ``corrected`` at the same moment,
through the service's resolution (ledger first, then the store, then the rescore) on a ledger
file shared by the two threads. The ledger orders the two resolutions; exactly one correction
stays live in the store, the one the ledger recorded last, and the subject's features are
those of a file where only that correction was ever made.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from crash_harness import _unpaid_bills
from trustscore import ledger as lg
from trustscore.pipeline import WorkspaceProvider, pending_resolutions
from trustscore.records import CORRECTION_MARK
from trustscore.service._resolutions import resolve_and_apply

pytestmark = pytest.mark.slow


def _live(provider: WorkspaceProvider, subject: str, record_id: str) -> set[str]:
    rows = provider.store.read("obligation", subjects=[subject]).column("record_id").to_pylist()
    held = set(provider.store.suppressions().column("record_id").to_pylist())
    return {r for r in rows if r.split(CORRECTION_MARK)[0] == record_id} - held


def test_two_operators_correcting_one_bill_at_once_leave_one_live_correction(
    small_demo: Path, tmp_path: Path
) -> None:
    root = Path(shutil.copytree(small_demo, tmp_path / "ws"))
    alone = Path(shutil.copytree(small_demo, tmp_path / "alone"))
    bill = _unpaid_bills(root, 1)[0]
    subject, record_id = str(bill["subject_id"]), str(bill["record_id"])
    ledger = lg.Ledger(f"sqlite:///{root}/ledger.sqlite")
    ledger.upgrade()
    provider = WorkspaceProvider(root)
    provider.warm()
    disputes = [
        lg.open_dispute(ledger, subject, "obligation", record_id, "paid").dispute_id
        for _ in range(2)
    ]
    corrections = [
        {"paid_date": str(bill["due_date"]), "amount_paid": bill["amount_due"]},
        {"paid_date": str(bill["due_date"]), "amount_paid": round(bill["amount_due"] / 2, 2)},
    ]
    start, errors = threading.Barrier(2), []

    def operator(i: int) -> None:
        start.wait()
        try:
            resolve_and_apply(
                ledger, provider, disputes[i], "corrected", f"op-{i}", correction=corrections[i]
            )
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=operator, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []

    recorded = [s for s in lg.suppressions(ledger) if s.correction]
    assert sorted(s.dispute_id for s in recorded) == sorted(disputes)
    last = max(recorded, key=lambda s: s.suppression_id)
    assert _live(provider, subject, record_id) == {f"{record_id}{CORRECTION_MARK}{last.dispute_id}"}
    assert pending_resolutions(ledger, provider.store) == []

    # the same file with only the ledger's last correction made: the same features
    other = lg.Ledger(f"sqlite:///{alone}/ledger.sqlite")
    other.upgrade()
    only = WorkspaceProvider(alone)
    dispute = lg.open_dispute(other, subject, "obligation", record_id, "paid").dispute_id
    resolve_and_apply(other, only, dispute, "corrected", "op", correction=last.correction)
    assert _live(only, subject, record_id) == {f"{record_id}{CORRECTION_MARK}{dispute}"}
    assert provider.features_of(subject)[2] == only.features_of(subject)[2]
    assert lg.snapshots(ledger, subject)[-1].score == provider.current_score(subject)["score"]
