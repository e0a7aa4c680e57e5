"""Consent to use alternative data: a subject grants or withdraws it; operators on their behalf.

Bills (utility, telecom, rent, platform) count towards a score only while the subject consents,
per furnisher or per bill category. A grant or a withdrawal is recorded in the ledger (with its
audit entry), copied into the record store, and the subject is rescored at once: the new score
is recorded in the subject's history. A past score's replay keeps the consents of its time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from trustscore import ledger as lg
from trustscore.exceptions import NotFoundError
from trustscore.features import DEFAULT_CONSENT_CATEGORIES, check_consent_categories
from trustscore.i18n import N_
from trustscore.service._auth import LedgerDep, SubjectOrOperator
from trustscore.service._errors import ApiError
from trustscore.service._provider import SubjectProvider, record_score

__all__ = ["ConsentChange", "ConsentEventOut", "ConsentsOut", "router"]

router = APIRouter(prefix="/v1", tags=["consent"])


class ConsentChange(BaseModel):
    """Grant or withdraw consent for one furnisher's bills, or for a category of bills."""

    model_config = ConfigDict(extra="forbid")
    action: Literal["grant", "withdraw"]
    scope_kind: Literal["furnisher", "category"] = Field(
        description="furnisher: one organisation's bills; category: every bill of a category"
    )
    scope: str = Field(
        min_length=1,
        max_length=128,
        description="the furnisher's id, or a category: utility, telecom, rent, platform",
    )


class ConsentEventOut(BaseModel):
    """One recorded grant or withdrawal."""

    consent_id: str
    subject_id: str
    scope_kind: str
    scope: str
    action: str
    effective_at: dt.datetime
    recorded_at: dt.datetime
    actor: str
    source: str

    @classmethod
    def of(cls, event: lg.ConsentEvent) -> ConsentEventOut:
        return cls(**event.__dict__)


class ConsentsOut(BaseModel):
    """A subject's consent events, those in force now, and which bill categories need one."""

    subject_id: str
    categories_needing_consent: list[str]
    in_force: list[ConsentEventOut]
    events: list[ConsentEventOut]


class ConsentChanged(BaseModel):
    """The recorded event and the subject's new score (None without a scoring workspace)."""

    event: ConsentEventOut
    rescored: bool
    score: dict[str, Any] | None


def _subject(client: lg.Client, subject_id: str) -> str:
    if client.role == "subject" and client.subject_id != subject_id:
        raise ApiError(
            403, "forbidden", N_("A subject may see and change only their own consents.")
        )
    return subject_id


def _categories(request: Request) -> list[str]:
    """The categories the provider scores with (else the settings', else the default)."""
    held = getattr(request.app.state.provider, "consent_categories", None)
    if held is None:
        held = getattr(request.app.state.settings, "consent_categories", None)
    return list(DEFAULT_CONSENT_CATEGORIES if held is None else held)


@router.get("/subjects/{subject_id}/consents")
def list_consents(
    subject_id: str, client: SubjectOrOperator, ledger: LedgerDep, request: Request
) -> ConsentsOut:
    """The subject's grants and withdrawals, oldest first, and the consents in force now."""
    _subject(client, subject_id)
    return ConsentsOut(
        subject_id=subject_id,
        categories_needing_consent=_categories(request),
        in_force=[ConsentEventOut.of(e) for e in lg.consents_in_force(ledger, subject_id)],
        events=[ConsentEventOut.of(e) for e in lg.consent_events(ledger, subject_id=subject_id)],
    )


@router.post("/subjects/{subject_id}/consents", status_code=201)
def change_consent(
    subject_id: str,
    body: ConsentChange,
    client: SubjectOrOperator,
    ledger: LedgerDep,
    request: Request,
) -> ConsentChanged:
    """Grant or withdraw consent; the subject is rescored at once and the score recorded.

    A withdrawal takes effect now: the bills it covers leave the next score (and every later
    one), while a replay of an earlier score still counts them, as they counted then.
    """
    _subject(client, subject_id)
    if body.scope_kind == "category":
        check_consent_categories([body.scope])
    provider: SubjectProvider | None = request.app.state.provider
    if provider is not None:
        # an unknown subject gets a 404 before anything is recorded
        try:
            provider.rescore(subject_id)
        except NotFoundError:
            raise ApiError(
                404, "not_found", N_("There is no subject {subject_id}."),
                params={"subject_id": repr(subject_id)}, details={"subject_id": subject_id},
            ) from None  # fmt: skip
    event = lg.record_consent(
        ledger, subject_id, body.scope_kind, body.scope, body.action,
        actor=client.client_id, source="subject" if client.role == "subject" else "operator",
    )  # fmt: skip
    rescored, score = False, None
    apply = getattr(provider, "apply_consent", None)
    if provider is not None and callable(apply):
        apply(event)
        result = provider.rescore(subject_id)
        if result is not None:
            record_score(ledger, result, actor=client.client_id)
            score = dict(result)
        rescored = True
    return ConsentChanged(event=ConsentEventOut.of(event), rescored=rescored, score=score)
