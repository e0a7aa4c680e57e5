"""Consent withdrawn removes bills from the next score and not from a replay (issue 11, step 4).

Over a copy of the small demo (whose synthetic subjects mostly consented to the use of their
bills): a subject withdraws consent through the API, is rescored at once without those bills,
and a score given before the withdrawal still replays exactly with them. A subject manages only
their own consent; an operator anyone's, through the API or the CLI.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from trustscore import ledger as lg
from trustscore.cli import app as cli_app
from trustscore.features import DEFAULT_CONSENT_CATEGORIES as CATEGORIES
from trustscore.pipeline import Workspace, WorkspaceProvider, replay
from trustscore.records import read_consents
from trustscore.service import create_app, record_score

pytestmark = pytest.mark.slow


def _consenting_subject(provider: WorkspaceProvider, ledger: lg.Ledger) -> str:
    """A scored subject with every bill category consented and several bills that count."""
    bills = provider.store.read("obligation").to_pylist()
    n_bills: dict[str, int] = {}
    for b in bills:
        n_bills[str(b["subject_id"])] = n_bills.get(str(b["subject_id"]), 0) + 1
    for sid in sorted(n_bills, key=lambda s: (-n_bills[s], s)):
        in_force = {e.scope for e in lg.consents_in_force(ledger, sid)}
        file = provider.file(sid)
        if (
            in_force >= set(CATEGORIES)
            and file["current_score"]["status"] == "OK"
            and not file["consent"]["bills_left_out"]
        ):
            return sid
    raise AssertionError("the demo has no scored subject who consented to every bill category")


@pytest.fixture
def served(small_demo: Path, tmp_path: Path) -> Iterator[tuple[Path, WorkspaceProvider, lg.Ledger]]:
    root = Path(shutil.copytree(small_demo, tmp_path / "ws"))
    provider = WorkspaceProvider(root)
    provider.warm()
    ledger = lg.Ledger(Workspace(root).ledger_url)  # holds the demo's synthetic consents
    yield root, provider, ledger
    ledger.dispose()


def test_consent_withdrawn_removes_bills_from_the_next_score_and_not_from_a_replay(
    served: tuple[Path, WorkspaceProvider, lg.Ledger],
) -> None:
    root, provider, ledger = served
    api = TestClient(create_app(ledger=ledger, provider=provider))
    subject = _consenting_subject(provider, ledger)
    _, token = lg.create_client(ledger, "subject", (), subject, name="them")
    mine = {"Authorization": f"Bearer {token}"}
    before = record_score(ledger, provider.current_score(subject), actor="lender-1")
    counted = {r["record_id"] for r in provider.file(subject)["records"]["obligation"]}

    for category in CATEGORIES:
        done = api.post(
            f"/v1/subjects/{subject}/consents",
            json={"action": "withdraw", "scope_kind": "category", "scope": category},
            headers=mine,
        )
        assert done.status_code == 201, done.text
        assert done.json()["rescored"] is True
        assert done.json()["event"]["source"] == "subject"

    # the next score has no bill: the payment features are undefined, the score has changed
    after = provider.current_score(subject)
    assert after["feature_hash"] != before.feature_hash
    fresh = WorkspaceProvider(root).current_score(subject)
    assert (after["score"], after["feature_hash"]) == (fresh["score"], fresh["feature_hash"])
    file = api.get(f"/v1/subjects/{subject}/file", headers=mine).json()["file"]
    assert set(file["consent"]["bills_left_out"]) == {
        r["record_id"] for r in file["records"]["obligation"] if not r["deleted"]
    }
    assert file["consent"]["bills_left_out"]
    assert counted >= set(file["consent"]["bills_left_out"])
    # the rescore was recorded, and it replays exactly (its time: after the withdrawals)
    latest = lg.snapshots(ledger, subject)[-1]
    assert latest.feature_hash == after["feature_hash"]
    assert replay(Workspace(root), asdict(latest)).matches
    # the score given before the withdrawal replays with the bills it counted then
    again = replay(Workspace(root), asdict(before))
    assert again.matches, again.differences
    assert again.recomputed["feature_hash"] == before.feature_hash

    listed = api.get(f"/v1/subjects/{subject}/consents", headers=mine).json()
    assert listed["in_force"] == []
    assert [e["action"] for e in listed["events"]][-4:] == ["withdraw"] * 4
    withdrawn = [
        e for e in lg.audit_entries(ledger)
        if e.action == "consent.withdraw"
        and lg.personal_matches(ledger, subject, subject, e.payload["subject_id"])
    ]  # fmt: skip
    assert [e.payload["scope"] for e in withdrawn][-4:] == list(CATEGORIES)
    assert {e.actor for e in withdrawn[-4:]} == {listed["events"][-1]["actor"]}
    assert lg.audit_verify(ledger).ok
    # the store holds the events the features read
    stored = read_consents(provider.store, subjects=[subject])["action"].to_pylist()
    assert stored.count("withdraw") >= 4

    # granted again: the bills count again in the next score
    regrant = api.post(
        f"/v1/subjects/{subject}/consents",
        json={"action": "grant", "scope_kind": "category", "scope": "utility"},
        headers=mine,
    )
    assert regrant.status_code == 201, regrant.text
    assert provider.current_score(subject)["feature_hash"] != after["feature_hash"]


def test_a_subject_manages_only_their_own_consent(
    served: tuple[Path, WorkspaceProvider, lg.Ledger],
) -> None:
    _, provider, ledger = served
    api = TestClient(create_app(ledger=ledger, provider=provider))
    subject = _consenting_subject(provider, ledger)
    subjects = pq.read_table(provider.workspace.scores_path, columns=["subject_id"])[0]
    other = next(s for s in sorted(subjects.to_pylist()) if s != subject)
    _, token = lg.create_client(ledger, "subject", (), subject, name="them")
    _, ops = lg.create_client(ledger, "operator", name="ops")
    theirs = {"Authorization": f"Bearer {token}"}
    n_events = len(lg.consent_events(ledger))
    change = {"action": "withdraw", "scope_kind": "category", "scope": "rent"}

    refused = api.post(f"/v1/subjects/{other}/consents", json=change, headers=theirs)
    assert refused.status_code == 403, refused.text
    assert api.get(f"/v1/subjects/{other}/consents", headers=theirs).status_code == 403
    bad = {**change, "scope": "tradeline"}
    unknown = api.post(f"/v1/subjects/{subject}/consents", json=bad, headers=theirs)
    assert unknown.status_code == 422, unknown.text
    assert "not a bill category" in unknown.json()["error"]["message"]
    nobody = api.post(
        "/v1/subjects/nobody/consents", json=change, headers={"Authorization": f"Bearer {ops}"}
    )
    assert nobody.status_code == 404, nobody.text
    assert len(lg.consent_events(ledger)) == n_events  # nothing recorded

    by_operator = api.post(
        f"/v1/subjects/{other}/consents", json=change, headers={"Authorization": f"Bearer {ops}"}
    )
    assert by_operator.status_code == 201, by_operator.text
    assert by_operator.json()["event"]["source"] == "operator"
    assert lg.consent_events(ledger, subject_id=other)[-1].action == "withdraw"


def test_an_operator_records_consent_through_the_cli(
    small_demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trustscore.settings import get_settings

    root = Path(shutil.copytree(small_demo, tmp_path / "ws"))
    monkeypatch.setenv("TRUSTSCORE_WORKSPACE", str(root))
    monkeypatch.delenv("TRUSTSCORE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        provider = WorkspaceProvider(root)
        ledger = lg.Ledger(Workspace(root).ledger_url)
        subject = _consenting_subject(provider, ledger)
        before = provider.current_score(subject)
        out = runner.invoke(
            cli_app, ["consent", "withdraw", subject, "--category", "utility", "--by", "ops-7"]
        )
        assert out.exit_code == 0, out.output
        assert f"withdraw of consent for category utility recorded for {subject}" in out.output
        assert "rescored" in out.output
        event = lg.consent_events(ledger, subject_id=subject)[-1]
        assert (event.action, event.scope, event.actor, event.source) == (
            "withdraw", "utility", "ops-7", "operator",
        )  # fmt: skip
        after = WorkspaceProvider(root).current_score(subject)
        assert lg.snapshots(ledger, subject)[-1].feature_hash == after["feature_hash"]
        assert after["feature_hash"] != before["feature_hash"]

        listed = runner.invoke(cli_app, ["consent", "list", subject])
        assert listed.exit_code == 0, listed.output
        assert "withdraw" in listed.output
        assert "in force now: category platform, category rent, category telecom" in listed.output

        both = runner.invoke(cli_app, ["consent", "grant", subject])
        assert both.exit_code != 0
        assert "exactly one of --category and --furnisher" in both.output
        wrong = runner.invoke(cli_app, ["consent", "grant", subject, "--category", "loans"])
        assert wrong.exit_code != 0
        assert "'loans' is not a bill category" in wrong.output
        assert "Traceback" not in wrong.output
        ledger.dispose()
    finally:
        get_settings.cache_clear()
