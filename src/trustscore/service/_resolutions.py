"""A dispute's resolution, end to end: checked, recorded, applied to the store, rescored.

The route ``POST /v1/disputes/{id}/resolution`` runs :func:`resolve_and_apply`, and so does the
crash harness (``tests/crash_harness.py``), which kills it at random points: the ledger records
the outcome first (one transaction), then the store applies it, then the subject is rescored and
the score recorded. A crash after the first step leaves work that ``trustscore disputes
run-deadlines`` completes (:func:`trustscore.pipeline.pending_resolutions`,
:func:`trustscore.pipeline.pending_rescores`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, Final, NamedTuple

from trustscore import ledger as lg
from trustscore.service._provider import SubjectProvider, record_score

__all__ = ["Applied", "resolve_and_apply"]


class Applied(NamedTuple):
    """What a resolution did: the dispute, the suppression it wrote (if any), the identity
    change it made (a ``not_mine`` dispute resolved for the subject unlinks the record) and
    whether the subject was rescored."""

    dispute: lg.Dispute
    suppression: lg.Suppression | None
    change: lg.IdentityChange | None
    rescored: bool


#: Held from the ledger's write to the store's: two operators correcting one record at once
#: reach the store in the order the ledger recorded them, so the correction left live (the
#: store keeps the latest it applied) is the one the ledger holds as the latest. Resolutions
#: are rare; one lock for all of them costs nothing. (Workers of other processes are not
#: ordered by it: with several workers, ``run-deadlines`` still finds each record's one live
#: correction, but which one follows the order the store applied them.)
_ORDER: Final = threading.Lock()


def resolve_and_apply(
    ledger: lg.Ledger,
    provider: SubjectProvider | None,
    dispute_id: str,
    outcome: str,
    resolver: str,
    *,
    note: str | None = None,
    correction: Mapping[str, Any] | None = None,
) -> Applied:
    """Resolve a dispute and carry the outcome into the store.

    A ``not_mine`` dispute resolved other than ``verified`` unlinks the record instead of
    suppressing it: the ledger records the identity change with the resolution, and the store
    follows.

    Corrected values are checked against the record they correct before anything is written
    (:meth:`SubjectProvider.check_correction`); a refused resolution changes nothing. Raises
    what :func:`trustscore.ledger.resolve_dispute` raises (an unknown dispute, one already
    resolved, a correction with another outcome).
    """
    if outcome == "corrected" and correction and provider is not None:
        disputed = lg.get_dispute(ledger, dispute_id)
        if disputed.status == "open":
            provider.check_correction(
                disputed.record_kind, disputed.record_id, dict(correction), dispute_id
            )
    with _ORDER:
        dispute, suppression = lg.resolve_dispute(
            ledger, dispute_id, outcome, resolver, note=note, correction=correction
        )
        change = None
        if dispute.kind == "not_mine" and dispute.status != "verified":
            change = lg.identity_change(ledger, lg.unlink_change_id(dispute.dispute_id))
        if (suppression is None and change is None) or provider is None:
            return Applied(dispute, suppression, change, rescored=False)
        if suppression is not None:
            provider.apply_resolution(suppression)
        if change is not None:
            provider.apply_identity_change(change)
    result = provider.rescore(dispute.subject_id)
    if result is not None:
        record_score(ledger, result, actor=resolver)
    return Applied(dispute, suppression, change, rescored=True)
