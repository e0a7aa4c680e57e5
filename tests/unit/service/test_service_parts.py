"""The service's parts on their own: error mapping, purpose checks, settings, the seam."""

from __future__ import annotations

import datetime as dt
import sys
from typing import get_args

import pytest
from pydantic import SecretStr

import trustscore.exceptions as ex
from trustscore import ledger as lg
from trustscore.records._schemas import RECORD_KINDS
from trustscore.service import DOMAIN_STATUS, SubjectProvider, error_body
from trustscore.service._auth import check_lender_purpose
from trustscore.service._errors import domain_status
from trustscore.service._schemas import DISPUTABLE_KINDS, DisputableKind
from trustscore.settings import Settings, get_settings


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (ex.NeverApprovablePurposeError, 403, "purpose_never_approvable"),
        (ex.PurposeError, 403, "purpose_not_approved"),
        (ex.BlacklistError, 403, "blacklist_refused"),
        (ex.NotFoundError, 404, "not_found"),
        (ex.SchemaError, 422, "invalid_request"),
        (ex.IngestError, 422, "invalid_request"),
        (ex.ProhibitedInputError, 422, "prohibited_input"),
        (ex.LedgerError, 409, "conflict"),
        (ex.AuditChainError, 500, "audit_chain_broken"),
        (ex.EngineError, 503, "unavailable"),
        (ex.ArtifactError, 500, "artifact_error"),
        (ex.ModelError, 500, "model_error"),
        (ex.TrustScoreError, 500, "error"),
    ],
)
def test_every_domain_error_maps_to_one_status(
    error: type[ex.TrustScoreError], status: int, code: str
) -> None:
    assert domain_status(error("boom")) == (status, code)


def test_every_exception_class_is_mapped_directly_or_by_its_parent() -> None:
    leaves = [getattr(ex, n) for n in ex.__all__ if issubclass(getattr(ex, n), ex.TrustScoreError)]
    assert all(any(c in DOMAIN_STATUS for c in cls.__mro__) for cls in leaves)


def test_error_body_makes_details_plain_json() -> None:
    when = dt.date(2026, 1, 2)
    body = error_body("invalid_request", "bad", {"when": when, "values": (1, 2), "n": None})
    assert body == {
        "error": {
            "code": "invalid_request",
            "message": "bad",
            "details": {"when": "2026-01-02", "values": [1, 2], "n": None},
        }
    }


def _lender(*purposes: str) -> lg.Client:
    return lg.Client("cl_1", "Bank", "lender", purposes, None, dt.datetime.now(dt.UTC), None)


def test_lender_purpose_checks_refuse_in_the_right_order() -> None:
    # A never-approvable purpose is refused with its reason even if (wrongly) allowed.
    with pytest.raises(ex.NeverApprovablePurposeError, match="freedom of movement"):
        check_lender_purpose(_lender("travel"), "travel")
    with pytest.raises(ex.PurposeError, match="only for credit_limit"):
        check_lender_purpose(_lender("credit_limit"), "deposit_waiver")
    assert check_lender_purpose(_lender("credit_limit"), "credit_limit") == "credit_limit"


def test_disputable_kinds_follow_the_record_schemas() -> None:
    assert sorted(DISPUTABLE_KINDS) == sorted(set(RECORD_KINDS) - {"subject"})
    # the API's enum spells them out for OpenAPI; it must not drift from the schemas
    assert sorted(get_args(DisputableKind)) == sorted(DISPUTABLE_KINDS)


def test_settings_default_to_a_sqlite_ledger_in_the_workspace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("WORKSPACE", "DATABASE_URL", "PORT"):
        monkeypatch.delenv(f"TRUSTSCORE_{name}", raising=False)
    s = Settings()
    assert s.database_url.get_secret_value() == "sqlite:///trustscore-demo/ledger.sqlite"
    assert (s.host, s.port) == ("127.0.0.1", 8000)
    monkeypatch.setenv("TRUSTSCORE_DATABASE_URL", "postgresql+psycopg://u:pw@db:5432/ts")
    monkeypatch.setenv("TRUSTSCORE_PORT", "9001")
    s = Settings()
    assert isinstance(s.database_url, SecretStr)
    assert "pw" not in repr(s)
    assert s.database_url.get_secret_value().endswith("@db:5432/ts")
    assert s.port == 9001
    monkeypatch.setenv("TRUSTSCORE_PORT", "0")
    with pytest.raises(ValueError, match="port"):
        Settings()


def test_get_settings_is_cached_until_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    try:
        monkeypatch.setenv("TRUSTSCORE_WORKSPACE", "/tmp/ws-one")
        first = get_settings()
        monkeypatch.setenv("TRUSTSCORE_WORKSPACE", "/tmp/ws-two")
        assert get_settings() is first
        get_settings.cache_clear()
        assert str(get_settings().workspace) == "/tmp/ws-two"
    finally:
        get_settings.cache_clear()


def test_importing_the_service_builds_nothing() -> None:
    names = [m for m in sys.modules if m.startswith("trustscore.service")]
    built = [
        (name, attr)
        for name in names
        for attr, value in vars(sys.modules[name]).items()
        if type(value).__name__ in {"FastAPI", "Ledger", "Engine", "Settings"}
    ]
    assert built == []


def test_a_provider_missing_a_method_is_not_a_subject_provider() -> None:
    class Partial:
        def score(self, subject_id: str, purpose: str) -> None: ...

    assert not isinstance(Partial(), SubjectProvider)
