"""As-of features: written once as Ibis expressions, run on DuckDB or Spark.

Examples
--------
>>> len(FEATURES) == len({f.name for f in FEATURES})
True
>>> sorted({f.dimension for f in FEATURES}) == sorted(DIMENSIONS)
True
"""

from __future__ import annotations

from trustscore.features._compute import (
    bills_without_consent,
    compute_features,
    count_bills_without_consent,
    load_tables,
    write_features,
    write_features_duckdb,
    write_features_spark,
)
from trustscore.features._consent import (
    CONSENTS,
    DEFAULT_CONSENT_CATEGORIES,
    check_consent_categories,
    consents_schema,
)
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
    "CONSENTS",
    "CRITERIA_COLUMNS",
    "CRITERIA_SOURCES",
    "DEFAULT_CONSENT_CATEGORIES",
    "DIMENSIONS",
    "FEATURES",
    "LABELS",
    "SUPPRESSIONS",
    "FeatureDef",
    "bills_without_consent",
    "check_consent_categories",
    "compute_features",
    "consents_schema",
    "count_bills_without_consent",
    "feature",
    "feature_lineage",
    "feature_table",
    "load_tables",
    "write_features",
    "write_features_duckdb",
    "write_features_spark",
]
