"""The model registry over HTTP: register, approve (four eyes), promote, retire, roll back.

The acting client is the caller: a validator approves, and never a model it registered (403,
with the refusal on record). Every move of a champion or challenger is an audit entry, and the
service's scores follow it at once (the workspace's ``models/registry.json`` is rewritten).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from trustscore import ledger as lg
from trustscore.exceptions import ArtifactError
from trustscore.i18n import N_
from trustscore.pipeline import Workspace, registry_moved, store_and_register
from trustscore.service._auth import LedgerDep, require
from trustscore.service._errors import ApiError

__all__ = ["router", "workspace_of"]

router = APIRouter(prefix="/v1/models", tags=["models"])

Registrant = Annotated[lg.Client, Depends(require("admin", "operator", "validator"))]
Validator = Annotated[lg.Client, Depends(require("validator"))]
Mover = Annotated[lg.Client, Depends(require("admin", "validator"))]
Reader = Annotated[lg.Client, Depends(require("admin", "auditor", "validator", "operator"))]

_STRICT = ConfigDict(extra="forbid")


class ModelRegistration(BaseModel):
    """A model artifact to register (the JSON ``trustscore train`` writes)."""

    model_config = _STRICT
    artifact: dict[str, Any]


class ModelApprovalIn(BaseModel):
    """A validator's approval: the purposes, and the hash of the validation report read."""

    model_config = _STRICT
    purposes: list[str] = Field(min_length=1)
    report_hash: str = Field(min_length=1, max_length=128)


class PurposeIn(BaseModel):
    """The purpose a model is promoted for, or challenges the champion of."""

    model_config = _STRICT
    purpose: str = Field(min_length=1, max_length=64)


def workspace_of(request: Request) -> Workspace:
    """The workspace whose ``models/`` stores the registry's artifacts (503 without one)."""
    root: Path | None = getattr(request.app.state, "workspace", None)
    if root is None:
        raise ApiError(
            503, "unavailable", N_("This server has no workspace to store model artifacts in.")
        )
    return Workspace(root)


def _iso(t: dt.datetime) -> str:
    return t.isoformat()


def _model_out(m: lg.RegisteredModel) -> dict[str, Any]:
    return {
        "model_hash": m.model_hash,
        "model_version": m.model_version,
        "registered_by": m.registered_by,
        "registered_at": _iso(m.registered_at),
        "approved_purposes": list(m.approved_purposes),
        "approvals": [
            {"validator": a.validator, "purposes": list(a.purposes),
             "report_hash": a.report_hash, "approved_at": _iso(a.approved_at)}
            for a in m.approvals
        ],
    }  # fmt: skip


def _event_out(e: lg.ModelEvent) -> dict[str, Any]:
    return {
        "event_id": e.event_id, "purpose": e.purpose, "slot": e.slot, "action": e.action,
        "model_hash": e.model_hash, "actor": e.actor, "at": _iso(e.at),
    }  # fmt: skip


def _moved(ledger: lg.Ledger, request: Request, event: lg.ModelEvent) -> dict[str, Any]:
    slots = registry_moved(ledger, workspace_of(request))
    return {"event": _event_out(event), "slots": slots}


@router.get("")
def list_models(_reader: Reader, ledger: LedgerDep) -> dict[str, Any]:
    """Every registered model with its approvals, and every move of champions and challengers."""
    return {
        "models": [_model_out(m) for m in lg.registered_models(ledger)],
        "events": [_event_out(e) for e in lg.model_events(ledger)],
    }


@router.post("", status_code=201)
def register(
    body: ModelRegistration, client: Registrant, ledger: LedgerDep, request: Request
) -> dict[str, Any]:
    """Register an artifact by its content hash; the caller is its registrant.

    An artifact that is not one (malformed, of an unknown schema, failing its own hash) is the
    caller's error: 422, with what is wrong.
    """
    try:
        model = store_and_register(
            ledger, workspace_of(request), body.artifact, registered_by=client.client_id,
            via=("POST", request.url.path),
        )  # fmt: skip
    except ArtifactError as exc:
        raise ApiError.of_domain(
            422, "invalid_artifact", exc, N_("The artifact is not a valid model artifact.")
        ) from None
    return _model_out(model)


@router.post("/{model}/approvals", status_code=201)
def approve(
    model: str, body: ModelApprovalIn, client: Validator, ledger: LedgerDep, request: Request
) -> dict[str, Any]:
    """Approve a model for purposes: a validator who did not register it (four eyes)."""
    found = lg.find_model(ledger, model)
    approved = lg.approve_model(
        ledger, found.model_hash, body.purposes, validator=client.client_id,
        report_hash=body.report_hash, via=("POST", request.url.path),
    )  # fmt: skip
    return _model_out(approved)


@router.post("/{model}/promotions", status_code=201)
def promote(
    model: str, body: PurposeIn, client: Mover, ledger: LedgerDep, request: Request
) -> dict[str, Any]:
    """Make an approved model the champion of a purpose."""
    found = lg.find_model(ledger, model)
    event = lg.promote_model(
        ledger, found.model_hash, body.purpose, actor=client.client_id,
        via=("POST", request.url.path),
    )  # fmt: skip
    return _moved(ledger, request, event)


@router.post("/{model}/challenges", status_code=201)
def challenge(
    model: str, body: PurposeIn, client: Mover, ledger: LedgerDep, request: Request
) -> dict[str, Any]:
    """Name a registered model the challenger of a purpose (scored in shadow only)."""
    found = lg.find_model(ledger, model)
    event = lg.set_challenger(
        ledger, found.model_hash, body.purpose, actor=client.client_id,
        via=("POST", request.url.path),
    )  # fmt: skip
    return _moved(ledger, request, event)


@router.post("/champions/{purpose}/retirement", status_code=201)
def retire(purpose: str, client: Mover, ledger: LedgerDep, request: Request) -> dict[str, Any]:
    """Retire the champion of a purpose: nothing scores for it until another is promoted."""
    event = lg.retire_model(ledger, purpose, actor=client.client_id, via=("POST", request.url.path))
    return _moved(ledger, request, event)


@router.post("/champions/{purpose}/rollback", status_code=201)
def rollback(purpose: str, client: Mover, ledger: LedgerDep, request: Request) -> dict[str, Any]:
    """Make the previous champion of a purpose its champion again."""
    event = lg.rollback_model(
        ledger, purpose, actor=client.client_id, via=("POST", request.url.path)
    )
    return _moved(ledger, request, event)


@router.delete("/challengers/{purpose}")
def withdraw(purpose: str, client: Mover, ledger: LedgerDep, request: Request) -> dict[str, Any]:
    """Withdraw the challenger of a purpose."""
    event = lg.set_challenger(
        ledger, None, purpose, actor=client.client_id, via=("DELETE", request.url.path)
    )
    return _moved(ledger, request, event)
