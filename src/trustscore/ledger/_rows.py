"""Rows inserted in bulk inside a transaction: SQLAlchemy Core, or SQLite's driver directly.

The service records every score it gives (a snapshot, an access and their audit entries) as it
answers, hundreds a second. Through SQLAlchemy each insert statement costs 60-100 us of Python
(compiled-cache lookup, execution context, result set) while the GIL is held, about ten times
what SQLite itself needs. On SQLite, :class:`RowWriter` therefore runs the same statements on the
driver's cursor, with the values converted by the very bind processors SQLAlchemy would use, so
the rows stored are the same to the byte. The transaction itself (``BEGIN IMMEDIATE``, commit,
rollback, events) stays SQLAlchemy's. Other backends go through Core.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Dialect, Table, insert, select, update
from sqlalchemy.engine import Connection

from trustscore.exceptions import AuditChainError
from trustscore.ledger._tables import AuditHeadRow, AuditRow, Base

__all__ = ["RowWriter"]

_HEAD_ID: Final = 1


@dataclass(frozen=True)
class _Insert:
    """One table's INSERT for the SQLite driver: SQL text, column order, value converters."""

    sql: str
    keys: tuple[str, ...]
    converters: tuple[Callable[[Any], Any] | None, ...]

    def params(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(
            row[k] if convert is None else convert(row[k])
            for k, convert in zip(self.keys, self.converters, strict=True)
        )


_INSERTS: dict[tuple[str, type[Dialect]], _Insert] = {}


def _sqlite_insert(table: Table, dialect: Dialect) -> _Insert:
    key = (table.name, type(dialect))
    found = _INSERTS.get(key)
    if found is not None:
        return found
    # an autoincrementing integer key is left to SQLite; every other column is given
    columns = [
        c for c in table.columns if not (c.primary_key and c.autoincrement is True)
    ]  # fmt: skip
    quote = dialect.identifier_preparer.quote
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c.name) for c in columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    made = _Insert(
        sql,
        tuple(c.key for c in columns),
        tuple(c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns),
    )
    _INSERTS[key] = made
    return made


class RowWriter:
    """Inserts rows and moves the audit chain head within one open transaction.

    Parameters
    ----------
    conn : Connection
        The transaction's connection (``session.connection()``).
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect
        self._cursor: Any = None
        if self.dialect.name == "sqlite":
            self._cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]

    @staticmethod
    def table(row_class: type[Base]) -> Table:
        return Base.metadata.tables[row_class.__tablename__]

    def insert_returning_ids(
        self, row_class: type[Base], id_column: str, rows: Sequence[Mapping[str, Any]]
    ) -> list[int]:
        """Insert ``rows`` in order; the ids the database gave them, in the same order."""
        if not rows:
            return []
        table = self.table(row_class)
        if self._cursor is not None:
            statement = _sqlite_insert(table, self.dialect)
            ids = []
            for row in rows:
                self._cursor.execute(statement.sql, statement.params(row))
                ids.append(int(self._cursor.lastrowid))
            return ids
        returning = insert(table).returning(table.c[id_column], sort_by_parameter_order=True)
        return [int(i) for i in self.conn.scalars(returning, list(rows)).all()]

    def insert_many(self, row_class: type[Base], rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert ``rows`` (whose keys are given, not generated)."""
        if not rows:
            return
        table = self.table(row_class)
        if self._cursor is not None:
            statement = _sqlite_insert(table, self.dialect)
            self._cursor.executemany(statement.sql, [statement.params(r) for r in rows])
            return
        self.conn.execute(insert(table), list(rows))

    def lookup(
        self, row_class: type[Base], key: str, value: str, keys: Sequence[str]
    ) -> dict[str, Any]:
        """``{key: value}`` of the rows whose ``key`` column is one of ``keys``."""
        table = self.table(row_class)
        found: dict[str, Any] = {}
        for start in range(0, len(keys), 500):
            part = list(keys[start : start + 500])
            if self._cursor is not None:
                quote = self.dialect.identifier_preparer.quote
                self._cursor.execute(
                    f"SELECT {quote(key)}, {quote(value)} FROM {quote(table.name)} "
                    f"WHERE {quote(key)} IN ({', '.join('?' for _ in part)})",
                    part,
                )
                rows = self._cursor.fetchall()
            else:
                rows = self.conn.execute(
                    select(table.c[key], table.c[value]).where(table.c[key].in_(part))
                ).all()
            found.update((str(k), v) for k, v in rows)
        return found

    def audit_head(self) -> tuple[int, str, str]:
        """The head's sequence number, hash and tree frontier, locked until the transaction ends.

        SQLite's ``BEGIN IMMEDIATE`` already holds the database's write lock; elsewhere the
        head row is selected ``FOR UPDATE``.
        """
        head_t = self.table(AuditHeadRow)
        if self._cursor is not None:
            self._cursor.execute(
                "SELECT seq, hash, frontier FROM audit_head WHERE head_id = ?", (_HEAD_ID,)
            )
            head = self._cursor.fetchone()
        else:
            head = self.conn.execute(
                select(head_t.c.seq, head_t.c.hash, head_t.c.frontier)
                .where(head_t.c.head_id == _HEAD_ID)
                .with_for_update()
            ).one_or_none()
        if head is None:
            msg = (
                "The ledger has no audit chain head: run Ledger.upgrade() (or create_all()) first."
            )
            raise AuditChainError(msg)
        return int(head[0]), str(head[1]), str(head[2] or "")

    def move_audit_head(self, seq: int, digest: str, frontier: str) -> None:
        if self._cursor is not None:
            self._cursor.execute(
                "UPDATE audit_head SET seq = ?, hash = ?, frontier = ? WHERE head_id = ?",
                (seq, digest, frontier, _HEAD_ID),
            )
            return
        head_t = self.table(AuditHeadRow)
        self.conn.execute(
            update(head_t)
            .where(head_t.c.head_id == _HEAD_ID)
            .values(seq=seq, hash=digest, frontier=frontier)
        )

    def insert_audit_rows(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self.insert_many(AuditRow, rows)
