"""Policies: score bands mapped to bounded outcomes, bound to one purpose and one model."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from trustscore.exceptions import SchemaError
from trustscore.safeguards import APPROVABLE_PURPOSES, check_purpose_approvable

__all__ = [
    "CLASSIC_SCALE",
    "NS_EXPLANATION",
    "TERM_BOUNDS",
    "Band",
    "Policy",
    "credit_limit_policy",
    "credit_pricing_policy",
    "deposit_waiver_policy",
    "on_scale",
    "policy_for",
]

SCORE_FLOOR: Final = 0

NS_EXPLANATION: Final = (
    "Not enough history to compute a score (status NS). Unscorable is not bad: the application "
    "goes to a person, who decides on other information; it is never declined automatically."
)

# The only term each purpose may set, with its bounds: outcomes stay bounded by construction.
TERM_BOUNDS: Final[dict[str, tuple[str, type, float, float]]] = {
    "credit_pricing": ("rate_margin_pct", float, 0.0, 15.0),
    "credit_limit": ("credit_limit", int, 0, 50_000),
    "deposit_waiver": ("deposit_waived", bool, 0, 1),
}

DECLINE: Final = "decline"


@dataclass(frozen=True)
class Band:
    """A score band: scores from ``min_score`` up to the next band's ``min_score`` (exclusive).

    Parameters
    ----------
    min_score : int
        Lowest score in the band.
    outcome : str
        Machine-readable outcome, e.g. ``"A"`` or ``"decline"``.
    label : str
        Human-readable outcome shown to the subject.
    adverse : bool
        Whether the outcome is an adverse action (decline or less favourable terms); adverse
        outcomes come with an :class:`AdverseActionNotice`.
    terms : mapping
        The bounded terms of the outcome (see :data:`TERM_BOUNDS`); empty for a decline.

    Examples
    --------
    >>> Band(700, "A", "Tier A", adverse=False, terms={"rate_margin_pct": 1.5}).terms
    {'rate_margin_pct': 1.5}
    """

    min_score: int
    outcome: str
    label: str
    adverse: bool = False
    terms: Mapping[str, Any] = field(default_factory=dict, hash=False)


def _policy_error(policy: str, msg: str, **ctx: Any) -> SchemaError:
    return SchemaError(f"Policy {policy!r}: {msg}", policy=policy, **ctx)


@dataclass(frozen=True)
class Policy:
    """Maps scores of one model to bounded outcomes for one purpose.

    The policy validates itself on construction: the purpose must be approvable, bands must be
    ordered from the highest ``min_score`` down to a last band starting at 0 (so every score
    has a band), and each band's terms must be the purpose's one bounded term.

    Parameters
    ----------
    name : str
        Name of the policy, shown in decisions and notices.
    purpose : str
        The one purpose the policy serves (see :data:`trustscore.safeguards.APPROVABLE_PURPOSES`).
    model_version : str
        The one model whose scores the policy accepts.
    bands : tuple of Band
        Highest band first; the last band has ``min_score == 0``.
    review_margin : int, default 10
        A score fewer than this many points from a cut-off goes to human review (0: never).
    ns_outcome : str, default "refer"
        The outcome of an unscorable (NS) subject: referred to a person, never adverse.
    review_flagged : bool, default False
        Send every score whose inputs carry input-quality flags (an impossible value, one
        outside the range the model was trained on, an unseen level, an unexpected missing
        value: the ``quality`` column of ``score(..., quality=True)``) to human review.
    review_days : int, default 5
        Working days (Monday to Friday) a person has to decide a review case; past them the
        deadline job escalates the case (the decision stays pending, never adverse).
    review_max_steps : int or None, default None
        How far a reviewer may move a case from its proposed outcome, in bands (1: the next
        band up or down); None: to any of the policy's outcomes.

    Examples
    --------
    >>> p = Policy("waiver", "deposit_waiver", "m1", bands=(
    ...     Band(600, "waive", "Deposit waived", terms={"deposit_waived": True}),
    ...     Band(0, "deposit", "Deposit required", adverse=True, terms={"deposit_waived": False})))
    >>> p.cutoffs
    (600,)
    >>> p.band_for(640).outcome, p.band_for(599).outcome
    ('waive', 'deposit')
    """

    name: str
    purpose: str
    model_version: str
    bands: tuple[Band, ...]
    review_margin: int = 10
    ns_outcome: str = "refer"
    review_flagged: bool = False
    review_days: int = 5
    review_max_steps: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "bands", tuple(self.bands))
        if not self.name:
            msg = "A policy needs a name."
            raise SchemaError(msg, field="name")
        check_purpose_approvable(self.purpose)
        if not self.model_version:
            raise _policy_error(self.name, "it must name the one model version it applies to.")
        self._check_bands()
        if isinstance(self.review_margin, bool) or not isinstance(self.review_margin, int):
            raise _policy_error(self.name, "review_margin must be an int >= 0.")
        if self.review_margin < 0:
            msg = f"review_margin must be an int >= 0. Got {self.review_margin!r} instead."
            raise _policy_error(self.name, msg, field="review_margin")
        if not isinstance(self.review_flagged, bool):
            msg = f"review_flagged must be True or False. Got {self.review_flagged!r} instead."
            raise _policy_error(self.name, msg, field="review_flagged")
        self._check_review()
        adverse = {b.outcome for b in self.bands if b.adverse} | {DECLINE}
        if not self.ns_outcome or self.ns_outcome in adverse:
            msg = (
                f"ns_outcome is {self.ns_outcome!r}, an adverse outcome. An unscorable (NS) "
                "subject must be referred to human review, never declined: use 'refer'."
            )
            raise _policy_error(self.name, msg, field="ns_outcome")

    def _check_review(self) -> None:
        days, steps = self.review_days, self.review_max_steps
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            msg = f"review_days must be an int >= 1 (working days). Got {days!r} instead."
            raise _policy_error(self.name, msg, field="review_days")
        if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int)
                                  or steps < 1):  # fmt: skip
            msg = f"review_max_steps must be None or an int >= 1. Got {steps!r} instead."
            raise _policy_error(self.name, msg, field="review_max_steps")

    def _check_bands(self) -> None:
        if not self.bands:
            raise _policy_error(self.name, "it has no bands.")
        mins = [b.min_score for b in self.bands]
        if any(hi <= lo for hi, lo in itertools.pairwise(mins)):
            msg = (
                f"bands must be ordered from the highest min_score down, each strictly lower; "
                f"got min_scores {mins}."
            )
            raise _policy_error(self.name, msg, field="bands")
        if mins[-1] != SCORE_FLOOR:
            msg = (
                f"the last band starts at {mins[-1]}, so lower scores would have no outcome; "
                f"make the last band start at {SCORE_FLOOR}."
            )
            raise _policy_error(self.name, msg, field="bands")
        if mins[0] > 1000:
            msg = f"the top band starts at {mins[0]}, above the highest score 1000."
            raise _policy_error(self.name, msg, field="bands")
        outcomes = [b.outcome for b in self.bands]
        if len(set(outcomes)) != len(outcomes):
            raise _policy_error(self.name, f"outcomes repeat: {outcomes}.", field="bands")
        for band in self.bands:
            self._check_terms(band)

    def _check_terms(self, band: Band) -> None:
        key, kind, lo, hi = TERM_BOUNDS[self.purpose]
        terms = dict(band.terms)
        if band.outcome == DECLINE:
            if not band.adverse or terms:
                msg = "a 'decline' band must be adverse and carry no terms."
                raise _policy_error(self.name, msg, field="bands", outcome=band.outcome)
            return
        if set(terms) != {key}:
            msg = (
                f"band {band.outcome!r} has terms {sorted(terms)}; a {self.purpose} policy sets "
                f"exactly one term, {key!r} ({kind.__name__} in {lo}..{hi})."
            )
            raise _policy_error(self.name, msg, field="terms", outcome=band.outcome)
        value = terms[key]
        ok_type = (
            isinstance(value, bool)
            if kind is bool
            else (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and (kind is float or isinstance(value, int))
            )
        )
        if not ok_type or not lo <= value <= hi:
            msg = (
                f"band {band.outcome!r} sets {key}={value!r}; it must be a {kind.__name__} in "
                f"{lo}..{hi}."
            )
            raise _policy_error(self.name, msg, field=key, value=value)

    @property
    def cutoffs(self) -> tuple[int, ...]:
        """The cut-offs between bands (the ``min_score`` of every band but the last), high first."""
        return tuple(b.min_score for b in self.bands[:-1])

    def band_for(self, score: int) -> Band:
        """The band a score falls in."""
        for band in self.bands:
            if score >= band.min_score:
                return band
        return self.bands[-1]


#: The classic scale the default cut-offs are written on: 600 points at odds 20:1 (good:bad),
#: 40 points to double the odds.
CLASSIC_SCALE: Final = {"anchor_score": 600.0, "anchor_odds": 20.0, "pdo": 40.0}


def on_scale(classic: float, scaling: Mapping[str, Any] | None) -> int:
    """The score that means, on a model's scale, the odds ``classic`` means on the classic one.

    A model's scores are its own (``trustscore`` spreads each model over 0-1000): a cut-off
    keeps its meaning, the odds of a bad outcome, only if it moves with the scale. ``scaling``
    is the artifact's scaling record (``score_factor``, ``score_offset``: ``ln(odds) = (score -
    offset) / factor``); None keeps the classic score.

    Examples
    --------
    >>> on_scale(760, None)
    760
    >>> on_scale(760, {"score_factor": 40 / math.log(2), "score_offset": 600 - 40 * math.log2(20)})
    760
    >>> on_scale(700, {"score_factor": 100.0, "score_offset": 300.0})
    773
    >>> on_scale(700, {"pdo": 40.0, "anchor_score": 600, "anchor_odds": 20.0})
    700
    """
    if scaling is None:
        return round(classic)
    c = CLASSIC_SCALE
    ln_odds = math.log(c["anchor_odds"]) + (classic - c["anchor_score"]) / c["pdo"] * math.log(2)
    # the model's own reading of a scaling record (imported here: the model package brings
    # scikit-learn, which a policy built from given cut-offs does not need)
    from trustscore.model._scaling import score_scale

    factor, offset = score_scale(scaling)
    score = offset + factor * ln_odds
    return int(min(max(round(score), SCORE_FLOOR + 1), 1000))


def _check_cutoffs(cutoffs: Sequence[float], n: int, factory: str) -> None:
    if len(cutoffs) != n:
        msg = f"{factory} needs {n} cut-offs (highest first); got {list(cutoffs)}."
        raise SchemaError(msg, field="cutoffs")


def credit_pricing_policy(
    model_version: str,
    *,
    cutoffs: Sequence[int] | None = None,
    rate_margins: Sequence[float] = (1.5, 3.0, 5.0, 8.0),
    review_margin: int = 10,
    scaling: Mapping[str, Any] | None = None,
) -> Policy:
    """Pricing tiers A to D over the base rate, and decline below the lowest cut-off.

    Tier D is adverse as well as decline: it gives materially less favourable terms, which
    call for a risk-based pricing notice. ``cutoffs`` default to 760, 700, 640 and 580 on the
    classic scale, moved onto the model's own scale by ``scaling`` (:func:`on_scale`), so a
    tier means the same odds whatever the model's scale.

    Examples
    --------
    >>> p = credit_pricing_policy("m1")
    >>> [(b.outcome, b.min_score) for b in p.bands]
    [('A', 760), ('B', 700), ('C', 640), ('D', 580), ('decline', 0)]
    >>> p.band_for(650).terms
    {'rate_margin_pct': 5.0}
    """
    if cutoffs is None:
        cutoffs = [on_scale(c, scaling) for c in (760, 700, 640, 580)]
    _check_cutoffs(cutoffs, 4, "credit_pricing_policy")
    _check_cutoffs(rate_margins, 4, "credit_pricing_policy (rate_margins)")
    bands = [
        Band(
            int(c),
            tier,
            f"Tier {tier}: base rate + {float(m):.2f}%",
            adverse=tier == "D",
            terms={"rate_margin_pct": float(m)},
        )
        for tier, c, m in zip("ABCD", cutoffs, rate_margins, strict=True)
    ]
    bands.append(Band(SCORE_FLOOR, DECLINE, "Declined", adverse=True))
    return Policy(
        "credit pricing tiers A-D",
        "credit_pricing",
        model_version,
        tuple(bands),
        review_margin=review_margin,
    )


def credit_limit_policy(
    model_version: str,
    *,
    cutoffs: Sequence[int] | None = None,
    limits: Sequence[int] = (5000, 2500, 1000),
    review_margin: int = 10,
    scaling: Mapping[str, Any] | None = None,
) -> Policy:
    """Three credit limits, and decline (adverse) below the lowest cut-off.

    ``cutoffs`` default to 740, 660 and 600 on the classic scale, moved onto the model's own
    scale by ``scaling`` (:func:`on_scale`).

    Examples
    --------
    >>> p = credit_limit_policy("m1")
    >>> [(b.outcome, b.terms) for b in p.bands[:2]]
    [('limit_5000', {'credit_limit': 5000}), ('limit_2500', {'credit_limit': 2500})]
    """
    if cutoffs is None:
        cutoffs = [on_scale(c, scaling) for c in (740, 660, 600)]
    _check_cutoffs(cutoffs, 3, "credit_limit_policy")
    _check_cutoffs(limits, 3, "credit_limit_policy (limits)")
    bands = [
        Band(
            int(c),
            f"limit_{int(lim)}",
            f"Credit limit {int(lim)}",
            terms={"credit_limit": int(lim)},
        )
        for c, lim in zip(cutoffs, limits, strict=True)
    ]
    bands.append(Band(SCORE_FLOOR, DECLINE, "Declined", adverse=True))
    return Policy(
        "credit limits", "credit_limit", model_version, tuple(bands), review_margin=review_margin
    )


def deposit_waiver_policy(
    model_version: str,
    *,
    cutoff: int | None = None,
    review_margin: int = 10,
    scaling: Mapping[str, Any] | None = None,
) -> Policy:
    """Deposit waived at or above ``cutoff``; below it a deposit is required (adverse).

    ``cutoff`` defaults to 620 on the classic scale, moved onto the model's own scale by
    ``scaling`` (:func:`on_scale`).

    Examples
    --------
    >>> [(b.outcome, b.adverse) for b in deposit_waiver_policy("m1").bands]
    [('waive', False), ('deposit_required', True)]
    """
    if cutoff is None:
        cutoff = on_scale(620, scaling)
    bands = (
        Band(int(cutoff), "waive", "Deposit waived", terms={"deposit_waived": True}),
        Band(
            SCORE_FLOOR,
            "deposit_required",
            "Deposit required",
            adverse=True,
            terms={"deposit_waived": False},
        ),
    )
    return Policy(
        "deposit waiver", "deposit_waiver", model_version, bands, review_margin=review_margin
    )


_FACTORIES: Final[dict[str, Callable[..., Policy]]] = {
    "credit_pricing": credit_pricing_policy,
    "credit_limit": credit_limit_policy,
    "deposit_waiver": deposit_waiver_policy,
}


def policy_for(
    purpose: str, model_version: str, *, scaling: Mapping[str, Any] | None = None
) -> Policy:
    """The default policy for a purpose; refuses never-approvable and unknown purposes.

    ``scaling`` (the model's scaling record) moves the default cut-offs onto the model's scale.

    Raises
    ------
    NeverApprovablePurposeError
        For a purpose that can never be approved.
    PurposeError
        For an unknown purpose.

    Examples
    --------
    >>> policy_for("credit_limit", "m1").purpose
    'credit_limit'
    >>> policy_for("employment", "m1")
    Traceback (most recent call last):
    ...
    trustscore.exceptions.NeverApprovablePurposeError: The purpose 'employment' can never...
    """
    check_purpose_approvable(purpose)
    factory = _FACTORIES.get(purpose)
    if factory is None:  # pragma: no cover - a purpose added to safeguards without a policy
        known = ", ".join(sorted(APPROVABLE_PURPOSES))
        msg = f"No default policy for {purpose!r}; write a Policy. Known defaults: {known}."
        raise SchemaError(msg, purpose=purpose)
    return factory(model_version, scaling=scaling)
