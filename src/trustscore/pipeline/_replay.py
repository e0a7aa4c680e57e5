"""Replaying a past score: the same records, the same model version, the same number."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from trustscore import ledger as lg
from trustscore.exceptions import NotFoundError
from trustscore.features import DEFAULT_CONSENT_CATEGORIES
from trustscore.pipeline._provider import score_subject
from trustscore.pipeline._registry import champion_artifact
from trustscore.pipeline._workspace import Workspace
from trustscore.records import RecordStore
from trustscore.scoring import ScorecardArtifact, load_artifact

__all__ = ["Replay", "replay"]


@dataclass(frozen=True)
class Replay:
    """A snapshot next to its recomputation; ``matches`` when every part is equal."""

    snapshot: dict[str, Any]
    recomputed: dict[str, Any]

    @property
    def differences(self) -> list[str]:
        keys = ("score", "status", "subscores", "reasons", "feature_hash", "model_hash")
        return [k for k in keys if self.snapshot.get(k) != self.recomputed.get(k)]

    @property
    def matches(self) -> bool:
        return not self.differences


def replay(
    workspace: Workspace,
    snapshot: dict[str, Any],
    *,
    consent_categories: Collection[str] = DEFAULT_CONSENT_CATEGORIES,
    registry: lg.Ledger | None = None,
    purpose: str | None = None,
) -> Replay:
    """Recompute a snapshot from the record store and the model it was given by.

    ``snapshot`` holds ``subject_id``, ``as_of`` (date), ``model_version``, ``created_at`` (the
    knowledge cutoff: what was known when the score was given) and the recorded results. The
    consents are those in force and known at ``created_at``: a consent withdrawn after the
    score does not change its replay. ``consent_categories`` must be the configuration the
    score was given under.

    With a ``registry`` and the ``purpose`` the score was given for (a decision's), the model
    is the one the registry says was the purpose's champion at ``created_at``, whatever has
    been promoted since; a snapshot that named another model then differs in ``model_hash``.
    Without them, the model is the stored artifact of the version the snapshot recorded.
    """
    known_at = snapshot["created_at"]
    if known_at.tzinfo is None:
        known_at = known_at.replace(tzinfo=dt.UTC)
    if registry is not None and purpose is not None:
        art = champion_artifact(registry, workspace, purpose, at=known_at)
        return Replay(
            snapshot=snapshot,
            recomputed=_recompute(workspace, snapshot, art, known_at, consent_categories),
        )
    path = workspace.model_path_for(str(snapshot["model_version"]))
    if not path.is_file():
        msg = (
            f"Model {snapshot['model_version']} of this snapshot is not in {workspace.models_dir}; "
            "a replay needs the exact model that gave the score."
        )
        raise NotFoundError(msg, model_version=snapshot["model_version"])
    art = load_artifact(path)
    recomputed = _recompute(workspace, snapshot, art, known_at, consent_categories)
    return Replay(snapshot=snapshot, recomputed=recomputed)


def _recompute(
    workspace: Workspace, snapshot: dict[str, Any], art: ScorecardArtifact,
    known_at: dt.datetime, consent_categories: Collection[str],
) -> dict[str, Any]:  # fmt: skip
    return score_subject(
        RecordStore(workspace.store_dir),
        art,
        str(snapshot["subject_id"]),
        snapshot["as_of"],
        known_at=known_at,
        consent_categories=consent_categories,
    )
