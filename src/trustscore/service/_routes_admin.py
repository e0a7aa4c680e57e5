"""Health, API clients (admin) and the audit chain (auditor, admin)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from trustscore import ledger as lg
from trustscore.i18n import N_
from trustscore.service._auth import Admin, AdminOrAuditor, LedgerDep, TokenCacheDep
from trustscore.service._errors import ApiError
from trustscore.service._schemas import (
    AuditVerificationOut,
    CheckpointOut,
    ClientCreate,
    ClientCreated,
    ClientOut,
    ConsistencyOut,
    InclusionOut,
)

__all__ = ["router"]

router = APIRouter(prefix="/v1")


@router.get("/health", tags=["meta"])
def health() -> dict[str, str]:
    """Liveness: the service answers."""
    return {"status": "ok"}


@router.post("/clients", status_code=201, tags=["clients"])
def create_client(body: ClientCreate, admin: Admin, ledger: LedgerDep) -> ClientCreated:
    """Create an API client; the token is in this response only."""
    client, token = lg.create_client(
        ledger, body.role, body.purposes, body.subject_id, body.name, actor=admin.client_id
    )
    return ClientCreated(client=ClientOut.of(client), token=token)


@router.get("/clients", tags=["clients"])
def list_clients(_admin: Admin, ledger: LedgerDep) -> list[ClientOut]:
    """Every API client, without tokens."""
    return [ClientOut.of(c) for c in lg.clients(ledger)]


@router.delete("/clients/{client_id}", tags=["clients"])
def revoke_client(
    client_id: str, admin: Admin, ledger: LedgerDep, cache: TokenCacheDep
) -> ClientOut:
    """Revoke a client's token: refused at once by this server, by other processes within 5 s.

    Other server processes (workers) trust an authentication they cached for up to 5 s.
    """
    revoked = lg.revoke_client(ledger, client_id, actor=admin.client_id)
    cache.invalidate(client_id)
    return ClientOut.of(revoked)


@router.get("/audit/verify", tags=["audit"])
def verify_audit(_client: AdminOrAuditor, ledger: LedgerDep) -> AuditVerificationOut:
    """Recompute the audit chain; ``first_bad_seq`` names the first altered entry."""
    return AuditVerificationOut(**asdict(lg.audit_verify(ledger)))


@router.get("/audit/aggregates", tags=["audit"])
def audit_aggregates(_client: AdminOrAuditor, ledger: LedgerDep) -> dict[str, Any]:
    """Counts without subject identifiers: disputes by status, accesses by purpose, ..."""
    return lg.aggregates(ledger)


@router.get("/audit/checkpoint", tags=["audit"])
def audit_checkpoint(_client: AdminOrAuditor, ledger: LedgerDep) -> CheckpointOut:
    """The latest signed checkpoint (tree size, root, time, key, Ed25519 signature).

    A witness keeps each one it fetches, and later checks the log is consistent with it.
    """
    found = lg.latest_checkpoint(ledger)
    if found is None:
        raise ApiError(
            404, "not_found",
            N_("No audit checkpoint has been signed yet: run `trustscore audit checkpoint`."),
        )  # fmt: skip
    return CheckpointOut(**found.to_json())


@router.get("/audit/proof", tags=["audit"])
def audit_proof(
    _client: AdminOrAuditor,
    ledger: LedgerDep,
    entry: Annotated[int, Query(ge=1, description="The entry's sequence number.")],
    tree_size: Annotated[int | None, Query(ge=1, description="Default: the tree now.")] = None,
) -> InclusionOut:
    """The RFC 9162 inclusion proof of one entry in the tree of ``tree_size`` entries."""
    return InclusionOut(**asdict(lg.audit_inclusion(ledger, entry, tree_size)))


@router.get("/audit/consistency", tags=["audit"])
def audit_consistency(
    _client: AdminOrAuditor,
    ledger: LedgerDep,
    from_: Annotated[int, Query(alias="from", ge=0, description="The older tree's size.")],
    to: Annotated[int | None, Query(ge=0, description="Default: the tree now.")] = None,
) -> ConsistencyOut:
    """The RFC 9162 consistency proof that the tree of ``from`` entries is a prefix of ``to``."""
    return ConsistencyOut(**asdict(lg.audit_consistency(ledger, from_, to)))
