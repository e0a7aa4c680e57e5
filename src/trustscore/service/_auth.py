"""Bearer-token authentication, roles, and the dependencies routes declare.

Roles: ``subject`` (their own file and disputes), ``lender`` (scores and decisions for its
allowed purposes only), ``operator`` (disputes), ``auditor`` (audit verification and aggregates,
never a subject's file) and ``admin`` (clients, audit).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from starlette.concurrency import run_in_threadpool

from trustscore import ledger as lg
from trustscore.exceptions import PurposeError
from trustscore.i18n import N_
from trustscore.safeguards import check_purpose_approvable
from trustscore.service._errors import ApiError
from trustscore.service._group_commit import GroupCommit
from trustscore.service._provider import SubjectProvider
from trustscore.service._rate_limit import RateLimiter
from trustscore.service._token_cache import TokenCache

__all__ = [
    "Admin",
    "AdminOrAuditor",
    "Authenticated",
    "CommitsDep",
    "LedgerDep",
    "Lender",
    "Operator",
    "ProviderDep",
    "SubjectOrOperator",
    "TokenCacheDep",
    "authenticate",
    "check_lender_purpose",
    "commits_of",
    "get_commits",
    "get_ledger",
    "get_provider",
    "get_token_cache",
    "provider_of",
    "require",
]


async def get_ledger(request: Request) -> lg.Ledger:
    """The app's ledger.

    This and the other dependencies that only look something up are ``async``: FastAPI runs a
    plain ``def`` dependency in its thread pool, a hop that costs more than the lookup.
    """
    ledger: lg.Ledger = request.app.state.ledger
    return ledger


def provider_of(request: Request) -> SubjectProvider:
    """The app's subject provider; 503 where none is configured.

    For a route that has the request at hand: a dependency's resolution costs more than this.
    """
    provider: SubjectProvider | None = request.app.state.provider
    if provider is None:
        raise ApiError(
            503,
            "unavailable",
            N_(
                "Scoring is not configured on this server (no subject provider). Start it with "
                "`trustscore serve` from a workspace that holds a model."
            ),
        )
    return provider


async def get_provider(request: Request) -> SubjectProvider:
    """The app's subject provider as a dependency (see :func:`provider_of`)."""
    return provider_of(request)


async def get_commits(request: Request) -> GroupCommit:
    """The app's group commit of score requests' ledger writes."""
    commits: GroupCommit = request.app.state.commits
    return commits


async def get_token_cache(request: Request) -> TokenCache:
    """The app's cache of authenticated clients (see :mod:`trustscore.service._token_cache`)."""
    cache: TokenCache = request.app.state.token_cache
    return cache


LedgerDep = Annotated[lg.Ledger, Depends(get_ledger)]
CommitsDep = Annotated[GroupCommit, Depends(get_commits)]
ProviderDep = Annotated[SubjectProvider, Depends(get_provider)]
TokenCacheDep = Annotated[TokenCache, Depends(get_token_cache)]


