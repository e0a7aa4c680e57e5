"""Every error leaves the service as one JSON shape, and domain errors map to HTTP here only.

``{"error": {"code": "...", "message": "...", "details": {...}}}`` for every 4xx and 5xx:
validation errors, unknown routes, refused purposes, missing tokens and unexpected failures alike.

Every refusal is also put on record here (:func:`~trustscore.service._refusals.record_refusal`):
a refused purpose, an :class:`ApiError` that names its ``refusal`` kind, and by default every
401 (``invalid_token``), 403 (``role_refused``) and 429 (``rate_limited``).
"""

from __future__ import annotations

import logging
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from trustscore.exceptions import (
    ApprovalError,
    ArtifactError,
    AuditChainError,
    BlacklistError,
    EngineError,
    LedgerError,
    ModelError,
    NeverApprovablePurposeError,
    NotFoundError,
    ProhibitedInputError,
    PurposeError,
    SchemaError,
    TrustScoreError,
)
from trustscore.service._refusals import record_refusal

__all__ = ["DOMAIN_STATUS", "ApiError", "error_body", "install_error_handlers"]

logger = logging.getLogger(__name__)

#: The one place domain errors become HTTP: (status, code), looked up along the exception's MRO.
DOMAIN_STATUS: Final[dict[type[TrustScoreError], tuple[int, str]]] = {
    NeverApprovablePurposeError: (403, "purpose_never_approvable"),
    PurposeError: (403, "purpose_not_approved"),
    ApprovalError: (403, "approval_refused"),
    BlacklistError: (403, "blacklist_refused"),
    NotFoundError: (404, "not_found"),
    ProhibitedInputError: (422, "prohibited_input"),
    SchemaError: (422, "invalid_request"),
    AuditChainError: (500, "audit_chain_broken"),
    LedgerError: (409, "conflict"),
    EngineError: (503, "unavailable"),
    ArtifactError: (500, "artifact_error"),
    ModelError: (500, "model_error"),
    TrustScoreError: (500, "error"),
}

#: The refusal kind of an :class:`ApiError` that names none, by status.
_REFUSAL_BY_STATUS: Final = {401: "invalid_token", 403: "role_refused", 429: "rate_limited"}

_HTTP_CODES: Final = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "validation_error",
    429: "rate_limited",
}


class ApiError(Exception):
    """An error the service itself raises (authentication, authorisation, conflicts).

    ``refusal`` names the kind of refusal to record (see :data:`trustscore.ledger.REFUSAL_KINDS`);
    a 401, 403 or 429 without one is recorded by its status.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        refusal: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers
        self.refusal = refusal or _REFUSAL_BY_STATUS.get(status)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The one error shape.

    Examples
    --------
    >>> error_body("not_found", "No dispute 'x'.", {"dispute_id": "x"})["error"]
    {'code': 'not_found', 'message': "No dispute 'x'.", 'details': {'dispute_id': 'x'}}
    """
    return {"error": {"code": code, "message": message, "details": _plain(details or {})}}


def domain_status(exc: TrustScoreError) -> tuple[int, str]:
    """The HTTP status and error code of a domain error."""
    for cls in type(exc).__mro__:
        if cls in DOMAIN_STATUS:
            return DOMAIN_STATUS[cls]
    return 500, "error"  # pragma: no cover - TrustScoreError is always in the MRO


def _respond(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return JSONResponse(status_code=status, content=body, headers=headers)


async def _on_api_error(request: Request, exc: Exception) -> Any:
    assert isinstance(exc, ApiError)  # registered for ApiError only
    if exc.refusal is not None:
        subject = exc.details.get("subject_id")
        await record_refusal(
            request,
            exc.refusal,
            exc.message,
            subject_id=subject if isinstance(subject, str) else None,
        )
    return _respond(exc.status, error_body(exc.code, exc.message, exc.details), exc.headers)


async def _on_domain_error(request: Request, exc: Exception) -> Any:
    assert isinstance(exc, TrustScoreError)  # registered for TrustScoreError only
    status, code = domain_status(exc)
    if isinstance(exc, PurposeError):
        # the subject asked about: put on the request's state by a route whose body names it
        purpose = exc.context.get("purpose")
        await record_refusal(
            request, "purpose_refused", exc.message,
            subject_id=getattr(request.state, "subject_id", None),
            purpose=purpose if isinstance(purpose, str) else None,
        )  # fmt: skip
    if status >= 500:
        logger.error("Request failed: %s", exc, exc_info=exc)
    return _respond(status, error_body(code, exc.message, exc.context))


async def _on_http_error(_request: Request, exc: Exception) -> Any:
    assert isinstance(exc, StarletteHTTPException)  # registered for HTTPException only
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = "No such endpoint. The API is described at /docs and /openapi.json."
    headers = dict(exc.headers) if exc.headers else None
    return _respond(exc.status_code, error_body(code, message), headers)


async def _on_validation_error(_request: Request, exc: Exception) -> Any:
    assert isinstance(exc, RequestValidationError)  # registered for it only
    errors = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""), "type": e.get("type")}
        for e in exc.errors()
    ]
    where = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors)
    message = f"The request is not valid: {where}."
    return _respond(422, error_body("validation_error", message, {"errors": errors}))


async def _on_unexpected(_request: Request, exc: Exception) -> Any:
    logger.error("Unexpected error", exc_info=exc)
    message = "An unexpected error occurred; it was logged. Try again or contact the operator."
    return _respond(500, error_body("internal_error", message))


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the one shape."""
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(TrustScoreError, _on_domain_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(Exception, _on_unexpected)
