"""Decisions: the purpose guard, purpose-bound policies and adverse-action notices.

A :class:`Policy` is bound to one purpose and one model. :func:`decide` refuses a purpose the
model card does not list (and those no model may ever list), maps score bands to bounded
outcomes, sends scores near a cut-off and unscorable (NS) subjects to human review, and never
declines a subject for being unscorable. Adverse outcomes come with an
:class:`AdverseActionNotice`: up to four specific reasons, how each clears, and how to dispute.

Examples
--------
>>> from trustscore.decisions import policy_for
>>> policy_for("deposit_waiver", "m1").cutoffs
(620,)
"""

from __future__ import annotations

from trustscore.decisions._decide import (
    DECISION_COLUMNS,
    Decision,
    adverse_notices,
    decide,
    decide_one,
)
from trustscore.decisions._guard import check_purpose, negative_list
from trustscore.decisions._next_tier import next_tier
from trustscore.decisions._notice import (
    DISPUTE_ENDPOINT,
    AdverseActionNotice,
    NoticeReason,
    SubScore,
    localize_notice,
)
from trustscore.decisions._policy import (
    CLASSIC_SCALE,
    NS_EXPLANATION,
    TERM_BOUNDS,
    Band,
    Policy,
    credit_limit_policy,
    credit_pricing_policy,
    deposit_waiver_policy,
    on_scale,
    policy_for,
)
from trustscore.decisions._review import (
    PENDING_REVIEW,
    REVIEW_REASON_TEXT,
    referral,
    referral_kinds,
    review_notice,
    review_openings,
    review_options,
)
from trustscore.decisions._words import band_label, purpose_words

__all__ = [
    "CLASSIC_SCALE",
    "DECISION_COLUMNS",
    "DISPUTE_ENDPOINT",
    "NS_EXPLANATION",
    "PENDING_REVIEW",
    "REVIEW_REASON_TEXT",
    "TERM_BOUNDS",
    "AdverseActionNotice",
    "Band",
    "Decision",
    "NoticeReason",
    "Policy",
    "SubScore",
    "adverse_notices",
    "band_label",
    "check_purpose",
    "credit_limit_policy",
    "credit_pricing_policy",
    "decide",
    "decide_one",
    "deposit_waiver_policy",
    "localize_notice",
    "negative_list",
    "next_tier",
    "on_scale",
    "policy_for",
    "purpose_words",
    "referral",
    "referral_kinds",
    "review_notice",
    "review_openings",
    "review_options",
]
