"""What a subject's score is made of, and what would change it: the subject's page reads this.

For every element of the scorecard (characteristics, then pairs scored together): the points
the subject's value earns, the element's baseline (the most a value on file earns: its best bin
or cell) and the points lost against it. The reasons follow the artifact's rule
(:mod:`trustscore.scoring._artifact`): an element gives one only where it lost points, under the
code of where the value landed (the adverse one for a value in a bin, the no-information one for
a missing or special value), up to four, a larger loss first, ties in artifact order. Each carries
its statement from :meth:`~trustscore.scoring.ScorecardArtifact.reason_text` (``reason``, naming
the subject's value where the statement is relative) and how it clears; an element that lost
nothing says nothing, so every statement shown is true of the subject. A
subject that is not scorable (status ``NS``) gets no number and no points: only the minimum
criteria, each with whether it is met.

The points come from the reference scorer, the yardstick every compiled scorer is held to, so they
add up to the score the service gives for the same features.

Examples
--------
>>> from trustscore.scoring import load_artifact
>>> from trustscore.scoring._artifact import example_artifact_dict
>>> art = load_artifact(example_artifact_dict())
>>> out = explain_row(art, {"on_time_rate": 0.5, "card_kind": "card", "months_history": 12})
>>> out["status"], out["score"]
('OK', 125)
>>> [(r["reason_code"], r["points"], r["best_points"], r["points_to_best"]) for r in out["reasons"]]
[('PR01', 35, 60, 25)]
>>> out["reasons"][0]["reason"]
'Bills paid after their due date'
>>> out["score"], out["score_range"]
(125, {'min': 20, 'max': 150})
>>> explain_row(art, {"on_time_rate": 0.5, "card_kind": "card", "months_history": 3})["score"]
"""

from __future__ import annotations

import copy
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final

from trustscore.i18n import DEFAULT_LOCALE, translate
from trustscore.pipeline._provider import WorkspaceProvider, feature_hash
from trustscore.scoring import Characteristic, ScorecardArtifact
from trustscore.scoring._changes import changeability
from trustscore.scoring._reference import reference_points, reference_reasons

__all__ = ["explain_row", "explain_subject"]

#: How many explanations :func:`explain_subject` keeps (a few kilobytes each).
_KEEP: Final = 4096
_kept: OrderedDict[tuple[str, str, str, str, str], dict[str, Any]] = OrderedDict()
_lock = threading.Lock()


