"""The batch run's last step: every subject's latest score into the service's keyed store.

:func:`publish_scores` computes the whole population's features as of the workspace's date with
what is known now (one pass over the store), scores them with the model the service keeps (the
champion of the first purpose that has one) and writes one row per subject into the ledger's
``latest_scores``, in chunks, with the state of the store it was computed from
(:mod:`trustscore.pipeline._latest`). ``trustscore demo`` ends with it and ``trustscore
publish`` runs it for an existing workspace; the service then reads a subject's row per
request and computes only the rows that later changes made stale.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from trustscore import ledger as lg
from trustscore.exceptions import PurposeError
from trustscore.features import DEFAULT_CONSENT_CATEGORIES, compute_features
from trustscore.pipeline._latest import event_times, new_base, store_listing
from trustscore.pipeline._provider import _result, score_subject
from trustscore.pipeline._registry import registered_artifact
from trustscore.pipeline._workspace import Workspace
from trustscore.records import RecordStore
from trustscore.safeguards import APPROVABLE_PURPOSES
from trustscore.scoring import ScorecardArtifact, score

__all__ = [
    "PublishResult",
    "PublishedCheck",
    "PublishedDifference",
    "publish_scores",
    "published_differences",
    "recheck_published",
    "served_champion",
]

#: Subjects turned into rows and written per chunk.
CHUNK_ROWS = 5000


@dataclass(frozen=True)
class PublishResult:
    """What :func:`publish_scores` wrote, and how long its two halves took."""

    n_rows: int
    base_id: str
    model_version: str
    as_of: dt.date
    known_at: dt.datetime
    compute_s: float
    write_s: float

    @property
    def rows_per_s(self) -> float:
        """Rows built and written per second (the write half, features and scores apart)."""
        return self.n_rows / self.write_s if self.write_s > 0 else float("inf")


def served_champion(workspace: Workspace, ledger: lg.Ledger) -> ScorecardArtifact:
    """The model whose scores the service keeps: the first purpose's champion that exists."""
    for purpose in APPROVABLE_PURPOSES:
        model = lg.champion(ledger, purpose)
        if model is not None:
            return registered_artifact(workspace, model)
    msg = (
        f"No model is approved and promoted for any purpose in the registry of "
        f"{workspace.root}: nothing may be scored (trustscore model promote)."
    )
    raise PurposeError(msg)


def publish_scores(
    workspace: Workspace | str,
    ledger: lg.Ledger,
    *,
    consent_categories: Collection[str] = DEFAULT_CONSENT_CATEGORIES,
    now: dt.datetime | None = None,
    chunk_rows: int = CHUNK_ROWS,
    progress: Callable[[int, int], None] | None = None,
) -> PublishResult:
    """Compute every subject's latest score now and write them to ``ledger``'s keyed store.

    Each row equals what :func:`~trustscore.pipeline.score_subject` computes for the subject at
    ``now`` (default: the current time). Rows of subjects no longer in the store stay, stale
    (their state is an older one), and are never answered.
    """
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    store = RecordStore(ws.store_dir)
    now = now or dt.datetime.now(dt.UTC)
    as_of = ws.as_of()
    art = served_champion(ws, ledger)
    started = time.perf_counter()
    # listed before the features are computed: a file committed meanwhile is "since the base"
    listing = store_listing(store)
    features = compute_features(
        store, as_of, known_at=now, consent_categories=tuple(consent_categories)
    )
    scored = score(art, features)
    base = lg.record_score_base(
        ledger, new_base(as_of, listing, now, event_times(store, listing, after=now))
    )
    computed = time.perf_counter()
    total = features.num_rows

    def rows() -> Iterator[lg.LatestScore]:
        for start in range(0, total, chunk_rows):
            feats = features.slice(start, chunk_rows).to_pylist()
            points = scored.slice(start, chunk_rows).to_pylist()
            for row, p in zip(feats, points, strict=True):
                sid = str(row["subject_id"])
                yield lg.LatestScore(
                    sid, base.base_id, "", art.content_hash, as_of, now,
                    _result(art, sid, as_of, row, p), row,
                )  # fmt: skip
            if progress is not None:
                progress(min(start + chunk_rows, total), total)

    n = lg.put_latest_scores(ledger, rows(), chunk_rows=chunk_rows)
    return PublishResult(
        n_rows=n, base_id=base.base_id, model_version=art.model_version, as_of=as_of,
        known_at=now, compute_s=computed - started, write_s=time.perf_counter() - computed,
    )  # fmt: skip


@dataclass(frozen=True)
class PublishedDifference:
    """A subject whose row in the keyed store says something else than the batch's scores."""

    subject_id: str
    why: str


