"""Which rows of a batch are new records, new versions, unchanged re-sends or refused.

What needs the whole file and the store is decided here, once every row of a batch is written,
with DuckDB queries over the new rows' keys (one column each, kept in memory by the ingest):

- a record whose ``subject_id`` is not the key of a stored subject is refused (case matters);
- a record of a kind only organisations have (``supplier_payment``) naming a person is refused;
- a key repeated within the file is refused after its first row;
- a key already stored is compared with its record's *latest stored version* (by
  ``ingested_at``, then ``batch_id``, as the features layer orders them): identical is
  *unchanged*; different is a new *version*, unless it moves the record to another subject or
  furnisher, is not ingested after that version, or moves the business date backwards;
- a deletion (``action = delete``) of a record that is not stored is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from trustscore.records._schemas import ORGANISATION_KINDS, RECORD_KINDS
from trustscore.records._store import RecordStore, sql_list

__all__ = ["Hit", "KeyOutcomes", "classify_keys"]

_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Hit:
    """Why a row is refused: the field, the row's reason and the reason as tallied in the
    manifest (without the row's values, so the tally stays short)."""

    field: str
    reason: str
    tally_reason: str = ""

    @property
    def tally(self) -> str:
        return self.tally_reason or self.reason


@dataclass
class KeyOutcomes:
    """Positions (in the batch's row order) refused with a :class:`Hit`, unchanged, or stored as
    versions (``deleted`` the deletions among them); every other row is a new record."""

    hits: dict[int, Hit] = field(default_factory=dict)
    unchanged: set[int] = field(default_factory=set)
    versions: set[int] = field(default_factory=set)
    deleted: set[int] = field(default_factory=set)


def classify_keys(
    con: Any,
    store: RecordStore,
    kind: str,
    keys: pa.Table,
    deletes: npt.NDArray[np.int64],
    read_rows: Callable[[pa.Array], pa.Table],
    at: dt.datetime,
    *,
    moves_subject: bool = False,
) -> KeyOutcomes:
    """Classify the rows of a batch by their keys.

    ``keys`` has ``k`` (the key), ``pos`` (the row's position) and, for furnished kinds, ``subj``
    (its subject id); ``deletes`` the positions of deletion rows; ``read_rows(positions)`` gives
    the kind's fields of those rows; ``at`` is the batch's ingestion time. ``moves_subject``
    lets a version name another subject (an identity change, never a furnisher's file).
    """
    key = RECORD_KINDS[kind].key[0]
    out = KeyOutcomes()
    con.register("new_keys", keys)
    if kind != "subject":
        out.hits.update(_unknown_subjects(con, store))
    if kind in ORGANISATION_KINDS:
        for pos, hit in _person_subjects(con, store, kind).items():
            out.hits.setdefault(pos, hit)
    n_distinct = con.execute("SELECT count(DISTINCT k) FROM new_keys").fetchone()
    if n_distinct is not None and n_distinct[0] < keys.num_rows:
        later = con.execute(
            "SELECT pos FROM (SELECT pos, row_number() OVER (PARTITION BY k ORDER BY pos)"
            " AS rn FROM new_keys) WHERE rn > 1"
        ).fetchall()
        for (pos,) in later:
            out.hits.setdefault(int(pos), Hit(key, f"{key} appears more than once in this file"))
    stored = store.paths(kind)
    found: list[int] = []
    if stored:
        rows = con.execute(
            f"SELECT n.pos FROM new_keys AS n SEMI JOIN "
            f'read_parquet({sql_list(stored)}) AS s ON n.k = s."{key}"'
        ).fetchall()
        found = sorted(int(r[0]) for r in rows if int(r[0]) not in out.hits)
    if found:
        positions = pa.array(found, pa.int64())
        compared = _compare_with_stored(
            con, kind, read_rows(positions), positions, stored, at, moves_subject=moves_subject
        )
        for pos, outcome in compared.items():
            if outcome is None:
                out.unchanged.add(pos)
            else:
                out.hits[pos] = outcome
    found_set = set(found)
    deleting = set(deletes.tolist())
    for pos in sorted(deleting - found_set):
        out.hits.setdefault(pos, Hit("action", f"{key} is not stored: there is nothing to delete"))
    out.versions = found_set - out.unchanged - set(out.hits)
    out.deleted = out.versions & deleting
    return out


def _unknown_subjects(con: Any, store: RecordStore) -> dict[int, Hit]:
    """Rows whose subject_id is not the key of a stored subject record (case matters)."""
    subjects = store.paths("subject")
    if subjects:
        query = (
            "SELECT n.pos, n.subj FROM new_keys AS n ANTI JOIN "
            f"read_parquet({sql_list(subjects)}) AS s ON n.subj = s.subject_id"
        )
    else:
        query = "SELECT pos, subj FROM new_keys"
    return {
        int(pos): Hit(
            "subject_id",
            f"subject_id {subj!r} is not a known subject: no subject record with this id is "
            "stored. Ingest the subject file first, then send this row again.",
            "subject_id is not a known subject",
        )
        for pos, subj in con.execute(query).fetchall()
    }


def _person_subjects(con: Any, store: RecordStore, kind: str) -> dict[int, Hit]:
    """Rows of an organisations-only kind whose subject is stored as a person."""
    subjects = store.paths("subject")
    if not subjects:
        return {}
    query = (
        "SELECT n.pos, n.subj, s.kind FROM new_keys AS n JOIN "
        f"read_parquet({sql_list(subjects)}) AS s ON n.subj = s.subject_id "
        "WHERE s.kind <> 'organisation'"
    )
    return {
        int(pos): Hit(
            "subject_id",
            f"subject_id {subj!r} is a {subj_kind}: {kind} records belong to organisations only "
            "(a person's bills are obligation records). Send it under the organisation's id.",
            f"{kind} of a subject that is not an organisation",
        )
        for pos, subj, subj_kind in con.execute(query).fetchall()
    }


def _compare_with_stored(
    con: Any,
    kind: str,
    new_rows: pa.Table,
    positions: pa.Array,
    stored: list[Path],
    at: dt.datetime,
    *,
    moves_subject: bool = False,
) -> dict[int, Hit | None]:
    """For rows whose key is stored: None for an identical re-send, a hit for a refused version;
    rows left out are new versions."""
    spec = RECORD_KINDS[kind]
    key, bd, names = spec.key[0], spec.business_date, spec.field_names
    con.register("new_rows", new_rows.append_column("pos", positions))
    same = " AND ".join(f'n."{c}" IS NOT DISTINCT FROM s."{c}"' for c in names)
    furnisher = 's."furnisher"' if "furnisher" in names else "NULL"
    same_furnisher = 'n."furnisher" = s."furnisher"' if "furnisher" in names else "TRUE"
    rows = con.execute(
        f"WITH latest AS (SELECT * FROM read_parquet({sql_list(stored)}) AS s "
        f'SEMI JOIN new_rows AS n ON s."{key}" = n."{key}" '
        f'QUALIFY row_number() OVER (PARTITION BY s."{key}" '
        "ORDER BY s.ingested_at DESC, s.batch_id DESC) = 1) "
        # epoch_us: DuckDB hands TIMESTAMPTZ to Python only through pytz
        f"SELECT n.pos, s.batch_id, epoch_us(s.ingested_at), {same}, "
        f"n.subject_id = s.subject_id, s.subject_id, {same_furnisher}, {furnisher}, "
        f'n."{bd}", s."{bd}" '
        f'FROM new_rows AS n JOIN latest AS s ON n."{key}" = s."{key}"'
    ).fetchall()
    out: dict[int, Hit | None] = {}
    for pos, batch, at_us, identical, same_subject, subj, same_furn, furn, day, was in rows:
        stored_at = _EPOCH + dt.timedelta(microseconds=int(at_us))
        if identical:
            out[int(pos)] = None
        elif not same_subject and not moves_subject:
            out[int(pos)] = Hit(
                "subject_id",
                f"{key} is stored for subject {subj!r} (batch {batch}): a record cannot move "
                "to another subject; delete it and send a new record",
                f"{key} is stored for another subject",
            )
        elif not same_furn:
            out[int(pos)] = Hit(
                "furnisher",
                f"{key} is stored from furnisher {furn!r} (batch {batch}): only that "
                "furnisher may send versions of it",
                f"{key} is stored from another furnisher",
            )
        elif stored_at >= at:
            out[int(pos)] = Hit(
                key,
                f"{key} has a version ingested at {stored_at.isoformat()} (batch {batch}), not "
                f"before this batch's ingestion time {at.isoformat()}: a version counts from "
                "its ingestion time, so it must be ingested after the versions before it",
                f"{key} has a version ingested at or after this batch's ingestion time",
            )
        elif day < was:
            out[int(pos)] = Hit(
                bd,
                f"{bd} goes backwards: {day} is before {was}, the {bd} of the stored version "
                f"(batch {batch}); send versions in order",
                f"{bd} goes backwards against the stored version",
            )
    return out
