"""Refused requests go on record: the ledger's access log, the audit chain, metrics, the log.

The error handlers (``_errors.py``) call :func:`record_refusal` for every refusal they answer:
an invalid or missing token (401), a role or a file the client may not use (403), a purpose it
may not use, a rate limit (429). The refusal is written through the app's group commit, so it is
in the ledger before the refusal is answered and a burst of them shares transactions. An invalid
token is recorded by a fingerprint (16 hex digits of its SHA-256), never itself.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from starlette.requests import Request

from trustscore import ledger as lg

__all__ = ["record_refusal", "token_fingerprint"]

logger = logging.getLogger("trustscore.service.refusals")


def token_fingerprint(authorization: str | None) -> str | None:
    """16 hex digits of the SHA-256 of the bearer token in an ``Authorization`` header.

    Enough to tell a regulator that the same wrong token came back; not enough to use it.

    Examples
    --------
    >>> fp = token_fingerprint("Bearer secret-token")
    >>> fp == hashlib.sha256(b"secret-token").hexdigest()[:16], "secret" in fp
    (True, False)
    >>> token_fingerprint(None) is None, token_fingerprint("Basic abc") is None
    (True, True)
    """
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()[:16]


async def record_refusal(
    request: Request,
    kind: str,
    reason: str,
    *,
    subject_id: str | None = None,
    purpose: str | None = None,
) -> lg.Refusal | None:
    """Record that ``request`` was refused, as ``kind`` (one of ``ledger.REFUSAL_KINDS``).

    The client is the one :func:`~trustscore.service._auth.authenticate` found (kept on the
    request's state), else the token's fingerprint. The subject is ``subject_id``, else the
    path's. A failure to write is logged, not raised: the refusal is answered either way.
    """
    state = request.state
    client_id: str | None = getattr(state, "client_id", None)
    attempt = lg.RefusalAttempt(
        kind=kind,
        method=request.method,
        path=request.url.path,
        reason=reason,
        client_id=client_id,
        token_fingerprint=(
            None
            if client_id is not None
            else token_fingerprint(request.headers.get("authorization"))
        ),
        subject_id=subject_id or request.path_params.get("subject_id"),
        purpose=purpose,
    )
    app_state = request.app.state
    metrics = getattr(app_state, "metrics", None)
    if metrics is not None:
        metrics.refusals.labels(kind).inc()
    fields: dict[str, Any] = {
        "refusal": kind, "client_id": attempt.client_id,
        "token_fingerprint": attempt.token_fingerprint, "subject_id": attempt.subject_id,
        "path": attempt.path, "purpose": purpose,
    }  # fmt: skip
    logger.info("refused: %s", reason, extra=fields)
    try:
        refusal: lg.Refusal = await app_state.commits.refuse(attempt)
    except Exception:  # the refusal stands; only its record failed, which must be seen
        logger.exception("A refusal could not be recorded in the ledger", extra=fields)
        return None
    return refusal
