"""The seam between the service and the scoring pipeline: :class:`SubjectProvider`.

The service owns authorisation, the access log and the ledger; everything that needs the
record store, the features or the model goes through a provider. ``trustscore.pipeline`` supplies
the real one; tests use a small provider over fixed records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Protocol, TypedDict, runtime_checkable

from trustscore.ledger import Dispute, Ledger, Snapshot, record_snapshot

__all__ = [
    "DecisionResult",
    "ScoreResult",
    "SubjectProvider",
    "deadline_callback",
    "record_score",
]


class ScoreResult(TypedDict):
    """A score as the provider computed it; the service records it as a ledger snapshot.

    ``status`` is ``"OK"`` (``score`` in 0–1000) or ``"NS"`` (not scorable, ``score`` None);
    ``subscores`` maps each dimension to its points; ``reasons`` lists the reason codes (or
    ``{"code", "text", "improve"}`` dicts) in order; ``as_of`` is an ISO date.
    """

    subject_id: str
    as_of: str
    model_version: str
    model_hash: str
    score: int | None
    status: str
    subscores: dict[str, Any]
    reasons: list[Any]
    feature_hash: str


class DecisionResult(TypedDict):
    """A purpose-bound decision; ``notice`` is the adverse-action notice (None if not adverse)."""

    policy: str
    outcome: str
    adverse: bool
    notice: dict[str, Any] | None
    score: ScoreResult


@runtime_checkable
class SubjectProvider(Protocol):
    """What the service needs from the record store, the features and the model.

    Every method raises :class:`~trustscore.exceptions.NotFoundError` for an unknown subject or
    record. ``score`` and ``decide`` are called only after the service has checked the purpose
    (approvable, and allowed for the calling client); the provider still checks that the model
    card lists it (:class:`~trustscore.exceptions.PurposeError` otherwise).
    """

    def score(self, subject_id: str, purpose: str) -> ScoreResult:
        """Score the subject as of today for ``purpose``."""
        ...

    def decide(self, subject_id: str, purpose: str) -> DecisionResult:
        """Score the subject and apply the policy bound to ``purpose``."""
        ...

    def file(self, subject_id: str) -> dict[str, Any]:
        """The subject's file: their records (with ids and kinds) and current score with reasons.

        The service adds the ledger's part (score history, decisions, disputes, accesses).
        """
        ...

    def record_owner(self, kind: str, record_id: str) -> str:
        """The subject a record belongs to (so a subject can dispute only their own records)."""
        ...

    def record_inquiry(
        self, subject_id: str, requester: str, purpose: str, at: dt.datetime
    ) -> None:
        """Store an ``inquiry`` record: the subject sees who asked for their score and why."""
        ...

    def suppress(self, kind: str, record_id: str, reason: str) -> None:
        """Suppress a record in the record store (a new fact; the record is never edited)."""
        ...

    def rescore(self, subject_id: str) -> ScoreResult | None:
        """Rescore the subject after its records changed; the service records the new score."""
        ...


def record_score(ledger: Ledger, result: ScoreResult, actor: str) -> Snapshot:
    """Record a provider's score as a ledger snapshot: the subject's score history."""
    return record_snapshot(
        ledger, subject_id=result["subject_id"], as_of=dt.date.fromisoformat(result["as_of"]),
        model_version=result["model_version"], model_hash=result["model_hash"],
        score=result["score"], status=result["status"], subscores=result["subscores"],
        reasons=result["reasons"], feature_hash=result["feature_hash"], actor=actor,
    )  # fmt: skip


def deadline_callback(
    provider: SubjectProvider, ledger: Ledger | None = None
) -> Callable[[Dispute], None]:
    """The ``on_suppress`` for :func:`trustscore.ledger.run_deadline_job`: suppress, rescore.

    Examples
    --------
    >>> import datetime as dt
    >>> from trustscore.ledger import Ledger, open_dispute, run_deadline_job
    >>> class Store:
    ...     def suppress(self, kind, record_id, reason): print("suppress", kind, record_id)
    ...     def rescore(self, subject_id): print("rescore", subject_id)
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    >>> _ = open_dispute(ledger, "s1", "obligation", "ob-1", "never billed", t0)
    >>> _ = run_deadline_job(ledger, t0 + dt.timedelta(days=31), deadline_callback(Store()))
    suppress obligation ob-1
    rescore s1
    """

    def on_suppress(dispute: Dispute) -> None:
        reason = f"dispute {dispute.dispute_id}: not verified by its deadline"
        provider.suppress(dispute.record_kind, dispute.record_id, reason)
        result = provider.rescore(dispute.subject_id)
        if result is not None and ledger is not None:
            record_score(ledger, result, actor="deadline-job")

    return on_suppress
