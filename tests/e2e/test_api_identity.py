"""The identity endpoints: a subject sees their own identity data only; operators review pairs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import trustscore.ledger as lg
from trustscore.identity import IdentityStore
from trustscore.pipeline import Workspace
from trustscore.records import RecordStore
from trustscore.records._identity import IDENTITY_FIELDS
from trustscore.settings import Settings

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from trustscore.service import create_app

AT = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


def _profile(pid: str, subject: str, **fields: str) -> dict[str, Any]:
    return {"profile_id": pid, "subject_id": subject, "subject_kind": "person",
            **dict.fromkeys(IDENTITY_FIELDS), **fields}  # fmt: skip


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], lg.Ledger]]:
    # a file, as the service runs on: one in-memory connection cannot take the group commit's
    # thread and a request at once
    ledger = lg.Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    ledger.upgrade()
    store = RecordStore(Workspace(tmp_path).store_dir)
    profiles = pa.Table.from_pylist(
        [
            _profile(
                "p1", "s1", family_name="li", given_name="wei", national_id="11010519491231002X"
            ),
            _profile("p2", "s2", family_name="wang", given_name="fang", address="1 road"),
        ]
    )
    IdentityStore(store).write_run("run-1", profiles, pa.table({}), None)
    lg.record_links(
        ledger,
        [lg.IdentityLink("p1", "s1", None, "new_subject", {}),
         lg.IdentityLink("p2", "s2", None, "new_subject", {})],
        at=AT,
    )  # fmt: skip
    lg.open_identity_reviews(
        ledger, [lg.IdentityReviewItem("p3", "p1", "s1", 2.5, {"fields": {}})], at=AT
    )
    tokens = {}
    for who, role, subject in (("alice", "subject", "s1"), ("ops", "operator", None)):
        _, token = lg.create_client(ledger, role, (), subject, name=who)
        tokens[who] = {"Authorization": f"Bearer {token}"}
    settings = Settings(workspace=tmp_path, _env_file=None)  # type: ignore[call-arg]
    with TestClient(create_app(settings, ledger=ledger)) as client:
        yield client, tokens, ledger


def test_a_subject_sees_their_own_identity_and_no_one_elses(api: Any) -> None:
    client, tokens, _ = api
    own = client.get("/v1/subjects/s1/identity", headers=tokens["alice"])
    assert own.status_code == 200
    body = own.json()
    assert [p["national_id"] for p in body["profiles"]] == ["11010519491231002X"]
    assert [x["decided_by"] for x in body["links"]] == ["new_subject"]
    other = client.get("/v1/subjects/s2/identity", headers=tokens["alice"])
    assert other.status_code == 404
    assert "wang" not in other.text
    assert client.get("/v1/subjects/s2/identity").status_code == 401
    seen = client.get("/v1/subjects/s2/identity", headers=tokens["ops"]).json()
    assert [p["family_name"] for p in seen["profiles"]] == ["wang"]


def test_operators_decide_review_pairs(api: Any) -> None:
    client, tokens, ledger = api
    assert client.get("/v1/identity/reviews", headers=tokens["alice"]).status_code == 403
    queue = client.get("/v1/identity/reviews", headers=tokens["ops"]).json()
    assert [(r["profile_id"], r["candidate_profile_id"]) for r in queue] == [("p3", "p1")]
    rid = queue[0]["review_id"]
    url = f"/v1/identity/reviews/{rid}/decision"
    assert client.post(url, json={"outcome": "maybe"}, headers=tokens["ops"]).status_code == 422
    done = client.post(url, json={"outcome": "match", "note": "moved house"}, headers=tokens["ops"])
    assert done.status_code == 200
    assert done.json()["status"] == "match"
    # the operator's note is kept with the decision in the audit chain
    assert lg.audit_entries(ledger)[-1].payload == {
        "review_id": rid,
        "outcome": "match",
        "note": "moved house",
    }
    assert client.get("/v1/identity/reviews", headers=tokens["ops"]).json() == []
    assert [r.status for r in lg.identity_reviews(ledger)] == ["match"]
