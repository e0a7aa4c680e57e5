"""The lineage of the feature table: every column -> the record fields it is computed from.

Each feature declares its own (:attr:`~trustscore.features.FeatureDef.sources`); the
minimum-scoring-criteria columns are declared here. A test reads the fields from the compiled
feature expression and checks both declarations against it.
"""

from __future__ import annotations

from typing import Final

from trustscore.features._definitions import FEATURES

__all__ = ["CRITERIA_SOURCES", "feature_lineage"]

#: The lineage of the minimum-scoring-criteria columns that follow the features
#: (:data:`trustscore.features.CRITERIA_COLUMNS`), declared as :attr:`FeatureDef.sources` is.
CRITERIA_SOURCES: Final[dict[str, tuple[str, ...]]] = {
    "months_history": ("obligation.due_date", "tradeline.reported_date"),
    "n_records_12m": ("obligation.due_date", "tradeline.reported_date"),
}


def feature_lineage() -> dict[str, list[str]]:
    """Every feature table column -> the record fields it is computed from.

    The ``lineage`` to give :meth:`trustscore.Scorecard.fit` when the characteristics are
    this package's features (and criteria columns).

    Examples
    --------
    >>> feature_lineage()["months_history"]
    ['obligation.due_date', 'tradeline.reported_date']
    """
    out = {f.name: list(f.sources) for f in FEATURES}
    out.update({k: list(v) for k, v in CRITERIA_SOURCES.items()})
    return out
