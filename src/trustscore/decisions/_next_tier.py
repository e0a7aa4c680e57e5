"""The way to the next tier: the fewest actionable changes that reach the next band up.

For a scored subject below a policy's top band, the band above theirs has a cut-off; the
points that separate the score from it are searched for exactly over the card
(:func:`trustscore.scoring._changes.find_changes`): the smallest set of changes the subject can
make (characteristics declared ``"time"`` or ``"fixed"`` are not actions, and moving a value to
missing never is), among those the one that adds the most, with the points each adds and the
values that earn them. When no set of changes reaches the cut-off, the answer says so, with the
most any set adds. The score the changes give is computed by the scorer, not added up here.

Examples
--------
>>> from trustscore.decisions import deposit_waiver_policy
>>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
>>> art = ScorecardArtifact.from_dict(example_artifact_dict())
>>> policy = deposit_waiver_policy("example-1", cutoff=100)
>>> out = next_tier(art, policy, {"on_time_rate": 0.5, "card_kind": "none", "months_history": 12})
>>> out["score"], out["band"]["outcome"], out["next"]["outcome"], out["points_needed"]
(45, 'deposit_required', 'waive', 55)
>>> [(c["name"], c["value"], c["points"], c["range"]) for c in out["path"]["changes"]]
[('card_kind', 'card', 80, 'card, loan')]
>>> out["path"]["score"], out["path"]["outcome"]
(125, 'waive')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trustscore.decisions._policy import Band, Policy
from trustscore.decisions._words import band_label, purpose_words
from trustscore.i18n import DEFAULT_LOCALE, translate
from trustscore.scoring import ScorecardArtifact, score
from trustscore.scoring._changes import (
    Change,
    apply_changes,
    find_changes,
    most_points,
    row_table,
)
from trustscore.scoring._statements import number

__all__ = ["next_tier", "range_text"]


def range_text(change: Change, locale: str = DEFAULT_LOCALE) -> str:
    """The values that earn a change's points, in words (in ``locale``).

    Examples
    --------
    >>> range_text(Change("x", 0.2, 5, low=0.1, high=0.3))
    '0.1 to below 0.3'
    >>> range_text(Change("x", 9.0, 5, low=7.0))
    '7 or more'
    """
    if change.categories:
        return ", ".join(change.categories)
    if change.low is None and change.high is None:
        return translate(locale, "any value")
    if change.low is None:
        return translate(locale, "below {high}", high=number(change.high, locale))  # type: ignore[arg-type]
    if change.high is None:
        return translate(locale, "{low} or more", low=number(change.low, locale))
    return translate(
        locale, "{low} to below {high}",
        low=number(change.low, locale), high=number(change.high, locale),
    )  # fmt: skip


def _band(band: Band, locale: str) -> dict[str, Any]:
    return {
        "outcome": band.outcome,
        "label": band_label(band.label, locale),
        "min_score": band.min_score,
        "adverse": band.adverse,
    }


def _scored(art: ScorecardArtifact, row: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = score(art, row_table(art, [row])).to_pylist()[0]
    return out


def next_tier(
    art: ScorecardArtifact,
    policy: Policy,
    row: Mapping[str, Any],
    *,
    changeable: Mapping[str, str] | None = None,
    locale: str = DEFAULT_LOCALE,
) -> dict[str, Any]:
    """The way from ``row``'s band under ``policy`` to the next band up.

    Parameters
    ----------
    art : ScorecardArtifact
        The model the policy is bound to.
    policy : Policy
        Bands and cut-offs for one purpose.
    row : mapping
        The subject's values by characteristic (and criteria columns).
    changeable : mapping, optional
        Characteristic -> "action" | "time" | "fixed", over the artifact's own declarations.
    locale : str, default "en"
        The language of the labels, ranges and ``message`` (:data:`trustscore.i18n.LOCALES`).

    Returns
    -------
    dict
        ``purpose``, ``policy``, ``model_version``, ``status``, ``score``, ``band`` (the current
        one), ``next`` (the band above, None at the top or when not scored),
        ``points_needed``, ``path`` (None when no set of changes reaches it: ``changes``, each
        with ``name``, ``label``, ``current``, ``value``, ``low``, ``high``, ``categories``,
        ``range`` and ``points``; ``together``, the points of interactions of two changed
        characteristics; ``points``; and the ``score``, ``outcome`` and ``label`` the changes
        give), ``most_points`` (what the best set of changes adds) and ``message``.
    """
    current = _scored(art, row)
    out: dict[str, Any] = {
        "purpose": policy.purpose,
        "policy": policy.name,
        "model_version": art.model_version,
        "status": current["status"],
        "score": current["score"],
        "band": None,
        "next": None,
        "points_needed": None,
        "path": None,
        "most_points": None,
    }
    if current["status"] != "OK":
        out["message"] = translate(
            locale,
            "Not scored: there is too little history for a score, so there is no tier to move "
            "from. Once the minimum criteria are met, a score and its tiers follow.",
        )
        return out
    band = policy.band_for(current["score"])
    out["band"] = _band(band, locale)
    above = [b for b in policy.bands if b.min_score > band.min_score]
    if not above:
        out["message"] = translate(
            locale, "Already in the top tier for {purpose}: {label}.",
            purpose=policy.purpose if locale == DEFAULT_LOCALE
            else purpose_words(policy.purpose, locale),
            label=out["band"]["label"],
        )  # fmt: skip
        return out
    target = min(above, key=lambda b: b.min_score)
    needed = target.min_score - current["score"]
    out["next"] = _band(target, locale)
    target_label = out["next"]["label"]
    out["points_needed"] = needed
    out["most_points"] = most_points(art, row, changeable=changeable)
    found = find_changes(art, row, needed, changeable=changeable)
    if found is None:
        out["message"] = translate(
            locale,
            "No set of changes you can make reaches {target} (from {min_score}): {needed} more "
            "points are needed, and the most your own changes can add is {most}. The rest moves "
            "only with time or cannot change.",
            target=target_label, min_score=target.min_score, needed=needed,
            most=out["most_points"],
        )  # fmt: skip
        return out
    after = _scored(art, apply_changes(art, row, found.values))
    if after["score"] != current["score"] + found.points:  # pragma: no cover - a scorer bug
        msg = (
            f"The scorer gives {after['score']} for the changes, the search counted "
            f"{current['score']} + {found.points}."
        )
        raise RuntimeError(msg)
    reached = policy.band_for(after["score"])
    changes = []
    for c in found.changes:
        d = c.to_dict()
        d["label"] = translate(locale, art.characteristic(c.name).label)
        d["range"] = range_text(c, locale)
        changes.append(d)
    out["path"] = {
        "changes": changes,
        "together": [{"interaction": n, "points": p} for n, p in found.together],
        "points": found.points,
        "score": after["score"],
        "outcome": reached.outcome,
        "label": band_label(reached.label, locale),
    }
    n = len(changes)
    params = {"target": target_label, "min_score": target.min_score, "points": found.points,
              "needed": needed}  # fmt: skip
    if n == 1:
        out["message"] = translate(
            locale, "1 change reaches {target} (from {min_score}): {points} points, {needed} "
            "needed.", **params,
        )  # fmt: skip
    else:
        out["message"] = translate(
            locale, "{n} changes reach {target} (from {min_score}): {points} points, {needed} "
            "needed.", n=n, **params,
        )  # fmt: skip
    return out
