"""Furnisher quality and held batches over the API, on a real workspace (store and ledger)."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import trustscore.ledger as lg
from store_helpers import add_subjects
from trustscore.pipeline import Workspace, furnisher_report, ingest_and_hold
from trustscore.records import RecordStore
from trustscore.service import create_app
from trustscore.settings import Settings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

HEADER = "record_id,subject_id,furnisher,category,account,due_date,amount_due,paid_date,amount_paid"
AT = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)


@dataclass
class Env:
    api: TestClient
    ledger: lg.Ledger
    store: RecordStore
    tokens: dict[str, str]
    ids: dict[str, str]

    def as_(self, who: str) -> dict[str, str]:
        return {} if who == "anonymous" else {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    ws = Workspace(tmp_path / "ws").create()
    store = RecordStore(ws.store_dir)
    add_subjects(store, "s1")
    ledger = lg.Ledger(ws.ledger_url)
    ledger.upgrade()
    # power: 2 of 4 rows bad (50%), gas: 1 of 2 (50%), water: all good; held above 40%
    rows = [
        "o1,s1,power,utility,A,2024-01-10,80,,", "o2,s1,power,utility,A,2024-01-10,-1,,",
        "o3,s1,power,utility,A,2024-01-10,80,,", "o4,S1,power,utility,A,2024-01-10,80,,",
        "g1,s1,gas,utility,G,2024-01-10,30,,", "g2,s1,gas,utility,G,2024-01-10,abc,,",
        "w1,s1,water,utility,W,2024-01-10,12,,",
    ]  # fmt: skip
    path = tmp_path / "obligation.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    result = ingest_and_hold(path, store, ledger, ingested_at=AT, hold_above=0.4)
    assert result.rows_held == 3
    tokens, ids = {}, {}
    for who, role, purposes, subject in [
        ("subject", "subject", [], "s1"), ("lender", "lender", ["credit_limit"], None),
        ("operator", "operator", [], None), ("auditor", "auditor", [], None),
        ("admin", "admin", [], None),
    ]:  # fmt: skip
        client, tokens[who] = lg.create_client(ledger, role, purposes, subject, name=who)
        ids[who] = client.client_id
    settings = Settings(workspace=ws.root, _env_file=None)  # type: ignore[call-arg]
    api = TestClient(create_app(settings, ledger=ledger))
    yield Env(api, ledger, store, tokens, ids)
    ledger.dispose()


def _hold_of(env: Env, furnisher: str) -> str:
    [held] = [h for h in lg.held_batches(env.ledger, "held") if h.furnisher == furnisher]
    return held.hold_id


@pytest.mark.parametrize("who", ["anonymous", "subject", "lender"])
def test_subjects_and_lenders_see_nothing_of_furnishers(env: Env, who: str) -> None:
    expected = 401 if who == "anonymous" else 403
    hold = _hold_of(env, "power")
    for method, path in [
        ("GET", "/v1/furnishers"), ("GET", "/v1/furnishers/power"), ("GET", "/v1/held-batches"),
        ("POST", f"/v1/held-batches/{hold}/release"), ("POST", f"/v1/held-batches/{hold}/reject"),
    ]:  # fmt: skip
        response = env.api.request(method, path, headers=env.as_(who))
        assert response.status_code == expected, (path, response.text)
        assert "power" not in response.text
    assert [h.status for h in lg.held_batches(env.ledger)] == ["held", "held"]


@pytest.mark.parametrize("who", ["operator", "auditor", "admin"])
def test_operators_auditors_and_admins_read_the_counts(env: Env, who: str) -> None:
    response = env.api.get("/v1/furnishers", headers=env.as_(who))
    assert response.status_code == 200
    body = response.json()
    assert body == furnisher_report(env.store, env.ledger)
    power = next(r for r in body["furnishers"] if r["furnisher"] == "power")
    assert (power["received"], power["quarantined"], power["held"], power["new"]) == (4, 2, 2, 0)
    total = body["total"]
    assert total["received"] == 7
    parts = ("new", "versions", "unchanged", "quarantined", "held")
    assert total["received"] == sum(total[p] for p in parts)
    one = env.api.get("/v1/furnishers/water", headers=env.as_(who)).json()
    assert (one["received"], one["new"], one["held"]) == (1, 1, 0)
    missing = env.api.get("/v1/furnishers/nobody", headers=env.as_(who))
    assert missing.status_code == 404
    held = env.api.get("/v1/held-batches?status=held", headers=env.as_(who)).json()
    assert sorted((h["furnisher"], h["rows"]) for h in held) == [("gas", 1), ("power", 2)]


def test_an_auditor_cannot_resolve_a_hold(env: Env) -> None:
    hold = _hold_of(env, "power")
    response = env.api.post(f"/v1/held-batches/{hold}/release", headers=env.as_("auditor"))
    assert response.status_code == 403
    assert lg.held_batches(env.ledger, "held")[0].status == "held"


def test_an_operator_releases_one_hold_and_rejects_another(env: Env) -> None:
    power, gas = _hold_of(env, "power"), _hold_of(env, "gas")
    released = env.api.post(f"/v1/held-batches/{power}/release", headers=env.as_("operator"))
    assert released.status_code == 200, released.text
    body = released.json()
    assert (body["status"], body["resolver"]) == ("released", env.ids["operator"])
    assert (body["stored"]["rows_new"], body["stored"]["rows_quarantined"]) == (2, 0)
    assert body["release_batch_id"] == body["stored"]["batch_id"]
    again = env.api.post(f"/v1/held-batches/{power}/reject", headers=env.as_("admin"))
    assert again.status_code == 409
    rejected = env.api.post(f"/v1/held-batches/{gas}/reject", headers=env.as_("admin"))
    assert rejected.json()["status"] == "rejected"
    report = env.api.get("/v1/furnishers", headers=env.as_("auditor")).json()
    by_name = {r["furnisher"]: r for r in report["furnishers"]}
    assert (by_name["power"]["new"], by_name["power"]["held"]) == (2, 0)
    reason = f"batch rejected by operator {env.ids['admin']}"
    assert by_name["gas"]["quarantine_reasons"][reason] == 1
    assert report["total"]["held"] == 0
    actions = [
        (e.action, e.actor) for e in lg.audit_entries(env.ledger) if e.action.startswith("hold.")
    ]
    assert actions == [
        ("hold.record", "system"), ("hold.record", "system"),
        ("hold.release", env.ids["operator"]), ("hold.reject", env.ids["admin"]),
    ]  # fmt: skip
    assert lg.audit_verify(env.ledger).ok