def _bearer_token(request: Request) -> str | None:
    """The token of the request's ``Authorization: Bearer <token>`` header, if it has one."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    token = token.strip()
    return token if token and scheme.lower() == "bearer" else None


async def authenticate(request: Request, token: str | None) -> lg.Client:
    """The client behind the request's bearer ``token``; 401 without a valid one, 429 over its rate.

    A plain coroutine that the role dependencies call, not a dependency of its own: FastAPI's
    resolution of each dependency costs more than the lookups (the ledger and the token cache
    come from the app's state). A cached client answers on the event loop; a miss reads the
    ledger in the thread pool.
    """
    challenge = {"WWW-Authenticate": "Bearer"}
    if token is None:
        raise ApiError(
            401,
            "unauthorized",
            N_("This endpoint needs a bearer token: send 'Authorization: Bearer <token>'."),
            headers=challenge,
        )
    state = request.app.state
    cache: TokenCache = state.token_cache
    client, refresh = cache.check(token)
    if refresh:
        # nobody awaits it: refresh() logs rather than raises, and the executor keeps it alive
        asyncio.get_running_loop().run_in_executor(None, cache.refresh, state.ledger, token)
    if client is None:
        client = await run_in_threadpool(cache.authenticate, state.ledger, token)
    if client is None:
        raise ApiError(
            401,
            "unauthorized",
            N_("The bearer token is not valid or was revoked. Ask an admin for a new one."),
            headers=challenge,
        )
    request.state.client_id = client.client_id  # who a refusal of this request names
    limiter: RateLimiter | None = state.rate_limiter
    if limiter is not None and (wait := limiter.wait_s(client.client_id)):
        retry = limiter.retry_after(wait)
        raise ApiError(
            429,
            "rate_limited",
            N_(
                "Client {client_id} sent more than {burst} requests at once or {rate} a second; "
                "retry after {retry} s."
            ),
            params={
                "client_id": client.client_id,
                "burst": limiter.burst,
                "rate": f"{limiter.rate_per_s:g}",
                "retry": retry,
            },
            details={"retry_after_s": int(retry)},
            headers={"Retry-After": retry},
        )
    return client


class _Bearer(SecurityBase):
    """The API's bearer-token scheme and a route's role check, as one dependency.

    FastAPI resolves each dependency of a route on every request, at a cost of its own (10-25
    us here); the role check used to take the scheme (``HTTPBearer``) as a dependency of its
    own, one more resolution per request. As a security scheme itself, this one puts the bearer
    token in the OpenAPI schema just as ``HTTPBearer`` did, under the same name.
    """

    def __init__(self, roles: tuple[lg.Role, ...] | None) -> None:
        self.model = HTTPBearerModel(
            description="A client token from `trustscore client create` or POST /v1/clients."
        )
        self.scheme_name = "HTTPBearer"
        self.roles = roles
        self.allowed = ", ".join(roles or ())

    async def __call__(self, request: Request) -> lg.Client:
        client = await authenticate(request, _bearer_token(request))
        if self.roles is not None and client.role not in self.roles:
            raise ApiError(
                403,
                "forbidden",
                N_("A {role} client may not use this endpoint; it needs the role {allowed}."),
                params={"role": client.role, "allowed": self.allowed},
                details={"role": client.role, "allowed_roles": list(self.roles)},
            )
        return client


Authenticated = Annotated[lg.Client, Depends(_Bearer(None))]


def require(*roles: lg.Role) -> Callable[..., Any]:
    """A dependency that lets through only clients with one of ``roles`` (403 otherwise)."""
    return _Bearer(roles)


def commits_of(request: Request) -> GroupCommit:
    """The app's group commit, for a route that has the request at hand (no dependency)."""
    commits: GroupCommit = request.app.state.commits
    return commits


Admin = Annotated[lg.Client, Depends(require("admin"))]
AdminOrAuditor = Annotated[lg.Client, Depends(require("auditor", "admin"))]
Lender = Annotated[lg.Client, Depends(require("lender"))]
Operator = Annotated[lg.Client, Depends(require("operator"))]
SubjectOrOperator = Annotated[lg.Client, Depends(require("subject", "operator"))]


def check_lender_purpose(client: lg.Client, purpose: str) -> str:
    """Refuse a never-approvable or unknown purpose, then one the client is not allowed.

    Examples
    --------
    >>> import datetime as dt
    >>> bank = lg.Client("cl_1", "Bank", "lender", ("credit_limit",), None,
    ...                  dt.datetime(2026, 1, 1, tzinfo=dt.UTC), None)
    >>> check_lender_purpose(bank, "credit_limit")
    'credit_limit'
    >>> check_lender_purpose(bank, "deposit_waiver")
    Traceback (most recent call last):
    ...
    trustscore.exceptions.PurposeError: Client 'Bank' (cl_1) may use scores only for credit_limit...
    """
    check_purpose_approvable(purpose)
    if purpose not in client.purposes:
        allowed = ", ".join(client.purposes)
        msg = (
            f"Client {client.name!r} ({client.client_id}) may use scores only for {allowed}; "
            f"it asked for {purpose!r}. An admin can create a client for that purpose if the "
            "model card approves it."
        )
        raise PurposeError(
            msg, purpose=purpose, client_id=client.client_id, allowed=list(client.purposes)
        )
    return purpose
