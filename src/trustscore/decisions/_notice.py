"""The adverse-action notice: why, how to clear it, and the subject's rights."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from trustscore.decisions._words import band_label, policy_words, purpose_words
from trustscore.i18n import DEFAULT_LOCALE, N_, translate
from trustscore.ledger import REVIEW_REQUEST_DAYS
from trustscore.scoring._statements import translate_statement

__all__ = [
    "DISPUTE_ENDPOINT",
    "REVIEW_REASON_TEXT",
    "AdverseActionNotice",
    "NoticeReason",
    "SubScore",
    "localize_notice",
]

DISPUTE_ENDPOINT: Final = "POST /v1/disputes"
REVIEW_ENDPOINT: Final = "POST /v1/reviews"

#: The documented reasons a reviewer chooses from (see ``trustscore.ledger.REVIEW_REASONS``).
REVIEW_REASON_TEXT: Final = {
    "confirmed": N_("A person checked the automated decision and confirmed it."),
    "additional_information": N_("Information beyond the score, given or found, changed the view."),
    "data_error": N_("A record behind the score was wrong or incomplete."),
    "policy_exception": N_("The policy provides for an exception in this situation."),
    "model_limitation": N_("The score does not describe this subject well (the model's limits)."),
    "subject_statement": N_("The subject's point of view changed the decision."),
}


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

    #: False for an unscorable subject (a reviewer's decision): the notice says there is no
    #: score, never a zero
    scored: bool = True

    @property
    def rights(self) -> tuple[str, ...]:
        """The subject's rights, in plain words (English; :meth:`rights_in` for a locale)."""
        return self.rights_in(DEFAULT_LOCALE)

    def rights_in(self, locale: str) -> tuple[str, ...]:
        """The subject's rights, in plain words, in ``locale``."""
        subject = self.subject_id or translate(locale, "<your subject id>")
        return (
            translate(
                locale,
                "You have the right to a free copy of your file: every record used, the score, "
                "the reasons and who looked at your file. Open your subject page, or ask us.",
            ),
            translate(
                locale,
                "You have the right to dispute any record you believe is wrong or incomplete. "
                "Open a dispute on your subject page, or send {endpoint} with your subject id "
                "({subject}), the record id and what is wrong. The record is checked with the "
                "organisation that reported it; if it cannot be verified it is corrected or "
                "removed and your score is recomputed.",
                endpoint=DISPUTE_ENDPOINT,
                subject=subject,
            ),
            translate(
                locale,
                "You have the right to ask a person to review this decision, to give your point "
                "of view and to contest it (GDPR Art. 22(3)): within {days} days, on your "
                "subject page or with {endpoint}.",
                days=REVIEW_REQUEST_DAYS,
                endpoint=REVIEW_ENDPOINT,
            ),
            translate(
                locale,
                "The decision was made for one purpose only ({purpose}); the score may not be "
                "used for anything else.",
                purpose=purpose_words(self.purpose, locale),
            ),
        )

    def text(self, locale: str = DEFAULT_LOCALE) -> str:
        """The notice as plain text, in ``locale``.

        The reasons' and labels' texts are shown as they are: :func:`localize_notice` gives a
        notice whose texts are in the locale.
        """
        lo, hi = self.score_range
        if self.scored:
            score_line = translate(
                locale, "Your score: {score} on a range of {low} to {high} (model {model}).",
                score=self.score, low=lo, high=hi, model=self.model_version,
            )  # fmt: skip
        else:
            score_line = translate(
                locale, "You have no score: not enough history (unscorable is not bad)."
            )
        lines = [
            translate(locale, "Notice of adverse action: {label}", label=self.label),
            "",
            translate(locale, "Subject: {subject}", subject=self.subject_id)
            if self.subject_id
            else translate(locale, "Subject: (not given)"),
            translate(
                locale,
                "Purpose: {purpose} (policy: {policy})",
                purpose=purpose_words(self.purpose, locale),
                policy=self.policy,
            ),
            score_line,
            *(
                "  "
                + translate(
                    locale,
                    "{label}: {points} on a range of {low} to {high}",
                    label=d.label,
                    points=d.points,
                    low=d.min_points,
                    high=d.max_points,
                )
                for d in self.subscores
            ),
            "",
            translate(locale, "The main reasons for this decision:"),
        ]
        if self.reasons:
            for i, r in enumerate(self.reasons, start=1):
                lines.append(
                    f"  {i}. "
                    + translate(locale, "{reason} ({code})", reason=r.reason, code=r.code)
                )
                if r.improve:
                    clears = translate(
                        locale, "How this clears: {how}.", how=r.improve.rstrip(".。")
                    )
                    lines.append(f"     {clears}")
        else:
            sentence = translate(
                locale,
                "No single characteristic lowered your score; the score as a whole fell below "
                "the cut-off.",
            )
            if locale == DEFAULT_LOCALE:  # on two lines, as English notices have always read
                head, _, tail = sentence.partition(" fell ")
                lines += [f"  {head}", f"  fell {tail}"]
            else:
                lines.append(f"  {sentence}")
        lines += ["", translate(locale, "Your rights:")]
        lines += [f"  - {right}" for right in self.rights_in(locale)]
        return "\n".join(lines) + "\n"

    def to_dict(self, locale: str = DEFAULT_LOCALE) -> dict[str, Any]:
        """JSON-ready form, the text (in ``locale``) included."""
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
            "rights": list(self.rights_in(locale)),
            "text": self.text(locale),
        }


