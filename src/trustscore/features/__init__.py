"""As-of features: written once as Ibis expressions, run on DuckDB or Spark.

Examples
--------
>>> len(FEATURES) == len({f.name for f in FEATURES})
True
>>> sorted({f.dimension for f in FEATURES}) == sorted(DIMENSIONS)
True
"""

from __future__ import annotations

from trustscore.features._compute import compute_features, load_tables, write_features
from trustscore.features._definitions import (
    BOUNDS,
    CHANGEABILITY,
    DIMENSIONS,
    FEATURES,
    LABELS,
    FeatureDef,
    feature,
)
from trustscore.features._expressions import CRITERIA_COLUMNS, SUPPRESSIONS, feature_table
from trustscore.features._lineage import CRITERIA_SOURCES, feature_lineage

__all__ = [
    "BOUNDS",
    "CHANGEABILITY",
    "CRITERIA_COLUMNS",
    "CRITERIA_SOURCES",
    "DIMENSIONS",
    "FEATURES",
    "LABELS",
    "SUPPRESSIONS",
    "FeatureDef",
    "compute_features",
    "feature",
    "feature_lineage",
    "feature_table",
    "load_tables",
    "write_features",
]
