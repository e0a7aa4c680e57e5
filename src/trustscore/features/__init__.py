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
    subject_kinds,
    write_features,
    write_features_duckdb,
    write_features_spark,
)
from trustscore.features._consent import (
    CONSENTS,
    DEFAULT_CONSENT_CATEGORIES,
    check_consent_categories,
    consents_schema,
    end_of_day,
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
from trustscore.features._kinds import (
    check_feature_kind,
    check_subject_kind,
    feature_bounds,
    feature_changeability,
    feature_labels,
    feature_set,
    kind_feature_table,
    kind_lineage,
)
from trustscore.features._lineage import CRITERIA_SOURCES, feature_lineage
from trustscore.features._org_definitions import (
    ORG_BOUNDS,
    ORG_CHANGEABILITY,
    ORG_DIMENSIONS,
    ORG_FEATURES,
    ORG_LABELS,
)
from trustscore.features._org_expressions import org_feature_table
from trustscore.features._subject import SubjectBills

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
    "ORG_BOUNDS",
    "ORG_CHANGEABILITY",
    "ORG_DIMENSIONS",
    "ORG_FEATURES",
    "ORG_LABELS",
    "SUPPRESSIONS",
    "FeatureDef",
    "SubjectBills",
    "bills_without_consent",
    "check_consent_categories",
    "check_feature_kind",
    "check_subject_kind",
    "compute_features",
    "consents_schema",
    "count_bills_without_consent",
    "end_of_day",
    "feature",
    "feature_bounds",
    "feature_changeability",
    "feature_labels",
    "feature_lineage",
    "feature_set",
    "feature_table",
    "kind_feature_table",
    "kind_lineage",
    "load_tables",
    "org_feature_table",
    "subject_kinds",
    "write_features",
    "write_features_duckdb",
    "write_features_spark",
]
