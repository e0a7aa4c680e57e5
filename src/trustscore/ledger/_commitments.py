"""State commitments: the tables the audit log describes are checked against it.

A table whose rows grant or take away something (an API client's role and purposes, a
dispute, a suppression or correction, an identity link, ...) *registers* here: its key columns
and the columns its commitment covers. Every write of such a row passes the row's commitment to
:func:`~trustscore.ledger._audit.append_entry` (``state=commitments(row)``), so the entry
holds ``[table, key, content hash]``. ``audit_verify`` recomputes the content hash of every
current row of every registered table and compares it with the latest commitment of its key: a
row edited, inserted or deleted behind the ledger's back (a subject client made ``admin`` with
one ``UPDATE``) no longer matches, and the log it would have to match is itself held to signed
checkpoints.

How a new table registers (in the module that writes it)::

    from trustscore.ledger._commitments import commitments, register_committed_table

    register_committed_table(ConsentRow, subject="subject_id")  # key: primary key; all columns
    ...
    session.add(row); session.flush()
    append_entry(session, actor, "consent.grant", payload, at, state=commitments(session, row))

A row removed on purpose (an erasure) is committed as removed with :func:`removal`, so the
verification expects it gone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from trustscore.exceptions import SchemaError
from trustscore.ledger._audit import canonical_json
from trustscore.ledger._tables import Base, SaltRow

__all__ = [
    "REMOVED",
    "CommittedTable",
    "append_baseline",
    "commitments",
    "committed_tables",
    "current_commitments",
    "register_committed_table",
    "removal",
    "row_commitment",
    "stored_commitments",
]

#: The content hash a commitment gives a row that was removed on purpose.
REMOVED = ""


@dataclass(frozen=True)
class CommittedTable:
    """A registered table: its name, key columns and the columns its commitment covers."""

    name: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    subject: str | None = None


_REGISTRY: dict[str, CommittedTable] = {}


def _table(row_class: type[Base]) -> Table:
    return Base.metadata.tables[row_class.__tablename__]


def register_committed_table(
    row_class: type[Base],
    *,
    key: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    subject: str | None = None,
) -> CommittedTable:
    """Declare that rows of ``row_class`` carry a commitment in the audit log.

    ``key`` defaults to the primary key, ``columns`` to every column. ``subject`` names the
    column holding the subject a row is about, if any: its content hash is then salted with
    the subject's salt (:mod:`._salts`), so nobody can test guesses of a row's personal data
    against the log. Registering the same table again with the same declaration is a no-op;
    with another, an error.
    """
    table = _table(row_class)
    names = [c.name for c in table.columns]
    spec = CommittedTable(
        table.name,
        tuple(key) if key is not None else tuple(c.name for c in table.primary_key.columns),
        tuple(columns) if columns is not None else tuple(names),
        subject,
    )
    unknown = [c for c in (*spec.key, *spec.columns, subject or names[0]) if c not in names]
    if unknown or not spec.key:
        msg = (
            f"Table {table.name!r} cannot be registered for state commitments: key {spec.key} "
            f"and columns must be some of {names}; unknown: {unknown}."
        )
        raise SchemaError(msg, table=table.name)
    found = _REGISTRY.setdefault(table.name, spec)
    if found != spec:
        msg = f"Table {table.name!r} is already registered as {found}, not {spec}."
        raise SchemaError(msg, table=table.name)
    return spec


def committed_tables() -> list[CommittedTable]:
    """Every registered table, by name."""
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def row_commitment(
    spec: CommittedTable, values: Mapping[str, Any], salt: str | None = None
) -> tuple[str, str]:
    """``(key, content hash)`` of one row given as ``{column: value}``.

    The key is the canonical JSON of the key values; the hash is SHA-256 of the subject's
    salt (if the table names a subject column and the row a subject) followed by the canonical
    JSON of the committed columns (timestamps in UTC ISO form, dates ISO).
    """
    key = canonical_json([_plain(values[c]) for c in spec.key])
    body = canonical_json({c: _plain(values[c]) for c in spec.columns})
    prefix = b"" if salt is None else bytes.fromhex(salt)
    return key, hashlib.sha256(prefix + body.encode("utf-8")).hexdigest()


def _spec(name: str) -> CommittedTable:
    spec = _REGISTRY.get(name)
    if spec is None:
        msg = (
            f"Table {name!r} is not registered for state commitments: call "
            "register_committed_table on its row class first."
        )
        raise SchemaError(msg, table=name)
    return spec


def commitments(session: Session, *rows: Base) -> list[list[str]]:
    """The ``[table, key, content hash]`` commitments of ORM rows, for ``append_entry``."""
    from trustscore.ledger._salts import subject_salt

    out: list[list[str]] = []
    for row in rows:
        spec = _spec(row.__tablename__)
        mapper = inspect(type(row))
        values = {c.name: getattr(row, mapper.get_property_by_column(c).key)
                  for c in _table(type(row)).columns}  # fmt: skip
        subject = None if spec.subject is None else values[spec.subject]
        salt = None if subject is None else subject_salt(session, subject, dt.datetime.now(dt.UTC))
        key, digest = row_commitment(spec, values, salt)
        out.append([spec.name, key, digest])
    return out


def stored_commitments(
    conn: Connection, row_class: type[Base], keys: Sequence[Any], at: dt.datetime | None = None
) -> list[list[str]]:
    """The commitments of rows of ``row_class`` written on ``conn`` (by primary key, in the
    order of ``keys``), for a bulk insert made without ORM rows.

    The rows are read back as ``audit_verify`` reads them, a chunk of keys a query; subjects'
    salts are read, or made (at ``at``), with one query and one insert per chunk.
    """
    from trustscore.ledger._rows import RowWriter
    from trustscore.ledger._salts import subject_salts

    spec = _spec(row_class.__tablename__)
    table = _table(row_class)
    [pk] = list(table.primary_key.columns)
    writer = RowWriter(conn)
    out: list[list[str]] = []
    for start in range(0, len(keys), 500):
        part = list(keys[start : start + 500])
        found = {
            row[pk.name]: dict(row)
            for row in conn.execute(select(table).where(pk.in_(part))).mappings()
        }
        missing = [key for key in part if key not in found]
        if missing:
            msg = f"No {spec.name} rows with keys {missing[:3]} to commit to."
            raise SchemaError(msg, table=spec.name)
        salts: dict[str, str] = {}
        if spec.subject is not None:
            subjects = [v[spec.subject] for v in found.values() if v[spec.subject] is not None]
            salts = subject_salts(writer, subjects, at or dt.datetime.now(dt.UTC))
        for key in part:
            values = found[key]
            salt = None if spec.subject is None else salts.get(values[spec.subject])
            out.append([spec.name, *row_commitment(spec, values, salt)])
    return out


def removal(row_class: type[Base], key: Sequence[Any]) -> list[str]:
    """The commitment that the row of ``key`` was removed on purpose (an erasure)."""
    spec = _spec(row_class.__tablename__)
    return [spec.name, canonical_json([_plain(v) for v in key]), REMOVED]


def current_commitments(
    session: Session, tables: Collection[str] | None = None
) -> Iterator[tuple[str, str, str]]:
    """``(table, key, content hash)`` of every current row of every registered table (or of
    those named in ``tables``).

    Tables registered by code but absent from this database (a module newer than the
    schema) are skipped.
    """
    salts = SaltRow.__table__
    present = set(inspect(session.connection()).get_table_names())
    for spec in committed_tables():
        if spec.name not in present or (tables is not None and spec.name not in tables):
            continue
        table = Base.metadata.tables[spec.name]
        if spec.subject is None:
            for row in session.execute(select(table)).mappings():
                yield spec.name, *row_commitment(spec, dict(row))
            continue
        joined = select(table, salts.c.salt.label("_salt")).outerjoin(
            salts, salts.c.subject_id == table.c[spec.subject]
        )
        for row in session.execute(joined).mappings():
            values = dict(row)
            salt = values.pop("_salt")
            yield spec.name, *row_commitment(spec, values, salt)


def append_baseline(
    session: Session,
    actor: str,
    at: dt.datetime,
    *,
    chunk: int = 500,
    tables: Collection[str] | None = None,
) -> int:
    """Commit every current row of every registered table (or of ``tables``) in
    ``audit.baseline`` entries.

    For a ledger whose rows were written before they carried commitments (migration 0002), or
    a migration that changes a registered table's columns: it states that the rows as they are
    now are the rows the log vouches for. Returns the number of rows committed.
    """
    from trustscore.ledger._audit import append_entry
    from trustscore.ledger._salts import subject_salt

    present = set(inspect(session.connection()).get_table_names())
    for spec in committed_tables():
        if tables is not None and spec.name not in tables:
            continue
        if spec.subject is not None and spec.name in present:
            column = Base.metadata.tables[spec.name].c[spec.subject]
            for subject in session.scalars(select(column).distinct()):
                if subject is not None:
                    subject_salt(session, subject, at)
    found = list(current_commitments(session, tables))
    for start in range(0, len(found), chunk):
        part = found[start : start + chunk]
        tables = sorted({table for table, _, _ in part})
        append_entry(
            session, actor, "audit.baseline", {"tables": tables, "rows": len(part)}, at,
            state=[list(item) for item in part],
        )  # fmt: skip
    return len(found)