@dataclass(frozen=True)
class PublishedCheck:
    """Rows of the keyed store checked against the batch, how many differ, and examples."""

    checked: int
    differ: int
    examples: tuple[PublishedDifference, ...]
    #: rows of subjects with something known after the batch's cutoff (a consent withdrawn
    #: since, a later delivery): they may differ, and those that do are counted here
    changed: int = 0
    #: of those, how many were recomputed one subject at a time and found equal
    rechecked: int = 0


def _claims(result: dict[str, Any]) -> dict[str, Any]:
    """What a published row tells about its subject, in the batch scores' terms."""
    return {
        "score": result["score"], "status": result["status"],
        "model_version": result["model_version"], "as_of": result["as_of"],
        "subscores": dict(result["subscores"]),
        "reasons": [r["code"] for r in result["reasons"]],
    }  # fmt: skip


def _why(told: dict[str, Any], expected: dict[str, Any], other: str) -> str:
    keys = sorted(k for k in told if told[k] != expected[k])
    return "; ".join(f"{k}: published {told[k]!r}, {other} {expected[k]!r}" for k in keys)


def published_differences(
    ledger: lg.Ledger,
    scores: pa.Table,
    *,
    changed_since: Collection[str] = (),
    limit: int = 100,
) -> PublishedCheck:
    """Check every row of ``ledger``'s keyed store against the batch's ``scores`` (a table as
    :func:`~trustscore.scoring.score` writes it, for the same model, date and records): how many
    rows were checked, how many subjects' score, status, sub-scores, reasons, model or date
    differ or have a row on one side only, and up to ``limit`` of them. A subject in
    ``changed_since`` (something about them became known after the batch's cutoff, which the
    published row, computed later, knows) may differ: such rows are counted apart, as
    ``changed``, for the caller to check another way (:func:`recheck_published`).

    The service answers from the keyed store, the reports and decisions from the batch: both
    must say the same of every subject. The demo runs it over its whole population.
    """
    dims = [c for c in scores.column_names if c not in _SCORE_COLUMNS
            and not c.startswith("reason_")]  # fmt: skip
    batch: dict[str, dict[str, Any]] = {}
    for row in scores.to_pylist():
        batch[row["subject_id"]] = {
            "score": row["score"], "status": row["status"],
            "model_version": row["model_version"], "as_of": row["as_of"].isoformat(),
            "subscores": {d: row[d] for d in dims},
            "reasons": [row[f"reason_{r}"] for r in range(1, 5) if row[f"reason_{r}"]],
        }  # fmt: skip
    found: list[PublishedDifference] = []
    checked = differ = changed = 0
    later = frozenset(changed_since)
    for answer in lg.latest_answers(ledger):
        checked += 1
        expected = batch.pop(answer.subject_id, None)
        told = _claims(answer.result)
        if expected is None:
            why = "published, but not in the batch's scores"
        elif told != expected and answer.subject_id in later:
            changed += 1
            continue
        elif told != expected:
            why = _why(told, expected, "batch")
        else:
            continue
        differ += 1
        if len(found) < limit:
            found.append(PublishedDifference(answer.subject_id, why))
    differ += len(batch)
    for sid in sorted(batch)[: max(0, limit - len(found))]:
        found.append(PublishedDifference(sid, "in the batch's scores, but not published"))
    return PublishedCheck(checked, differ, tuple(found), changed=changed)


def recheck_published(
    ledger: lg.Ledger,
    store: RecordStore,
    art: ScorecardArtifact,
    subjects: Collection[str],
    *,
    consent_categories: Collection[str] = DEFAULT_CONSENT_CATEGORIES,
) -> list[PublishedDifference]:
    """Recompute each subject's published row one subject at a time (the service's own path,
    :func:`~trustscore.pipeline.score_subject`, with the row's date and knowledge time): the
    subjects whose row says something else, and why."""
    found = []
    for sid in sorted(subjects):
        answer = lg.latest_answer(ledger, sid)
        if answer is None:
            found.append(PublishedDifference(sid, "not published"))
            continue
        again = score_subject(
            store, art, sid, answer.as_of, known_at=answer.computed_at,
            consent_categories=tuple(consent_categories),
        )  # fmt: skip
        told, expected = _claims(answer.result), _claims(again)
        if told != expected:
            found.append(PublishedDifference(sid, _why(told, expected, "recomputed")))
    return found


#: the batch scores' columns that are not a dimension's sub-score or a reason
_SCORE_COLUMNS = frozenset({"subject_id", "score", "status", "quality", "model_version", "as_of"})
