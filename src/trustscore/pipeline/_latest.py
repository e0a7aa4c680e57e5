"""When a stored latest score is still the answer: states of the record store, and what changed.

The service answers from the ledger's ``latest_scores`` (one row per subject, see
:mod:`trustscore.ledger._latest`). A row holds the score :func:`score_subject` computed at
``computed_at``; it is the answer at ``now`` exactly when nothing that score depends on changed
in between:

- the model (``model_hash``) and the as-of date are those of now;
- the state of the record store is the one it was computed from. A state is a *base* (the
  committed batches, suppression files and consent files at one moment, stored once in
  ``latest_score_bases``, its id a hash of the as-of date and those names) plus the files
  committed since, each of which touches known subjects: a subject's ``patch`` is a hash of the
  names of the later files that touch it ("" for none). A dispute's correction batch, a
  suppression file and a consent file name their subjects; for any other batch
  :func:`subjects_touched` cannot tell (yet: the bucketed store will name its buckets), so the
  state moves to a new base and every row computed before is stale;
- no event in the store's files (a batch's ingestion, a suppression, a consent's effective or
  recorded time) falls after ``computed_at`` and at or before ``now``: the base keeps every event
  time later than its ``known_at``, and the files since add theirs.

Everything here is bounded by the number of files and of subjects touched since the base, never
by the population: the batch run (``trustscore publish``) starts a new base when it refills
the table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pyarrow.parquet as pq

from trustscore import ledger as lg
from trustscore.exceptions import NotFoundError
from trustscore.records import SUPPRESSION_SCHEMA, BatchManifest, RecordStore, consents_dir

__all__ = [
    "Changes",
    "Listing",
    "base_id",
    "changes_in",
    "event_times",
    "patch_token",
    "store_listing",
    "subjects_changed_after",
    "subjects_touched",
]

#: More subjects touched since the base than this, and the state moves to a new base (every
#: row computed before is then stale): the memory for what changed stays bounded.
MAX_PATCHED: Final = 50_000


@dataclass(frozen=True)
class Listing:
    """The files that make a state of the store: batch ids, suppression and consent files."""

    batches: frozenset[str]
    suppressions: frozenset[str]
    consents: frozenset[str]

    def __le__(self, other: Listing) -> bool:
        return (
            self.batches <= other.batches
            and self.suppressions <= other.suppressions
            and self.consents <= other.consents
        )

    def __sub__(self, other: Listing) -> Listing:
        return Listing(
            self.batches - other.batches,
            self.suppressions - other.suppressions,
            self.consents - other.consents,
        )

    @classmethod
    def of(cls, base: lg.ScoreBase) -> Listing:
        return cls(base.batches, base.suppressions, base.consents)


def _names(folder: Path, suffix: str) -> frozenset[str]:
    try:
        return frozenset(
            e.name
            for e in os.scandir(folder)
            if e.name.endswith(suffix) and not e.name.startswith(".")
        )
    except FileNotFoundError:
        return frozenset()


def store_listing(store: RecordStore) -> Listing:
    """The store's committed batches (ids), suppression files and consent files (names)."""
    return Listing(
        frozenset(n.removesuffix(".json") for n in _names(store.batches_dir, ".json")),
        _names(store.suppressions_dir, ".parquet"),
        _names(consents_dir(store), ".parquet"),
    )


def base_id(as_of: dt.date, listing: Listing) -> str:
    """The id of a base: a hash of the as-of date and the listing (equal states, equal ids).

    Examples
    --------
    >>> a = Listing(frozenset({"b1", "b2"}), frozenset(), frozenset({"c1.parquet"}))
    >>> b = Listing(frozenset({"b2", "b1"}), frozenset(), frozenset({"c1.parquet"}))
    >>> base_id(dt.date(2026, 1, 1), a) == base_id(dt.date(2026, 1, 1), b)
    True
    >>> base_id(dt.date(2026, 1, 2), a) == base_id(dt.date(2026, 1, 1), a)
    False
    """
    text = json.dumps(
        [as_of.isoformat(), sorted(listing.batches), sorted(listing.suppressions),
         sorted(listing.consents)],
        separators=(",", ":"),
    )  # fmt: skip
    return "base:" + hashlib.sha256(text.encode()).hexdigest()[:40]


def patch_token(names: Iterable[str]) -> str:
    """A subject's ``patch``: a hash of the files since the base that touch it ("" for none).

    Examples
    --------
    >>> patch_token([])
    ''
    >>> patch_token(["s:x.parquet", "b:c1"]) == patch_token(["b:c1", "s:x.parquet"])
    True
    """
    ordered = sorted(names)
    if not ordered:
        return ""
    return "p:" + hashlib.sha256("\n".join(ordered).encode()).hexdigest()[:40]


def _is_correction(store: RecordStore, manifest: BatchManifest) -> bool:
    folder = (store.root / "_corrections").resolve()
    return Path(manifest.file).resolve().parent == folder


