"""The adverse-action notice: why, how to clear it, and the subject's rights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from trustscore.ledger import REVIEW_REQUEST_DAYS

__all__ = ["DISPUTE_ENDPOINT", "AdverseActionNotice", "NoticeReason", "SubScore"]

DISPUTE_ENDPOINT: Final = "POST /v1/disputes"
REVIEW_ENDPOINT: Final = "POST /v1/reviews"


@dataclass(frozen=True)
class NoticeReason:
    """One specific reason: its code, the model's text for it, and how it clears."""

    code: str
    reason: str
    improve: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"code": self.code, "reason": self.reason, "improve": self.improve}


@dataclass(frozen=True)
class SubScore:
    """One dimension's points, shown with the least and most the model can give it."""

    label: str
    points: int
    min_points: int
    max_points: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "label": self.label,
            "points": self.points,
            "min_points": self.min_points,
            "max_points": self.max_points,
        }


@dataclass(frozen=True)
class AdverseActionNotice:
    """What a subject is told after an adverse outcome.

    Parameters
    ----------
    subject_id : str or None
        The subject, when known.
    outcome : str
        The adverse outcome (e.g. ``"decline"``).
    label : str
        The outcome in words.
    purpose : str
        What the score was used for.
    policy : str
        The policy's name.
    model_version : str
        The model that produced the score.
    score : int
        The subject's score.
    score_range : tuple of int
        Lowest and highest score this model can give.
    reasons : tuple of NoticeReason
        Up to four specific reasons, most important first.
    subscores : tuple of SubScore
        The points of each dimension, with its range.

    Examples
    --------
    >>> n = AdverseActionNotice(
    ...     subject_id="s1", outcome="decline", label="Declined", purpose="credit_pricing",
    ...     policy="tiers", model_version="m1", score=512, score_range=(0, 1000),
    ...     reasons=(NoticeReason("PR01", "Bills paid late", "Pay each bill by its due date"),))
    >>> print(n.text().splitlines()[0])
    Notice of adverse action: Declined
    >>> "POST /v1/disputes" in n.text()
    True
    """

    subject_id: str | None
    outcome: str
    label: str
    purpose: str
    policy: str
    model_version: str
    score: int
    score_range: tuple[int, int]
    reasons: tuple[NoticeReason, ...]
    subscores: tuple[SubScore, ...] = ()

    @property
    def rights(self) -> tuple[str, ...]:
        """The subject's rights, in plain words."""
        subject = self.subject_id or "<your subject id>"
        return (
            "You have the right to a free copy of your file: every record used, the score, the "
            "reasons and who looked at your file. Open your subject page, or ask us.",
            "You have the right to dispute any record you believe is wrong or incomplete. "
            f"Open a dispute on your subject page, or send {DISPUTE_ENDPOINT} with your subject "
            f"id ({subject}), the record id and what is wrong. The record is checked with the "
            "organisation that reported it; if it cannot be verified it is corrected or removed "
            "and your score is recomputed.",
            "You have the right to ask a person to review this decision, to give your point of "
            f"view and to contest it (GDPR Art. 22(3)): within {REVIEW_REQUEST_DAYS} days, on "
            f"your subject page or with {REVIEW_ENDPOINT}.",
            "The decision was made for one purpose only "
            f"({self.purpose.replace('_', ' ')}); the score may not be used for anything else.",
        )

    def text(self) -> str:
        """The notice as plain text."""
        lo, hi = self.score_range
        lines = [
            f"Notice of adverse action: {self.label}",
            "",
            f"Subject: {self.subject_id}" if self.subject_id else "Subject: (not given)",
            f"Purpose: {self.purpose.replace('_', ' ')} (policy: {self.policy})",
            f"Your score: {self.score} on a range of {lo} to {hi} (model {self.model_version}).",
            *(
                f"  {d.label}: {d.points} on a range of {d.min_points} to {d.max_points}"
                for d in self.subscores
            ),
            "",
            "The main reasons for this decision:",
        ]
        if self.reasons:
            for i, r in enumerate(self.reasons, start=1):
                lines.append(f"  {i}. {r.reason} ({r.code})")
                if r.improve:
                    lines.append(f"     How this clears: {r.improve.rstrip('.')}.")
        else:
            lines.append("  No single characteristic lowered your score; the score as a whole")
            lines.append("  fell below the cut-off.")
        lines += ["", "Your rights:"]
        lines += [f"  - {right}" for right in self.rights]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, the text included."""
        return {
            "subject_id": self.subject_id,
            "outcome": self.outcome,
            "label": self.label,
            "purpose": self.purpose,
            "policy": self.policy,
            "model_version": self.model_version,
            "score": self.score,
            "score_range": list(self.score_range),
            "subscores": [d.to_dict() for d in self.subscores],
            "reasons": [r.to_dict() for r in self.reasons],
            "rights": list(self.rights),
            "text": self.text(),
        }
