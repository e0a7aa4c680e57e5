"""The HTTP door: a FastAPI app with bearer tokens, roles, disputes, access log and audit.

Run it with ``uvicorn --factory trustscore.service:create_app`` (or ``trustscore serve``). Scores,
decisions and subject files come through a :class:`SubjectProvider`; everything else needs
only the ledger.

Examples
--------
>>> from trustscore.ledger import Ledger
>>> app = create_app(ledger=Ledger("sqlite://"))
>>> "/v1/scores" in app.openapi()["paths"]
True
"""

from __future__ import annotations

from trustscore.service._app import create_app, serve, service_ledger, workspace_provider
from trustscore.service._errors import DOMAIN_STATUS, ApiError, error_body
from trustscore.service._provider import (
    DecisionResult,
    ScoreResult,
    SubjectProvider,
    deadline_callback,
    record_score,
)

__all__ = [
    "DOMAIN_STATUS",
    "ApiError",
    "DecisionResult",
    "ScoreResult",
    "SubjectProvider",
    "create_app",
    "deadline_callback",
    "error_body",
    "record_score",
    "serve",
    "service_ledger",
    "workspace_provider",
]
