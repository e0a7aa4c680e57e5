"""Which feature set describes which kind of subject, and the refusal to mix them.

A person is scored from :data:`~trustscore.features.FEATURES`, an organisation from
:data:`~trustscore.features.ORG_FEATURES`; the two sets share no name. A model is trained for
one kind (its model card's ``subject_kind``) and :func:`check_feature_kind` refuses a
characteristic of the other kind's set. No sole-trader rule mixes the two.

Examples
--------
>>> [f.name for f in feature_set("organisation")][:1]
['paydex_12m']
>>> check_feature_kind(["paydex_12m"], "person")
Traceback (most recent call last):
...
trustscore.exceptions.SchemaError: A person model cannot use paydex_12m: ...
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from typing import Final

import ibis.expr.types as ir

from trustscore.exceptions import SchemaError
from trustscore.features._definitions import BOUNDS, CHANGEABILITY, FEATURES, LABELS, FeatureDef
from trustscore.features._expressions import feature_table
from trustscore.features._lineage import CRITERIA_SOURCES
from trustscore.features._org_definitions import (
    ORG_BOUNDS,
    ORG_CHANGEABILITY,
    ORG_CRITERIA_SOURCES,
    ORG_FEATURES,
    ORG_LABELS,
)
from trustscore.features._org_expressions import org_feature_table
from trustscore.records._schemas import SUBJECT_KINDS

__all__ = [
    "check_feature_kind",
    "check_subject_kind",
    "feature_bounds",
    "feature_changeability",
    "feature_labels",
    "feature_set",
    "kind_feature_table",
    "kind_lineage",
]

_SETS: Final[dict[str, tuple[FeatureDef, ...]]] = {
    "person": FEATURES,
    "organisation": ORG_FEATURES,
}


def check_subject_kind(kind: str) -> str:
    """``kind`` if it is a subject kind; a SchemaError naming the kinds otherwise."""
    if kind not in SUBJECT_KINDS:
        msg = f"Unknown subject kind {kind!r}; the kinds are: {', '.join(SUBJECT_KINDS)}."
        raise SchemaError(msg, field="subject_kind")
    return kind


def feature_set(kind: str) -> tuple[FeatureDef, ...]:
    """The features that describe subjects of ``kind``."""
    return _SETS[check_subject_kind(kind)]


def feature_labels(kind: str) -> dict[str, str]:
    """What a reader reads for each feature of ``kind`` where a statement names it."""
    return dict(LABELS if check_subject_kind(kind) == "person" else ORG_LABELS)


def feature_changeability(kind: str) -> dict[str, str]:
    """How each feature of ``kind`` can change (``action``, ``time``, ``fixed``)."""
    return dict(CHANGEABILITY if check_subject_kind(kind) == "person" else ORG_CHANGEABILITY)


def feature_bounds(kind: str) -> dict[str, tuple[float, float | None, str]]:
    """The declared limits of each feature of ``kind``."""
    return dict(BOUNDS if check_subject_kind(kind) == "person" else ORG_BOUNDS)


def kind_lineage(kind: str) -> dict[str, list[str]]:
    """Every column of ``kind``'s feature table -> the record fields it is computed from."""
    criteria = CRITERIA_SOURCES if check_subject_kind(kind) == "person" else ORG_CRITERIA_SOURCES
    out = {f.name: list(f.sources) for f in feature_set(kind)}
    out.update({k: list(v) for k, v in criteria.items()})
    return out


def check_feature_kind(columns: Iterable[str], kind: str) -> None:
    """Refuse a characteristic that belongs to another kind's feature set.

    Raises
    ------
    SchemaError
        Naming the columns and the kind they describe.
    """
    check_subject_kind(kind)
    for other, features in _SETS.items():
        if other == kind:
            continue
        names = {f.name for f in features}
        wrong = [c for c in columns if c in names]
        if wrong:
            article = "an" if other[0] in "aeiou" else "a"
            verb = "it describes" if len(wrong) == 1 else "they describe"
            model = "An organisation model" if kind == "organisation" else f"A {kind} model"
            msg = f"{model} cannot use {', '.join(wrong)}: {verb} {article} {other}"
            msg += (
                f". Persons and organisations are scored by separate models; train the {kind} "
                f"model on the {kind} feature set (trustscore.features.feature_set({kind!r}))."
            )
            raise SchemaError(msg, field=wrong[0])


def kind_feature_table(
    tables: Mapping[str, ir.Table],
    as_of: dt.date,
    kind: str,
    *,
    horizon_years: int = 7,
    known_at: dt.datetime | None = None,
    consent_categories: Collection[str] = (),
) -> ir.Table:
    """The feature table of the subjects of ``kind`` (persons' bills need consent, see
    :func:`~trustscore.features.feature_table`; organisations' invoices do not)."""
    if check_subject_kind(kind) == "person":
        return feature_table(
            tables, as_of, horizon_years=horizon_years, known_at=known_at,
            consent_categories=consent_categories,
        )  # fmt: skip
    return org_feature_table(tables, as_of, horizon_years=horizon_years, known_at=known_at)
