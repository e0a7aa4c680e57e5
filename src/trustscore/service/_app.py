"""The application factory: nothing is built at import time."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal, cast

from fastapi import FastAPI

from trustscore import ledger as lg
from trustscore.features import DEFAULT_CONSENT_CATEGORIES
from trustscore.pipeline import Workspace, WorkspaceProvider
from trustscore.service import (
    _routes_admin,
    _routes_consent,
    _routes_disputes,
    _routes_furnishers,
    _routes_identity,
    _routes_identity_changes,
    _routes_models,
    _routes_monitoring,
    _routes_ops,
    _routes_reviews,
    _routes_subjects,
    _routes_whatif,
    _web,
)
from trustscore.service._audit_signer import CheckpointSigner
from trustscore.service._deadlines import DeadlineRunner
from trustscore.service._errors import install_error_handlers
from trustscore.service._group_commit import GroupCommit
from trustscore.service._metrics import Metrics
from trustscore.service._middleware import ServiceMiddleware
from trustscore.service._provider import SubjectProvider
from trustscore.service._rate_limit import RateLimiter
from trustscore.service._token_cache import TokenCache
from trustscore.settings import Settings, get_settings

__all__ = ["create_app", "serve", "service_ledger", "workspace_provider"]

logger = logging.getLogger(__name__)

_DESCRIPTION = """\
An accountable trust score. Scores are given only to lenders, only for the purposes they are
approved for; every look at a subject is logged and shown to the subject, who can dispute any
record. Errors always have the shape `{"error": {"code", "message", "details"}}`.
"""


def workspace_provider(
    workspace: Path,
    *,
    consent_categories: Collection[str] = DEFAULT_CONSENT_CATEGORIES,
    registry: lg.Ledger | None = None,
    shadow_challengers: bool = False,
) -> SubjectProvider | None:
    """The real provider over a workspace that has models, else None (scores answer 503).

    Bills of ``consent_categories`` count only with the subject's consent. Each purpose is
    scored only by its champion in ``registry``'s model registry (default: the workspace's own
    ledger file); with ``shadow_challengers``, each purpose's challenger scores every request
    in shadow (see :class:`~trustscore.pipeline.WorkspaceProvider`).
    """
    ws = Workspace(workspace)
    if not ws.registry_path.is_file():
        logger.warning(
            "No model registry at %s: score, decision and file endpoints answer 503.",
            ws.registry_path,
        )
        return None
    # WorkspaceProvider returns plain dicts of the TypedDicts' shape (pipeline cannot import them)
    return cast(
        SubjectProvider,
        WorkspaceProvider(
            ws,
            consent_categories=consent_categories,
            registry=registry,
            shadow_challengers=shadow_challengers,
        ),
    )


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
    """Run the service under uvicorn (``trustscore serve``), logging JSON lines to stderr.

    Each of ``settings.workers`` processes builds its app from the same settings (uvicorn's
    factory mode), with ``TRUSTSCORE_*`` as the environment gives them; the caller's own
    ``settings`` (the CLI's flags) reach the workers through the environment.
    """
    import os

    import uvicorn

    from trustscore.service._logging import log_config

    # the workers build their own Settings from the environment: hand them the caller's
    for name, value in settings.model_dump(exclude={"database_url"}).items():
        os.environ[f"TRUSTSCORE_{name.upper()}"] = str(value)
    os.environ["TRUSTSCORE_DATABASE_URL"] = settings.database_url.get_secret_value()
    get_settings.cache_clear()
    uvicorn.run(
        "trustscore.service:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=log_config(settings.log_level),
        log_level=settings.log_level,
        access_log=False,
        # a worker warming its scores holds the GIL for seconds (more on a busy machine); the
        # supervisor's 5 s default took that for a hung worker and killed it, again and again
        timeout_worker_healthcheck=120,
    )


def create_app(
    settings: Settings | None = None,
    *,
    ledger: lg.Ledger | None = None,
    provider: SubjectProvider | None = None,
    token_ttl_s: float = 5.0,
    rate_limit: tuple[float, int] | None = None,
    deadline_interval_s: float | None = None,
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
    rate_limit : (float, int), optional
        Each client's requests per second and burst (429 past them); defaults to the settings'
        ``rate_limit_per_s`` and ``rate_limit_burst``, or no limit without settings. A rate of
        0 disables it.
    deadline_interval_s : float, optional
        Seconds between runs of the dispute deadline job in this app (under the ledger's lease:
        one worker runs it); defaults to the settings' ``deadline_interval_s``, or 0 (off)
        without settings.

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
        provider = workspace_provider(
            settings.workspace, consent_categories=settings.consent_categories, registry=ledger,
            shadow_challengers=settings.shadow_challengers,
        )  # fmt: skip
    if rate_limit is None and settings is not None:
        rate_limit = (settings.rate_limit_per_s, settings.rate_limit_burst)
    if deadline_interval_s is None:
        deadline_interval_s = 0.0 if settings is None else settings.deadline_interval_s
    the_ledger = ledger
    commits = GroupCommit(the_ledger)
    signer = None
    if settings is not None and settings.audit_checkpoint_interval_s > 0:
        signer = CheckpointSigner(
            the_ledger, settings.audit_key_file, settings.audit_checkpoint_interval_s
        )
    metrics = Metrics(queue_depth=lambda: commits.pending)
    deadlines = (
        DeadlineRunner(
            the_ledger, provider, interval_s=deadline_interval_s, on_run=metrics.deadline_runs.inc
        )
        if deadline_interval_s > 0
        else None
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
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
        if signer is not None:
            signer.start()
        app.state.scores_loaded = provider is not None
        job = None if deadlines is None else asyncio.create_task(deadlines.run_forever())
        try:
            yield
        finally:
            if signer is not None:
                signer.stop()
            app.state.scores_loaded = False
            if job is not None and deadlines is not None:
                job.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await job
                await asyncio.to_thread(deadlines.release)
            commits.close()
            if owned:
                the_ledger.dispose()

    app = FastAPI(
        title="trustscore",
        version="0.1.0",
        description=_DESCRIPTION,
        lifespan=lifespan,
        # FastAPI's native OpenTelemetry asks the global providers on every request whether it
        # is on (about 4 us); trustscore ships no OpenTelemetry SDK and counts with Prometheus
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.ledger = the_ledger
    app.state.provider = provider
    app.state.commits = commits
    app.state.token_cache = TokenCache(ttl_s=token_ttl_s)
    app.state.settings = settings
    # where the model registry stores its artifacts: the settings' workspace, else the provider's
    provided = getattr(provider, "workspace", None)
    app.state.workspace = (
        settings.workspace if settings is not None else getattr(provided, "root", None)
    )
    app.state.metrics = metrics
    app.state.deadlines = deadlines
    app.state.scores_loaded = False
    app.state.rate_limiter = (
        RateLimiter(rate_limit[0], rate_limit[1]) if rate_limit and rate_limit[0] > 0 else None
    )
    install_error_handlers(app)
    # the score route first: a request walks the routes in order until one matches
    routes = (
        _routes_subjects, _routes_whatif, _routes_admin, _routes_disputes, _routes_reviews,
        _routes_consent, _routes_ops, _routes_identity, _routes_identity_changes,
        _routes_monitoring, _routes_models,
    )  # fmt: skip
    for module in routes:
        app.include_router(module.router)
    app.include_router(_routes_furnishers.router)
    app.include_router(_web.router)  # the web pages (not in the OpenAPI schema)
    # request ids, the answer's language (?lang= or Accept-Language), metrics, access lines
    app.add_middleware(ServiceMiddleware, metrics=metrics)
    return app
