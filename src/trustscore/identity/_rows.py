"""The rows of one linkage run: checked, grouped into identity profiles, kind by kind.

A furnisher sends the same spelling of a subject's identity on every record of an account, so a
file of a hundred thousand rows holds a few thousand distinct identities. Rows are checked with
column-wise kernels; the identity checks, the profile ids and the split of a full name run once
per distinct identity, not once per row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from trustscore.records import RECORD_KINDS
from trustscore.records._identity import IDENTITY_FIELDS, identity_problems, normalise_identity
from trustscore.records._validate import validate_chunk

__all__ = ["PENDING", "Rows", "profile_id"]

#: The subject_id of a row that linkage has not assigned yet.
PENDING: Final = "?pending"
_SEP: Final = "\x1f"
_NULL: Final = "\x00"

ObjArray = npt.NDArray[np.object_]


def profile_id(row: Mapping[str, str | None]) -> str:
    """The id of a normalised identity: a digest of its fields.

    Examples
    --------
    >>> profile_id({"family_name": "li"}) == profile_id({"family_name": "li", "city": None})
    True
    """
    text = json.dumps([row.get(f) for f in IDENTITY_FIELDS])
    return "prof-" + hashlib.sha256(text.encode()).hexdigest()[:24]


def _split_full_name(ident: dict[str, str | None]) -> dict[str, str | None]:
    # A full name alone is split at its last space (given names first), so that it compares
    # with the given and family names other furnishers send.
    if ident.get("full_name") and not (ident.get("given_name") or ident.get("family_name")):
        given, _, family = str(ident["full_name"]).rpartition(" ")
        return {**ident, "given_name": given or None, "family_name": family}
    return ident


def _distinct(table: pa.Table) -> tuple[npt.NDArray[np.int64], pa.Table]:
    """``(code per row, the distinct rows)``: row ``i`` equals ``distinct[code[i]]``; codes
    number the distinct rows in the order they first appear."""
    if table.num_columns == 0:
        table = pa.table({IDENTITY_FIELDS[0]: pa.nulls(table.num_rows, pa.string())})
    columns = [c if pa.types.is_string(c.type) else pc.cast(c, pa.string()) for c in table.columns]
    key = pc.binary_join_element_wise(
        *columns, _SEP, null_handling="replace", null_replacement=_NULL
    )
    encoded = pc.dictionary_encode(key)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    _, first = np.unique(codes, return_index=True)
    return codes, table.take(pa.array(first, pa.int64()))


@dataclass
class Rows:
    """Accepted rows per kind (record fields typed as the store keeps them, profile id per row)
    and refused ones."""

    records: dict[str, list[pa.Table]] = field(default_factory=dict)
    profiles: dict[str, list[ObjArray]] = field(default_factory=dict)
    identity: dict[str, dict[str, str | None]] = field(default_factory=dict)
    given_subject: dict[str, str] = field(default_factory=dict)
    quarantine: list[dict[str, str | None]] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)
    rows_in: int = 0
    rows_carried: int = 0
    sent: dict[str, list[pa.Array]] = field(default_factory=dict)
    superseded: int = 0

    def add(self, kind: str, table: pa.Table, *, at: dt.datetime, carried: bool = False) -> None:
        """Check one file's rows (text, or typed when carried) of ``kind`` and keep the accepted
        ones, typed."""
        n = table.num_rows
        if carried:
            self.rows_carried += n
        else:
            self.rows_in += n
            self.sent.setdefault(kind, []).append(table.column("record_id").combine_chunks())
        names = RECORD_KINDS[kind].field_names
        given = "subject_id" in table.column_names
        # every field of the kind, as text, in the kind's order: files may leave optional
        # columns out, and one run's tables of a kind are put together
        columns = {
            c: table.column(c) if c in table.column_names else pa.nulls(n, pa.string())
            for c in names
        }
        if not given:
            columns["subject_id"] = pa.repeat(pa.scalar(PENDING, pa.string()), n)
        lines = np.arange(2, n + 2, dtype=np.int64)
        ok = np.ones(n, dtype=np.bool_)
        # the rows are kept typed as the store keeps them (a third of their size as text, and
        # ingest has no text to parse again); a held row carried from an earlier run is
        # checked again, as it is typed again
        checked = validate_chunk(kind, pa.table(columns), lines, ingest_date=at.date())
        del columns
        for row in checked.bad.to_pylist():
            self._refuse(kind, row["line"], row["field"], row["value"], row["reason"])
        ok[np.asarray(checked.bad.column("line").to_pylist(), dtype=np.int64) - 2] = False
        # normalise each distinct spelling once (a few per account), then group the spellings
        # that normalise alike: codes number the distinct normalised identities, per row
        raw_codes, raw = _distinct(
            table.select([c for c in table.column_names if c in IDENTITY_FIELDS])
        )
        ident_codes, distinct = _distinct(normalise_identity(raw))
        codes = ident_codes[raw_codes]
        problems = identity_problems(kind, distinct, has_subject_id=given)
        pids = np.empty(distinct.num_rows, dtype=object)
        for i, (fields, problem) in enumerate(zip(distinct.to_pylist(), problems, strict=True)):
            if problem is None:
                fields = _split_full_name(fields)
                pids[i] = profile_id(fields)
                self.identity[pids[i]] = fields
        row_pids = pids[codes]
        for i in np.flatnonzero(ok & (row_pids == None)).tolist():  # noqa: E711 - numpy mask
            problem = problems[int(codes[i])]
            if problem is not None:
                self._refuse(kind, i + 2, *problem)
        keep = ok & (row_pids != None)  # noqa: E711
        kept = checked.good.filter(pa.array(keep[ok]))
        self.records.setdefault(kind, []).append(kept)
        self.profiles.setdefault(kind, []).append(row_pids[keep])
        if given:
            subjects = kept.column("subject_id").to_pylist()
            self.given_subject.update(zip(row_pids[keep].tolist(), subjects, strict=True))

    def add_held(self, held: pa.Table, *, at: dt.datetime) -> None:
        """Take again the rows an earlier run held for review; a record sent again in this run's
        files supersedes its held row (it is counted among ``rows_in``, the held row dropped)."""
        kinds = held.column("record_kind")
        for kind in sorted(set(kinds.to_pylist())):
            part = held.filter(pc.equal(kinds, kind))
            if kind in self.sent:
                again = pc.is_in(
                    part.column("record_id"), value_set=pa.concat_arrays(self.sent[kind])
                )
                self.superseded += int(pc.sum(again).as_py() or 0)
                part = part.filter(pc.invert(again))
            self.add(str(kind), part.drop_columns(["record_kind"]), at=at, carried=True)

    def _refuse(self, kind: str, line: int, fld: str, value: str | None, reason: str) -> None:
        self.quarantine.append(
            {"record_kind": kind, "line": str(line), "field": fld, "value": value,
             "reason": reason}
        )  # fmt: skip
        self.reasons[reason] += 1
