"""Orchestration of the stages, shared by the CLI and the service.

ingest → features → train → score → decide → report, over a :class:`Workspace`.
"""

from __future__ import annotations

from trustscore.pipeline._challenger import (
    ShadowRun,
    compare_challenger,
    score_for_purpose,
    shadow_paths,
    tier_of,
)
from trustscore.pipeline._consents import apply_consents, load_consent_file, pending_consents
from trustscore.pipeline._demo import (
    DEFAULT_AS_OF,
    MINIMUM_CRITERIA,
    DemoSummary,
    Reporter,
    characteristics_metadata,
    feature_directions,
    run_demo,
    score_features,
)
from trustscore.pipeline._explain import explain_row, explain_subject
from trustscore.pipeline._fairsearch import SEARCH_FILES, fairness_search, write_search
from trustscore.pipeline._flat import read_lineage, read_table, score_file, train_flat
from trustscore.pipeline._furnishers import (
    furnisher_of,
    furnisher_report,
    ingest_and_hold,
    record_holds,
    resolve_held,
)
from trustscore.pipeline._identity_changes import (
    apply_identity_change,
    merge_subjects,
    pending_identity_changes,
    split_subject,
)
from trustscore.pipeline._monitor import monitor_run
from trustscore.pipeline._monitor_runs import (
    list_runs,
    monitor_files,
    read_run,
    read_runs,
    record_run,
    run_summary,
)
from trustscore.pipeline._provider import WorkspaceProvider, feature_hash, score_subject
from trustscore.pipeline._publish import (
    PublishedCheck,
    PublishedDifference,
    PublishResult,
    publish_scores,
    published_differences,
    served_champion,
)
from trustscore.pipeline._registry import (
    artifact_subject_kind,
    challenger_artifact,
    champion_artifact,
    check_artifact_kind,
    registered_artifact,
    registry_moved,
    store_and_register,
    workspace_champion,
)
from trustscore.pipeline._replay import Replay, replay
from trustscore.pipeline._resolutions import apply_resolution, pending_resolutions
from trustscore.pipeline._whatif import (
    PROJECTION_MONTHS,
    next_tier_of,
    projection,
    what_if,
    what_if_row,
)
from trustscore.pipeline._workspace import Workspace

__all__ = [
    "DEFAULT_AS_OF",
    "MINIMUM_CRITERIA",
    "PROJECTION_MONTHS",
    "SEARCH_FILES",
    "DemoSummary",
    "PublishResult",
    "PublishedCheck",
    "PublishedDifference",
    "Replay",
    "Reporter",
    "ShadowRun",
    "Workspace",
    "WorkspaceProvider",
    "apply_consents",
    "apply_identity_change",
    "apply_resolution",
    "artifact_subject_kind",
    "challenger_artifact",
    "champion_artifact",
    "characteristics_metadata",
    "check_artifact_kind",
    "compare_challenger",
    "explain_row",
    "explain_subject",
    "fairness_search",
    "feature_directions",
    "feature_hash",
    "furnisher_of",
    "furnisher_report",
    "ingest_and_hold",
    "list_runs",
    "load_consent_file",
    "merge_subjects",
    "monitor_files",
    "monitor_run",
    "next_tier_of",
    "pending_consents",
    "pending_identity_changes",
    "pending_resolutions",
    "projection",
    "publish_scores",
    "published_differences",
    "read_lineage",
    "read_run",
    "read_runs",
    "read_table",
    "record_holds",
    "record_run",
    "registered_artifact",
    "registry_moved",
    "replay",
    "resolve_held",
    "run_demo",
    "run_summary",
    "score_features",
    "score_file",
    "score_for_purpose",
    "score_subject",
    "served_champion",
    "shadow_paths",
    "split_subject",
    "store_and_register",
    "tier_of",
    "train_flat",
    "what_if",
    "what_if_row",
    "workspace_champion",
    "write_search",
]
