"""Every refusal on record, and the service's operations: rate limits, metrics, ids, readiness.

Issue 15: a lender asking for a forbidden purpose got its 403 but left no trace. Each refusal
kind must reach the ledger's access log (``access_refusals``) and the audit chain, the auditors'
aggregates, the metrics, and the refused subject's own file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import trustscore.ledger as lg
from trustscore.exceptions import NotFoundError
from trustscore.service import ScoreResult, create_app
from trustscore.service._logging import JsonFormatter

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

SUBJECTS = ("subj-a", "subj-b")
BAD_TOKEN = "ts_not-a-real-token-at-all"


class Provider:
    """Scores for two subjects; enough of a SubjectProvider for these routes."""

    def score(self, subject_id: str, purpose: str) -> ScoreResult:
        if subject_id not in SUBJECTS:
            raise NotFoundError(f"There is no subject {subject_id!r}.", subject_id=subject_id)
        return {
            "subject_id": subject_id, "as_of": "2026-03-31", "model_version": "1.0.0",
            "model_hash": "m" * 64, "score": 640, "status": "OK", "subscores": {"payment": 640},
            "reasons": ["R01"], "feature_hash": "f" * 64,
        }  # fmt: skip

    def file(self, subject_id: str) -> dict[str, Any]:
        self.score(subject_id, "subject_access")
        return {"records": []}

    def record_inquiry(self, subject_id: str, requester: str, purpose: str, at: Any) -> None:
        return None


def _ledger(path: Path) -> lg.Ledger:
    ledger = lg.Ledger(f"sqlite:///{path}", sqlite_synchronous="NORMAL")
    ledger.upgrade()
    return ledger


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[lg.Ledger]:
    ledger = _ledger(tmp_path / "ledger.sqlite")
    yield ledger
    ledger.dispose()


def _tokens(ledger: lg.Ledger) -> dict[str, tuple[lg.Client, str]]:
    specs = {
        "lender": ("lender", ["credit_limit"], None), "subject_a": ("subject", [], "subj-a"),
        "auditor": ("auditor", [], None),
    }  # fmt: skip
    return {
        who: lg.create_client(ledger, role, purposes, subject, name=who)
        for who, (role, purposes, subject) in specs.items()
    }


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_each_refusal_kind_is_logged_audited_counted_and_shown_to_the_subject(
    ledger: lg.Ledger,
) -> None:
    made = _tokens(ledger)
    lender, lender_token = made["lender"]
    subject, subject_token = made["subject_a"]
    auditor_token = made["auditor"][1]
    api = TestClient(create_app(ledger=ledger, provider=Provider(), rate_limit=(0.001, 4)))

    def score(purpose: str, token: str = lender_token) -> int:
        body = {"subject_id": "subj-a", "purpose": purpose}
        return api.post("/v1/scores", json=body, headers=_bearer(token)).status_code

    assert score("employment") == 403  # never approvable
    assert score("deposit_waiver") == 403  # not this lender's
    assert api.get("/v1/subjects/subj-b/file", headers=_bearer(subject_token)).status_code == 403
    assert api.get("/v1/subjects/subj-a/file", headers=_bearer(lender_token)).status_code == 403
    assert api.get("/v1/subjects/subj-a/file", headers=_bearer(BAD_TOKEN)).status_code == 401
    # the lender's bucket held 4: its three refused requests and one more; then over its rate
    assert score("credit_limit") == 200
    limited = api.post(
        "/v1/scores", json={"subject_id": "subj-a", "purpose": "credit_limit"},
        headers=_bearer(lender_token),
    )  # fmt: skip
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    retry = int(limited.headers["Retry-After"])
    assert retry == limited.json()["error"]["details"]["retry_after_s"] >= 1

    got = [
        (r.kind, r.client_id, r.subject_id, r.method, r.path, r.purpose)
        for r in lg.refusals(ledger)
    ]
    lid, sid = lender.client_id, subject.client_id
    assert got == [
        ("purpose_refused", lid, "subj-a", "POST", "/v1/scores", "employment"),
        ("purpose_refused", lid, "subj-a", "POST", "/v1/scores", "deposit_waiver"),
        ("not_own_file", sid, "subj-b", "GET", "/v1/subjects/subj-b/file", None),
        ("role_refused", lid, "subj-a", "GET", "/v1/subjects/subj-a/file", None),
        ("invalid_token", None, "subj-a", "GET", "/v1/subjects/subj-a/file", None),
        ("rate_limited", lid, None, "POST", "/v1/scores", None),
    ]
    refusals = lg.refusals(ledger)
    assert "never" in refusals[0].reason
    assert "may use scores only for" in refusals[1].reason
    invalid = refusals[4]
    assert invalid.token_fingerprint == hashlib.sha256(BAD_TOKEN.encode()).hexdigest()[:16]
    assert invalid.actor == f"token:{invalid.token_fingerprint}"

    # in the audit chain, once each, and the token itself nowhere in the ledger
    entries = lg.audit_entries(ledger)
    refused = [e for e in entries if e.action == "access.refused"]
    assert [e.payload["refusal_id"] for e in refused] == [r.refusal_id for r in refusals]
    assert [e.actor for e in refused] == [lid, lid, sid, lid, invalid.actor, lid]
    assert lg.audit_verify(ledger).ok
    assert BAD_TOKEN not in json.dumps([e.payload for e in entries])
    # nor a subject's id: the entries hold salted commitments of it, and of a path naming it
    written = json.dumps([[e.payload, e.state] for e in refused])
    assert "subj-a" not in written
    assert "subj-b" not in written
    assert lg.personal_matches(ledger, "subj-b", "subj-b", refused[2].payload["subject_id"])
    assert lg.personal_matches(
        ledger, "subj-b", "/v1/subjects/subj-b/file", refused[2].payload["path"]
    )
    assert refused[0].payload["path"] == "/v1/scores"

    # the auditors' aggregates count them by kind and client
    counts = api.get("/v1/audit/aggregates", headers=_bearer(auditor_token)).json()["refusals"]
    assert counts == [
        {"kind": "invalid_token", "client_id": None, "count": 1},
        {"kind": "not_own_file", "client_id": sid, "count": 1},
        {"kind": "purpose_refused", "client_id": lid, "count": 2},
        {"kind": "rate_limited", "client_id": lid, "count": 1},
        {"kind": "role_refused", "client_id": lid, "count": 1},
    ]

    # the subject sees the attempts on their own file (not subject B's refusal)
    own = api.get("/v1/subjects/subj-a/file", headers=_bearer(subject_token)).json()
    shown = [(a["kind"], a["client_name"], a["purpose"]) for a in own["refused_attempts"]]
    assert shown == [
        ("purpose_refused", "lender", "employment"),
        ("purpose_refused", "lender", "deposit_waiver"),
        ("role_refused", "lender", None),
        ("invalid_token", None, None),
    ]

    # and the metrics count them by kind
    text = api.get("/metrics").text
    for kind, n in [("purpose_refused", 2), ("not_own_file", 1), ("role_refused", 1),
                    ("invalid_token", 1), ("rate_limited", 1)]:  # fmt: skip
        assert f'trustscore_refusals_total{{kind="{kind}"}} {float(n)}' in text


def test_a_missing_token_is_recorded_as_an_anonymous_invalid_token(ledger: lg.Ledger) -> None:
    api = TestClient(create_app(ledger=ledger, provider=Provider()))
    assert api.get("/v1/subjects/subj-b/file").status_code == 401
    [refusal] = lg.refusals(ledger, subject_id="subj-b")
    assert (refusal.kind, refusal.actor, refusal.token_fingerprint) == (
        "invalid_token", "anonymous", None,
    )  # fmt: skip


def test_without_a_rate_limit_nothing_is_limited(ledger: lg.Ledger) -> None:
    _, token = _tokens(ledger)["auditor"]
    api = TestClient(create_app(ledger=ledger, rate_limit=(0, 1)))
    answers = {api.get("/v1/audit/verify", headers=_bearer(token)).status_code for _ in range(5)}
    assert answers == {200}
    assert lg.refusals(ledger) == []


def test_request_ids_are_echoed_or_made_and_carried_by_log_lines(ledger: lg.Ledger) -> None:
    api = TestClient(create_app(ledger=ledger))
    assert api.get("/v1/health", headers={"X-Request-ID": "req-42"}).headers["x-request-id"] == (
        "req-42"
    )
    made = api.get("/v1/health").headers["x-request-id"]
    assert len(made) == 32
    assert int(made, 16) >= 0
    odd = api.get("/v1/health", headers={"X-Request-ID": "a b"}).headers["x-request-id"]
    assert odd != "a b"
    assert len(odd) == 32

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    access = logging.getLogger("trustscore.service.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        api.get("/v1/subjects/subj-a/file", headers={"X-Request-ID": "req-43"})
    finally:
        access.removeHandler(handler)
        access.setLevel(logging.NOTSET)
    [line] = [json.loads(x) for x in stream.getvalue().splitlines()]
    assert (line["request_id"], line["status"], line["route"], line["method"]) == (
        "req-43", 401, "/v1/subjects/{subject_id}/file", "GET",
    )  # fmt: skip


def test_metrics_count_requests_by_route_template_and_status(ledger: lg.Ledger) -> None:
    api = TestClient(create_app(ledger=ledger, provider=Provider()))
    for subject in ("subj-a", "subj-b", "subj-a"):
        api.get(f"/v1/subjects/{subject}/file")
    api.get("/no/such/page")
    lg.open_dispute(ledger, "subj-a", "obligation", "ob-1", "never billed")
    text = api.get("/metrics").text
    route = 'method="GET",route="/v1/subjects/{subject_id}/file",status="401"'
    assert f"trustscore_http_requests_total{{{route}}} 3.0" in text
    assert 'trustscore_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
    assert (
        'trustscore_http_request_duration_seconds_count{method="GET",'
        'route="/v1/subjects/{subject_id}/file"} 3.0'
    ) in text
    assert "trustscore_open_disputes 1.0" in text
    assert "trustscore_ledger_queue_depth 0.0" in text


def test_readiness_needs_the_scores_loaded(ledger: lg.Ledger) -> None:
    with TestClient(create_app(ledger=ledger, provider=Provider())) as api:
        ready = api.get("/v1/ready")
        assert (ready.status_code, ready.json()["checks"]) == (
            200, {"ledger": True, "scores_loaded": True},
        )  # fmt: skip
        assert api.get("/v1/health").json() == {"status": "ok"}
    with TestClient(create_app(ledger=ledger)) as api:  # no model: scores cannot be given
        not_ready = api.get("/v1/ready")
        assert not_ready.status_code == 503
        assert not_ready.json() == {
            "status": "not_ready", "checks": {"ledger": True, "scores_loaded": False},
        }  # fmt: skip


def test_the_deadline_job_runs_inside_the_service_and_gives_its_lease_back(
    ledger: lg.Ledger,
) -> None:
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    dispute = lg.open_dispute(ledger, "subj-a", "obligation", "ob-1", "never billed", long_ago)
    app = create_app(ledger=ledger, deadline_interval_s=3600)
    runner = app.state.deadlines
    with TestClient(app):
        assert runner.tried.wait(60)  # the first run starts with the service, not an hour in
        assert lg.lease_holder(ledger, "dispute-deadlines") == runner.holder
    assert lg.get_dispute(ledger, dispute.dispute_id).status == "unverifiable"
    assert runner.runs == 1
    assert "trustscore_deadline_job_runs_total 1.0" in TestClient(app).get("/metrics").text
    assert lg.lease_holder(ledger, "dispute-deadlines") is None  # given back at shutdown
    assert create_app(ledger=ledger).state.deadlines is None  # off unless asked for
