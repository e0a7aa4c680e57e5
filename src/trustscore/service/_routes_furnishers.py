"""Furnisher quality and held batches: for operators, auditors and admins, never subjects or
lenders. Operators and admins release or reject a held batch; auditors only read."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from trustscore import ledger as lg
from trustscore.pipeline import (
    Workspace,
    furnisher_of,
    furnisher_report,
    record_holds,
    resolve_held,
)
from trustscore.records import RecordStore
from trustscore.service._auth import LedgerDep, require
from trustscore.settings import Settings, get_settings

__all__ = ["router"]

router = APIRouter(prefix="/v1")

Reader = Annotated[lg.Client, Depends(require("operator", "auditor", "admin"))]
Resolver = Annotated[lg.Client, Depends(require("operator", "admin"))]


def _store(request: Request) -> RecordStore:
    """The record store of the app's workspace (the settings' when the app was given none)."""
    settings: Settings = request.app.state.settings or get_settings()
    return RecordStore(Workspace(settings.workspace).store_dir)


def _held_json(held: lg.HeldBatch) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in asdict(held).items()}


@router.get("/furnishers", tags=["furnishers"])
def list_furnishers(_client: Reader, ledger: LedgerDep, request: Request) -> dict[str, Any]:
    """Per furnisher: rows received, stored (new, versions, deletions), unchanged, quarantined
    by reason, held; disputes of its records by outcome; and the totals. For every furnisher
    and in total, ``received = new + versions + unchanged + quarantined + held``."""
    return furnisher_report(_store(request), ledger)


@router.get("/furnishers/{furnisher}", tags=["furnishers"])
def get_furnisher(
    furnisher: str, _client: Reader, ledger: LedgerDep, request: Request
) -> dict[str, Any]:
    """One furnisher's counts, quarantine reasons, disputes and batches held (404 if none)."""
    return furnisher_of(furnisher_report(_store(request), ledger), furnisher)


@router.get("/held-batches", tags=["furnishers"])
def list_held(
    _client: Reader,
    ledger: LedgerDep,
    request: Request,
    status: Annotated[
        Literal["held", "released", "rejected"] | None,
        Query(description="held (waiting for review), released or rejected; all if left out"),
    ] = None,
) -> list[dict[str, Any]]:
    """Batches held for review: one furnisher's rows of a batch whose quarantine rate was
    above the ingest's hold threshold, and how each was resolved."""
    record_holds(ledger, _store(request))
    return [_held_json(h) for h in lg.held_batches(ledger, status)]


def _resolve(
    hold_id: str, outcome: Literal["released", "rejected"], client: lg.Client,
    ledger: lg.Ledger, request: Request,
) -> dict[str, Any]:  # fmt: skip
    held, result = resolve_held(ledger, _store(request), hold_id, outcome, client.client_id)
    out = _held_json(held)
    if result is not None:
        out["stored"] = {
            "batch_id": result.batch_id, "rows_in": result.rows_in, "rows_new": result.rows_new,
            "rows_versions": result.rows_versions, "rows_unchanged": result.rows_unchanged,
            "rows_quarantined": result.rows_quarantined,
        }  # fmt: skip
    return out


@router.post("/held-batches/{hold_id}/release", tags=["furnishers"])
def release_held(
    hold_id: str, client: Resolver, ledger: LedgerDep, request: Request
) -> dict[str, Any]:
    """Store a held batch's rows as ingest would have, from now (409 if already resolved)."""
    return _resolve(hold_id, "released", client, ledger, request)


@router.post("/held-batches/{hold_id}/reject", tags=["furnishers"])
def reject_held(
    hold_id: str, client: Resolver, ledger: LedgerDep, request: Request
) -> dict[str, Any]:
    """Quarantine a held batch's rows as "batch rejected by operator <client id>" (409 if
    already resolved)."""
    return _resolve(hold_id, "rejected", client, ledger, request)
