"""Identity changes end to end: recorded in the ledger, then carried into the stores.

* :func:`merge_subjects`: an operator finds two files are one subject's. Every record of the
  merged subject, and every identity profile linked to it, moves to the kept subject.
* :func:`split_subject`: an operator finds one file mixes two subjects. The named records
  (and the records of the named identity profiles) move to a new subject, created like the
  split one.
* A ``not_mine`` dispute resolved for the subject (or at its deadline) is an ``unlink`` the
  ledger records with the resolution; :func:`apply_identity_change` carries it out.

The ledger is written first, in one transaction (the change, its moves, its profile links, its
audit entry); then :func:`apply_identity_change` stores each moved record's new version from
the change's time (:func:`trustscore.records.relink_records`) and the identity store follows.
Both steps are idempotent, and :func:`pending_identity_changes` finds changes the record store
lacks (a crash between the two), so running the repair again completes the work. A score given
before a change replays with the links in force then: the old versions are still there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable

from trustscore import ledger as lg
from trustscore.exceptions import NotFoundError, SchemaError
from trustscore.identity import IdentityStore
from trustscore.records import (
    DISPUTABLE_KINDS,
    RELINKS_DIR,
    RecordStore,
    Relink,
    check_moves,
    current_rows,
    relink_records,
)

__all__ = [
    "apply_identity_change",
    "merge_subjects",
    "pending_identity_changes",
    "split_subject",
]

logger = logging.getLogger(__name__)


def _subject(store: RecordStore, subject_id: str) -> dict[str, object]:
    try:
        return store.record("subject", subject_id)
    except NotFoundError:
        msg = f"No subject {subject_id!r} in the record store."
        raise NotFoundError(msg, subject_id=subject_id) from None


def _records_of(store: RecordStore, subject_id: str) -> list[tuple[str, str]]:
    out = []
    for kind in DISPUTABLE_KINDS:
        ids = current_rows(store, kind, subject_id).column("record_id").to_pylist()
        out += [(kind, str(r)) for r in sorted(set(ids))]
    return out


def _profiles_of(store: RecordStore, subject_id: str) -> list[str]:
    return [str(r["profile_id"]) for r in IdentityStore(store).identity_of(subject_id)]


def apply_identity_change(store: RecordStore, change: lg.IdentityChange) -> int:
    """Carry a ledger identity change into the record store and the identity store.

    Returns the number of record versions stored (0 when it was applied already).
    """
    moves = [Relink(m.record_kind, m.record_id, m.from_subject, m.to_subject)
             for m in change.moves]  # fmt: skip
    stored = relink_records(store, change.change_id, moves, at=change.changed_at)
    profiles = {
        str(pid): str(to)
        for pid, to in change.evidence.get("profiles", {}).items()  # merge/split re-links
    }
    IdentityStore(store).follow_change(
        change.change_id, change.changed_at, profiles=profiles,
        records=[(m.record_kind, m.record_id, m.to_subject) for m in change.moves],
        decided_by=f"{change.action}:{change.decided_by}",
    )  # fmt: skip
    return stored


def pending_identity_changes(ledger: lg.Ledger, store: RecordStore) -> list[lg.IdentityChange]:
    """The ledger's identity changes not (or not wholly) applied to ``store``, oldest first."""
    folder = store.root / RELINKS_DIR
    pending = []
    for change in lg.identity_changes(ledger):
        if not (folder / f"{change.change_id}.parquet").is_file() or not all(
            _moved(store, m, change.changed_at) for m in change.moves
        ):
            pending.append(change)
    return pending


def _moved(store: RecordStore, move: lg.IdentityMove, at: dt.datetime) -> bool:
    """Whether the store holds the move's version (a later change may have moved it on)."""
    try:
        versions = store.versions(move.record_kind, move.record_id)
    except NotFoundError:
        return True  # nothing to move: the store never had it
    return any(v["subject_id"] == move.to_subject and v["ingested_at"] >= at for v in versions)


