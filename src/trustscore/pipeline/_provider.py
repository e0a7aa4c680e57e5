"""Scores, decisions and files for one subject at a time, from a workspace: the service's source.

:class:`WorkspaceProvider` is what the REST service calls (it satisfies
``trustscore.service.SubjectProvider``). Every answer is computed from the record store as of the
workspace's date with the current model, so it can be replayed later from the same records and
the model version the ledger recorded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from typing import Any

import pyarrow as pa

from trustscore.decisions import decide_one, policy_for
from trustscore.exceptions import NotFoundError
from trustscore.features import compute_features
from trustscore.pipeline._workspace import Workspace
from trustscore.records import RECORD_KINDS, RecordStore
from trustscore.scoring import ScorecardArtifact, load_artifact, score

__all__ = ["WorkspaceProvider", "feature_hash", "score_subject"]

_DISPUTABLE = tuple(k for k in RECORD_KINDS if k != "subject")


def feature_hash(row: dict[str, Any]) -> str:
    """A stable hash of one subject's feature values: equal features, equal hash."""
    text = json.dumps(row, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def score_subject(
    store: RecordStore,
    art: ScorecardArtifact,
    subject_id: str,
    as_of: dt.date,
    *,
    known_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """Score one subject as of a date, with what was known at ``known_at`` (default: now).

    The dict has the shape of the service's ``ScoreResult``.
    """
    known_at = known_at or dt.datetime.now(dt.UTC)
    features = compute_features(store, as_of, subjects=[subject_id], known_at=known_at)
    if features.num_rows == 0:
        msg = f"No subject {subject_id!r} is known as of {as_of}."
        raise NotFoundError(msg, subject_id=subject_id)
    row = features.to_pylist()[0]
    scored = score(art, features).to_pylist()[0]
    reasons = []
    for i in range(1, 5):
        code = scored[f"reason_{i}"]
        if code:
            text, improve = art.reason_text(code)
            reasons.append({"code": code, "text": text, "improve": improve})
    return {
        "subject_id": subject_id,
        "as_of": as_of.isoformat(),
        "model_version": art.model_version,
        "model_hash": art.content_hash,
        "score": scored["score"],
        "status": scored["status"],
        "subscores": {d: scored[d] for d in art.dimension_names},
        "reasons": reasons,
        "feature_hash": feature_hash(row),
    }


class WorkspaceProvider:
    """Answers the service's questions about subjects from one workspace."""

    def __init__(self, workspace: Workspace | str) -> None:
        self.workspace = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
        self.store = RecordStore(self.workspace.store_dir)
        self._lock = threading.Lock()
        self._artifact: ScorecardArtifact | None = None

    @property
    def artifact(self) -> ScorecardArtifact:
        with self._lock:
            if self._artifact is None:
                self._artifact = load_artifact(self.workspace.model_path)
            return self._artifact

    def score(self, subject_id: str, purpose: str) -> dict[str, Any]:
        from trustscore.decisions import check_purpose

        check_purpose(self.artifact, purpose)
        return score_subject(self.store, self.artifact, subject_id, self.workspace.as_of())

    def decide(self, subject_id: str, purpose: str) -> dict[str, Any]:
        art = self.artifact
        result = self.score(subject_id, purpose)
        row: dict[str, Any] = {
            "subject_id": subject_id,
            "score": result["score"],
            "status": result["status"],
        }
        for i, reason in enumerate(result["reasons"], start=1):
            row[f"reason_{i}"] = reason["code"]
        decision = decide_one(policy_for(purpose, art.model_version), art, row)
        return {
            "policy": decision.policy,
            "outcome": decision.outcome,
            "adverse": decision.adverse,
            "notice": None if decision.notice is None else decision.notice.to_dict(),
            "score": result,  # type: ignore[typeddict-item]
        }

    def file(self, subject_id: str) -> dict[str, Any]:
        subjects = self.store.read("subject", subjects=[subject_id])
        if subjects.num_rows == 0:
            msg = f"No subject {subject_id!r}."
            raise NotFoundError(msg, subject_id=subject_id)
        records: dict[str, list[dict[str, Any]]] = {}
        for kind in _DISPUTABLE:
            table: pa.Table = self.store.read(kind, subjects=[subject_id])
            records[kind] = [_jsonable(r) for r in table.to_pylist()]
        suppressed = {r["record_id"] for r in self.store.suppressions().to_pylist()}
        for rows in records.values():
            for r in rows:
                r["suppressed"] = r["record_id"] in suppressed
        current = score_subject(self.store, self.artifact, subject_id, self.workspace.as_of())
        return {
            "subject": _jsonable(subjects.to_pylist()[0]),
            "records": records,
            "current_score": current,
        }

    def record_owner(self, kind: str, record_id: str) -> str:
        if kind not in _DISPUTABLE:
            msg = (
                f"Records of kind {kind!r} cannot be disputed; kinds are {', '.join(_DISPUTABLE)}."
            )
            raise NotFoundError(msg, kind=kind)
        return str(self.store.record(kind, record_id)["subject_id"])

    def record_inquiry(
        self,
        subject_id: str,  # noqa: ARG002 - the protocol's signature
        requester: str,  # noqa: ARG002
        purpose: str,  # noqa: ARG002
        at: dt.datetime,  # noqa: ARG002
    ) -> None:
        # The ledger's access log is the inquiry the subject sees (who, for what, when); it is
        # written by the service in the same request. Inquiry *records* that feed the features
        # arrive from furnishers' inquiry files, so nothing is stored here twice.
        return None

    def suppress(self, kind: str, record_id: str, reason: str) -> None:
        self.store.suppress(kind, [record_id], reason=reason, at=dt.datetime.now(dt.UTC))

    def rescore(self, subject_id: str) -> dict[str, Any]:
        return score_subject(self.store, self.artifact, subject_id, self.workspace.as_of())


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in row.items():
        out[k] = v.isoformat() if isinstance(v, dt.date | dt.datetime) else v
    return out
