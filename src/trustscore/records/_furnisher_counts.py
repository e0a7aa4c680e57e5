"""Per-furnisher counts over the whole store, from the batch manifests and the holds.

Each batch manifest carries its counts per furnisher (:mod:`trustscore.records._furnisher_tally`);
this sums them and then applies what became of each hold, so for every furnisher, and in total::

    received == new + versions + unchanged + quarantined + held

A release batch adds its stored, unchanged and quarantined rows to its furnisher but receives
nothing (its rows were received with the batch they were held from, and leave ``held``); a
rejected hold moves its rows from ``held`` to ``quarantined`` under the reason
``batch rejected by operator NAME``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from trustscore import engines
from trustscore.records._corrections import CORRECTIONS_DIR
from trustscore.records._furnisher_tally import COUNT_FIELDS, merge_counts
from trustscore.records._holds import holds, rejection_reason
from trustscore.records._schemas import RECORD_KINDS
from trustscore.records._store import RecordStore, check_kind, sql_list

__all__ = ["FurnisherCounts", "furnisher_counts", "record_furnishers"]


@dataclass(frozen=True)
class FurnisherCounts:
    """What one furnisher sent and what became of it.

    ``received == new + versions + unchanged + quarantined + held``; ``deleted`` counts the
    deletions among the versions; ``quarantine_reasons`` splits ``quarantined`` by reason.
    """

    furnisher: str
    received: int = 0
    new: int = 0
    versions: int = 0
    deleted: int = 0
    unchanged: int = 0
    held: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    kinds: tuple[str, ...] = ()
    batches: int = 0

    @property
    def quarantined(self) -> int:
        return sum(self.quarantine_reasons.values())

    @property
    def stored(self) -> int:
        return self.new + self.versions

    @property
    def quarantine_rate(self) -> float | None:
        """The share of received rows quarantined (None if nothing was received)."""
        return self.quarantined / self.received if self.received else None

    def reconciles(self) -> bool:
        """Whether every received row is counted once."""
        return self.received == self.stored + self.unchanged + self.quarantined + self.held

    def to_json(self) -> dict[str, Any]:
        """Plain JSON, with the derived counts."""
        out = {name: getattr(self, name) for name in ("furnisher", *COUNT_FIELDS)}
        out.update(
            stored=self.stored, quarantined=self.quarantined,
            quarantine_rate=self.quarantine_rate,
            quarantine_reasons=dict(self.quarantine_reasons), kinds=list(self.kinds),
            batches=self.batches,
        )  # fmt: skip
        return out


def furnisher_counts(store: RecordStore) -> dict[str, FurnisherCounts]:
    """Counts per furnisher over every committed batch, holds resolved (see the module docs).

    Batches of subjects (which no furnisher sends), the corrections that disputes store (see
    :func:`apply_correction`; the disputes' outcomes say how many) and batches written before
    per-furnisher counts (manifest version 2) are not counted.
    """
    totals: dict[str, dict[str, Any]] = {}
    kinds: dict[str, set[str]] = {}
    batches: Counter[str] = Counter()
    corrections = (store.root / CORRECTIONS_DIR).resolve()
    for m in store.batches():
        if Path(m.file).resolve().parent == corrections:
            continue  # a dispute's correction, not something the furnisher sent
        for furnisher, entry in m.furnishers.items():
            counted = dict(entry)
            if m.released_hold:
                counted["received"] = 0  # received with the batch the rows were held from
            else:
                batches[furnisher] += 1
            merge_counts(totals, furnisher, counted)
            kinds.setdefault(furnisher, set()).add(m.kind)
    for hold in holds(store):
        if hold.status == "held" or hold.furnisher not in totals:
            continue
        total = totals[hold.furnisher]
        total["held"] -= hold.rows
        if hold.status == "rejected":
            total["quarantined"][rejection_reason(str(hold.resolved_by))] += hold.rows
    return {
        f: FurnisherCounts(
            furnisher=f,
            **{name: int(t[name]) for name in COUNT_FIELDS},
            quarantine_reasons=dict(
                sorted(t["quarantined"].items(), key=lambda kv: (-kv[1], kv[0]))
            ),
            kinds=tuple(sorted(kinds[f])),
            batches=batches[f],
        )
        for f, t in sorted(totals.items())
    }


def record_furnishers(store: RecordStore, kind: str, record_ids: Iterable[str]) -> dict[str, str]:
    """The furnisher of each stored record of ``kind`` among ``record_ids`` (one DuckDB scan).

    A record keeps its furnisher across versions (ingest refuses a version from another), so any
    version names it. Ids that are not stored are left out.
    """
    if check_kind(kind) == "subject":
        return {}
    key = RECORD_KINDS[kind].key[0]
    wanted = pa.table({"id": pa.array(sorted(set(record_ids)), pa.string())})
    paths = store.paths(kind)
    if not paths or wanted.num_rows == 0:
        return {}
    con = engines.duckdb_raw()
    try:
        con.register("wanted", wanted)
        rows = con.execute(
            f'SELECT DISTINCT s."{key}", s.furnisher FROM read_parquet({sql_list(paths)}) AS s '
            f'SEMI JOIN wanted AS w ON s."{key}" = w.id'
        ).fetchall()
    finally:
        con.close()
    return {str(k): str(f) for k, f in rows}
