"""What would change a subject's score: the what-if, the way to the next tier, and time.

Each answer is computed, never stored as a score: no snapshot is recorded, and the access is
logged in the ledger like any look at a subject's file. A subject asks about their own file; a
lender about a subject for one of its allowed purposes (named in the body or the query). They
need a workspace's provider (its current features); any other provider answers 501.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from trustscore import ledger as lg
from trustscore.i18n import DEFAULT_LOCALE, N_
from trustscore.pipeline import WorkspaceProvider, next_tier_of, projection, what_if
from trustscore.service._auth import LedgerDep, ProviderDep, check_lender_purpose, require
from trustscore.service._errors import ApiError
from trustscore.service._locale import Locale
from trustscore.service._provider import SubjectProvider
from trustscore.service._schemas import WhatIfRequest
from trustscore.service._texts import localize_reasons

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["what would change it"])

SubjectOrLender = Annotated[lg.Client, Depends(require("subject", "lender"))]


def _access(client: lg.Client, subject_id: str, purpose: str | None) -> str:
    """The purpose the access is logged under; refuses another subject's file and a lender's
    purpose it is not allowed."""
    if client.role == "subject":
        if client.subject_id != subject_id:
            raise ApiError(
                403, "forbidden", N_("A subject may ask only about their own file."),
                details={"subject_id": subject_id}, refusal="not_own_file",
            )  # fmt: skip
        return "subject_access"
    if purpose is None:
        raise ApiError(
            422,
            "invalid_request",
            N_("A lender must name the purpose it asks for (one of its allowed purposes)."),
            details={"allowed": list(client.purposes)},
        )
    return check_lender_purpose(client, purpose)


def _workspace(provider: SubjectProvider) -> WorkspaceProvider:
    if not isinstance(provider, WorkspaceProvider):
        raise ApiError(
            501,
            "not_implemented",
            N_(
                "This server's subject provider has no features to change: what-if, the next "
                "tier and the projection need a workspace (`trustscore serve` from one)."
            ),
        )
    return provider


@router.post("/subjects/{subject_id}/what-if")
def subject_what_if(
    subject_id: str,
    body: WhatIfRequest,
    client: SubjectOrLender,
    ledger: LedgerDep,
    provider: ProviderDep,
    locale: Locale,
) -> dict[str, Any]:
    """The score, sub-scores, reasons and tiers the model gives with some values changed.

    Computed by the service's scorer from the subject's current features with ``changes``
    applied; ``current`` is the same answer without them (and, for the subject only, their
    current ``values``). An unknown characteristic or a value of the wrong kind is a 422.
    Nothing is stored as a score; the access is logged.
    """
    purpose = _access(client, subject_id, body.purpose)
    purposes = None if body.purpose is None else [body.purpose]
    out = what_if(_workspace(provider), subject_id, body.changes, purposes=purposes, locale=locale)
    if client.role != "subject":
        # a lender gets the answer, not the subject's whole feature row (data minimisation)
        out["current"].pop("values", None)
    lg.log_access(
        ledger, client_id=client.client_id, subject_id=subject_id, purpose=purpose,
        action="what_if",
    )  # fmt: skip
    return {"locale": locale, **out}


@router.get("/subjects/{subject_id}/next-tier")
def subject_next_tier(
    subject_id: str,
    client: SubjectOrLender,
    ledger: LedgerDep,
    provider: ProviderDep,
    purpose: Annotated[str, Query(min_length=1, max_length=64)],
    locale: Locale,
) -> dict[str, Any]:
    """The fewest changes the subject can make that reach the next tier of ``purpose``.

    ``path`` lists each change (the value to reach and the range that earns the same points,
    and the points it adds) and the score they give; it is null, with ``message`` saying so,
    when no set of actionable changes reaches the cut-off (``most_points`` is the most any
    adds). Characteristics that change only with time, or never, are not suggested.
    """
    logged = _access(client, subject_id, purpose)
    out = next_tier_of(_workspace(provider), subject_id, purpose, locale=locale)
    lg.log_access(
        ledger, client_id=client.client_id, subject_id=subject_id, purpose=logged,
        action="next_tier",
    )  # fmt: skip
    return {"locale": locale, **out}


@router.get("/subjects/{subject_id}/projection")
def subject_projection(
    subject_id: str,
    client: SubjectOrLender,
    ledger: LedgerDep,
    provider: ProviderDep,
    locale: Locale,
    purpose: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> dict[str, Any]:
    """The subject's score 3, 6 and 12 months on if nothing new happens.

    Their own records, scored at each later as-of date with only what is known now: windows
    move on and old items age out (or the file becomes unscorable: status NS).
    """
    logged = _access(client, subject_id, purpose)
    out = projection(_workspace(provider), subject_id)
    lg.log_access(
        ledger, client_id=client.client_id, subject_id=subject_id, purpose=logged,
        action="projection",
    )  # fmt: skip
    if locale != DEFAULT_LOCALE:
        for entry in (out["current"], *out["later"]):
            entry["reasons"] = localize_reasons(entry["reasons"], locale)
    return {"locale": locale, **out}
