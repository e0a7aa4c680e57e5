"""Disputes: a subject disputes their own records; operators resolve them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from trustscore import ledger as lg
from trustscore.exceptions import NotFoundError
from trustscore.i18n import N_
from trustscore.service._auth import LedgerDep, Operator, SubjectOrOperator
from trustscore.service._errors import ApiError
from trustscore.service._locale import Locale
from trustscore.service._provider import SubjectProvider
from trustscore.service._resolutions import resolve_and_apply
from trustscore.service._schemas import (
    DisputeCreate,
    DisputeOut,
    Resolution,
    ResolutionOut,
    SuppressionOut,
)

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["disputes"])


def _not_found(dispute_id: str) -> ApiError:
    return ApiError(
        404, "not_found", N_("There is no dispute {dispute_id} that this client may see."),
        params={"dispute_id": repr(dispute_id)}, details={"dispute_id": dispute_id},
    )  # fmt: skip


@router.post("/disputes", status_code=201)
def open_dispute(
    body: DisputeCreate,
    client: SubjectOrOperator,
    ledger: LedgerDep,
    request: Request,
    locale: Locale,
) -> DisputeOut:
    """Open a dispute of one record; it is resolved, or suppressed, within 30 days."""
    if client.role == "subject":
        if body.subject_id not in (None, client.subject_id):
            raise ApiError(
                403,
                "forbidden",
                N_(
                    "A subject may dispute only their own records; leave subject_id out or give "
                    "your own."
                ),
                details={"subject_id": body.subject_id},
                refusal="not_own_file",
            )
        subject_id = str(client.subject_id)
    elif body.subject_id is None:
        raise ApiError(
            422, "validation_error", N_("An operator opening a dispute must give the subject_id.")
        )
    else:
        subject_id = body.subject_id
    provider: SubjectProvider | None = request.app.state.provider
    if provider is not None:
        # Another subject's record and no record at all get one answer, built here: the
        # provider's own message may differ by case and name the server's folders.
        try:
            owner: str | None = provider.record_owner(body.record_kind, body.record_id)
        except NotFoundError:
            owner = None
        if owner != subject_id:
            raise ApiError(
                404, "not_found",
                N_("Subject {subject_id} has no {record_kind} record {record_id}."),
                params={"subject_id": repr(subject_id), "record_kind": body.record_kind,
                        "record_id": repr(body.record_id)},
                details={"record_kind": body.record_kind, "record_id": body.record_id},
            )  # fmt: skip
    dispute = lg.open_dispute(
        ledger, subject_id, body.record_kind, body.record_id, body.grounds,
        actor=client.client_id, kind=body.kind,
    )  # fmt: skip
    return DisputeOut.of(dispute, locale)


@router.get("/disputes")
def list_disputes(
    client: SubjectOrOperator,
    ledger: LedgerDep,
    locale: Locale,
    status: Annotated[
        lg.DisputeStatus | None, Query(description="open, verified, corrected, ...")
    ] = None,
    subject_id: Annotated[str | None, Query(max_length=128)] = None,
) -> list[DisputeOut]:
    """Disputes, oldest first: an operator's queue, or a subject's own disputes."""
    if client.role == "subject":
        if subject_id not in (None, client.subject_id):
            raise ApiError(
                403, "forbidden", N_("A subject may list only their own disputes."),
                details={"subject_id": subject_id}, refusal="not_own_file",
            )  # fmt: skip
        subject_id = client.subject_id
    return [DisputeOut.of(d, locale) for d in lg.disputes(ledger, status, subject_id)]


@router.get("/disputes/{dispute_id}")
def get_dispute(
    dispute_id: str, client: SubjectOrOperator, ledger: LedgerDep, locale: Locale
) -> DisputeOut:
    """One dispute: for the subject who opened it, and for operators."""
    try:
        dispute = lg.get_dispute(ledger, dispute_id)
    except NotFoundError:
        raise _not_found(dispute_id) from None
    if client.role == "subject" and dispute.subject_id != client.subject_id:
        raise _not_found(dispute_id)
    return DisputeOut.of(dispute, locale)


@router.post("/disputes/{dispute_id}/resolution")
def resolve_dispute(
    dispute_id: str,
    body: Resolution,
    operator: Operator,
    ledger: LedgerDep,
    request: Request,
    locale: Locale,
) -> ResolutionOut:
    """Resolve a dispute. ``corrected`` and ``unverifiable`` suppress the record and rescore.

    A ``not_mine`` dispute resolved other than ``verified`` unlinks the record instead: from now
    on it is a new subject's, the subject is rescored, and their earlier scores still replay.

    A resolution is checked completely before anything is recorded: corrected values that would
    not make a valid record, or corrected values with another outcome, are refused (422) and
    change nothing. Accepted, they become a new record
    (``<record_id>~c<dispute_id>``) beside the suppressed original.
    """
    provider: SubjectProvider | None = request.app.state.provider
    dispute, suppression, change, rescored = resolve_and_apply(
        ledger, provider, dispute_id, body.outcome, operator.client_id, note=body.note,
        correction=body.correction,
    )  # fmt: skip
    return ResolutionOut(
        dispute=DisputeOut.of(dispute, locale),
        suppression=None if suppression is None else SuppressionOut.of(suppression),
        rescored=rescored,
        identity_change=None if change is None else change.change_id,
    )
