"""The API end to end over a real SQLite ledger, with a provider over fixed records.

The authorisation matrix drives every role against every endpoint, for the subject's own file
and for another subject's, and checks that nothing leaks; the flows check what each endpoint
records (access log, inquiries, snapshots, decisions, disputes, suppressions, audit chain).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import trustscore.ledger as lg
from trustscore.exceptions import NotFoundError, SchemaError
from trustscore.safeguards import NEVER_APPROVABLE_PURPOSES
from trustscore.service import DecisionResult, ScoreResult, SubjectProvider, create_app

with warnings.catch_warnings():
    # starlette 1.x asks for httpx2 and warns when it falls back to httpx.
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

RECORDS: dict[str, list[tuple[str, str]]] = {
    "subj-a": [("obligation", "ob-a1"), ("obligation", "ob-a2"), ("tradeline", "tl-a1")],
    "subj-b": [("obligation", "ob-b1"), ("public_record", "pr-b1")],
    "subj-ns": [],
}
SCORES: dict[str, int | None] = {"subj-a": 712, "subj-b": 455, "subj-ns": None}


@dataclass
class DictProvider:
    """A SubjectProvider over the fixed records above (the pipeline supplies the real one)."""

    inquiries: list[tuple[str, str, str]] = field(default_factory=list)
    suppressed: list[tuple[str, str, str]] = field(default_factory=list)
    rescored: list[str] = field(default_factory=list)

    def _known(self, subject_id: str) -> None:
        if subject_id not in RECORDS:
            raise NotFoundError(f"There is no subject {subject_id!r}.", subject_id=subject_id)

    def score(self, subject_id: str, purpose: str) -> ScoreResult:
        self._known(subject_id)
        points = SCORES[subject_id]
        return {
            "subject_id": subject_id, "as_of": "2026-03-31", "model_version": "1.2.0",
            "model_hash": "m" * 64, "score": points, "status": "NS" if points is None else "OK",
            "subscores": {} if points is None else {"payment": points // 2, "credit": points // 2},
            "reasons": [] if points is None else ["R01", "R04"], "feature_hash": "f" * 64,
        }  # fmt: skip

    def decide(self, subject_id: str, purpose: str) -> DecisionResult:
        result = self.score(subject_id, purpose)
        adverse = result["score"] is None or result["score"] < 500
        return {
            "policy": f"{purpose}-v1", "outcome": "decline" if adverse else "tier_2",
            "adverse": adverse, "score": result,
            "notice": (
                {"reasons": result["reasons"], "dispute": "/v1/disputes"} if adverse else None
            ),
        }  # fmt: skip

    def file(self, subject_id: str) -> dict[str, Any]:
        self._known(subject_id)
        gone = {(k, r) for k, r, _ in self.suppressed}
        return {
            "records": [{"kind": k, "record_id": r, "suppressed": (k, r) in gone}
                        for k, r in RECORDS[subject_id]],
            "score": SCORES[subject_id],
        }  # fmt: skip

    def record_owner(self, kind: str, record_id: str) -> str:
        for subject, records in RECORDS.items():
            if (kind, record_id) in records:
                return subject
        raise NotFoundError(f"There is no {kind} record {record_id!r}.", record_id=record_id)

    def record_inquiry(
        self, subject_id: str, requester: str, purpose: str, at: dt.datetime
    ) -> None:
        self.inquiries.append((subject_id, requester, purpose))

    def suppress(self, kind: str, record_id: str, reason: str) -> None:
        self.suppressed.append((kind, record_id, reason))

    def check_correction(
        self, kind: str, record_id: str, correction: dict[str, Any], dispute_id: str
    ) -> None:
        if "amount_due" in correction and float(correction["amount_due"]) < 0:
            raise SchemaError("amount_due is below the minimum 0", field="amount_due")

    def apply_resolution(self, suppression: lg.Suppression) -> str | None:
        self.suppress(suppression.record_kind, suppression.record_id, suppression.reason)
        if suppression.correction:
            return f"{suppression.record_id}~c{suppression.dispute_id}"
        return None

    def apply_identity_change(self, change: lg.IdentityChange) -> None:
        return None

    def rescore(self, subject_id: str) -> None:
        self.rescored.append(subject_id)


@dataclass
class Env:
    api: TestClient
    ledger: lg.Ledger
    provider: DictProvider
    tokens: dict[str, str]
    clients: dict[str, lg.Client]

    def as_(self, who: str) -> dict[str, str]:
        return {} if who == "anonymous" else {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    path = tmp_path_factory.mktemp("api") / "ledger.sqlite"
    ledger = lg.Ledger(f"sqlite:///{path}", sqlite_synchronous="NORMAL")
    ledger.upgrade()
    tokens, clients = {}, {}
    specs = {
        "subject": ("subject", [], "subj-a"), "subject_b": ("subject", [], "subj-b"),
        "lender": ("lender", ["credit_limit", "credit_pricing"], None),
        "operator": ("operator", [], None), "auditor": ("auditor", [], None),
        "admin": ("admin", [], None), "reviewer": ("reviewer", [], None),
    }  # fmt: skip
    for who, (role, purposes, subject) in specs.items():
        clients[who], tokens[who] = lg.create_client(ledger, role, purposes, subject, name=who)
    provider = DictProvider()
    assert isinstance(provider, SubjectProvider)
    api = TestClient(create_app(ledger=ledger, provider=provider))
    yield Env(api, ledger, provider, tokens, clients)
    ledger.dispose()


def _assert_error_shape(body: Any, code: str | None = None) -> None:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    if code is not None:
        assert body["error"]["code"] == code


# --- the authorisation matrix --------------------------------------------------

OWN, OTHER = "subj-a", "subj-b"
ROLES = ["anonymous", "subject", "lender", "operator", "auditor", "admin", "reviewer"]
Request = Callable[[Env, str], tuple[str, str, dict[str, Any] | None]]


def _dispute_of(env: Env, subject: str) -> str:
    kind, record = RECORDS[subject][0]
    return lg.open_dispute(env.ledger, subject, kind, record, "matrix").dispute_id


# a purpose the lender of the flows below never asks for: a case waiting for a person would
# hold its decisions at "pending_review"
def _decision_of(env: Env, subject: str) -> int:
    return lg.record_decision(env.ledger, subject_id=subject, purpose="deposit_waiver",
                              policy="deposit_waiver-v1", outcome="tier_2",
                              adverse=False).decision_id  # fmt: skip


def _case_of(env: Env, subject: str) -> str:
    opening = lg.ReviewOpening(
        f"matrix|{uuid.uuid4().hex}", "near_cutoff", subject, "deposit_waiver", "waiver-v1",
        "tier_2", [{"outcome": "tier_2", "adverse": False}], review_days=5)  # fmt: skip
    return lg.open_review_cases(env.ledger, [opening], actor="matrix")[0].case_id


ENDPOINTS: dict[str, tuple[Request, dict[str, int]]] = {
    # name: (request for a target subject, {role or role@own/other: expected status})
    "health": (lambda e, s: ("GET", "/v1/health", None), {"*": 200, "anonymous": 200}),
    "create client": (
        lambda e, s: ("POST", "/v1/clients", {"role": "auditor"}), {"admin": 201}),
    "list clients": (lambda e, s: ("GET", "/v1/clients", None), {"admin": 200}),
    "audit verify": (
        lambda e, s: ("GET", "/v1/audit/verify", None), {"auditor": 200, "admin": 200}),
    "aggregates": (
        lambda e, s: ("GET", "/v1/audit/aggregates", None), {"auditor": 200, "admin": 200}),
    "audit proof": (
        lambda e, s: ("GET", "/v1/audit/proof?entry=1", None), {"auditor": 200, "admin": 200}),
    "audit consistency": (
        lambda e, s: ("GET", "/v1/audit/consistency?from=1", None),
        {"auditor": 200, "admin": 200}),
    "open dispute": (
        lambda e, s: ("POST", "/v1/disputes", {"subject_id": s, "record_kind": RECORDS[s][1][0],
                                              "record_id": RECORDS[s][1][1], "grounds": "wrong"}),
        {"subject@own": 201, "subject@other": 403, "operator": 201}),
    "get dispute": (
        lambda e, s: ("GET", f"/v1/disputes/{_dispute_of(e, s)}", None),
        {"subject@own": 200, "subject@other": 404, "operator": 200}),
    "list disputes": (
        lambda e, s: ("GET", f"/v1/disputes?subject_id={s}&status=open", None),
        {"subject@own": 200, "subject@other": 403, "operator": 200}),
    "resolve dispute": (
        lambda e, s: ("POST", f"/v1/disputes/{_dispute_of(e, s)}/resolution",
                      {"outcome": "verified"}),
        {"operator": 200}),
    "score": (
        lambda e, s: ("POST", "/v1/scores", {"subject_id": s, "purpose": "credit_limit"}),
        {"lender": 200}),
    "decision": (
        lambda e, s: ("POST", "/v1/decisions", {"subject_id": s, "purpose": "credit_limit"}),
        {"lender": 200}),
    "subject file": (
        lambda e, s: ("GET", f"/v1/subjects/{s}/file", None),
        {"subject@own": 200, "subject@other": 403, "operator": 200}),
    "furnishers": (
        lambda e, s: ("GET", "/v1/furnishers", None),
        {"operator": 200, "auditor": 200, "admin": 200}),
    "held batches": (
        lambda e, s: ("GET", "/v1/held-batches", None),
        {"operator": 200, "auditor": 200, "admin": 200}),
    "release held batch": (
        lambda e, s: ("POST", "/v1/held-batches/no-such-hold/release", None),
        {"operator": 404, "admin": 404}),
    "list reviews": (
        lambda e, s: ("GET", "/v1/reviews?state=pending", None),
        {"subject": 200, "reviewer": 200}),
    "get review": (
        lambda e, s: ("GET", f"/v1/reviews/{_case_of(e, s)}", None),
        {"subject@own": 200, "subject@other": 404, "reviewer": 200}),
    "decide review": (
        lambda e, s: ("POST", f"/v1/reviews/{_case_of(e, s)}/decision",
                      {"outcome": "tier_2", "reason": "confirmed"}),
        {"reviewer": 200}),
    "request review": (
        lambda e, s: ("POST", "/v1/reviews",
                      {"decision_id": _decision_of(e, s), "statement": "please look again"}),
        {"subject@own": 201, "subject@other": 404}),
    "review report": (
        lambda e, s: ("GET", "/v1/reviews/report", None), {"auditor": 200, "admin": 200}),
}  # fmt: skip


def _expected(rules: dict[str, int], role: str, target: str) -> int:
    where = "own" if target == OWN else "other"
    for key in (f"{role}@{where}", role):
        if key in rules:
            return rules[key]
    if role == "anonymous":
        return 401
    return rules.get("*", 403)


def _leaks(text: str, subject: str) -> list[str]:
    secrets = [record for _, record in RECORDS[subject]] + [str(SCORES[subject])]
    return [s for s in secrets if re.search(rf"\b{re.escape(s)}\b", text)]


@pytest.mark.parametrize("target", [OWN, OTHER])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_authorisation_matrix(env: Env, endpoint: str, role: str, target: str) -> None:
    make, rules = ENDPOINTS[endpoint]
    method, path, body = make(env, target)
    accesses_before = len(lg.accesses(env.ledger, target))
    response = env.api.request(method, path, json=body, headers=env.as_(role))
    expected = _expected(rules, role, target)
    assert response.status_code == expected, response.text
    if expected >= 400:
        _assert_error_shape(response.json())
        assert _leaks(response.text, target) == []  # a refusal never carries the subject's data
        assert len(lg.accesses(env.ledger, target)) == accesses_before
        if expected == 401:
            assert response.headers["www-authenticate"] == "Bearer"


# --- purposes --------------------------------------------------


@pytest.mark.parametrize("endpoint", ["/v1/scores", "/v1/decisions"])
@pytest.mark.parametrize("purpose", sorted(NEVER_APPROVABLE_PURPOSES))
def test_never_approvable_purposes_are_refused_with_the_reason(
    env: Env, endpoint: str, purpose: str
) -> None:
    snapshots_before = len(lg.snapshots(env.ledger, OWN))
    response = env.api.post(endpoint, json={"subject_id": OWN, "purpose": purpose},
                            headers=env.as_("lender"))  # fmt: skip
    assert response.status_code == 403
    body = response.json()
    _assert_error_shape(body, "purpose_never_approvable")
    assert NEVER_APPROVABLE_PURPOSES[purpose] in body["error"]["message"]
    assert body["error"]["details"] == {"purpose": purpose}
    assert len(lg.snapshots(env.ledger, OWN)) == snapshots_before


@pytest.mark.parametrize(("purpose", "match"), [
    ("deposit_waiver", "may use scores only for credit_limit, credit_pricing"),
    ("astrology", "Unknown purpose"),
])  # fmt: skip
def test_a_lender_is_held_to_its_own_purposes(env: Env, purpose: str, match: str) -> None:
    response = env.api.post("/v1/scores", json={"subject_id": OWN, "purpose": purpose},
                            headers=env.as_("lender"))  # fmt: skip
    assert response.status_code == 403
    _assert_error_shape(response.json(), "purpose_not_approved")
    assert match in response.json()["error"]["message"]


# --- flows --------------------------------------------------


def test_a_score_is_recorded_logged_and_shown_to_the_subject(env: Env) -> None:
    lender = env.clients["lender"]
    response = env.api.post("/v1/scores", json={"subject_id": "subj-b", "purpose":
                            "credit_pricing"}, headers=env.as_("lender"))  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert (body["score"], body["status"], body["reasons"]) == (455, "OK", ["R01", "R04"])
    snap = lg.latest_snapshot(env.ledger, "subj-b")
    assert snap is not None
    assert (snap.snapshot_id, snap.score, snap.model_version) == (body["snapshot_id"], 455, "1.2.0")
    assert env.provider.inquiries[-1] == ("subj-b", "lender", "credit_pricing")
    last = lg.accesses(env.ledger, "subj-b")[-1]
    assert (last.client_id, last.purpose, last.action) == (
        lender.client_id, "credit_pricing", "score")  # fmt: skip
    mine = env.api.get("/v1/subjects/subj-b/file", headers=env.as_("subject_b")).json()
    assert {"client_id": lender.client_id, "purpose": "credit_pricing", "action": "score"} in [
        {k: a[k] for k in ("client_id", "purpose", "action")} for a in mine["accesses"]
    ]
    assert mine["accesses"][-1]["action"] == "file"  # this very read is logged too
    assert body["snapshot_id"] in [s["snapshot_id"] for s in mine["score_history"]]


def test_an_adverse_decision_carries_its_notice(env: Env) -> None:
    response = env.api.post("/v1/decisions", json={"subject_id": "subj-ns", "purpose":
                            "credit_limit"}, headers=env.as_("lender"))  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert (body["outcome"], body["adverse"]) == ("decline", True)
    assert body["notice"] == {"reasons": [], "dispute": "/v1/disputes"}
    assert (body["score"]["status"], body["score"]["score"]) == ("NS", None)
    [decision] = lg.decisions(env.ledger, "subj-ns")
    assert (decision.snapshot_id, decision.client_id) == (
        body["score"]["snapshot_id"], env.clients["lender"].client_id)  # fmt: skip


def test_a_decision_is_written_in_one_transaction_with_its_score_and_access(env: Env) -> None:
    commits: list[int] = []

    def count(_conn: object) -> None:
        commits.append(1)

    sa.event.listen(env.ledger.engine, "commit", count)
    try:
        response = env.api.post("/v1/decisions", json={"subject_id": "subj-b", "purpose":
                                "credit_limit"}, headers=env.as_("lender"))  # fmt: skip
    finally:
        sa.event.remove(env.ledger.engine, "commit", count)
    assert response.status_code == 200
    body = response.json()
    assert len(commits) == 1  # the group commit's one transaction (it was three)
    decision = lg.decisions(env.ledger, "subj-b")[-1]
    assert (decision.decision_id, decision.outcome, decision.adverse) == (
        body["decision_id"], "decline", True)  # fmt: skip
    assert decision.snapshot_id == body["score"]["snapshot_id"]
    last = lg.accesses(env.ledger, "subj-b")[-1]
    assert (last.purpose, last.action, last.at) == ("credit_limit", "decision", decision.decided_at)
    tail = lg.audit_entries(env.ledger)[-3:]
    assert [e.action for e in tail] == ["snapshot.record", "decision.record", "access.log"]
    assert tail[1].payload["decision_id"] == body["decision_id"]
    assert env.provider.inquiries[-1] == ("subj-b", "lender", "credit_limit")
    assert lg.audit_verify(env.ledger).ok


def test_unknown_subject_is_a_404(env: Env) -> None:
    response = env.api.post("/v1/scores", json={"subject_id": "nobody", "purpose":
                            "credit_limit"}, headers=env.as_("lender"))  # fmt: skip
    assert response.status_code == 404
    _assert_error_shape(response.json(), "not_found")
    assert lg.accesses(env.ledger, "nobody") == []


def test_dispute_flow_suppresses_and_rescores(env: Env) -> None:
    opened = env.api.post("/v1/disputes", json={"record_kind": "obligation",
                          "record_id": "ob-a2", "grounds": "I paid it"},
                          headers=env.as_("subject"))  # fmt: skip
    assert opened.status_code == 201
    dispute = opened.json()
    assert (dispute["subject_id"], dispute["status"]) == ("subj-a", "open")
    deadline = dt.datetime.fromisoformat(dispute["deadline"])
    assert deadline - dt.datetime.fromisoformat(dispute["opened_at"]) == dt.timedelta(days=30)
    queue = env.api.get("/v1/disputes?status=open", headers=env.as_("operator")).json()
    assert dispute["dispute_id"] in [d["dispute_id"] for d in queue]
    path = f"/v1/disputes/{dispute['dispute_id']}/resolution"
    missing = env.api.post(path, json={"outcome": "corrected"}, headers=env.as_("operator"))
    assert missing.status_code == 422
    _assert_error_shape(missing.json(), "invalid_request")
    resolved = env.api.post(path, json={"outcome": "unverifiable", "note": "no answer"},
                            headers=env.as_("operator"))  # fmt: skip
    assert resolved.status_code == 200
    out = resolved.json()
    assert (out["dispute"]["status"], out["rescored"]) == ("unverifiable", True)
    assert out["suppression"]["record_id"] == "ob-a2"
    assert env.provider.suppressed[-1][:2] == ("obligation", "ob-a2")
    assert env.provider.rescored[-1] == "subj-a"
    again = env.api.post(path, json={"outcome": "verified"}, headers=env.as_("operator"))
    assert again.status_code == 409
    _assert_error_shape(again.json(), "conflict")
    seen = env.api.get(f"/v1/disputes/{dispute['dispute_id']}", headers=env.as_("subject"))
    assert seen.json()["status"] == "unverifiable"
    mine = env.api.get("/v1/subjects/subj-a/file", headers=env.as_("subject")).json()
    assert {"kind": "obligation", "record_id": "ob-a2", "suppressed": True} in mine["file"][
        "records"]  # fmt: skip


def test_a_subject_cannot_dispute_another_subjects_record(env: Env) -> None:
    response = env.api.post("/v1/disputes", json={"record_kind": "obligation",
                            "record_id": "ob-b1", "grounds": "x"},
                            headers=env.as_("subject"))  # fmt: skip
    assert response.status_code == 404
    _assert_error_shape(response.json(), "not_found")
    assert "subj-b" not in response.text


def test_clients_are_created_and_revoked_through_the_api(env: Env) -> None:
    created = env.api.post("/v1/clients", json={"role": "lender", "purposes": ["credit_limit"],
                           "name": "Bank C"}, headers=env.as_("admin"))  # fmt: skip
    assert created.status_code == 201
    token, client_id = created.json()["token"], created.json()["client"]["client_id"]
    bearer = {"Authorization": f"Bearer {token}"}
    ok = env.api.post("/v1/scores", json={"subject_id": OWN, "purpose": "credit_limit"},
                      headers=bearer)  # fmt: skip
    assert ok.status_code == 200
    bad = env.api.post("/v1/clients", json={"role": "lender", "purposes": ["travel"]},
                       headers=env.as_("admin"))  # fmt: skip
    assert bad.status_code == 403
    _assert_error_shape(bad.json(), "purpose_never_approvable")
    revoked = env.api.delete(f"/v1/clients/{client_id}", headers=env.as_("admin"))
    assert revoked.json()["revoked_at"] is not None
    after = env.api.post("/v1/scores", json={"subject_id": OWN, "purpose": "credit_limit"},
                         headers=bearer)  # fmt: skip
    assert after.status_code == 401
    _assert_error_shape(after.json(), "unauthorized")


def test_a_revoked_token_is_refused_at_once_though_it_was_cached(env: Env) -> None:
    created = env.api.post("/v1/clients", json={"role": "auditor", "name": "Auditor D"},
                           headers=env.as_("admin"))  # fmt: skip
    token, client_id = created.json()["token"], created.json()["client"]["client_id"]
    bearer = {"Authorization": f"Bearer {token}"}
    cache = env.api.app.state.token_cache  # type: ignore[attr-defined]
    assert cache.ttl_s == 5.0
    for _ in range(3):  # the first authenticates from the ledger, the others from the cache
        assert env.api.get("/v1/audit/verify", headers=bearer).status_code == 200
    assert cache.lookup(token) is not None
    revoked = env.api.delete(f"/v1/clients/{client_id}", headers=env.as_("admin"))
    assert revoked.status_code == 200
    assert cache.lookup(token) is None
    refused = env.api.get("/v1/audit/verify", headers=bearer)
    assert refused.status_code == 401
    _assert_error_shape(refused.json(), "unauthorized")
    # the others' cached tokens still work
    assert env.api.get("/v1/audit/verify", headers=env.as_("auditor")).status_code == 200


def test_without_a_token_cache_every_request_reads_the_ledger(tmp_path: Path) -> None:
    ledger = lg.Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    ledger.upgrade()
    client, token = lg.create_client(ledger, "auditor")
    bearer = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(ledger=ledger, token_ttl_s=0)) as api:
        assert api.get("/v1/audit/verify", headers=bearer).status_code == 200
        lg.revoke_client(ledger, client.client_id)  # as another process would: not via this app
        assert api.get("/v1/audit/verify", headers=bearer).status_code == 401
    ledger.dispose()


@pytest.mark.parametrize(("method", "path", "body", "status", "code"), [
    ("GET", "/v1/nowhere", None, 404, "not_found"),
    ("DELETE", "/v1/health", None, 405, "method_not_allowed"),
    ("POST", "/v1/scores", {"subject_id": OWN}, 422, "validation_error"),
    ("POST", "/v1/scores", {"subject_id": OWN, "purpose": "credit_limit", "x": 1}, 422,
     "validation_error"),
    ("POST", "/v1/disputes", {"record_kind": "subject", "record_id": "r", "grounds": "g"}, 422,
     "validation_error"),
    ("GET", "/v1/disputes?status=pending", None, 422, "validation_error"),
    ("GET", "/v1/disputes/dsp_missing", None, 404, "not_found"),
])  # fmt: skip
def test_errors_have_one_shape(
    env: Env, method: str, path: str, body: Any, status: int, code: str
) -> None:
    who = "lender" if path == "/v1/scores" else "operator"
    response = env.api.request(method, path, json=body, headers=env.as_(who))
    assert response.status_code == status
    _assert_error_shape(response.json(), code)
    if code == "validation_error":
        assert response.json()["error"]["details"]["errors"]


def test_the_audit_chain_covers_the_api_and_reports_tampering(env: Env) -> None:
    verified = env.api.get("/v1/audit/verify", headers=env.as_("auditor")).json()
    assert verified["ok"] is True
    assert verified["n_entries"] == verified["head_seq"] > 20
    actions = {e.action for e in lg.audit_entries(env.ledger)}
    assert {"client.create", "access.log", "snapshot.record", "decision.record",
            "dispute.open", "dispute.resolve", "suppression.record"} <= actions  # fmt: skip


def test_tampering_shows_in_audit_verify(tmp_path: Path) -> None:
    ledger = lg.Ledger(f"sqlite:///{tmp_path / 'l.sqlite'}")
    ledger.create_all()
    _, token = lg.create_client(ledger, "auditor")
    lg.open_dispute(ledger, "s1", "obligation", "ob-1", "x")
    with ledger.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET actor = 'nobody' WHERE seq = 2"))
    api = TestClient(create_app(ledger=ledger))
    body = api.get("/v1/audit/verify", headers={"Authorization": f"Bearer {token}"}).json()
    assert (body["ok"], body["first_bad_seq"]) == (False, 2)
    ledger.dispose()


def test_without_a_provider_scoring_is_unavailable(tmp_path: Path) -> None:
    ledger = lg.Ledger(f"sqlite:///{tmp_path / 'l.sqlite'}")
    ledger.create_all()
    _, token = lg.create_client(ledger, "lender", ["credit_limit"])
    api = TestClient(create_app(ledger=ledger))
    response = api.post("/v1/scores", json={"subject_id": OWN, "purpose": "credit_limit"},
                        headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert response.status_code == 503
    _assert_error_shape(response.json(), "unavailable")
    ledger.dispose()


def test_factory_mode_builds_its_ledger_from_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trustscore.settings import get_settings

    monkeypatch.setenv("TRUSTSCORE_WORKSPACE", str(tmp_path / "ws"))
    get_settings.cache_clear()
    try:
        app = create_app()  # what `uvicorn --factory trustscore.service:create_app` calls
        assert not (tmp_path / "ws").exists()  # nothing is created before startup
        with TestClient(app) as api:
            assert api.get("/v1/health").json() == {"status": "ok"}
            assert (tmp_path / "ws" / "ledger.sqlite").is_file()
            assert app.state.ledger.revision() == "0013"
    finally:
        get_settings.cache_clear()
