"""Health, API clients (admin) and the audit chain (auditor, admin)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from trustscore import ledger as lg
from trustscore.service._auth import Admin, AdminOrAuditor, LedgerDep, TokenCacheDep
from trustscore.service._schemas import AuditVerificationOut, ClientCreate, ClientCreated, ClientOut

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
