"""The application factory: nothing is built at import time."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal, cast

from fastapi import FastAPI

from trustscore import ledger as lg
from trustscore.pipeline import Workspace, WorkspaceProvider
from trustscore.service import (
    _routes_admin,
    _routes_disputes,
    _routes_identity,
    _routes_subjects,
    _routes_whatif,
    _web,
)
from trustscore.service._errors import install_error_handlers
from trustscore.service._group_commit import GroupCommit
from trustscore.service._provider import SubjectProvider
from trustscore.service._token_cache import TokenCache
from trustscore.settings import Settings, get_settings

__all__ = ["create_app", "serve", "service_ledger", "workspace_provider"]

logger = logging.getLogger(__name__)

_DESCRIPTION = """\
An accountable trust score. Scores are given only to lenders, only for the purposes they are
approved for; every look at a subject is logged and shown to the subject, who can dispute any
record. Errors always have the shape `{"error": {"code", "message", "details"}}`.
"""


def workspace_provider(workspace: Path) -> SubjectProvider | None:
    """The real provider over a workspace that has a model, else None (scores answer 503)."""
    ws = Workspace(workspace)
    if not ws.model_path.is_file():
        logger.warning(
            "No model at %s: score, decision and file endpoints answer 503.", ws.model_path
        )
        return None
    # WorkspaceProvider returns plain dicts of the TypedDicts' shape (pipeline cannot import them)
    return cast(SubjectProvider, WorkspaceProvider(ws))


def service_ledger(
    url: str, *, sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
) -> lg.Ledger:
    """The ledger as the service opens it: on SQLite, WAL checkpoints run in the background.

    A checkpoint run by a commit (SQLite's default) holds up that commit and every request
    queued behind it for 10-30 ms on a slow disk; the service's ledger checkpoints from a
    thread of its own instead. Commits are as durable either way (``sqlite_synchronous``).

    Examples
    --------
    >>> service_ledger("sqlite://").backend
    'sqlite'
    """
    return lg.Ledger(url, sqlite_synchronous=sqlite_synchronous, sqlite_checkpoints="background")


def serve(settings: Settings) -> None:
    """Run the service under uvicorn (``trustscore serve``)."""
    import uvicorn

    uvicorn.run(
        "trustscore.service:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level="warning",
    )


def create_app(
    settings: Settings | None = None,
    *,
    ledger: lg.Ledger | None = None,
    provider: SubjectProvider | None = None,
    token_ttl_s: float = 5.0,
) -> FastAPI:
    """Build the FastAPI app (uvicorn's factory mode calls it with no arguments).

    Parameters
    ----------
    settings : Settings, optional
        Defaults to :func:`trustscore.settings.get_settings`.
    ledger : Ledger, optional
        Defaults to :func:`service_ledger` of ``settings.database_url``, upgraded to the latest
        schema on startup.
    provider : SubjectProvider, optional
        Where scores, decisions and files come from; without one those endpoints answer 503.
    token_ttl_s : float, default 5.0
        How long this process trusts a token it authenticated without reading the ledger again
        (0: read it on every request). A revocation through this app's API takes effect at once;
        one by another process (another worker, ``trustscore client revoke``) within this time.

    Examples
    --------
    >>> from trustscore.ledger import Ledger
    >>> app = create_app(ledger=Ledger("sqlite://"))
    >>> sorted(p for p in app.openapi()["paths"] if p.startswith("/v1/disputes"))
    ['/v1/disputes', '/v1/disputes/{dispute_id}', '/v1/disputes/{dispute_id}/resolution']
    """
    owned = ledger is None
    if ledger is None:
        settings = settings or get_settings()
        ledger = service_ledger(settings.database_url.get_secret_value())
    if provider is None and settings is not None:
        provider = workspace_provider(settings.workspace)
    the_ledger = ledger
    commits = GroupCommit(the_ledger)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if owned:
            the_ledger.upgrade()
        warm = getattr(provider, "warm", None)
        if callable(warm):
            warm()  # compute the scores before the first request, not during it
            # The warm provider's table (about a million objects for 20 000 subjects) lives as
            # long as the process; a full collection would walk all of it, pausing every request
            # for a few hundred ms. Freeze what lives now out of the collector's sight.
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            commits.close()
            if owned:
                the_ledger.dispose()

    app = FastAPI(
        title="trustscore",
        version="0.1.0",
        description=_DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.ledger = the_ledger
    app.state.provider = provider
    app.state.commits = commits
    app.state.token_cache = TokenCache(ttl_s=token_ttl_s)
    app.state.settings = settings
    install_error_handlers(app)
    # the score route first: a request walks the routes in order until one matches
    for module in (
        _routes_subjects, _routes_whatif, _routes_admin, _routes_disputes, _routes_identity,
    ):  # fmt: skip
        app.include_router(module.router)
    app.include_router(_web.router)  # the web pages (not in the OpenAPI schema)
    return app
