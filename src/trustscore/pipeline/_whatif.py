"""What would change a subject's score: an exact what-if, the way to the next tier, and time.

- :func:`what_if`: the score, sub-scores, reasons and decision tiers the production model gives
  for the subject's current features with some values changed, computed by the scorer the
  service uses (:func:`trustscore.scoring.score`); nothing is recorded as a score.
- :func:`next_tier_of`: the fewest actionable changes that reach the next tier up of a purpose's
  policy (:func:`trustscore.decisions.next_tier`).
- :func:`projection`: the subject's score 3, 6 and 12 months on if nothing new happens: their
  own records scored at the later as-of date, with only what is known now, as
  :func:`~trustscore.pipeline.score_subject` scores them; so a late payment that stops costing
  points shows when.

Each works on one feature row (:func:`what_if_row`) or on a subject of a
:class:`~trustscore.pipeline.WorkspaceProvider`, whose current features are the ones its
current score was computed from.

Examples
--------
>>> from trustscore.scoring import load_artifact
>>> from trustscore.scoring._artifact import example_artifact_dict
>>> art = load_artifact(example_artifact_dict())
>>> row = {"on_time_rate": 0.5, "card_kind": "none", "months_history": 12}
>>> out = what_if_row(art, row, {"card_kind": "card"}, purposes=["credit_pricing"])
>>> out["score"], out["subscores"], [r["code"] for r in out["reasons"]]
(125, {'payment_reliability': 35, 'credit_history': 90}, ['PR01'])
>>> out["decisions"][0]["outcome"]
'decline'
>>> add_months(dt.date(2025, 12, 31), 2)
datetime.date(2026, 2, 28)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, cast

from trustscore.decisions import (
    Policy,
    band_label,
    check_purpose,
    decide_one,
    next_tier,
    policy_for,
)
from trustscore.features import CHANGEABILITY
from trustscore.features._expressions import months_before
from trustscore.i18n import DEFAULT_LOCALE, translate
from trustscore.pipeline._explain import _plain
from trustscore.pipeline._provider import WorkspaceProvider, score_subject
from trustscore.scoring import Characteristic, ScorecardArtifact, score
from trustscore.scoring._changes import apply_changes, row_table

__all__ = [
    "PROJECTION_MONTHS",
    "add_months",
    "next_tier_of",
    "projection",
    "what_if",
    "what_if_row",
]

#: How far :func:`projection` looks ahead, in months.
PROJECTION_MONTHS: Final = (3, 6, 12)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved ``months`` on, the day of the month kept where the month has it (the
    features' own month arithmetic, run forwards)."""
    return months_before(day, -months)


def _value_of(art: ScorecardArtifact, code: str, row: Mapping[str, Any]) -> Any:
    element, _ = art.reason_of(code)
    if isinstance(element, Characteristic):
        return row.get(element.name)
    return {name: row.get(name) for name in element.inputs}


def _policy(art: ScorecardArtifact, purpose: str) -> Policy:
    """The purpose's default policy, its cut-offs on the model's scale as the provider's are."""
    return policy_for(purpose, art.model_version, scaling=art.scaling)


def _purposes(art: ScorecardArtifact, purposes: Iterable[str] | None) -> list[str]:
    chosen = list(art.approved_purposes if purposes is None else purposes)
    for purpose in chosen:
        check_purpose(art, purpose)
    return chosen


def what_if_row(
    art: ScorecardArtifact,
    row: Mapping[str, Any],
    changes: Mapping[str, Any],
    *,
    purposes: Iterable[str] | None = None,
    engine: str = "kernel",
    locale: str = DEFAULT_LOCALE,
) -> dict[str, Any]:
    """The score of ``row`` with ``changes``, by :func:`trustscore.scoring.score`.

    Parameters
    ----------
    art : ScorecardArtifact
        The model.
    row : mapping
        The subject's features (every input column of ``art``; None where missing).
    changes : mapping
        Characteristic name -> value (a number, a level as text, or None for none on file).
    purposes : iterable of str, optional
        The purposes to give the decision tier for; default every purpose the model card
        approves.
    engine : {"kernel", "duckdb", "spark"}, default "kernel"
        The engine of :func:`~trustscore.scoring.score` (the service scores with the kernel).
    locale : str, default "en"
        The language of the statements and labels; codes and names stay as they are.

    Returns
    -------
    dict
        ``model_version``, ``changes`` (as checked), ``status``, ``score``, ``score_range``
        (``min``, ``max``), ``subscores``, ``dimensions`` (``name``, ``label``, ``points``,
        ``min_points``, ``max_points``), ``reasons`` (``code``, ``statement``, ``improve``,
        ``value``: the statements of :meth:`ScorecardArtifact.reason_text`, with the changed
        values) and ``decisions`` (per purpose: ``purpose``, ``outcome``, ``label``,
        ``adverse``, ``review``).

    Raises
    ------
    SchemaError
        For an unknown characteristic or a value of the wrong kind.
    """
    changed = apply_changes(art, row, changes)
    scored = score(art, row_table(art, [changed]), engine=cast(Any, engine)).to_pylist()[0]
    reasons = []
    for i in range(1, 5):
        code = scored[f"reason_{i}"]
        if code:
            value = _value_of(art, code, changed)
            statement, improve = art.reason_text(code, changed, locale=locale)
            plain = (
                {k: _plain(v) for k, v in value.items()}
                if isinstance(value, dict)
                else _plain(value)
            )
            reasons.append(
                {"code": code, "statement": statement, "improve": improve, "value": plain}
            )
    decisions = []
    for purpose in _purposes(art, purposes):
        row_for = {"score": scored["score"], "status": scored["status"]}
        for i, reason in enumerate(reasons, start=1):
            row_for[f"reason_{i}"] = reason["code"]
        decision = decide_one(_policy(art, purpose), art, row_for)
        decisions.append(
            {
                "purpose": purpose,
                "outcome": decision.outcome,
                "label": band_label(decision.label, locale),
                "adverse": decision.adverse,
                "review": decision.review,
            }
        )
    ok = scored["status"] == "OK"
    lo, hi = art.score_range
    return {
        "model_version": art.model_version,
        "changes": {k: _plain(changed[k]) for k in changes},
        "status": scored["status"],
        "score": scored["score"],
        "score_range": {"min": lo, "max": hi},
        "subscores": {d: scored[d] for d in art.dimension_names},
        "dimensions": [
            {
                "name": name,
                "label": translate(locale, label),
                "points": scored[name] if ok else None,
                "min_points": art.dimension_range(name)[0],
                "max_points": art.dimension_range(name)[1],
            }
            for name, label in art.dimensions
        ],
        "reasons": reasons,
        "decisions": decisions,
    }


