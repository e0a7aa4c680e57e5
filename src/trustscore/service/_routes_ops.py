"""For operators: readiness (``/v1/ready``) and Prometheus metrics (``/metrics``).

Liveness is ``/v1/health`` (``_routes_admin``). Neither of these needs a token or names a
subject: a load balancer and a Prometheus server call them. Neither is in the OpenAPI schema
(not part of the API clients use; readiness answers 503 by design while the service warms up).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from trustscore import ledger as lg
from trustscore.service._metrics import Metrics

__all__ = ["router"]

router = APIRouter()


def _open_disputes(ledger: lg.Ledger) -> int:
    return len(lg.disputes(ledger, "open"))


@router.get("/v1/ready", include_in_schema=False)
async def ready(request: Request) -> JSONResponse:
    """Readiness: the ledger answers and the scores are loaded; 503 naming what is not."""
    state = request.app.state
    checks: dict[str, Any] = {"ledger": True, "scores_loaded": bool(state.scores_loaded)}
    try:
        await run_in_threadpool(state.ledger.revision)
    except Exception:  # any failure to reach the ledger means: not ready
        checks["ledger"] = False
    ok = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ok else "not_ready", "checks": checks}, status_code=200 if ok else 503
    )


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus text format: requests, latencies, refusals, ledger queue, open disputes."""
    state = request.app.state
    registry: Metrics = state.metrics
    registry.open_disputes.set(await run_in_threadpool(_open_disputes, state.ledger))
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)
