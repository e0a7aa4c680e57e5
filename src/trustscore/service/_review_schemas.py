"""Request and response bodies of the review queue's endpoints."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from trustscore import ledger as lg

__all__ = ["ReviewDecision", "ReviewDocument", "ReviewOut", "ReviewRequest"]

_STRICT = ConfigDict(extra="forbid")

# The OpenAPI enum needs the reasons spelled out; a test keeps them equal to REVIEW_REASONS.
ReviewReason = Literal[
    "confirmed",
    "additional_information",
    "data_error",
    "policy_exception",
    "model_limitation",
    "subject_statement",
]


class ReviewDecision(BaseModel):
    """A reviewer's decision: one of the case's options and a documented reason."""

    model_config = _STRICT
    outcome: str = Field(min_length=1, max_length=128)
    reason: ReviewReason
    note: str | None = Field(default=None, max_length=4000)


class ReviewDocument(BaseModel):
    """A document the subject adds to their request: a name and its text."""

    model_config = _STRICT
    name: str = Field(min_length=1, max_length=256)
    text: str = Field(min_length=1, max_length=20_000)


class ReviewRequest(BaseModel):
    """A subject asks a person to review one of their decisions, with their point of view."""

    model_config = _STRICT
    decision_id: int = Field(ge=1)
    statement: str = Field(min_length=1, max_length=4000)
    documents: list[ReviewDocument] = Field(default_factory=list, max_length=10)


class ReviewOut(BaseModel):
    """A review case and where it stands. Subjects are not shown the clients' ids."""

    case_id: str
    kind: str
    kinds: list[str]
    subject_id: str
    purpose: str
    policy: str
    decision_id: int | None
    score: int | None
    score_status: str
    reasons: list[dict[str, Any]]
    quality: list[str]
    proposed_outcome: str
    options: list[dict[str, Any]]
    state: Literal["open", "escalated", "decided"]
    opened_at: dt.datetime
    deadline: dt.datetime
    opened_by: str | None
    statement: str | None
    documents: list[dict[str, Any]]
    escalated_at: dt.datetime | None
    final_outcome: str | None
    final_adverse: bool | None
    final_notice: dict[str, Any] | None
    final_decision_id: int | None
    reason: str | None
    note: str | None
    reviewer: str | None
    decided_at: dt.datetime | None

    @classmethod
    def of(cls, case: lg.ReviewCase, *, for_subject: bool = False) -> ReviewOut:
        return cls(
            case_id=case.case_id, kind=case.kind, kinds=list(case.kinds),
            subject_id=case.subject_id, purpose=case.purpose, policy=case.policy,
            decision_id=case.decision_id, score=case.score, score_status=case.score_status,
            reasons=list(case.reasons), quality=list(case.quality),
            proposed_outcome=case.proposed_outcome, options=list(case.options),
            state=case.state,  # type: ignore[arg-type]
            opened_at=case.opened_at, deadline=case.deadline,
            opened_by=None if for_subject else case.opened_by, statement=case.statement,
            documents=list(case.documents), escalated_at=case.escalated_at,
            final_outcome=case.final_outcome, final_adverse=case.final_adverse,
            final_notice=case.final_notice, final_decision_id=case.final_decision_id,
            reason=case.reason, note=case.note,
            reviewer=None if for_subject else case.reviewer, decided_at=case.decided_at,
        )  # fmt: skip