def what_if(
    provider: WorkspaceProvider,
    subject_id: str,
    changes: Mapping[str, Any],
    *,
    purposes: Iterable[str] | None = None,
    locale: str = DEFAULT_LOCALE,
) -> dict[str, Any]:
    """:func:`what_if_row` for a subject's current features, with their current score beside.

    Adds ``subject_id``, ``as_of`` and ``current``: the same answer without the changes
    (``status``, ``score``, ``subscores``, ``reasons``, ``decisions``) and the subject's current
    ``values`` by characteristic. Nothing is recorded: the service logs the access, the CLI and
    Python record nothing.

    Raises
    ------
    NotFoundError
        For an unknown subject.
    SchemaError
        For an unknown characteristic or a value of the wrong kind.
    """
    art, as_of, row = provider.features_of(subject_id)
    chosen = _purposes(art, purposes)
    out = what_if_row(art, row, changes, purposes=chosen, locale=locale)
    now = what_if_row(art, row, {}, purposes=chosen, locale=locale)
    current = {k: now[k] for k in ("status", "score", "subscores", "reasons", "decisions")}
    current["values"] = {c.name: _plain(row.get(c.name)) for c in art.characteristics}
    return {"subject_id": subject_id, "as_of": as_of.isoformat(), **out, "current": current}


def _declared(art: ScorecardArtifact) -> dict[str, str]:
    """The demo features' changeability, for a model that does not declare its own."""
    return {
        c.name: CHANGEABILITY[c.name]
        for c in art.characteristics
        if "change" not in c.extra and c.name in CHANGEABILITY
    }


def next_tier_of(
    provider: WorkspaceProvider, subject_id: str, purpose: str, *, locale: str = DEFAULT_LOCALE
) -> dict[str, Any]:
    """The way to the next tier of ``purpose`` for a subject (see
    :func:`trustscore.decisions.next_tier`), with ``subject_id`` and ``as_of``.

    A workspace's features are the demo's, so a model that does not declare how its
    characteristics change gets the demo's declarations (``trustscore.features.CHANGEABILITY``).
    """
    art, as_of, row = provider.features_of(subject_id)
    check_purpose(art, purpose)
    out = next_tier(art, _policy(art, purpose), row, changeable=_declared(art), locale=locale)
    return {"subject_id": subject_id, "as_of": as_of.isoformat(), **out}


def projection(
    provider: WorkspaceProvider,
    subject_id: str,
    months: Sequence[int] = PROJECTION_MONTHS,
    *,
    known_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """The subject's score now and ``months`` on if nothing new happens.

    Each later score is :func:`~trustscore.pipeline.score_subject` at the later as-of date with
    what is known at ``known_at`` (default: now): the subject's own records, nothing new
    ingested, so windows move on and old items age out.

    Returns
    -------
    dict
        ``subject_id``, ``as_of``, ``model_version``, ``current`` and ``later``: one entry
        per month count, each ``months``, ``as_of``, ``status``, ``score``, ``subscores`` and
        ``reasons`` (``code``, ``text``, ``improve``).
    """
    known_at = known_at or dt.datetime.now(dt.UTC)
    current = provider.current_score(subject_id)
    art = provider.artifact
    as_of = dt.date.fromisoformat(current["as_of"])

    def brief(result: Mapping[str, Any]) -> dict[str, Any]:
        keys = ("as_of", "status", "score", "subscores", "reasons")
        return {k: result[k] for k in keys}

    later = []
    for m in months:
        result = score_subject(
            provider.store, art, subject_id, add_months(as_of, m), known_at=known_at,
            consent_categories=provider.consent_categories,
        )  # fmt: skip
        later.append({"months": m, **brief(result)})
    return {
        "subject_id": subject_id,
        "as_of": as_of.isoformat(),
        "model_version": art.model_version,
        "current": brief(current),
        "later": later,
    }
