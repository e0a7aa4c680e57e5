"""Moving records to another subject, as new versions: what an identity change does to the store.

A record never changes in place, and a furnisher can never move one to another subject. An
identity change can (a ``not_mine`` dispute resolved for the subject, an operator's merge or
split): :func:`relink_records` stores, for each moved record, a new version that names the new
subject, from the change's time. Features as of any earlier time still see the old version, so
a past score replays with the links in force then; from the change on, the record counts for
its new subject only.

Layout, beside the records::

    <store>/_relinks/<change_id>.parquet          the change's moves (the index, written first)
    <store>/_relinks/<change_id>-<kind>.jsonl     the new versions, ingested as one batch per kind

Reading one subject's records filters the record files by ``subject_id``, which would miss the
newer version of a record moved away and so keep counting its old one: such reads add the
records named in the index (:func:`relinked_ids`), and the latest version decides. In a
bucketed store those versions lie in the buckets of the subjects on the other side of the moves
(:func:`relink_partners`), so such a read opens those buckets too: a record's latest version is
the subject's only if no move took it away since, and every move away is read.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from trustscore.exceptions import NotFoundError, SchemaError
from trustscore.records._corrections import _text
from trustscore.records._ingest import ingest
from trustscore.records._schemas import RECORD_KINDS, arrow_schema
from trustscore.records._store import RecordStore, check_kind, utc, version_order

__all__ = [
    "RELINKS_DIR",
    "RELINK_SCHEMA",
    "Relink",
    "check_moves",
    "current_rows",
    "latest_rows",
    "relink_partners",
    "relink_records",
    "relinked_ids",
    "subject_rows",
]

logger = logging.getLogger(__name__)

#: The store's folder of identity changes' moves and new versions.
RELINKS_DIR: Final = "_relinks"

RELINK_SCHEMA: Final = pa.schema(
    [
        pa.field("kind", pa.string(), nullable=False),
        pa.field("record_id", pa.string(), nullable=False),
        pa.field("from_subject", pa.string(), nullable=False),
        pa.field("to_subject", pa.string(), nullable=False),
        pa.field("change_id", pa.string(), nullable=False),
        pa.field("relinked_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)


@dataclass(frozen=True)
class Relink:
    """One record to move: its kind and id, the subject it leaves and the one it joins."""

    kind: str
    record_id: str
    from_subject: str
    to_subject: str


def _index(root: Path) -> pa.Table:
    folder = root / RELINKS_DIR
    files = sorted(p for p in folder.glob("*.parquet") if not p.name.startswith((".", "_")))
    if not files:
        return RELINK_SCHEMA.empty_table()
    return pa.concat_tables(pq.read_table(p, schema=RELINK_SCHEMA) for p in files)


def relinked_ids(
    store: RecordStore | str | os.PathLike[str],
    kind: str,
    subjects: Iterable[str] | None = None,
) -> list[str]:
    """Ids of the records of ``kind`` that an identity change ever moved (sorted); with
    ``subjects``, only those moved to or from one of them (the only ones a read of these
    subjects' records can miss), so most subjects' reads are not changed at all."""
    root = store.root if isinstance(store, RecordStore) else Path(store)
    rows = _index(root).to_pylist()
    wanted = None if subjects is None else set(subjects)
    return sorted(
        {
            str(r["record_id"])
            for r in rows
            if r["kind"] == kind
            and (wanted is None or r["from_subject"] in wanted or r["to_subject"] in wanted)
        }
    )


def relink_partners(
    store: RecordStore | str | os.PathLike[str], kind: str, subjects: Iterable[str]
) -> list[str]:
    """The subjects that records of ``kind`` were moved to or from, by moves of ``subjects``
    (sorted, ``subjects`` left out): whose buckets hold the other versions of those records."""
    root = store.root if isinstance(store, RecordStore) else Path(store)
    wanted = set(subjects)
    found: set[str] = set()
    for r in _index(root).to_pylist():
        if r["kind"] == kind and (r["from_subject"] in wanted or r["to_subject"] in wanted):
            found.update((str(r["from_subject"]), str(r["to_subject"])))
    return sorted(found - wanted)


def current_rows(store: RecordStore, kind: str, subject_id: str) -> pa.Table:
    """Every stored version of the records of ``kind`` whose latest version is the subject's.

    Examples
    --------
    >>> import tempfile
    >>> current_rows(RecordStore(tempfile.mkdtemp()), "inquiry", "s1").num_rows
    0
    """
    return latest_rows(subject_rows(store, kind, subject_id), kind, subject_id)


def subject_rows(store: RecordStore, kind: str, subject_id: str) -> pa.Table:
    """Every stored version of the subject's records of ``kind``, with the versions under
    other subjects of records an identity change moved to or from it: the rows a read of the
    subject's records needs (the features' ``load_tables`` of one subject reads the same).

    Only the subject's bucket is read, and the buckets of the subjects on the other side of its
    moves, if any.

    Examples
    --------
    >>> import tempfile
    >>> subject_rows(RecordStore(tempfile.mkdtemp()), "obligation", "s1").num_rows
    0
    """
    key = RECORD_KINDS[check_kind(kind)].key[0]
    table = store.read(kind, subjects=[subject_id])
    moved = relinked_ids(store, kind, [subject_id])
    partners = relink_partners(store, kind, [subject_id]) if moved else []
    paths = store.paths(kind, subjects=[subject_id, *partners]) if moved else []
    if paths:
        others = ds.dataset([str(p) for p in paths], schema=arrow_schema(kind, stored=True))
        extra = others.to_table(
            filter=ds.field(key).isin(pa.array(moved, pa.string()))
            & (ds.field("subject_id") != subject_id)
        )
        table = pa.concat_tables([table, extra])
    return table


def latest_rows(table: pa.Table, kind: str, subject_id: str) -> pa.Table:
    """The rows of ``table`` (from :func:`subject_rows`) of the records whose latest version is
    the subject's."""
    key = RECORD_KINDS[check_kind(kind)].key[0]
    latest: dict[str, dict[str, object]] = {}
    for row in table.to_pylist():
        k = str(row[key])
        if k not in latest or version_order(latest[k]) < version_order(row):  # type: ignore[arg-type]
            latest[k] = row
    keep = sorted(k for k, row in latest.items() if row["subject_id"] == subject_id)
    if len(keep) == len(latest):
        return table
    return table.filter(pc.is_in(table.column(key), pa.array(keep, pa.string())))


