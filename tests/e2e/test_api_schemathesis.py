"""Property-based API testing with schemathesis against the served OpenAPI schema.

The app is the real one: ``create_app`` over a real SQLite ledger and a real
:class:`~trustscore.pipeline.WorkspaceProvider` over a small demo workspace. For every operation
of ``/openapi.json`` and every role's bearer token, schemathesis generates requests (valid ones,
and invalid ones) and the checks ask two things of each response: never a server error (5xx), and
every error in the one shape ``{"error": {"code", "message", "details"}}``.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from trustscore.ledger import Ledger, create_client
from trustscore.pipeline import run_demo
from trustscore.service import create_app, workspace_provider

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

N_SUBJECTS = 1500
MAX_EXAMPLES = 25  # per operation and role, valid and invalid requests together
ROLES = ("admin", "operator", "lender", "subject", "auditor", "reviewer", "validator")


class _Api:
    """The served schema and one bearer token per role."""

    def __init__(self, schema: Any, tokens: dict[str, str], subjects: list[str], app: Any) -> None:
        self.schema = schema
        self.tokens = tokens
        self.subjects = subjects
        self.app = app


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> _Api:
    root = tmp_path_factory.mktemp("schemathesis") / "ws"
    run_demo(str(root), n_subjects=N_SUBJECTS)
    ledger = Ledger(f"sqlite:///{Path(root) / 'ledger.sqlite'}")
    ledger.upgrade()
    subjects = pq.read_table(root / "scores.parquet").column("subject_id").to_pylist()
    subject = str(subjects[0])
    tokens = {
        "admin": create_client(ledger, "admin", name="admin")[1],
        "operator": create_client(ledger, "operator", name="ops")[1],
        "lender": create_client(ledger, "lender", ["credit_pricing"], name="bank")[1],
        "subject": create_client(ledger, "subject", subject_id=subject, name="me")[1],
        "auditor": create_client(ledger, "auditor", name="audit")[1],
        "reviewer": create_client(ledger, "reviewer", name="review desk")[1],
        "validator": create_client(ledger, "validator", name="model validation")[1],
    }
    provider = workspace_provider(root)  # the service's own WorkspaceProvider over the demo
    assert provider is not None
    app = create_app(ledger=ledger, provider=provider)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return _Api(schema, tokens, subjects[:200], app)


def error_shape(_ctx: Any, response: Any, case: Any) -> None:
    """Every 4xx and 5xx answers ``{"error": {"code", "message", "details"}}`` and nothing else."""
    if response.status_code < 400:
        return
    where = f"{case.method} {case.formatted_path} -> {response.status_code}"
    body = response.json()
    assert isinstance(body, dict), f"{where}: the error body is not an object: {body!r}"
    assert set(body) == {"error"}, f"{where}: keys {sorted(body)}, expected only 'error'"
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, f"{where}: error keys {sorted(error)}"
    assert isinstance(error["code"], str), f"{where}: code {error['code']!r}"
    assert error["code"], f"{where}: empty code"
    assert isinstance(error["message"], str), f"{where}: message {error['message']!r}"
    assert error["message"], f"{where}: empty message"
    assert isinstance(error["details"], dict), f"{where}: details {error['details']!r}"


def _with_body(case: Any, body: dict[str, Any]) -> Any:
    case.body = body
    return case


def _fuzz(api: _Api, role: str) -> dict[str, int]:
    """Run every operation with ``role``'s token; returns how many responses had each status."""
    headers = {"Authorization": f"Bearer {api.tokens[role]}"}
    seen: dict[str, int] = {}
    for result in api.schema.get_all_operations():
        operation = result.ok()

        cases = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )
        if operation.path in ("/v1/scores", "/v1/decisions"):
            # random ids and purposes stop at the purpose check: also ask about real subjects
            # for the lender's purpose (and unknown ones), so the provider answers too
            bodies = st.fixed_dictionaries(
                {
                    "subject_id": st.sampled_from(api.subjects) | st.text(min_size=1),
                    "purpose": st.sampled_from(["credit_pricing", "credit_limit", "employment"]),
                }
            )
            cases = cases | st.builds(_with_body, operation.as_strategy(), bodies)

        @given(case=cases)
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            response = case.call_and_validate(
                headers=headers, checks=[not_a_server_error, error_shape]
            )
            key = f"{case.operation.label} {response.status_code}"
            seen[key] = seen.get(key, 0) + 1

        run()
    return seen


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_no_server_error_and_one_error_shape_for_every_role(api: _Api, role: str) -> None:
    seen = _fuzz(api, role)
    statuses = {int(k.rsplit(" ", 1)[1]) for k in seen}
    assert statuses, "schemathesis sent no request"
    assert max(statuses) < 500, seen
    # the token is taken: each role reaches some 2xx answer, and is refused somewhere else
    assert any(200 <= s < 300 for s in statuses), seen
    assert seen.get("GET /v1/health 200", 0) > 0
    if role != "admin":
        assert any(k.startswith("GET /v1/clients 403") for k in seen), seen
    if role == "lender":  # the provider answered: real scores, and unknown subjects
        assert seen.get("POST /v1/scores 200", 0) > 0, seen
        assert seen.get("POST /v1/decisions 200", 0) > 0, seen


@pytest.mark.slow
def test_without_a_token_every_operation_but_health_answers_401(api: _Api) -> None:
    client = TestClient(api.app)
    for result in api.schema.get_all_operations():
        operation = result.ok()
        path = operation.path.replace("{", "").replace("}", "")
        got = client.request(operation.method.upper(), path, json={})
        if operation.path == "/v1/health":
            assert got.status_code == 200
            continue
        assert got.status_code == 401, (operation.label, got.text)
        assert got.json()["error"]["code"] == "unauthorized"
        assert got.headers["www-authenticate"] == "Bearer"
