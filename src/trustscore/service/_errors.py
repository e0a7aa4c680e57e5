"""Every error leaves the service as one JSON shape, and domain errors map to HTTP here only.

``{"error": {"code": "...", "message": "...", "details": {...}}}`` for every 4xx and 5xx:
validation errors, unknown routes, refused purposes, missing tokens and unexpected failures alike.

A message is for a person, so it is in the request's language (:mod:`trustscore.service._locale`):
an :class:`ApiError`'s message is a catalogue message with named parameters; a domain error's
message, written in English by the library, is looked up in the catalogue by its text, and where
no catalogue holds it, the answer gives a sentence of its kind in the request's language, with the
English message kept in ``details.message_en``. Codes and details stay as they are.

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
from trustscore.i18n import DEFAULT_LOCALE, N_, catalogue, translate
from trustscore.service._domain_messages import domain_message
from trustscore.service._locale import request_locale
from trustscore.service._refusals import record_refusal
from trustscore.service._validation import validation_message

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

#: A sentence for the statuses Starlette answers with only their English phrase.
_HTTP_PHRASES: Final = {
    400: N_("The request is not valid."),
    401: N_("This endpoint needs a valid bearer token."),
    403: N_("This request is not allowed."),
    404: N_("Not found."),
    405: N_("This endpoint does not take this method."),
    409: N_("The request conflicts with the current state."),
    422: N_("The request is not valid."),
    429: N_("Too many requests; retry later."),
}

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

    ``message`` is the English text, a catalogue message (mark it ``N_("...")``) whose named
    ``{placeholders}`` ``params`` fill in: the answer gives it in the request's language, the
    record of a refusal in English. ``refusal`` names the kind of refusal to record (see
    :data:`trustscore.ledger.REFUSAL_KINDS`); a 401, 403 or 429 without one is recorded by its
    status.

    Examples
    --------
    >>> e = ApiError(404, "not_found", "There is no web asset {name}.", params={"name": "x.js"})
    >>> e.message, e.text("zh-CN")
    ('There is no web asset x.js.', '没有名为 x.js 的网页资源。')
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
        params: dict[str, Any] | None = None,
    ) -> None:
        self.template = message
        self.params = params or {}
        message = translate(DEFAULT_LOCALE, message, **self.params)
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers
        self.refusal = refusal or _REFUSAL_BY_STATUS.get(status)
        self.domain: TrustScoreError | None = None

    @classmethod
    def of_domain(cls, status: int, code: str, exc: TrustScoreError, fallback: str) -> ApiError:
        """A domain error answered with another status than :data:`DOMAIN_STATUS` gives it.

        Its English message is the library's; in another language it is the catalogue's text
        of that message where there is one, else ``fallback`` (a marked sentence of its kind),
        with the English message kept in ``details.message_en``.

        Examples
        --------
        >>> from trustscore.exceptions import ArtifactError
        >>> e = ApiError.of_domain(
        ...     422, "invalid_artifact", ArtifactError("Bad hash.", field="hash"),
        ...     N_("The request is not valid."),
        ... )
        >>> e.message, e.text("zh-CN"), e.details_in("zh-CN")
        ('Bad hash.', '请求无效。', {'field': 'hash', 'message_en': 'Bad hash.'})
        """
        err = cls(status, code, fallback, details=exc.context)
        err.message = exc.message
        err.args = (exc.message,)
        err.domain = exc
        return err

    def _known(self, locale: str) -> tuple[str, bool]:
        if self.domain is None:
            return translate(locale, self.template, **self.params), True
        message, known = domain_message(self.domain, locale)
        return (message, True) if known else (translate(locale, self.template), False)

    def text(self, locale: str) -> str:
        """The message in ``locale``."""
        if locale == DEFAULT_LOCALE:
            return self.message
        return self._known(locale)[0]

    def details_in(self, locale: str) -> dict[str, Any]:
        """The details in ``locale``: the English message beside a sentence of its kind."""
        if locale == DEFAULT_LOCALE or self._known(locale)[1]:
            return self.details
        return {**self.details, "message_en": self.message}


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
    locale = request_locale(request)
    body = error_body(exc.code, exc.text(locale), exc.details_in(locale))
    return _respond(exc.status, body, exc.headers)


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
    locale = request_locale(request)
    if locale == DEFAULT_LOCALE:
        return _respond(status, error_body(code, exc.message, exc.context))
    message, known = domain_message(exc, locale)
    details = exc.context if known else {**exc.context, "message_en": exc.message}
    return _respond(status, error_body(code, message, details))


async def _on_http_error(request: Request, exc: Exception) -> Any:
    assert isinstance(exc, StarletteHTTPException)  # registered for HTTPException only
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    locale = request_locale(request)
    message = str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = translate(
            locale, "No such endpoint. The API is described at /docs and /openapi.json."
        )
    elif locale != DEFAULT_LOCALE and message in catalogue(locale):
        message = translate(locale, message)
    elif locale != DEFAULT_LOCALE:
        # Starlette's own details ("Method Not Allowed") are English phrases of the status
        message = translate(locale, _HTTP_PHRASES.get(exc.status_code, message))
    headers = dict(exc.headers) if exc.headers else None
    return _respond(exc.status_code, error_body(code, message), headers)


async def _on_validation_error(request: Request, exc: Exception) -> Any:
    assert isinstance(exc, RequestValidationError)  # registered for it only
    locale = request_locale(request)
    # pydantic's own msg and type stay, in English, for programs; message is for a person
    errors = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""), "type": e.get("type"),
         "message": validation_message(e, locale)}
        for e in exc.errors()
    ]  # fmt: skip
    if locale == DEFAULT_LOCALE:
        where = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors)
        message = translate(locale, "The request is not valid: {where}.", where=where)
    else:
        # sentences follow one another without a space in Chinese and Japanese
        gap = "" if locale.split("-")[0] in {"zh", "ja"} else " "
        sentences = [translate(locale, "The request is not valid.")]
        sentences += [e["message"] for e in errors]
        message = gap.join(dict.fromkeys(sentences))
    return _respond(422, error_body("validation_error", message, {"errors": errors}))


async def _on_unexpected(request: Request, exc: Exception) -> Any:
    logger.error("Unexpected error", exc_info=exc)
    message = translate(
        request_locale(request),
        "An unexpected error occurred; it was logged. Try again or contact the operator.",
    )
    return _respond(500, error_body("internal_error", message))


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the one shape."""
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(TrustScoreError, _on_domain_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(Exception, _on_unexpected)
