"""Identity fields in furnisher files: which they are, how they are checked, and where they go.

A furnisher rarely knows trustscore's ``subject_id``; it knows a name, a birth date, an address,
a national ID, or a company's name and registration code. Every record kind may carry these
:data:`IDENTITY_FIELDS` beside or instead of ``subject_id``. They are personal data: linkage
(:mod:`trustscore.identity`) reads them to decide whose record a row is, then they are kept in the
identity store under ``<store>/_identity/`` — apart from the records, never read by features,
refused as characteristics (:mod:`trustscore.safeguards`) and shown only to the subject and to
operators.

Checks, each a quarantine reason (:func:`identity_problems`):

- ``national_id`` is the GB 11643 resident identity number and ``registration_code`` the
  GB 32100 Unified Social Credit Code; a failing check character quarantines the row (a wrong ID
  must never link a record to someone else). Both are normalised to upper case.
- A public record (a judgment, bankruptcy, tax arrear, penalty) must meet the *identity floor*:
  a name, an address, and a national ID or birth date for a person; an organisation's name, an
  address and its registration code for an organisation (the US bureaus' rule since 2017).
- A row without ``subject_id`` must carry enough to link at all: a valid ID, or a name with a
  birth date or an address.

Examples
--------
>>> import pyarrow as pa
>>> rows = pa.table({"record_id": ["p1", "p2"], "kind": ["court_judgment"] * 2,
...                  "full_name": ["Li Wei", "Li Wei"], "address": ["1 Road", None],
...                  "birth_date": ["1980-02-03", "1980-02-03"]})
>>> identity_problems("public_record", rows)
[None, ('address', None, 'identity floor: a public record needs a name, an address and a national ID or birth date')]
"""  # noqa: E501

from __future__ import annotations

import datetime as dt
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from trustscore.records._identity_codes import resident_id_problem, uscc_problem

__all__ = [
    "IDENTITY_FIELDS",
    "PERSON_FIELDS",
    "identity_problems",
    "normalise_identity",
    "split_identity",
    "subject_kind_of",
]

#: Fields that name a subject; never stored with the records, never characteristics.
IDENTITY_FIELDS: Final[tuple[str, ...]] = (
    "national_id",
    "given_name",
    "family_name",
    "full_name",
    "birth_date",
    "address",
    "postcode",
    "city",
    "registration_code",
    "org_name",
)
#: Fields only a person has.
PERSON_FIELDS: Final = ("national_id", "given_name", "family_name", "full_name", "birth_date")
_ORG_FIELDS: Final = ("registration_code", "org_name")

FLOOR_PERSON: Final = (
    "identity floor: a public record needs a name, an address and a national ID or birth date"
)
FLOOR_ORG: Final = (
    "identity floor: an organisation's public record needs its name, an address and its "
    "registration code"
)
TOO_LITTLE: Final = (
    "too little identity to link: give subject_id, a national ID or registration code, or a "
    "name with a birth date or an address"
)


def split_identity(table: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Split a furnisher table into its record columns and its identity columns.

    Examples
    --------
    >>> rec, ids = split_identity(pa.table({"record_id": ["r"], "given_name": ["Wei"]}))
    >>> rec.column_names, ids.column_names
    (['record_id'], ['given_name'])
    """
    names = table.column_names
    identity = [n for n in names if n in IDENTITY_FIELDS]
    return table.select([n for n in names if n not in IDENTITY_FIELDS]), table.select(identity)


def normalise_identity(table: pa.Table) -> pa.Table:
    """Every identity field as a trimmed string (null when empty); names and addresses in lower
    case with single spaces, IDs in upper case (a lower-case ``x`` accepted), birth dates as
    given (checked as ``YYYY-MM-DD`` by :func:`identity_problems`).

    All :data:`IDENTITY_FIELDS` are present in the result, missing ones as nulls.

    Examples
    --------
    >>> normalise_identity(pa.table({"full_name": ["  Li   WEI "]})).column("full_name")[0]
    <pyarrow.StringScalar: 'li wei'>
    """
    n = table.num_rows
    out: dict[str, pa.Array | pa.ChunkedArray] = {}
    for name in IDENTITY_FIELDS:
        if name not in table.column_names:
            out[name] = pa.nulls(n, pa.string())
            continue
        column = table.column(name)
        if not pa.types.is_string(column.type):
            column = pc.cast(column, pa.string())
        column = pc.utf8_trim_whitespace(pc.replace_substring_regex(column, r"\s+", " "))
        if name in ("national_id", "registration_code"):
            column = pc.utf8_upper(column)
        elif name != "birth_date":
            column = pc.utf8_lower(column)
        out[name] = pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)
    return pa.table(out)


def subject_kind_of(row: dict[str, str | None]) -> str:
    """``organisation`` if the row names one (and no person), else ``person``."""
    if any(row.get(f) for f in _ORG_FIELDS) and not any(row.get(f) for f in PERSON_FIELDS):
        return "organisation"
    return "person"


def _date_problem(value: str) -> str | None:
    try:
        born = dt.date.fromisoformat(value)
    except ValueError:
        return "birth_date is not a valid date in YYYY-MM-DD form"
    if born.year < 1900:
        return "birth_date is before 1900"
    return None


def identity_problems(
    kind: str, table: pa.Table, *, has_subject_id: bool = False
) -> list[tuple[str, str | None, str] | None]:
    """Per row of a normalised identity table, the first problem ``(field, value, reason)`` or
    None.

    Parameters
    ----------
    kind
        The record kind (public records must meet the identity floor).
    table
        Identity columns, normalised or not (:func:`normalise_identity` is applied).
    has_subject_id
        Whether the rows name their subject already (then an empty identity is allowed).
    """
    rows = normalise_identity(table).to_pylist()
    out: list[tuple[str, str | None, str] | None] = []
    for row in rows:
        out.append(_row_problem(kind, row, has_subject_id=has_subject_id))
    return out


def _row_problem(
    kind: str, row: dict[str, str | None], *, has_subject_id: bool
) -> tuple[str, str | None, str] | None:
    nid, reg, born = row["national_id"], row["registration_code"], row["birth_date"]
    if nid is not None and (why := resident_id_problem(nid)) is not None:
        return "national_id", nid, f"national_id is not a valid resident identity number: {why}"
    if reg is not None and (why := uscc_problem(reg)) is not None:
        return "registration_code", reg, f"registration_code is not a valid credit code: {why}"
    if born is not None and (why := _date_problem(born)) is not None:
        return "birth_date", born, why
    person_name = row["full_name"] or (row["given_name"] and row["family_name"])
    place = row["address"]
    if kind == "public_record":
        if subject_kind_of(row) == "organisation":
            if not (row["org_name"] and place and reg):
                missing = next(
                    f for f in ("org_name", "address", "registration_code") if not row[f]
                )
                return missing, None, FLOOR_ORG
        elif not (person_name and place and (nid or born)):
            missing = "full_name" if not person_name else "address" if not place else "birth_date"
            return missing, None, FLOOR_PERSON
        return None
    if has_subject_id or nid or reg:
        return None
    name = person_name or row["family_name"] or row["org_name"]
    if name and (born or place or row["postcode"]):
        return None
    return "national_id", None, TOO_LITTLE
