"""What would change a score, through the API over a real workspace: what-if, next tier, time.

Over the small demo: the what-if is the scorer's answer for the subject's features with the
changes (and with none, the current score); the next tier's changes, tried as a what-if, reach
the cut-off; the projection equals scoring the subject's records at the later as-of dates. A
subject asks only about their own file, a lender only for an allowed purpose; unknown
characteristics and bad values are a 422; nothing is stored as a score, and each call is in
the access log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from trustscore import ledger as lg
from trustscore.pipeline import WorkspaceProvider, score_subject
from trustscore.pipeline._whatif import add_months
from trustscore.scoring import score
from trustscore.scoring._changes import apply_changes, row_table
from trustscore.service import create_app

pytestmark = pytest.mark.slow


class Api:
    def __init__(self, client: TestClient, ledger: lg.Ledger, provider: WorkspaceProvider) -> None:
        self.client, self.ledger, self.provider = client, ledger, provider
        self.tokens: dict[str, str] = {}

    def as_(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture(scope="module")
def api(small_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    provider = WorkspaceProvider(small_demo)  # read only: nothing here writes to the workspace
    # a file, as the service runs: it writes from background threads beside the requests
    ledger = lg.Ledger(f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'ledger.db'}")
    ledger.create_all()
    with TestClient(create_app(ledger=ledger, provider=provider)) as client:
        yield Api(client, ledger, provider)
    ledger.dispose()


def _scored(root: Path) -> list[str]:
    rows = pq.read_table(root / "scores.parquet", columns=["subject_id", "status"]).to_pylist()
    return [r["subject_id"] for r in rows if r["status"] == "OK"]


def _below_top(api: Api, subjects: list[str]) -> tuple[str, dict[str, Any]]:
    """A subject whose next credit-pricing tier has a path, and that path."""
    for subject in subjects:
        _, token = lg.create_client(api.ledger, "subject", (), subject, name=subject)
        got = api.client.get(
            f"/v1/subjects/{subject}/next-tier",
            params={"purpose": "credit_pricing"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert got.status_code == 200, got.text
        if got.json()["path"] is not None:
            api.tokens["subject"] = token
            return subject, got.json()
    pytest.fail("no subject of the small demo has a way to its next tier")


def test_the_what_if_is_the_scorers_answer_and_the_next_tier_is_reached(
    api: Api, small_demo: Path
) -> None:
    subject, tier = _below_top(api, _scored(small_demo))
    art, _, row = api.provider.features_of(subject)
    changes = {c["name"]: c["value"] for c in tier["path"]["changes"]}
    snapshots_before = len(lg.snapshots(api.ledger, subject))

    got = api.client.post(
        f"/v1/subjects/{subject}/what-if", json={"changes": changes}, headers=api.as_("subject")
    )
    assert got.status_code == 200, got.text
    body = got.json()
    [expected] = score(art, row_table(art, [apply_changes(art, row, changes)])).to_pylist()
    assert (body["score"], body["status"]) == (expected["score"], "OK")
    assert body["subscores"] == {d: expected[d] for d in art.dimension_names}
    codes = [expected[f"reason_{i}"] for i in range(1, 5) if expected[f"reason_{i}"]]
    assert [r["code"] for r in body["reasons"]] == codes
    for r in body["reasons"]:
        assert r["statement"] == art.reason_text(r["code"], apply_changes(art, row, changes))[0]
    assert body["score"] == tier["path"]["score"] >= tier["next"]["min_score"]
    pricing = next(d for d in body["decisions"] if d["purpose"] == "credit_pricing")
    # the tier the changes reach: the next one up, or higher where they add more than needed
    assert pricing["outcome"] == tier["path"]["outcome"]
    assert {d["purpose"] for d in body["decisions"]} == set(art.approved_purposes)
    # the current score beside it is the one the service gives
    current = api.provider.current_score(subject)
    assert (body["current"]["score"], body["current"]["subscores"]) == (
        current["score"], current["subscores"])  # fmt: skip
    assert body["score_range"] == dict(zip(("min", "max"), art.score_range, strict=True))
    assert body["current"]["values"] == {c.name: row[c.name] for c in art.characteristics}

    # nothing stored as a score; each call is in the access log
    assert len(lg.snapshots(api.ledger, subject)) == snapshots_before
    actions = [a.action for a in lg.accesses(api.ledger, subject)]
    assert actions[-2:] == ["next_tier", "what_if"]


def test_bad_changes_and_other_files_are_refused(api: Api, small_demo: Path) -> None:
    subject, other = _scored(small_demo)[:2]
    _, token = lg.create_client(api.ledger, "subject", (), subject, name="me")
    me = {"Authorization": f"Bearer {token}"}
    url = f"/v1/subjects/{subject}/what-if"
    unknown = api.client.post(url, json={"changes": {"shoe_size": 44}}, headers=me)
    assert unknown.status_code == 422
    assert "'shoe_size' is not a characteristic" in unknown.json()["error"]["message"]
    bad = api.client.post(url, json={"changes": {"card_utilisation": "high"}}, headers=me)
    assert bad.status_code == 422
    assert "'card_utilisation' is a number" in bad.json()["error"]["message"]
    theirs = api.client.post(f"/v1/subjects/{other}/what-if", json={"changes": {}}, headers=me)
    assert theirs.status_code == 403

    _, bank = lg.create_client(api.ledger, "lender", ["credit_limit"], name="bank")
    lender = {"Authorization": f"Bearer {bank}"}
    no_purpose = api.client.post(url, json={"changes": {}}, headers=lender)
    assert no_purpose.status_code == 422
    not_allowed = api.client.post(
        url, json={"changes": {}, "purpose": "credit_pricing"}, headers=lender
    )
    assert not_allowed.status_code == 403
    allowed = api.client.post(
        url, json={"changes": {"card_utilisation": 0.05}, "purpose": "credit_limit"},
        headers=lender,
    )  # fmt: skip
    assert allowed.status_code == 200, allowed.text
    assert [d["purpose"] for d in allowed.json()["decisions"]] == ["credit_limit"]
    assert "values" not in allowed.json()["current"]  # the subject's features are theirs
    looked = [(a.client_id, a.purpose, a.action) for a in lg.accesses(api.ledger, subject)]
    assert looked[-1][1:] == ("credit_limit", "what_if")
    _, ops = lg.create_client(api.ledger, "operator", name="ops")
    operator = {"Authorization": f"Bearer {ops}"}
    assert api.client.post(url, json={"changes": {}}, headers=operator).status_code == 403


def test_the_projection_is_the_score_of_the_records_at_the_later_dates(
    api: Api, small_demo: Path
) -> None:
    subject = _scored(small_demo)[0]
    _, token = lg.create_client(api.ledger, "subject", (), subject, name="later")
    got = api.client.get(
        f"/v1/subjects/{subject}/projection", headers={"Authorization": f"Bearer {token}"}
    )
    assert got.status_code == 200, got.text
    body = got.json()
    as_of = dt.date.fromisoformat(body["as_of"])
    assert [p["months"] for p in body["later"]] == [3, 6, 12]
    art = api.provider.artifact
    for p in body["later"]:
        later = add_months(as_of, p["months"])
        expected = score_subject(api.provider.store, art, subject, later)
        assert p["as_of"] == later.isoformat()
        assert (p["score"], p["status"], p["subscores"]) == (
            expected["score"], expected["status"], expected["subscores"])  # fmt: skip
        assert [r["code"] for r in p["reasons"]] == [r["code"] for r in expected["reasons"]]
    assert body["current"]["score"] == api.provider.current_score(subject)["score"]


def test_the_cli_gives_the_same_answers(
    api: Api, small_demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from typer.testing import CliRunner

    from trustscore.cli import app
    from trustscore.pipeline import next_tier_of, what_if
    from trustscore.settings import get_settings

    subject = _scored(small_demo)[0]
    monkeypatch.setenv("TRUSTSCORE_WORKSPACE", str(small_demo))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        tried = runner.invoke(app, ["what-if", subject, "--set", "card_utilisation=0.05", "--json"])
        assert tried.exit_code == 0, tried.output
        expected = what_if(api.provider, subject, {"card_utilisation": 0.05})
        assert json.loads(tried.output) == expected
        words = runner.invoke(app, ["what-if", subject, "--set", "card_utilisation=0.05"])
        assert f"score {expected['score']} ({expected['status']})" in words.output
        tier = runner.invoke(app, ["next-tier", subject, "--purpose", "credit_pricing"])
        assert tier.exit_code == 0, tier.output
        assert next_tier_of(api.provider, subject, "credit_pricing")["message"] in tier.output
        later = runner.invoke(app, ["projection", subject])
        assert later.exit_code == 0, later.output
        assert "+12 months" in later.output
        bad = runner.invoke(app, ["what-if", subject, "--set", "shoe_size=44"])
        assert bad.exit_code == 1
        assert "'shoe_size' is not a characteristic" in bad.output
    finally:
        get_settings.cache_clear()