def merge_subjects(
    ledger: lg.Ledger,
    store: RecordStore,
    keep: str,
    merge: str,
    operator: str,
    *,
    at: dt.datetime | None = None,
    note: str | None = None,
) -> lg.IdentityChange:
    """Merge subject ``merge`` into ``keep``: its records and identity profiles move to ``keep``
    from ``at`` (now by default). Both must be stored subjects of the same kind.

    Raises :class:`~trustscore.exceptions.NotFoundError` for an unknown subject and
    :class:`~trustscore.exceptions.SchemaError` for one subject twice or two kinds (a person
    and an organisation are never one file); a refused merge writes nothing.
    """
    when = at or dt.datetime.now(dt.UTC)
    if keep == merge:
        msg = f"A merge needs two different subjects; got {keep!r} twice."
        raise SchemaError(msg, field="merge", value=merge)
    kept, merged = _subject(store, keep), _subject(store, merge)
    if kept["kind"] != merged["kind"]:
        msg = (
            f"Subject {keep!r} is a {kept['kind']} and {merge!r} a {merged['kind']}: a person's "
            "file and an organisation's are never merged."
        )
        raise SchemaError(msg, field="merge", value=merge)
    moves = [lg.IdentityMove(kind, rid, merge, keep) for kind, rid in _records_of(store, merge)]
    check_moves(store, [Relink(m.record_kind, m.record_id, merge, keep) for m in moves], at=when)
    profiles = _profiles_of(store, merge)
    links = [lg.IdentityLink(p, keep, None, f"operator:{operator}", {"merged_from": merge})
             for p in profiles]  # fmt: skip
    change = lg.record_identity_change(
        ledger, "merge", keep, merge, operator, moves, at=when, profiles=links,
        evidence={"note": note, "profiles": dict.fromkeys(profiles, keep)},
    )  # fmt: skip
    apply_identity_change(store, change)
    return change


def split_subject(
    ledger: lg.Ledger,
    store: RecordStore,
    subject_id: str,
    operator: str,
    *,
    records: Iterable[tuple[str, str]] = (),
    profiles: Iterable[str] = (),
    at: dt.datetime | None = None,
    note: str | None = None,
) -> lg.IdentityChange:
    """Split a subject's file: the named ``records`` (kind, record id) and the records of the
    named identity ``profiles`` move to a new subject, created like this one, from ``at``.

    Raises :class:`~trustscore.exceptions.NotFoundError` for an unknown subject or record and
    :class:`~trustscore.exceptions.SchemaError` when nothing would move, or a named record or
    profile is not this subject's now; a refused split writes nothing.
    """
    when = at or dt.datetime.now(dt.UTC)
    _subject(store, subject_id)
    named = sorted(set(profiles))
    own = set(_profiles_of(store, subject_id))
    foreign = [p for p in named if p not in own]
    if foreign:
        msg = f"Identity profile {foreign[0]!r} is not linked to subject {subject_id!r}."
        raise SchemaError(msg, field="profiles", value=foreign[0])
    current = set(_records_of(store, subject_id))
    wanted = set(records)
    check_moves(store, [Relink(k, r, subject_id, subject_id) for k, r in sorted(wanted)], at=when)
    if named:
        for row in IdentityStore(store).links().to_pylist():
            if row["profile_id"] in named:
                wanted.add((str(row["record_kind"]), str(row["record_id"])))
        wanted &= current | {(k, r) for k, r in records}
    elsewhere = sorted(wanted - current)
    if elsewhere:
        kind, rid = elsewhere[0]
        msg = f"The {kind} record {rid!r} is not in subject {subject_id!r}'s file now."
        raise SchemaError(msg, field="records", value=f"{kind}:{rid}")
    if not wanted:
        msg = f"A split of subject {subject_id!r} must move at least one record or profile."
        raise SchemaError(msg, field="records")
    key = f"split:{subject_id}:{when.isoformat()}:{sorted(wanted)}:{named}"
    new = "subj-s" + hashlib.sha256(key.encode()).hexdigest()[:15]
    moves = [lg.IdentityMove(kind, rid, subject_id, new) for kind, rid in sorted(wanted)]
    links = [lg.IdentityLink(p, new, None, f"operator:{operator}", {"split_from": subject_id})
             for p in named]  # fmt: skip
    change = lg.record_identity_change(
        ledger, "split", subject_id, new, operator, moves, at=when, profiles=links,
        evidence={"note": note, "profiles": dict.fromkeys(named, new)},
    )  # fmt: skip
    apply_identity_change(store, change)
    return change