def subjects_touched(store: RecordStore, manifest: BatchManifest) -> frozenset[str] | None:
    """The subjects whose scores a committed batch may change, or None when it cannot tell.

    A dispute's correction batch names them in its parts (a correction never moves a record to
    another subject). A furnisher's batch, an identity change's moves or a released hold may touch
    any number of subjects, and reading their parts to find out would hold a whole delivery's
    subjects in memory: None, so every score computed before it is stale.

    This is the seam for the bucketed store: where a batch's manifest names the hash buckets its
    parts fall in, the answer becomes "the subjects of these buckets", and the keyed rows can be
    judged by bucket instead of all at once.
    """
    if not _is_correction(store, manifest):
        return None
    found: set[str] = set()
    for part in store.part_paths(manifest):
        ids = pq.read_table(part, columns=["subject_id"])
        found.update(str(v) for v in ids.column("subject_id").to_pylist())
    return frozenset(found)


@dataclass
class Changes:
    """What files committed since a state change: per subject the names of those touching it
    (None: some file's subjects are unknown), and the event times in them."""

    subjects: dict[str, list[str]] | None
    times: list[dt.datetime]


def _consent_times(path: Path) -> tuple[list[str], list[dt.datetime]]:
    events = pq.read_table(path, columns=["subject_id", "effective_at", "recorded_at"])
    times = [
        t
        for column in ("effective_at", "recorded_at")
        for t in events.column(column).to_pylist()
        if t is not None
    ]
    return [str(v) for v in events.column("subject_id").to_pylist()], times


def _suppressed_subject(store: RecordStore, row: dict[str, Any]) -> str | None:
    """Whose record a suppression row suppresses; None for a record not stored (a suppression
    of it changes nothing)."""
    try:
        return str(store.record(row["kind"], row["record_id"])["subject_id"])
    except NotFoundError:
        return None


def changes_in(store: RecordStore, new: Listing) -> Changes:
    """The subjects and the event times of the files in ``new`` (read file by file)."""
    subjects: dict[str, list[str]] | None = {}
    times: list[dt.datetime] = []

    def touch(sids: Iterable[str], name: str) -> None:
        if subjects is not None:
            for sid in sids:
                subjects.setdefault(sid, []).append(name)

    for batch_id in sorted(new.batches):
        manifest = store.batch(batch_id)
        times.append(manifest.ingested_at)
        touched = subjects_touched(store, manifest)
        if touched is None:
            subjects = None
        else:
            touch(touched, f"b:{batch_id}")
    for name in sorted(new.suppressions):
        rows = pq.read_table(store.suppressions_dir / name, schema=SUPPRESSION_SCHEMA).to_pylist()
        sids = []
        for r in rows:
            times.append(r["suppressed_at"])
            if (sid := _suppressed_subject(store, r)) is not None:
                sids.append(sid)
        touch(sids, f"s:{name}")
    for name in sorted(new.consents):
        sids, found = _consent_times(consents_dir(store) / name)
        times.extend(found)
        touch(sids, f"c:{name}")
    return Changes(subjects, times)


def subjects_changed_after(store: RecordStore, after: dt.datetime) -> set[str] | None:
    """The subjects about whom something in the store became known or took effect after
    ``after``: a later batch, suppression, or consent event. None if a later batch's subjects
    cannot be told (then any subject may have changed)."""
    listing = store_listing(store)
    changed: set[str] = set()
    for batch_id in sorted(listing.batches):
        manifest = store.batch(batch_id)
        if manifest.ingested_at > after:
            touched = subjects_touched(store, manifest)
            if touched is None:
                return None
            changed.update(touched)
    for name in sorted(listing.suppressions):
        rows = pq.read_table(store.suppressions_dir / name, schema=SUPPRESSION_SCHEMA).to_pylist()
        changed.update(
            sid for r in rows
            if r["suppressed_at"] > after and (sid := _suppressed_subject(store, r)) is not None
        )  # fmt: skip
    for name in sorted(listing.consents):
        events = pq.read_table(
            consents_dir(store) / name, columns=["subject_id", "effective_at", "recorded_at"]
        ).to_pylist()
        changed.update(
            str(e["subject_id"]) for e in events
            if any(t is not None and t > after for t in (e["effective_at"], e["recorded_at"]))
        )  # fmt: skip
    return changed


def event_times(store: RecordStore, listing: Listing, after: dt.datetime) -> list[dt.datetime]:
    """Every event time in the listed files later than ``after``, sorted (reads each file's
    times only: the batch run's and a first start's one look at the whole store)."""
    times = [store.batch(b).ingested_at for b in listing.batches]
    for name in listing.suppressions:
        table = pq.read_table(store.suppressions_dir / name, columns=["suppressed_at"])
        times.extend(table.column("suppressed_at").to_pylist())
    for name in listing.consents:
        times.extend(_consent_times(consents_dir(store) / name)[1])
    return sorted({t for t in times if t is not None and t > after})


def new_base(as_of: dt.date, listing: Listing, known_at: dt.datetime,
             times: Iterable[dt.datetime]) -> lg.ScoreBase:  # fmt: skip
    """A base of this state, keeping the event times later than ``known_at``."""
    return lg.ScoreBase(
        base_id=base_id(as_of, listing),
        as_of=as_of,
        known_at=known_at,
        batches=listing.batches,
        suppressions=listing.suppressions,
        consents=listing.consents,
        times=tuple(sorted({t for t in times if t > known_at})),
    )
