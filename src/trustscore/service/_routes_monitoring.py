"""Monitoring runs, for auditors and admins: the stability, quality, fairness and performance
of the model on each scoring run (``trustscore monitor``), never a subject's file.

The runs are the workspace's (``<workspace>/monitoring``, where ``trustscore demo`` and
``trustscore monitor --out`` keep them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from trustscore.pipeline import Workspace, list_runs, read_run
from trustscore.service._auth import AdminOrAuditor
from trustscore.settings import Settings, get_settings

__all__ = ["router"]

router = APIRouter(prefix="/v1")


class MonitoringRunOut(BaseModel):
    """One monitoring run in brief: what the trend shows."""

    run_id: str
    created_at: str
    model_version: str
    n: int = Field(description="Rows of the run monitored.")
    psi: float = Field(description="PSI of the score against the baseline.")
    psi_flag: str = Field(description="stable (< 0.10), watch (< 0.25) or act.")
    top_csi: list[tuple[str, float]] = Field(
        description="The characteristics with the largest CSI: [name, CSI], largest first."
    )
    quality_flagged_rate: float = Field(description="Share of rows with input-quality flags.")
    ns_rate: float = Field(description="Share of rows unscorable (NS).")
    score_mean: float | None
    n_flags: int = Field(description="Flags the run raised.")
    level: str = Field(description="The highest flag: stable, watch or act.")


def _folder(request: Request) -> Path:
    """The monitoring runs of the app's workspace (the settings' when the app was given none)."""
    settings: Settings = request.app.state.settings or get_settings()
    return Workspace(settings.workspace).monitoring_dir


@router.get("/monitoring/runs", tags=["monitoring"])
def monitoring_runs(_client: AdminOrAuditor, request: Request) -> list[MonitoringRunOut]:
    """Every monitoring run kept, oldest first (in the order of the runs' ids)."""
    return [MonitoringRunOut(**r) for r in list_runs(_folder(request))]


@router.get("/monitoring/runs/{run_id}", tags=["monitoring"])
def monitoring_run(run_id: str, _client: AdminOrAuditor, request: Request) -> dict[str, Any]:
    """One run in full (``monitor.json``): PSI and CSI bin by bin, missing and input-quality
    flag rates, score and tier distributions, fairness by group, back-testing or the CBPE
    estimate, and the flags raised (404 if there is no such run)."""
    return read_run(_folder(request), run_id)
