"""The seam between the service and the scoring pipeline: :class:`SubjectProvider`.

The service owns authorisation, the access log and the ledger; everything that needs the
record store, the features or the model goes through a provider. ``trustscore.pipeline`` supplies
the real one; tests use a small provider over fixed records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, NotRequired, Protocol, TypedDict, runtime_checkable

from starlette.concurrency import run_in_threadpool

from trustscore.ledger import (
    Dispute,
    IdentityChange,
    Ledger,
    Snapshot,
    Suppression,
    identity_change,
    record_snapshot,
    unlink_change_id,
)

__all__ = [
    "DecisionResult",
    "NowaitProvider",
    "ScoreResult",
    "SubjectProvider",
    "deadline_callback",
    "provider_decide",
    "provider_record_inquiry",
    "provider_score",
    "record_score",
]


class ScoreResult(TypedDict):
    """A score as the provider computed it; the service records it as a ledger snapshot.

    ``status`` is ``"OK"`` (``score`` in 0–1000) or ``"NS"`` (not scorable, ``score`` None);
    ``subscores`` maps each dimension to its points; ``reasons`` lists the reason codes (or
    ``{"code", "text", "improve"}`` dicts) in order; ``as_of`` is an ISO date. A provider may
    add ``score_range`` (``{"min", "max"}``: what the model can give) and ``subscore_ranges``
    (per dimension, the same), which the service shows beside the score, and ``quality``:
    the input-quality flags of the subject's features, each ``{"characteristic", "kind",
    "value", "text"}`` (:func:`trustscore.scoring.describe_flags`; empty when none).
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
    score_range: NotRequired[dict[str, int]]
    subscore_ranges: NotRequired[dict[str, dict[str, int]]]
    quality: NotRequired[list[dict[str, Any]]]


class DecisionResult(TypedDict):
    """A purpose-bound decision; ``notice`` is the adverse-action notice (None if not adverse).

    ``review`` (optional) is :func:`trustscore.decisions.referral`'s answer: whether a person
    must decide first (``referred``, ``kinds``) and the policy's bounds for a review
    (``options``, ``review_days``). A provider without it never refers a decision.
    """

    policy: str
    outcome: str
    adverse: bool
    notice: dict[str, Any] | None
    score: ScoreResult
    review: NotRequired[dict[str, Any]]


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

    def check_correction(
        self, kind: str, record_id: str, correction: dict[str, Any], dispute_id: str
    ) -> None:
        """Raise :class:`~trustscore.exceptions.SchemaError` if the corrected record is invalid.

        Called before a ``corrected`` outcome is recorded, so a bad correction changes nothing.
        """
        ...

    def apply_resolution(self, suppression: Suppression) -> str | None:
        """Apply a ledger suppression to the store; a correction becomes a new record (its id).

        Idempotent: applying one twice changes nothing more.
        """
        ...

    def apply_identity_change(self, change: IdentityChange) -> None:
        """Carry a ledger identity change (an unlink, a merge, a split) into the stores: the
        moved records' new versions. Idempotent."""
        ...

    def rescore(self, subject_id: str) -> ScoreResult | None:
        """Rescore the subject after its records changed; the service records the new score."""
        ...


@runtime_checkable
class NowaitProvider(Protocol):
    """What a provider may add so the service can answer without leaving its event loop.

    Each method does what its :class:`SubjectProvider` namesake does when it can do so at once,
    from memory (no query, no reading the store; a few ``stat`` calls are fine), and otherwise
    returns None (False) without doing anything; the service then calls the namesake in its
    thread pool. They raise what the namesakes raise (an unknown subject, a purpose the model
    card does not list).
    """

    def score_nowait(self, subject_id: str, purpose: str) -> ScoreResult | None:
        """:meth:`SubjectProvider.score` if it can answer at once, else None."""
        ...

    def decide_nowait(self, subject_id: str, purpose: str) -> DecisionResult | None:
        """:meth:`SubjectProvider.decide` if it can answer at once, else None."""
        ...

    def record_inquiry_nowait(
        self, subject_id: str, requester: str, purpose: str, at: dt.datetime
    ) -> bool:
        """:meth:`SubjectProvider.record_inquiry` if it can be done at once (True), else False."""
        ...


async def provider_score(provider: SubjectProvider, subject_id: str, purpose: str) -> ScoreResult:
    """``provider.score``: on the event loop if the provider can answer at once, else in a thread.

    Examples
    --------
    >>> import asyncio
    >>> class Slow:
    ...     def score(self, subject_id, purpose): return {"subject_id": subject_id}
    >>> asyncio.run(provider_score(Slow(), "s1", "credit_limit"))
    {'subject_id': 's1'}
    """
    nowait = getattr(provider, "score_nowait", None)
    if nowait is not None:
        result: ScoreResult | None = nowait(subject_id, purpose)
        if result is not None:
            return result
    return await run_in_threadpool(provider.score, subject_id, purpose)


async def provider_decide(
    provider: SubjectProvider, subject_id: str, purpose: str
) -> DecisionResult:
    """``provider.decide``, on the event loop when the provider can, as :func:`provider_score`."""
    nowait = getattr(provider, "decide_nowait", None)
    if nowait is not None:
        result: DecisionResult | None = nowait(subject_id, purpose)
        if result is not None:
            return result
    return await run_in_threadpool(provider.decide, subject_id, purpose)


async def provider_record_inquiry(
    provider: SubjectProvider, subject_id: str, requester: str, purpose: str, at: dt.datetime
) -> None:
    """``provider.record_inquiry``, on the event loop when the provider can do it at once."""
    nowait = getattr(provider, "record_inquiry_nowait", None)
    if nowait is not None and nowait(subject_id, requester, purpose, at):
        return
    await run_in_threadpool(provider.record_inquiry, subject_id, requester, purpose, at)


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
        if dispute.kind == "not_mine":
            # unlinked, not suppressed; without the ledger the change waits for the repair
            if ledger is not None:
                change = identity_change(ledger, unlink_change_id(dispute.dispute_id))
                provider.apply_identity_change(change)
        else:
            reason = f"dispute {dispute.dispute_id}: not verified by its deadline"
            provider.suppress(dispute.record_kind, dispute.record_id, reason)
        result = provider.rescore(dispute.subject_id)
        if result is not None and ledger is not None:
            record_score(ledger, result, actor="deadline-job")

    return on_suppress
