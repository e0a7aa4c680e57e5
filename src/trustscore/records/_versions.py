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
    versions (``deleted`` the deletions among them); every other row is a new record.

    ``unchanged``, ``versions`` and ``deleted`` are sorted arrays of positions (8 bytes a row
    that is not new, where a set of Python integers takes about 60).
    """

    hits: dict[int, Hit] = field(default_factory=dict)
    unchanged: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    versions: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    deleted: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))


def classify_keys(
    con: Any,
    store: RecordStore,
    kind: str,
    at: dt.datetime,
    *,
    moves_subject: bool = False,
) -> KeyOutcomes:
    """Classify the rows of a batch by their keys.

    ``con`` is a DuckDB connection with two views over the batch's written parts: ``new_keys``
    with ``pos`` (the row's position in the batch), ``k`` (its key), ``deleting`` (a deletion) and,
    for furnished kinds, ``subj`` (its subject id); and ``new_rows`` with ``pos`` and the kind's
    fields. Nothing of the batch is held in this process but the outcomes: the queries read the
    parts, and DuckDB's joins, counts and windows stay within its memory limit (spilling beyond
    it). ``at`` is the batch's ingestion time; ``moves_subject`` lets a version name another
    subject (an identity change, never a furnisher's file).
    """
    key = RECORD_KINDS[kind].key[0]
    out = KeyOutcomes()
    if kind != "subject":
        out.hits.update(_unknown_subjects(con, store))
    if kind in ORGANISATION_KINDS:
        for pos, hit in _person_subjects(con, store, kind).items():
            out.hits.setdefault(pos, hit)
    counted = con.execute("SELECT count(DISTINCT k), count(*) FROM new_keys").fetchone()
    if counted is not None and counted[0] < counted[1]:
        later = con.execute(
            "SELECT pos FROM (SELECT pos, row_number() OVER (PARTITION BY k ORDER BY pos)"
            " AS rn FROM new_keys) WHERE rn > 1"
        ).fetchall()
        for (pos,) in later:
            out.hits.setdefault(int(pos), Hit(key, f"{key} appears more than once in this file"))
    stored = store.paths(kind)
    if stored:
        con.register("hit_pos", pa.table({"pos": pa.array(sorted(out.hits), pa.int64())}))
        compared = _compare_with_stored(con, kind, stored, at, moves_subject=moves_subject)
        out.hits.update(compared.hits)
        out.unchanged, out.versions, out.deleted = (
            compared.unchanged,
            compared.versions,
            compared.deleted,
        )
        missing = (
            "SELECT n.pos FROM new_keys AS n WHERE n.deleting AND n.pos NOT IN (SELECT pos FROM"
            f" hit_pos) AND NOT EXISTS (SELECT 1 FROM read_parquet({sql_list(stored)}) AS s WHERE"
            f' s."{key}" = n.k) ORDER BY n.pos'
        )
    else:
        missing = "SELECT pos FROM new_keys WHERE deleting ORDER BY pos"
    for (pos,) in con.execute(missing).fetchall():
        out.hits.setdefault(
            int(pos), Hit("action", f"{key} is not stored: there is nothing to delete")
        )
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


#: What the comparison of a row with its record's latest stored version says (SQL codes).
_UNCHANGED, _VERSION, _MOVES, _FURNISHER, _NOT_AFTER, _BACKWARDS = range(6)


def _compare_with_stored(
    con: Any,
    kind: str,
    stored: list[Path],
    at: dt.datetime,
    *,
    moves_subject: bool = False,
) -> KeyOutcomes:
    """Compare the rows of ``new_rows`` whose key is stored, and not refused already (``hit_pos``),
    with their record's latest stored version: identical rows are unchanged, refused versions
    hits, the others versions.

    The verdict of each row is computed in SQL (in the order the checks are made: identical,
    another subject, another furnisher, not ingested after the stored version, business date
    backwards); only the positions come back, and the stored version's details for the refused.
    """
    spec = RECORD_KINDS[kind]
    key, bd, names = spec.key[0], spec.business_date, spec.field_names
    same = " AND ".join(f'n."{c}" IS NOT DISTINCT FROM s."{c}"' for c in names)
    furnisher = 's."furnisher"' if "furnisher" in names else "NULL"
    same_furnisher = (
        'coalesce(n."furnisher" = s."furnisher", false)' if "furnisher" in names else "TRUE"
    )
    same_subject = "TRUE" if moves_subject else "coalesce(n.subject_id = s.subject_id, false)"
    at_us = (at - _EPOCH) // dt.timedelta(microseconds=1)
    deletion = "coalesce(n.action = 'delete', false)" if "action" in names else "false"
    verdict = (
        f"CASE WHEN {same} THEN {_UNCHANGED} "
        f"WHEN NOT {same_subject} THEN {_MOVES} WHEN NOT {same_furnisher} THEN {_FURNISHER} "
        f"WHEN epoch_us(s.ingested_at) >= {at_us} THEN {_NOT_AFTER} "
        f'WHEN coalesce(n."{bd}" < s."{bd}", false) THEN {_BACKWARDS} ELSE {_VERSION} END'
    )
    refused = f"v.verdict NOT IN ({_UNCHANGED}, {_VERSION})"
    # one row per compared row: the stored version's details only where the row is refused
    con.execute(
        "CREATE OR REPLACE TEMP TABLE verdicts AS "
        f"WITH latest AS (SELECT * FROM read_parquet({sql_list(stored)}) AS s "
        f'SEMI JOIN new_keys AS n ON s."{key}" = n.k '
        f'QUALIFY row_number() OVER (PARTITION BY s."{key}" '
        "ORDER BY s.ingested_at DESC, s.batch_id DESC) = 1), "
        f"v AS (SELECT n.pos, {deletion} AS deleting, {verdict} AS verdict, "
        "s.batch_id, epoch_us(s.ingested_at) AS at_us, s.subject_id AS subj, "
        f'{furnisher} AS furn, n."{bd}" AS day, s."{bd}" AS was '
        f'FROM new_rows AS n JOIN latest AS s ON n."{key}" = s."{key}" '
        "WHERE n.pos NOT IN (SELECT pos FROM hit_pos)) "
        "SELECT v.pos, v.deleting, v.verdict, "
        + ", ".join(
            f"CASE WHEN {refused} THEN v.{c} END AS {c}"
            for c in ("batch_id", "at_us", "subj", "furn", "day", "was")
        )
        + " FROM v"
    )

    def positions(where: str) -> npt.NDArray[np.int64]:
        found = con.execute(f"SELECT pos FROM verdicts WHERE {where} ORDER BY pos").fetchnumpy()
        return np.asarray(found["pos"], dtype=np.int64)

    out = KeyOutcomes(
        unchanged=positions(f"verdict = {_UNCHANGED}"),
        versions=positions(f"verdict = {_VERSION}"),
        deleted=positions(f"verdict = {_VERSION} AND deleting"),
    )
    rows = con.execute(
        "SELECT pos, verdict, batch_id, at_us, subj, furn, day, was FROM verdicts "
        f"WHERE verdict NOT IN ({_UNCHANGED}, {_VERSION}) ORDER BY pos"
    ).fetchall()
    for pos, verdict, batch, stored_us, subj, furn, day, was in rows:
        stored_at = _EPOCH + dt.timedelta(microseconds=int(stored_us))
        if verdict == _MOVES:
            out.hits[int(pos)] = Hit(
                "subject_id",
                f"{key} is stored for subject {subj!r} (batch {batch}): a record cannot move "
                "to another subject; delete it and send a new record",
                f"{key} is stored for another subject",
            )
        elif verdict == _FURNISHER:
            out.hits[int(pos)] = Hit(
                "furnisher",
                f"{key} is stored from furnisher {furn!r} (batch {batch}): only that "
                "furnisher may send versions of it",
                f"{key} is stored from another furnisher",
            )
        elif verdict == _NOT_AFTER:
            out.hits[int(pos)] = Hit(
                key,
                f"{key} has a version ingested at {stored_at.isoformat()} (batch {batch}), not "
                f"before this batch's ingestion time {at.isoformat()}: a version counts from "
                "its ingestion time, so it must be ingested after the versions before it",
                f"{key} has a version ingested at or after this batch's ingestion time",
            )
        else:
            out.hits[int(pos)] = Hit(
                bd,
                f"{bd} goes backwards: {day} is before {was}, the {bd} of the stored version "
                f"(batch {batch}); send versions in order",
                f"{bd} goes backwards against the stored version",
            )
    return out
