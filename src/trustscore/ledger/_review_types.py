"""The review queue's plain values: a case, its referral kinds, reasons and periods."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

__all__ = [
    "REFERRAL_KINDS",
    "REVIEW_REASONS",
    "REVIEW_REQUEST_DAYS",
    "REVIEW_STATES",
    "ReviewCase",
    "ReviewOpening",
    "ReviewState",
]

#: Why a decision went to a person: near a cut-off, unscorable (NS), flagged inputs, or the
#: subject asked (GDPR Art. 22(3)).
REFERRAL_KINDS: Final = ("near_cutoff", "unscorable", "flagged_input", "subject_request")
#: The documented reasons a reviewer gives; ``confirmed`` only with the proposed outcome.
REVIEW_REASONS: Final = (
    "confirmed",
    "additional_information",
    "data_error",
    "policy_exception",
    "model_limitation",
    "subject_statement",
)
#: Days after a decision within which the subject may ask for a person to review it.
REVIEW_REQUEST_DAYS: Final = 30
REVIEW_STATES: Final = ("open", "escalated", "decided")
ReviewState = Literal["open", "escalated", "decided"]


@dataclass(frozen=True)
class ReviewOpening:
    """What opening a case needs; ``referral_key`` makes opening it again a no-op.

    ``options`` are the outcomes the reviewer may choose (``{"outcome", "label", "adverse",
    "terms"}``, the proposed one among them): the policy's bounds, worked out by
    :mod:`trustscore.decisions`. ``basis`` holds what an adverse notice needs later (model
    version, score range, sub-scores).
    """

    referral_key: str
    kind: str
    subject_id: str
    purpose: str
    policy: str
    proposed_outcome: str
    options: Sequence[Mapping[str, Any]]
    review_days: int
    score: int | None = None
    score_status: str = "OK"
    reasons: Sequence[Mapping[str, Any]] = ()
    quality: Sequence[str] = ()
    kinds: Sequence[str] = ()
    decision_id: int | None = None
    basis: Mapping[str, Any] = field(default_factory=dict)
    statement: str | None = None
    documents: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class ReviewCase:
    """A decision waiting for (or decided by) a person, with everything they need to decide."""

    case_id: str
    referral_key: str
    kind: str
    kinds: tuple[str, ...]
    subject_id: str
    purpose: str
    policy: str
    decision_id: int | None
    score: int | None
    score_status: str
    reasons: tuple[dict[str, Any], ...]
    quality: tuple[str, ...]
    proposed_outcome: str
    options: tuple[dict[str, Any], ...]
    basis: dict[str, Any]
    state: str
    opened_at: dt.datetime
    opened_by: str
    deadline: dt.datetime
    statement: str | None
    documents: tuple[dict[str, Any], ...]
    escalated_at: dt.datetime | None
    final_outcome: str | None
    final_adverse: bool | None
    final_notice: dict[str, Any] | None
    final_decision_id: int | None
    reason: str | None
    note: str | None
    reviewer: str | None
    decided_at: dt.datetime | None

    @property
    def pending(self) -> bool:
        """Whether no person has decided yet (open or escalated): nothing adverse meanwhile."""
        return self.state != "decided"

    @property
    def overridden(self) -> bool | None:
        """Whether the reviewer chose another outcome than the proposed one.

        None while undecided, and for a case that proposed no outcome of its options (an
        unscorable subject's ``refer``): there the reviewer's choice is the first decision.
        """
        if self.final_outcome is None or self.option(self.proposed_outcome) is None:
            return None
        return self.final_outcome != self.proposed_outcome

    def option(self, outcome: str) -> dict[str, Any] | None:
        """The option with this outcome, or None if it is outside the case's bounds."""
        return next((o for o in self.options if o.get("outcome") == outcome), None)
