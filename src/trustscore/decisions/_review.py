"""Human review of decisions: why one is referred, what a reviewer may choose, the notice after.

A decision goes to a person when its score is near a cut-off, when the subject is unscorable
(``NS``), or when its inputs carry quality flags (an optional list of strings on the score row,
``quality``); the subject may also ask. Until a person decides, the decision is *pending
review*, never adverse. The reviewer chooses among the policy's outcomes within
``Policy.review_max_steps`` bands of the proposed one (all of them when None), so a review stays
within the policy's bounds; an adverse final outcome carries its notice, built here from the
case.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import pyarrow as pa

from trustscore.decisions._notice import REVIEW_REASON_TEXT, AdverseActionNotice, NoticeReason
from trustscore.decisions._policy import Policy
from trustscore.exceptions import SchemaError
from trustscore.i18n import N_
from trustscore.ledger import ReviewCase, ReviewOpening
from trustscore.scoring._artifact import MAX_REASONS, ScorecardArtifact

__all__ = [
    "PENDING_REVIEW",
    "REVIEW_REASON_TEXT",
    "referral",
    "referral_kinds",
    "review_notice",
    "review_openings",
    "review_options",
]

#: What a lender receives while a person has not decided: never a decline.
PENDING_REVIEW: Final = "pending_review"


def _flags(quality: Any) -> tuple[str, ...]:
    if quality is None:
        return ()
    if isinstance(quality, str):  # the scorers' quality column: "kind:characteristic;..."
        return tuple(f for f in quality.split(";") if f)
    return tuple(str(q) for q in quality if q)


def referral_kinds(
    policy: Policy, *, score: int | None, status: str, review: bool, quality: Any = None
) -> tuple[str, ...]:
    """Why a decision marked ``review`` goes to a person (empty when it is not marked).

    ``unscorable`` for status NS, ``flagged_input`` when the row carries quality flags (or a
    policy rule other than the cut-off margin referred it), ``near_cutoff`` within the policy's
    ``review_margin`` of a cut-off; the first is the case's kind.

    Examples
    --------
    >>> from trustscore.decisions import credit_pricing_policy
    >>> p = credit_pricing_policy("m1")
    >>> referral_kinds(p, score=765, status="OK", review=True)
    ('near_cutoff',)
    >>> referral_kinds(p, score=None, status="NS", review=True, quality=["stale_records"])
    ('unscorable', 'flagged_input')
    >>> referral_kinds(p, score=765, status="OK", review=False)
    ()
    """
    if not review:
        return ()
    kinds: list[str] = []
    if status == "NS":
        kinds.append("unscorable")
    if _flags(quality):
        kinds.append("flagged_input")
    near = (
        status == "OK"
        and score is not None
        and policy.review_margin > 0
        and any(abs(score - c) < policy.review_margin for c in policy.cutoffs)
    )
    if near:
        kinds.append("near_cutoff")
    return tuple(kinds) or ("flagged_input",)


def review_options(policy: Policy, proposed: str) -> list[dict[str, Any]]:
    """The outcomes a reviewer may choose: the policy's bands within ``review_max_steps``.

    Examples
    --------
    >>> from trustscore.decisions import credit_pricing_policy
    >>> [o["outcome"] for o in review_options(credit_pricing_policy("m1"), "C")]
    ['A', 'B', 'C', 'D', 'decline']
    >>> from dataclasses import replace
    >>> narrow = replace(credit_pricing_policy("m1"), review_max_steps=1)
    >>> [o["outcome"] for o in review_options(narrow, "C")]
    ['B', 'C', 'D']
    """
    bands = list(policy.bands)
    outcomes = [b.outcome for b in bands]
    steps = policy.review_max_steps
    if steps is not None and proposed in outcomes:
        i = outcomes.index(proposed)
        bands = bands[max(0, i - steps) : i + steps + 1]
    return [
        {"outcome": b.outcome, "label": b.label, "adverse": b.adverse, "terms": dict(b.terms)}
        for b in bands
    ]


def referral(
    policy: Policy, *, outcome: str, score: int | None, status: str, review: bool,
    quality: Any = None,
) -> dict[str, Any]:  # fmt: skip
    """What the service needs to open (or offer) a review of one decision, as plain JSON.

    ``referred`` says whether the decision must wait for a person; ``options`` and
    ``review_days`` are the policy's bounds and deadline, given for every decision so that a
    subject's later request can open a case too.

    Examples
    --------
    >>> from trustscore.decisions import credit_pricing_policy
    >>> r = referral(credit_pricing_policy("m1"), outcome="A", score=765, status="OK",
    ...              review=True)
    >>> (r["referred"], r["kinds"], r["review_days"], len(r["options"]))
    (True, ['near_cutoff'], 5, 5)
    """
    kinds = referral_kinds(policy, score=score, status=status, review=review, quality=quality)
    return {
        "referred": bool(kinds),
        "kinds": list(kinds),
        "proposed_outcome": outcome,
        "options": review_options(policy, outcome),
        "review_days": policy.review_days,
        "quality": list(_flags(quality)),
    }


def _reason_dicts(artifact: ScorecardArtifact, row: Mapping[str, Any]) -> list[dict[str, str]]:
    out = []
    for i in range(1, MAX_REASONS + 1):
        code = row.get(f"reason_{i}")
        if code:
            text, improve = artifact.reason_text(str(code))
            out.append({"code": str(code), "reason": text, "improve": improve})
    return out


def review_openings(
    policy: Policy, artifact: ScorecardArtifact, decided: pa.Table, *, key_prefix: str
) -> list[ReviewOpening]:
    """A case opening for every row of a :func:`~trustscore.decisions.decide` table in review.

    ``key_prefix`` names the run (e.g. ``"demo|2025-12-31"``): the case's referral key is the
    prefix, the purpose and the subject, so running the batch again opens nothing new. A
    ``quality`` column (a list of flag strings per row), if present, gives ``flagged_input``.
    """
    missing = [c for c in ("subject_id", "review", "outcome", "status", "score")
               if c not in decided.column_names]  # fmt: skip
    if missing:
        msg = f"The table has no column(s) {missing}; pass the table returned by decide()."
        raise SchemaError(msg, field=missing[0])
    dims = artifact.dimensions
    lo, hi = artifact.score_range
    out = []
    for row in decided.to_pylist():
        quality = row.get("quality")
        ref = referral(policy, outcome=row["outcome"], score=row["score"], status=row["status"],
                       review=bool(row["review"]), quality=quality)  # fmt: skip
        if not ref["referred"]:
            continue
        subject = str(row["subject_id"])
        out.append(
            ReviewOpening(
                referral_key=f"{key_prefix}|{policy.purpose}|{subject}", kind=ref["kinds"][0],
                kinds=ref["kinds"], subject_id=subject, purpose=policy.purpose,
                policy=policy.name, proposed_outcome=row["outcome"], options=ref["options"],
                review_days=policy.review_days,
                score=None if row["status"] == "NS" else int(row["score"]),
                score_status=row["status"], reasons=_reason_dicts(artifact, row),
                quality=ref["quality"],
                basis={"model_version": artifact.model_version, "score_range": [lo, hi],
                       "subscores": {name: row[name] for name, _ in dims
                                     if row.get(name) is not None}},
            )
        )  # fmt: skip
    return out


def _notice_reasons(case: ReviewCase) -> tuple[NoticeReason, ...]:
    reasons = []
    for r in case.reasons[:MAX_REASONS]:
        text = r.get("reason") or r.get("text") or str(r.get("code", ""))
        reasons.append(NoticeReason(str(r.get("code", "")), str(text), str(r.get("improve", ""))))
    return tuple(reasons)


def review_notice(
    case: ReviewCase, outcome: str, reason: str, note: str | None = None
) -> dict[str, Any] | None:
    """The adverse-action notice of a reviewer's final outcome (None when it is not adverse).

    The score's reasons as the case holds them, and the reviewer's documented reason (with the
    note, when given) first: the subject learns why a person decided so, and how to contest it.
    """
    option = case.option(outcome)
    if option is None or not option.get("adverse"):
        return None
    label = str(option.get("label") or outcome)
    why = REVIEW_REASON_TEXT.get(reason, reason)
    review_reason = NoticeReason(
        f"review:{reason}", why if not note else f"{why} {note}", N_("Ask for the file and "
        "dispute any record you believe is wrong; the decision is then reviewed again."),
    )  # fmt: skip
    basis = case.basis
    lo, hi = basis.get("score_range", [0, 1000])
    notice = AdverseActionNotice(
        subject_id=case.subject_id, outcome=outcome, label=label, purpose=case.purpose,
        policy=case.policy, model_version=str(basis.get("model_version", "")),
        score=0 if case.score is None else case.score, score_range=(int(lo), int(hi)),
        reasons=(review_reason, *_notice_reasons(case))[:MAX_REASONS],
        scored=case.score is not None,
    )  # fmt: skip
    out = notice.to_dict()
    out["reviewed"] = {"case_id": case.case_id, "reason": reason, "note": note}
    if case.score is None:
        # an unscorable subject has no score, never a zero
        out["score"] = None
        out["status"] = "NS"
    return out
