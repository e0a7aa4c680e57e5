"""Identity: the clerical review queue of uncertain pairs, and a subject's own identity data.

Operators list the pairs whose match weight fell between the thresholds and decide each one
(``match`` or ``distinct``); the next linkage run applies the decision. A subject sees the
identity data linked to them, and nobody else's; operators see any subject's.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from trustscore import ledger as lg
from trustscore.i18n import N_
from trustscore.identity import IdentityStore
from trustscore.pipeline import Workspace
from trustscore.records import RecordStore
from trustscore.service._auth import LedgerDep, Operator, SubjectOrOperator
from trustscore.service._errors import ApiError
from trustscore.settings import get_settings

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["identity"])

_STRICT = ConfigDict(extra="forbid")


class ReviewOut(BaseModel):
    """A pair of identity profiles in the review queue."""

    review_id: str
    profile_id: str
    candidate_profile_id: str
    candidate_subject_id: str | None
    match_weight: float
    evidence: dict[str, Any]
    status: str
    opened_at: dt.datetime
    decided_at: dt.datetime | None
    decider: str | None

    @classmethod
    def of(cls, review: lg.IdentityReview) -> ReviewOut:
        return cls(**review.__dict__)


class ReviewDecision(BaseModel):
    """An operator's decision on a pair: the same subject, or two different ones."""

    model_config = _STRICT
    outcome: Literal["match", "distinct"]
    note: str | None = Field(default=None, max_length=4000)


class IdentityOut(BaseModel):
    """The identity data linked to one subject (personal data: the subject's and operators')."""

    subject_id: str
    profiles: list[dict[str, str | None]] = Field(default_factory=list)
    links: list[dict[str, Any]] = Field(default_factory=list)


@router.get("/identity/reviews")
def list_reviews(
    operator: Operator,  # noqa: ARG001 - the dependency checks the role
    ledger: LedgerDep,
    status: Annotated[Literal["open", "match", "distinct"] | None, Query()] = "open",
) -> list[ReviewOut]:
    """The clerical review queue, oldest first (open pairs by default)."""
    return [ReviewOut.of(r) for r in lg.identity_reviews(ledger, status=status)]


@router.post("/identity/reviews/{review_id}/decision")
def decide(
    review_id: str, body: ReviewDecision, operator: Operator, ledger: LedgerDep
) -> ReviewOut:
    """Decide a pair, with an optional note (kept in the audit chain); the next
    ``trustscore identity link`` applies it."""
    review = lg.decide_identity_review(
        ledger,
        review_id,
        body.outcome,
        operator.client_id,
        at=dt.datetime.now(dt.UTC),
        note=body.note,
    )
    return ReviewOut.of(review)


@router.get("/subjects/{subject_id}/identity")
def subject_identity(
    subject_id: str, client: SubjectOrOperator, ledger: LedgerDep, request: Request
) -> IdentityOut:
    """The identity data linked to a subject, and how each piece was linked."""
    if client.role == "subject" and client.subject_id != subject_id:
        # one answer for "not yours" and "no such subject": nothing about others leaks
        raise ApiError(
            404, "not_found",
            N_("There is no identity data of subject {subject_id} that this client may see."),
            params={"subject_id": repr(subject_id)}, details={"subject_id": subject_id},
        )  # fmt: skip
    # an app built with a ledger only still reads the identity store of the configured workspace
    settings = request.app.state.settings or get_settings()
    store = IdentityStore(RecordStore(Workspace(settings.workspace).store_dir))
    links = [
        {"profile_id": x.profile_id, "match_weight": x.match_weight, "decided_by": x.decided_by,
         "linked_at": x.linked_at}
        for x in lg.identity_links(ledger, subject_id=subject_id)
    ]  # fmt: skip
    return IdentityOut(subject_id=subject_id, profiles=store.identity_of(subject_id), links=links)