def _plain(value: Any) -> Any:
    """A feature value as JSON: NaN (missing) and infinities, which JSON cannot hold, are null."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return str(value)


def explain_row(
    art: ScorecardArtifact, row: Mapping[str, Any], *, locale: str = DEFAULT_LOCALE
) -> dict[str, Any]:
    """The explanation of one subject's score from their feature row.

    Parameters
    ----------
    art : ScorecardArtifact
        The model the score was computed with.
    row : mapping
        The subject's features: every column of ``art.input_columns`` (None where missing).
    locale : str, default "en"
        The language of the texts a person reads (labels, criteria, statements, how they
        clear); codes and names stay as they are.

    Returns
    -------
    dict
        ``model_version``, ``status`` (``"OK"`` or ``"NS"``), ``score`` (None for ``NS``),
        ``score_range`` (``{"min", "max"}``), ``dimensions`` (``name``, ``label``, ``points``,
        ``min_points``, ``max_points``), ``criteria`` (``text``, ``column``, ``met``),
        ``characteristics`` in artifact order (an artifact's interactions, pairs scored
        together, follow its characteristics) and ``reasons`` (the score's reasons, in order),
        each a dict of ``name``, ``label``, ``type`` (``"numeric"``, ``"categorical"`` or
        ``"pair"``), ``dimension``, ``reason_code`` (the code of the reason the subject's value
        gives if it loses points: the adverse or the no-information one), ``reason`` (the
        statement a person reads for it, naming the subject's value where it is relative; None
        where no points were lost, since only then is it true of the subject), ``improve``,
        ``value`` (a pair's: both values by name), ``points``, ``best_points`` (the baseline),
        ``points_to_best``, and ``change`` (how a characteristic can change: "action", "time"
        or "fixed"). For ``NS`` the characteristics and reasons are empty: an unscorable
        subject gets no points.
    """
    columns = {name: [row.get(name)] for name in art.input_columns}
    result = reference_points(art, columns)
    ok = bool(result.ok[0])
    elements = art.elements
    points = [int(p) for p in result.points[0]]
    criteria = [
        {
            "text": translate(locale, crit.text) if crit.text else crit.text,
            "column": crit.column,
            # each criterion on its own: the artifact with only that one
            "met": bool(reference_points(replace(art, criteria=(crit,)), columns).ok[0]),
        }
        for crit in art.criteria
    ]
    dimensions = []
    for name, label in art.dimensions:
        members = [j for j, e in enumerate(elements) if e.dimension == name]
        dimensions.append(
            {
                "name": name,
                "label": translate(locale, label),
                "points": sum(points[j] for j in members) if ok else None,
                "min_points": sum(elements[j].worst_points for j in members),
                "max_points": sum(elements[j].best_points for j in members),
            }
        )
    lo, hi = art.score_range
    out: dict[str, Any] = {
        "model_version": art.model_version,
        "status": "OK" if ok else "NS",
        "score": sum(points) if ok else None,
        "score_range": {"min": lo, "max": hi},
        "dimensions": dimensions,
        "criteria": criteria,
        "characteristics": [],
        "reasons": [],
    }
    if not ok:
        return out
    codes = art.reason_codes
    chars = []
    for j, e in enumerate(elements):
        slot, lost = int(result.slot[0, j]), int(result.lost[0, j])
        code = codes[slot] if slot >= 0 else e.reason_code
        statement, improve = art.reason_text(code, row, locale=locale)
        chars.append(
            {
                "name": e.name,
                "label": translate(locale, e.label) if isinstance(e, Characteristic) else e.name,
                "type": e.type if isinstance(e, Characteristic) else "pair",
                "dimension": e.dimension,
                "reason_code": code,
                # a statement only where the element lost points: only then is it true
                "reason": statement if lost > 0 else None,
                "improve": improve,
                "value": (
                    _plain(row.get(e.name))
                    if isinstance(e, Characteristic)
                    # a pair of characteristics scored together: both values
                    else {name: _plain(row.get(name)) for name in e.inputs}
                ),
                "points": points[j],
                "best_points": e.baseline_points,
                "points_to_best": lost,
                "change": changeability(e) if isinstance(e, Characteristic) else None,
            }
        )
    by_code = {c["reason_code"]: c for c in chars}
    out["characteristics"] = chars
    out["reasons"] = [by_code[code] for code in reference_reasons(art, result)[0]]
    return out


def explain_subject(
    provider: WorkspaceProvider, subject_id: str, *, locale: str = DEFAULT_LOCALE
) -> dict[str, Any]:
    """The explanation of a subject's current score in a workspace (see :func:`explain_row`).

    The features are those the provider's current score is from (stored with it in the keyed
    store, equal to what :func:`~trustscore.pipeline.score_subject` computes now), so the
    explanation is of the score the provider gives; ``as_of`` and the ``feature_hash`` of the
    features explained are added to the result (the current score's, but for a record
    suppressed in between). An explanation depends only on the model and the features, so the
    last few thousand are kept under the hashes the current score carries: reading an unchanged
    file again costs no query. Raises :class:`~trustscore.exceptions.NotFoundError` for an
    unknown subject. ``locale`` is the language of the texts (see :func:`explain_row`).
    """
    current = provider.current_score(subject_id)
    key = (subject_id, locale, current["as_of"], current["model_hash"], current["feature_hash"])
    with _lock:
        kept = _kept.get(key)
        if kept is not None:
            _kept.move_to_end(key)
    if kept is not None:
        return copy.deepcopy(kept)
    # the features the current score is from, stored beside it: no query over the store
    art, as_of, row = provider.features_of(subject_id)
    out = explain_row(art, row, locale=locale)
    out["as_of"] = as_of.isoformat()
    out["feature_hash"] = feature_hash(row)
    if (art.content_hash, out["feature_hash"]) == key[3:]:
        with _lock:
            _kept[key] = copy.deepcopy(out)
            while len(_kept) > _KEEP:
                _kept.popitem(last=False)
    return out
