"""Furnisher quality over a workspace: counts per furnisher, disputes, and held batches.

The record store holds the rows and their counts (each batch manifest counts its rows per
furnisher); the ledger holds the disputes and the facts of each hold. The functions here join
the two for the CLI, the API and the report, and resolve holds in both: the record store first
(release stores the rows through ingest, reject quarantines them), then the ledger with its
audit entry. A resolution interrupted between the two completes when it is run again: the
ledger follows what the store already did.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from typing import Any, Literal

from trustscore import ledger as lg
from trustscore.exceptions import LedgerError, NotFoundError
from trustscore.records import (
    DISPUTABLE_KINDS,
    NO_FURNISHER,
    Hold,
    IngestResult,
    RecordStore,
    furnisher_counts,
    get_hold,
    holds,
    ingest,
    record_furnishers,
    reject_hold,
    release_hold,
)

__all__ = [
    "furnisher_of",
    "furnisher_report",
    "ingest_and_hold",
    "record_holds",
    "resolve_held",
]

_TOTAL = "(all furnishers)"


def record_holds(ledger: lg.Ledger, store: RecordStore) -> list[lg.HeldBatch]:
    """Record in the ledger every hold of the store it lacks (a no-op for those it has)."""
    return [
        lg.record_hold(
            ledger,
            hold_id=h.hold_id,
            batch_id=h.batch_id,
            kind=h.kind,
            furnisher=h.furnisher,
            rows=h.rows,
            reason=h.reason,
            held_at=h.held_at,
        )
        for h in holds(store)
    ]


def ingest_and_hold(
    path: str | os.PathLike[str],
    store: RecordStore,
    ledger: lg.Ledger | None,
    *,
    kind: str | None = None,
    ingested_at: dt.datetime | None = None,
    hold_above: float | None = None,
) -> IngestResult:
    """:func:`~trustscore.records.ingest` a file and record its holds, if any, in the ledger.

    ``ledger`` may be None when nothing can be held (``hold_above`` None).
    """
    result = ingest(path, store, kind=kind, ingested_at=ingested_at, hold_above=hold_above)
    if result.holds:
        if ledger is None:
            msg = f"{path}: rows were held for review but no ledger was given to record the hold."
            raise LedgerError(msg, file=str(path))
        record_holds(ledger, store)
    return result


def resolve_held(
    ledger: lg.Ledger,
    store: RecordStore,
    hold_id: str,
    outcome: Literal["released", "rejected"],
    operator: str,
    *,
    at: dt.datetime | None = None,
) -> tuple[lg.HeldBatch, IngestResult | None]:
    """Release or reject a hold in the store, then in the ledger (audited).

    Returns the ledger's hold and, for a release, the ingest result of the rows stored.
    Raises :class:`~trustscore.exceptions.NotFoundError` for an unknown hold and
    :class:`~trustscore.exceptions.LedgerError` for one already resolved.
    """
    record_holds(ledger, store)
    found = {h.hold_id: h for h in lg.held_batches(ledger)}
    if hold_id not in found:
        get_hold(store, hold_id)  # raises NotFoundError with the store's words
        msg = f"There is no held batch {hold_id!r}. List the holds to find its id."
        raise NotFoundError(msg, hold_id=hold_id)
    if found[hold_id].status != "held":
        held = found[hold_id]
        msg = (
            f"Held batch {hold_id!r} is already {held.status} (by {held.resolver}); a hold is "
            "resolved once."
        )
        raise LedgerError(msg, hold_id=hold_id, status=held.status)
    in_store = get_hold(store, hold_id)
    result: IngestResult | None = None
    if in_store.status == "held":
        if outcome == "released":
            result = release_hold(store, hold_id, operator, at=at)
        else:
            reject_hold(store, hold_id, operator, at=at)
        in_store = get_hold(store, hold_id)
    elif in_store.status != outcome:
        msg = (
            f"Held batch {hold_id!r} was already {in_store.status} in the record store; the "
            f"ledger now records that, not {outcome!r}."
        )
        _mark(ledger, in_store)
        raise LedgerError(msg, hold_id=hold_id, status=in_store.status)
    return _mark(ledger, in_store), result


def _mark(ledger: lg.Ledger, hold: Hold) -> lg.HeldBatch:
    return lg.resolve_hold(
        ledger, hold.hold_id, hold.status, hold.resolved_by or "unknown",
        release_batch_id=hold.release_batch_id, now=hold.resolved_at,
    )  # fmt: skip


def _dispute_outcomes(ledger: lg.Ledger, store: RecordStore) -> dict[str, Counter[str]]:
    """Disputes per furnisher of the disputed record, by status (open or the outcome)."""
    by_kind: dict[str, list[lg.Dispute]] = {}
    for d in lg.disputes(ledger):
        by_kind.setdefault(d.record_kind, []).append(d)
    out: dict[str, Counter[str]] = {}
    for kind, found in by_kind.items():
        owners = (
            record_furnishers(store, kind, [d.record_id for d in found])
            if kind in DISPUTABLE_KINDS
            else {}
        )
        for d in found:
            out.setdefault(owners.get(d.record_id, NO_FURNISHER), Counter())[d.status] += 1
    return out


def furnisher_report(store: RecordStore, ledger: lg.Ledger | None) -> dict[str, Any]:
    """Per furnisher: rows received, stored (new, versions, deletions), unchanged, quarantined
    by reason, held, and disputes opened against its records by outcome; with the totals.

    Every furnisher's counts and the totals reconcile:
    ``received == new + versions + unchanged + quarantined + held``.
    """
    counts = furnisher_counts(store)
    disputes = _dispute_outcomes(ledger, store) if ledger is not None else {}
    waiting: dict[str, list[str]] = {}
    for h in holds(store, status="held"):
        waiting.setdefault(h.furnisher, []).append(h.hold_id)
    rows: list[dict[str, Any]] = []
    for name in sorted(set(counts) | set(disputes)):
        entry = counts[name].to_json() if name in counts else _empty(name)
        opened = disputes.get(name, Counter())
        entry["disputes"] = {"opened": sum(opened.values()), **dict(sorted(opened.items()))}
        entry["held_batches"] = waiting.get(name, [])
        rows.append(entry)
    total = _empty(_TOTAL)
    for row in rows:
        for key in ("received", "new", "versions", "deleted", "unchanged", "held", "stored",
                    "quarantined", "batches"):  # fmt: skip
            total[key] += row[key]
        for reason, n in row["quarantine_reasons"].items():
            total["quarantine_reasons"][reason] = total["quarantine_reasons"].get(reason, 0) + n
    received = total["received"]
    total["quarantine_rate"] = total["quarantined"] / received if received else None
    opened_all: Counter[str] = Counter()
    for c in disputes.values():
        opened_all.update(c)
    total["disputes"] = {"opened": sum(opened_all.values()), **dict(sorted(opened_all.items()))}
    return {"furnishers": rows, "total": total}


def _empty(name: str) -> dict[str, Any]:
    return {
        "furnisher": name, "received": 0, "new": 0, "versions": 0, "deleted": 0,
        "unchanged": 0, "held": 0, "stored": 0, "quarantined": 0, "quarantine_rate": None,
        "quarantine_reasons": {}, "kinds": [], "batches": 0,
    }  # fmt: skip


def furnisher_of(report: dict[str, Any], furnisher: str) -> dict[str, Any]:
    """One furnisher's entry of :func:`furnisher_report`; NotFoundError if it has none."""
    for row in report["furnishers"]:
        if row["furnisher"] == furnisher:
            return dict(row)
    msg = f"No furnisher {furnisher!r} has sent records or had a record disputed."
    raise NotFoundError(msg, furnisher=furnisher)
