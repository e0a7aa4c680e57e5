"""A dispute resolved "corrected" over a real workspace: a new record, a rescore, a replay.

The corrected values become a new record beside the suppressed original (records are never
edited), the service's rescore equals a score computed afresh from the store, the snapshot it
records replays exactly, and a correction that would not make a valid record is refused before
anything is recorded anywhere.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from trustscore import ledger as lg
from trustscore.features import bills_without_consent
from trustscore.pipeline import Workspace, WorkspaceProvider, replay
from trustscore.pipeline._resolutions import pending_resolutions
from trustscore.records import version_order
from trustscore.service import create_app

pytestmark = pytest.mark.slow


def _unpaid_bill(provider: WorkspaceProvider) -> dict[str, object]:
    """An unpaid bill of a scored subject, due well before the as-of date (as its latest version
    says: the demo's furnishers later send payments of some bills first sent unpaid)."""
    rows = sorted(provider.store.read("obligation").to_pylist(), key=version_order)
    latest = {r["record_id"]: r for r in rows}.values()
    as_of = provider.workspace.as_of()
    # a bill left out for lack of consent does not count: correcting it changes no score
    left_out = set(
        bills_without_consent(
            provider.store, as_of, known_at=dt.datetime.now(dt.UTC),
            consent_categories=provider.consent_categories,
        )["record_id"].to_pylist()
    )  # fmt: skip
    unpaid = [b for b in latest if b["paid_date"] is None and b["record_id"] not in left_out]
    for bill in sorted(unpaid, key=lambda b: str(b["record_id"])):
        due = bill["due_date"]
        assert isinstance(due, dt.date)
        old = due < as_of - dt.timedelta(days=60)
        if old and provider.current_score(str(bill["subject_id"]))["status"] == "OK":
            return bill
    raise AssertionError("the demo workspace has no old unpaid bill of a scored subject")


def test_a_corrected_record_is_stored_anew_and_the_subject_rescored(
    small_demo: Path, tmp_path: Path
) -> None:
    root = Path(shutil.copytree(small_demo, tmp_path / "ws"))
    provider = WorkspaceProvider(root)
    provider.warm()
    ledger = lg.Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger.create_all()
    api = TestClient(create_app(ledger=ledger, provider=provider))
    bill = _unpaid_bill(provider)
    subject, record_id = str(bill["subject_id"]), str(bill["record_id"])
    _, subject_token = lg.create_client(ledger, "subject", (), subject, name="them")
    _, operator_token = lg.create_client(ledger, "operator", name="ops")
    before = provider.current_score(subject)
    base = provider._current().base.base_id  # the state every stored row was computed from

    opened = api.post(
        "/v1/disputes",
        json={"record_kind": "obligation", "record_id": record_id, "grounds": "I paid it"},
        headers={"Authorization": f"Bearer {subject_token}"},
    )
    assert opened.status_code == 201, opened.text
    dispute_id = opened.json()["dispute_id"]
    path = f"/v1/disputes/{dispute_id}/resolution"
    operator = {"Authorization": f"Bearer {operator_token}"}

    # a correction that would not be a valid record: refused, nothing recorded or stored
    bad = api.post(
        path, json={"outcome": "corrected", "correction": {"amount_paid": -5}}, headers=operator
    )
    assert bad.status_code == 422, bad.text
    assert "amount_paid is below the minimum 0" in bad.json()["error"]["message"]
    assert lg.get_dispute(ledger, dispute_id).status == "open"
    assert lg.suppressions(ledger) == []
    assert not (provider.store.root / "_corrections").exists()

    paid = {"paid_date": str(bill["due_date"]), "amount_paid": bill["amount_due"]}
    done = api.post(path, json={"outcome": "corrected", "correction": paid}, headers=operator)
    assert done.status_code == 200, done.text
    assert done.json()["rescored"] is True

    # the original is suppressed, never edited; the corrected record stands beside it
    new_id = f"{record_id}~c{dispute_id}"
    corrected = provider.store.record("obligation", new_id)
    original = provider.store.record("obligation", record_id)
    assert (corrected["paid_date"], corrected["amount_paid"]) == (
        bill["due_date"],
        bill["amount_due"],
    )
    assert (original["paid_date"], original["amount_paid"]) == (None, None)
    assert record_id in provider.store.suppressions().column("record_id").to_pylist()
    assert pending_resolutions(ledger, provider.store) == []

    # the rescore counts the correction, and equals a score computed afresh from the store
    after = provider.current_score(subject)
    assert after["feature_hash"] != before["feature_hash"]
    fresh = WorkspaceProvider(root).current_score(subject)
    for key in ("score", "status", "subscores", "reasons", "feature_hash"):
        assert after[key] == fresh[key], key
    # the correction touched its subject only: the other rows keep their state (no new base)
    assert provider._current().base.base_id == base
    assert provider._current().patch(subject) != ""

    # the file shows both records, and the rescore is a snapshot that replays exactly
    mine = api.get(
        f"/v1/subjects/{subject}/file", headers={"Authorization": f"Bearer {subject_token}"}
    ).json()
    shown = {r["record_id"] for r in mine["file"]["records"]["obligation"]}
    assert {record_id, new_id} <= shown
    snapshot = lg.snapshots(ledger, subject)[-1]
    assert snapshot.score == after["score"]
    assert replay(Workspace(root), asdict(snapshot)).matches


@pytest.fixture
def demo_ledger(
    small_demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[WorkspaceProvider, dict[str, object], lg.Ledger]]:
    """A copy of the small demo as the CLI's workspace, an unpaid bill and its SQLite ledger."""
    from trustscore.settings import get_settings

    root = Path(shutil.copytree(small_demo, tmp_path / "ws"))
    monkeypatch.setenv("TRUSTSCORE_WORKSPACE", str(root))
    monkeypatch.delenv("TRUSTSCORE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        provider = WorkspaceProvider(root)
        ledger = lg.Ledger(f"sqlite:///{root}/ledger.sqlite")
        ledger.upgrade()
        yield provider, _unpaid_bill(provider), ledger
    finally:
        get_settings.cache_clear()


def test_run_deadlines_completes_a_resolution_the_store_missed(
    demo_ledger: tuple[WorkspaceProvider, dict[str, object], lg.Ledger],
) -> None:
    from typer.testing import CliRunner

    from trustscore.cli import app

    provider, bill, ledger = demo_ledger
    # the ledger records the outcome; the process dies before the store applies it
    dispute = lg.open_dispute(
        ledger, str(bill["subject_id"]), "obligation", str(bill["record_id"]), "paid"
    )
    lg.resolve_dispute(
        ledger, dispute.dispute_id, "corrected", "ops",
        correction={"paid_date": str(bill["due_date"]), "amount_paid": bill["amount_due"]},
    )  # fmt: skip
    assert len(pending_resolutions(ledger, provider.store)) == 1
    runner = CliRunner()
    first = runner.invoke(app, ["disputes", "run-deadlines"])
    assert first.exit_code == 0, first.output
    assert "1 earlier resolution(s) applied" in first.output
    new_id = f"{bill['record_id']}~c{dispute.dispute_id}"
    assert provider.store.record("obligation", new_id)["paid_date"] == bill["due_date"]
    assert pending_resolutions(ledger, provider.store) == []
    rescored = lg.snapshots(ledger, str(bill["subject_id"]))
    assert [s.score for s in rescored] == [provider.current_score(str(bill["subject_id"]))["score"]]
    again = runner.invoke(app, ["disputes", "run-deadlines"])
    assert "0 earlier resolution(s) applied" in again.output


def _api(root: Path) -> tuple[TestClient, lg.Ledger, WorkspaceProvider]:
    provider = WorkspaceProvider(root)
    # a file beside the workspace, as the service runs: it writes from background threads
    ledger = lg.Ledger(f"sqlite:///{root.parent / 'ledger.db'}")
    ledger.create_all()
    return TestClient(create_app(ledger=ledger, provider=provider)), ledger, provider


def _held(provider: WorkspaceProvider) -> list[str]:
    return sorted(provider.store.suppressions().column("record_id").to_pylist())


def test_a_refused_resolution_changes_nothing(small_demo: Path, tmp_path: Path) -> None:
    """Issue 15: ``unverifiable`` with an invalid correction answered 422 yet was recorded."""
    api, ledger, provider = _api(Path(shutil.copytree(small_demo, tmp_path / "ws")))
    bill = _unpaid_bill(provider)
    _, token = lg.create_client(ledger, "operator", name="ops")
    operator = {"Authorization": f"Bearer {token}"}
    opened = api.post(
        "/v1/disputes",
        json={"record_kind": "obligation", "record_id": str(bill["record_id"]),
              "subject_id": str(bill["subject_id"]), "grounds": "I paid it"},
        headers=operator,
    )  # fmt: skip
    assert opened.status_code == 201, opened.text
    dispute_id = opened.json()["dispute_id"]
    entries, held = len(lg.audit_entries(ledger)), _held(provider)
    path = f"/v1/disputes/{dispute_id}/resolution"
    for body in (
        {"outcome": "unverifiable", "correction": {"amount_paid": -5}},
        {"outcome": "verified", "correction": {"amount_paid": 1}},
        {"outcome": "corrected", "correction": {"amount_paid": -5}},
    ):
        refused = api.post(path, json=body, headers=operator)
        assert refused.status_code == 422, refused.text
        assert lg.get_dispute(ledger, dispute_id).status == "open"
        assert lg.suppressions(ledger) == []
        assert len(lg.audit_entries(ledger)) == entries
        assert _held(provider) == held
    assert pending_resolutions(ledger, provider.store) == []
    done = api.post(path, json={"outcome": "unverifiable"}, headers=operator)
    assert done.status_code == 200, done.text
    assert pending_resolutions(ledger, provider.store) == []


def test_a_record_corrected_twice_through_the_api_counts_once(
    small_demo: Path, tmp_path: Path
) -> None:
    api, ledger, provider = _api(Path(shutil.copytree(small_demo, tmp_path / "ws")))
    bill = _unpaid_bill(provider)
    subject, record_id = str(bill["subject_id"]), str(bill["record_id"])
    _, token = lg.create_client(ledger, "operator", name="ops")
    operator = {"Authorization": f"Bearer {token}"}
    ids = []
    for paid in (1.0, 2.0):
        opened = api.post(
            "/v1/disputes",
            json={"record_kind": "obligation", "record_id": record_id, "subject_id": subject,
                  "grounds": "I paid it"},
            headers=operator,
        )  # fmt: skip
        assert opened.status_code == 201, opened.text
        ids.append(opened.json()["dispute_id"])
        correction = {"paid_date": str(bill["due_date"]), "amount_paid": paid}
        done = api.post(
            f"/v1/disputes/{ids[-1]}/resolution",
            json={"outcome": "corrected", "correction": correction},
            headers=operator,
        )
        assert done.status_code == 200, done.text
    rows = provider.store.read("obligation", subjects=[subject]).column("record_id").to_pylist()
    live = {r for r in rows if r.startswith(record_id)} - set(_held(provider))
    assert live == {f"{record_id}~c{ids[-1]}"}


def test_another_subjects_record_and_none_get_the_same_404(
    small_demo: Path, tmp_path: Path
) -> None:
    """Issue 15: a record id of another subject answered differently from an unknown id, and the
    latter named the server's workspace folder."""
    root = Path(shutil.copytree(small_demo, tmp_path / "ws"))
    api, ledger, provider = _api(root)
    bill = _unpaid_bill(provider)
    others = provider.store.read("obligation").to_pylist()
    theirs = next(r for r in others if r["subject_id"] != bill["subject_id"])
    _, token = lg.create_client(ledger, "subject", (), str(bill["subject_id"]), name="them")
    answers = []
    for record_id in (str(theirs["record_id"]), "no-such-record"):
        response = api.post(
            "/v1/disputes",
            json={"record_kind": "obligation", "record_id": record_id, "grounds": "not mine"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 404
        assert str(tmp_path) not in response.text
        assert "/store" not in response.text
        answers.append(response.text.replace(record_id, "<id>"))
    assert answers[0] == answers[1]
    assert lg.disputes(ledger) == []


def test_run_deadlines_repairs_a_correction_the_store_cannot_take(
    demo_ledger: tuple[WorkspaceProvider, dict[str, object], lg.Ledger],
) -> None:
    """A ledger written before the fix holds ``unverifiable`` with a bad correction: the job
    suppresses the record once, and every later run succeeds (it exited 1 on every run)."""
    from typer.testing import CliRunner

    from trustscore.cli import app

    provider, bill, ledger = demo_ledger
    dispute = lg.open_dispute(
        ledger, str(bill["subject_id"]), "obligation", str(bill["record_id"]), "paid"
    )
    lg.record_suppression(
        ledger, "obligation", str(bill["record_id"]), "dispute unverifiable",
        subject_id=str(bill["subject_id"]), dispute_id=dispute.dispute_id,
        correction={"amount_paid": -5},
    )  # fmt: skip
    runner = CliRunner()
    first = runner.invoke(app, ["disputes", "run-deadlines"])
    assert first.exit_code == 0, first.output
    assert "1 earlier resolution(s) applied" in first.output
    assert str(bill["record_id"]) in _held(provider)
    again = runner.invoke(app, ["disputes", "run-deadlines"])
    assert again.exit_code == 0, again.output
    assert "0 earlier resolution(s) applied" in again.output


def test_run_deadlines_records_the_score_a_killed_resolution_owed(
    demo_ledger: tuple[WorkspaceProvider, dict[str, object], lg.Ledger],
) -> None:
    """Found by the crash harness: a resolution killed after the store took it but before the
    rescore was recorded left the subject's history without that score, and nothing repaired
    it (the store had the resolution, so nothing looked pending)."""
    from typer.testing import CliRunner

    from trustscore.cli import app

    provider, bill, ledger = demo_ledger
    subject = str(bill["subject_id"])
    dispute = lg.open_dispute(ledger, subject, "obligation", str(bill["record_id"]), "paid")
    _, suppression = lg.resolve_dispute(ledger, dispute.dispute_id, "unverifiable", "ops")
    assert suppression is not None
    provider.apply_resolution(suppression)  # ... and the process dies here
    assert pending_resolutions(ledger, provider.store) == []
    assert lg.unrescored_subjects(ledger) == [subject]
    runner = CliRunner()
    first = runner.invoke(app, ["disputes", "run-deadlines"])
    assert first.exit_code == 0, first.output
    assert "1 subject(s) rescored" in first.output
    assert [s.score for s in lg.snapshots(ledger, subject)] == [
        provider.current_score(subject)["score"]
    ]
    again = runner.invoke(app, ["disputes", "run-deadlines"])
    assert "0 subject(s) rescored" in again.output
    assert len(lg.snapshots(ledger, subject)) == 1