def localize_notice(notice: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """A notice as :meth:`AdverseActionNotice.to_dict` gives it (the ledger keeps it in
    English), with every text a person reads in ``locale``.

    The reasons, how they clear, the labels and the policy are looked up in the catalogue by
    their English text (a text no catalogue holds stays in English); the sentences of the
    notice and the rights come from the catalogue. Machine fields are left as they are. In
    English the notice is returned as it is.

    Examples
    --------
    >>> n = AdverseActionNotice(
    ...     subject_id="s1", outcome="decline", label="Declined", purpose="credit_pricing",
    ...     policy="credit pricing tiers A-D", model_version="m1", score=512,
    ...     score_range=(0, 1000),
    ...     reasons=(NoticeReason("PR03", "Bills paid 30 or more days late in the last 24 months",
    ...                           ""),))
    >>> zh = localize_notice(n.to_dict(), "zh-CN")
    >>> zh["label"], zh["reasons"][0]["reason"], zh["reasons"][0]["code"]
    ('已拒绝', '过去 24 个月内有账单逾期 30 天或以上支付', 'PR03')
    >>> print(zh["text"].splitlines()[0])
    不利决定通知：已拒绝
    >>> localize_notice(n.to_dict(), "en") == n.to_dict()
    True
    """
    out = dict(notice)
    reasons_given = notice.get("reasons", [])
    made_here = "text" in notice and all(isinstance(r, Mapping) for r in reasons_given)
    if locale == DEFAULT_LOCALE or not made_here:
        # another provider's own notice, in its own shape: shown as it is
        return out
    reviewed = notice.get("reviewed")
    reasons = []
    for r in reasons_given:
        code, text, improve = str(r.get("code", "")), str(r.get("reason", "")), r.get("improve")
        if isinstance(reviewed, Mapping) and code == f"review:{reviewed.get('reason')}":
            # a reviewer's reason: its documented text, then the reviewer's own note as written
            why = REVIEW_REASON_TEXT.get(str(reviewed.get("reason")))
            if why is not None:
                note = reviewed.get("note")
                text = translate(locale, why) + (f" {note}" if note else "")
        else:
            text = translate_statement(text, locale)
        reasons.append(NoticeReason(code, text, translate(locale, str(improve)) if improve else ""))
    lo, hi = notice.get("score_range", [0, 1000])
    score = notice.get("score")
    localized = AdverseActionNotice(
        subject_id=notice.get("subject_id"),
        outcome=str(notice.get("outcome", "")),
        label=band_label(str(notice.get("label", "")), locale),
        purpose=str(notice.get("purpose", "")),
        policy=policy_words(str(notice.get("policy", "")), locale),
        model_version=str(notice.get("model_version", "")),
        score=0 if score is None else int(score),
        score_range=(int(lo), int(hi)),
        reasons=tuple(reasons),
        subscores=tuple(
            SubScore(
                translate(locale, str(d["label"])), d["points"], d["min_points"], d["max_points"]
            )
            for d in notice.get("subscores", [])
        ),
        scored=score is not None,
    )
    out.update(
        label=localized.label,
        policy=localized.policy,
        reasons=[r.to_dict() for r in localized.reasons],
        subscores=[d.to_dict() for d in localized.subscores],
        rights=list(localized.rights_in(locale)),
        text=localized.text(locale),
    )
    return out
