"""Held rows: listing them, releasing them into the store, rejecting them into quarantine.

A hold (:mod:`trustscore.records._holding`) ends one of two ways, and its state is read from the
store alone:

- **released**: its rows are ingested as a batch of their own, through :func:`ingest`, so they
  are stored exactly as ingest stores any file (new records, versions, refusals against the
  store as it is then). They count from the release: a score replayed from before it still sees
  the store it saw. The release batch's manifest names the hold (``released_hold``), which is
  what marks the hold released; releasing again is refused, and re-ingesting the original file
  is a no-op.
- **rejected**: its rows go to ``quarantine/<hold_id>.parquet`` with the reason
  ``batch rejected by operator NAME``, then ``_held/<hold_id>.rejected.json`` is written, which
  marks the hold rejected.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from trustscore.exceptions import LedgerError, NotFoundError, SchemaError
from trustscore.records._holding import HELD_DIR, held_paths
from trustscore.records._ingest import IngestResult, ingest
from trustscore.records._schemas import RECORD_KINDS
from trustscore.records._store import RecordStore, utc, write_atomic
from trustscore.records._validate import quarantine_schema, to_strings

__all__ = [
    "Hold",
    "HoldStatus",
    "get_hold",
    "holds",
    "reject_hold",
    "rejection_reason",
    "release_hold",
]

HoldStatus = Literal["held", "released", "rejected"]


def rejection_reason(operator: str) -> str:
    """The quarantine reason of rows whose hold an operator rejected."""
    return f"batch rejected by operator {operator}"


@dataclass(frozen=True)
class Hold:
    """One furnisher's rows of one batch, held for review, and what became of them."""

    hold_id: str
    batch_id: str
    kind: str
    furnisher: str
    rows: int
    rate: float
    threshold: float
    reason: str
    held_at: dt.datetime
    status: HoldStatus
    resolved_at: dt.datetime | None = None
    resolved_by: str | None = None
    release_batch_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON (times in ISO 8601)."""
        out = dict(self.__dict__)
        for name in ("held_at", "resolved_at"):
            out[name] = None if out[name] is None else out[name].isoformat()
        return out


def _rejected_path(store: RecordStore, hold_id: str) -> Any:
    return store.root / HELD_DIR / f"{hold_id}.rejected.json"


def holds(store: RecordStore, *, status: HoldStatus | None = None) -> list[Hold]:
    """Every hold in the store, oldest batch first (only those with ``status``, if given)."""
    manifests = store.batches()
    released = {m.released_hold: m for m in manifests if m.released_hold}
    out: list[Hold] = []
    for m in manifests:
        for hold_id, info in sorted(m.holds.items()):
            state: HoldStatus = "held"
            at = by = release = None
            if hold_id in released:
                done = released[hold_id]
                state, at, release = "released", done.ingested_at, done.batch_id
                by = _released_by(store, hold_id)
            elif (marker := _rejected_path(store, hold_id)).is_file():
                data = json.loads(marker.read_text(encoding="utf-8"))
                state, at, by = "rejected", dt.datetime.fromisoformat(data["at"]), data["operator"]
            if status is None or state == status:
                out.append(
                    Hold(
                        hold_id,
                        m.batch_id,
                        m.kind,
                        str(info["furnisher"]),
                        int(info["rows"]),
                        float(info["rate"]),
                        float(info["threshold"]),
                        str(info["reason"]),
                        m.ingested_at,
                        state,
                        at,
                        by,
                        release,
                    )
                )
    return out


def _released_by(store: RecordStore, hold_id: str) -> str | None:
    marker = store.root / HELD_DIR / f"{hold_id}.released.json"
    if not marker.is_file():
        return None
    return str(json.loads(marker.read_text(encoding="utf-8"))["operator"])


def get_hold(store: RecordStore, hold_id: str) -> Hold:
    """The hold with this id; :class:`NotFoundError` if there is none."""
    for hold in holds(store):
        if hold.hold_id == hold_id:
            return hold
    msg = f"There is no held batch {hold_id!r} in {store.root}. List the holds to find its id."
    raise NotFoundError(msg, hold_id=hold_id)


def _open_hold(store: RecordStore, hold_id: str) -> Hold:
    hold = get_hold(store, hold_id)
    if hold.status != "held":
        msg = (
            f"Held batch {hold_id!r} was already {hold.status}"
            f"{f' by {hold.resolved_by}' if hold.resolved_by else ''}; a hold is resolved once."
        )
        raise LedgerError(msg, hold_id=hold_id, status=hold.status)
    return hold


def _check_operator(operator: str) -> str:
    if not isinstance(operator, str) or not operator.strip() or len(operator) > 128:
        msg = (
            "An operator's name is needed (1 to 128 characters) to resolve a hold; "
            f"got {operator!r}."
        )
        raise SchemaError(msg, field="operator", value=repr(operator))
    return operator.strip()


def release_hold(
    store: RecordStore, hold_id: str, operator: str, *, at: dt.datetime | None = None
) -> IngestResult:
    """Store a hold's rows as ingest would have, as of ``at`` (now by default).

    Raises :class:`NotFoundError` for an unknown hold and
    :class:`~trustscore.exceptions.LedgerError` for one already released or rejected.
    """
    who = _check_operator(operator)
    hold = _open_hold(store, hold_id)
    when = utc(at, name="at") if at is not None else dt.datetime.now(dt.UTC)
    data, _ = held_paths(store, hold_id)
    write_atomic(
        store.root / HELD_DIR / f"{hold_id}.released.json",
        json.dumps({"operator": who, "at": when.isoformat()}),
    )
    return ingest(data, store, kind=hold.kind, ingested_at=when, released_hold=hold_id)


def reject_hold(
    store: RecordStore, hold_id: str, operator: str, *, at: dt.datetime | None = None
) -> Hold:
    """Quarantine a hold's rows with the reason ``batch rejected by operator NAME``.

    Raises :class:`NotFoundError` for an unknown hold and
    :class:`~trustscore.exceptions.LedgerError` for one already released or rejected.
    """
    who = _check_operator(operator)
    hold = _open_hold(store, hold_id)
    when = utc(at, name="at") if at is not None else dt.datetime.now(dt.UTC)
    data, line_file = held_paths(store, hold_id)
    rows = pq.read_table(data)
    lines = pq.read_table(line_file).column("line")
    n = rows.num_rows
    reason = rejection_reason(who)
    table = pa.Table.from_arrays(
        [
            lines.combine_chunks(),
            pa.nulls(n, pa.string()),
            pa.nulls(n, pa.string()),
            pa.array([reason] * n, pa.string()),
            *[to_strings(rows.column(name)) for name in RECORD_KINDS[hold.kind].field_names],
        ],
        schema=quarantine_schema(hold.kind),
    )
    target = store.quarantine_dir / f"{hold_id}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        pq.write_table(table, tmp)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    marker = {"operator": who, "at": when.isoformat(), "rows": n, "reason": reason,
              "quarantine_file": target.name}  # fmt: skip
    write_atomic(_rejected_path(store, hold_id), json.dumps(marker, sort_keys=True))
    return get_hold(store, hold_id)
