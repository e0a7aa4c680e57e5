"""The application factory: nothing is built at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from trustscore import ledger as lg
from trustscore.service import _routes_admin, _routes_disputes, _routes_subjects
from trustscore.service._errors import install_error_handlers
from trustscore.service._provider import SubjectProvider
from trustscore.settings import Settings, get_settings

__all__ = ["create_app"]

_DESCRIPTION = """\
An accountable trust score. Scores are given only to lenders, only for the purposes they are
approved for; every look at a subject is logged and shown to the subject, who can dispute any
record. Errors always have the shape `{"error": {"code", "message", "details"}}`.
"""


def create_app(
    settings: Settings | None = None,
    *,
    ledger: lg.Ledger | None = None,
    provider: SubjectProvider | None = None,
) -> FastAPI:
    """Build the FastAPI app (uvicorn's factory mode calls it with no arguments).

    Parameters
    ----------
    settings : Settings, optional
        Defaults to :func:`trustscore.settings.get_settings`.
    ledger : Ledger, optional
        Defaults to ``Ledger(settings.database_url)``, upgraded to the latest schema on startup.
    provider : SubjectProvider, optional
        Where scores, decisions and files come from; without one those endpoints answer 503.

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
        ledger = lg.Ledger(settings.database_url.get_secret_value())
    the_ledger = ledger

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if owned:
            the_ledger.upgrade()
        try:
            yield
        finally:
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
    app.state.settings = settings
    install_error_handlers(app)
    for module in (_routes_admin, _routes_disputes, _routes_subjects):
        app.include_router(module.router)
    return app
