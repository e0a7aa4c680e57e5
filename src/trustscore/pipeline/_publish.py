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

from trustscore import ledger as lg
from trustscore.exceptions import PurposeError
from trustscore.features import DEFAULT_CONSENT_CATEGORIES, compute_features
from trustscore.pipeline._latest import event_times, new_base, store_listing
from trustscore.pipeline._provider import _result
from trustscore.pipeline._registry import registered_artifact
from trustscore.pipeline._workspace import Workspace
from trustscore.records import RecordStore
from trustscore.safeguards import APPROVABLE_PURPOSES
from trustscore.scoring import ScorecardArtifact, score

__all__ = ["PublishResult", "publish_scores", "served_champion"]

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