def _write_text(path: Path, text: str) -> None:
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _new_subjects(store: RecordStore, folder: Path, change_id: str, moves: Sequence[Relink],
                  at: dt.datetime) -> None:  # fmt: skip
    """Store each subject a move names that is not stored yet, like the subject it leaves."""
    wanted = sorted({m.to_subject: m.from_subject for m in moves}.items())
    known = store.has_record_ids("subject", [s for s, _ in wanted])
    rows = []
    for new, old in wanted:
        if new in known:
            continue
        source = store.record("subject", old)
        rows.append({"subject_id": new, "kind": source["kind"],
                     "created_date": _text(source["created_date"])})  # fmt: skip
    if not rows:
        return
    path = folder / f"{change_id}-subject.jsonl"
    _write_text(path, "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
    done = ingest(path, store, kind="subject", ingested_at=at)
    if done.rows_quarantined:
        msg = f"Identity change {change_id}: its new subjects were not stored: {done.reasons}."
        raise SchemaError(msg, change_id=change_id)


def relink_records(
    store: RecordStore, change_id: str, moves: Iterable[Relink], *, at: dt.datetime
) -> int:
    """Store each moved record's new version, naming its new subject, from ``at``.

    A subject a move names that is not stored yet is created like the subject the record
    leaves (same kind and creation date). Idempotent: applied again, it stores nothing more.
    Returns the number of versions stored.

    Raises
    ------
    NotFoundError
        A move names a record that is not stored.
    SchemaError
        The store refused a new version (it holds a version ingested at or after ``at``).
    """
    when = utc(at, name="at")
    todo = [Relink(check_kind(m.kind), m.record_id, m.from_subject, m.to_subject) for m in moves]
    folder = store.root / RELINKS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    index = pa.table(
        {"kind": [m.kind for m in todo], "record_id": [m.record_id for m in todo],
         "from_subject": [m.from_subject for m in todo],
         "to_subject": [m.to_subject for m in todo], "change_id": [change_id] * len(todo),
         "relinked_at": [when] * len(todo)},
        schema=RELINK_SCHEMA,
    )  # fmt: skip
    # the index first: a reader that sees it before the versions reads a few rows more
    path = folder / f"{change_id}.parquet"
    if not path.is_file():
        tmp = folder / f".{change_id}.parquet.tmp"
        pq.write_table(index, tmp)
        os.replace(tmp, path)
    _new_subjects(store, folder, change_id, todo, when)
    stored = 0
    for kind in sorted({m.kind for m in todo}):
        names = RECORD_KINDS[kind].field_names
        rows = []
        for m in (x for x in todo if x.kind == kind):
            latest = store.record(kind, m.record_id)
            if latest["subject_id"] == m.to_subject:
                continue  # moved already
            if latest["subject_id"] != m.from_subject:
                logger.warning(
                    "Identity change %s: %s %s is now with %s, not %s; moved all the same",
                    change_id, kind, m.record_id, latest["subject_id"], m.from_subject,
                )  # fmt: skip
            rows.append({n: _text(latest[n]) for n in names} | {"subject_id": m.to_subject})
        if not rows:
            continue
        file = folder / f"{change_id}-{kind}.jsonl"
        _write_text(file, "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
        done = ingest(file, store, kind=kind, ingested_at=when, moves_subject=True)
        if done.rows_quarantined:
            msg = (
                f"Identity change {change_id}: {done.rows_quarantined} {kind} record(s) could "
                f"not be moved: {dict(done.reasons)}."
            )
            raise SchemaError(msg, change_id=change_id, kind=kind)
        stored += done.rows_stored
    return stored


def check_moves(
    store: RecordStore, moves: Iterable[Relink], *, at: dt.datetime | None = None
) -> None:
    """Refuse moves of records that are not stored, or (given ``at``) that have a version
    ingested at or after ``at`` (a move counts from its time, after every version before it).
    Nothing is written: callers check before they record a change anywhere."""
    by_kind: dict[str, set[str]] = {}
    for m in moves:
        by_kind.setdefault(check_kind(m.kind), set()).add(m.record_id)
    for kind, ids in sorted(by_kind.items()):
        missing = sorted(ids - store.has_record_ids(kind, ids))
        if missing:
            msg = f"No stored {kind} record {missing[0]!r} to move ({len(missing)} missing)."
            raise NotFoundError(msg, kind=kind, record_id=missing[0])
        if at is None:
            continue
        key = RECORD_KINDS[kind].key[0]
        schema = arrow_schema(kind, stored=True)
        dataset = ds.dataset([str(p) for p in store.paths(kind)], schema=schema)
        found = dataset.to_table(
            columns=[key, "ingested_at"], filter=ds.field(key).isin(pa.array(sorted(ids)))
        )
        when = utc(at, name="at")
        stamps = zip(found.column(key).to_pylist(), found.column("ingested_at").to_pylist(),
                     strict=True)  # fmt: skip
        late = [r for r, stamp in stamps if stamp >= when]
        if late:
            msg = (
                f"The {kind} record {sorted(late)[0]!r} has a version ingested at or after "
                f"{when.isoformat()}: a move counts from its time, after every version before it."
            )
            raise SchemaError(msg, kind=kind, record_id=sorted(late)[0])
