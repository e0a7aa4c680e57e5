"""The :class:`Ledger`: one SQLAlchemy engine on SQLite or PostgreSQL, and its transactions.

Writes are serialised where it matters: on SQLite every write transaction starts with
``BEGIN IMMEDIATE`` (so two writers never both read the audit chain head) and waits on a busy
timeout; on PostgreSQL the audit append locks the single-row chain head with
``SELECT ... FOR UPDATE``. Reads take no write lock.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, Literal

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from trustscore.exceptions import LedgerError
from trustscore.ledger._audit import GENESIS_HASH
from trustscore.ledger._tables import AuditHeadRow, Base

__all__ = ["Ledger"]

logger = logging.getLogger(__name__)

_MIGRATIONS: Final = Path(__file__).resolve().parent / "migrations"
_READONLY: Final = "trustscore_ledger_readonly"
HEAD_ID: Final = 1


class Ledger:
    """The system of record: ingest batches, snapshots, decisions, disputes, access, audit.

    Parameters
    ----------
    url : str
        A SQLAlchemy URL: ``sqlite:///path/to/ledger.sqlite`` (the default of the CLI and the
        service), ``sqlite://`` for an in-memory ledger (one thread only), or
        ``postgresql+psycopg://user@host:5432/db``.
    busy_timeout_s : float, default 30
        How long a SQLite writer waits for another writer before failing.
    sqlite_synchronous : {"FULL", "NORMAL"}, default "FULL"
        SQLite's ``synchronous`` pragma. ``FULL`` syncs every commit to disk; ``NORMAL`` (safe
        against a crash of the process, not of the machine) is much faster on slow disks.

    Examples
    --------
    >>> ledger = Ledger("sqlite://")
    >>> ledger.create_all()
    >>> ledger.backend
    'sqlite'
    >>> ledger.dispose()
    """

    def __init__(
        self,
        url: str,
        *,
        busy_timeout_s: float = 30.0,
        sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL",
    ) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            msg = (
                f"The ledger URL {url!r} is not a database URL. Use sqlite:///path/ledger.sqlite "
                "or postgresql+psycopg://user@host:5432/db."
            )
            raise LedgerError(msg, url=url) from exc
        self.url: Final = url
        self.backend: Final[str] = parsed.get_backend_name()
        self._sqlite_path: Path | None = None
        if self.backend == "sqlite":
            memory = parsed.database in (None, "", ":memory:")
            if not memory:
                self._sqlite_path = Path(str(parsed.database))
            self._engine = create_engine(
                url,
                connect_args={"timeout": busy_timeout_s, "check_same_thread": False},
                poolclass=StaticPool if memory else None,
            )
            if sqlite_synchronous not in ("FULL", "NORMAL"):
                msg = f"sqlite_synchronous must be 'FULL' or 'NORMAL'; got {sqlite_synchronous!r}."
                raise LedgerError(msg)
            _install_sqlite_hooks(self._engine, busy_timeout_s, sqlite_synchronous)
        elif self.backend == "postgresql":
            self._engine = create_engine(url, pool_pre_ping=True)
        else:
            msg = (
                f"The ledger runs on SQLite or PostgreSQL; the URL {self.safe_url!r} names "
                f"{self.backend!r}. Set TRUSTSCORE_DATABASE_URL to a sqlite:/// or "
                "postgresql+psycopg:// URL."
            )
            raise LedgerError(msg, url=self.safe_url)
        self._writer = sessionmaker(self._engine, expire_on_commit=False)
        self._reader = sessionmaker(
            self._engine.execution_options(**{_READONLY: True}), expire_on_commit=False
        )

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, for messages and logs."""
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for tests and tools; callers use the ledger's functions)."""
        return self._engine

    def __repr__(self) -> str:
        return f"Ledger({self.safe_url!r})"

    def _prepare(self) -> None:
        if self._sqlite_path is not None:
            self._sqlite_path.parent.mkdir(parents=True, exist_ok=True)

    def create_all(self) -> None:
        """Create every table that does not exist yet, and the audit chain head.

        Tests and throwaway ledgers use this; a ledger that lives on uses :meth:`upgrade`.
        """
        self._prepare()
        Base.metadata.create_all(self._engine)
        self._ensure_head()

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to ``revision`` with the Alembic migrations shipped in the package.

        Examples
        --------
        >>> ledger = Ledger("sqlite://")
        >>> ledger.upgrade()
        >>> ledger.revision()
        '0001'
        >>> ledger.dispose()
        """
        from alembic import command

        self._prepare()
        built_by_create_all = self.revision() is None and "audit_log" in self.table_names()
        with self._engine.begin() as conn:
            if built_by_create_all:
                # create_all builds the schema of the latest migration: record it as such.
                command.stamp(_alembic_config(conn), "head")
            command.upgrade(_alembic_config(conn), revision)
        self._ensure_head()

    def revision(self) -> str | None:
        """The Alembic revision the database is at, or None if it was never upgraded."""
        from alembic.runtime.migration import MigrationContext

        with self._engine.connect() as conn:
            rev = MigrationContext.configure(conn).get_current_revision()
            conn.rollback()
        return rev

    def table_names(self) -> list[str]:
        """The names of the tables in the database, sorted."""
        return sorted(inspect(self._engine).get_table_names())

    def _ensure_head(self) -> None:
        with self.transaction() as session:
            if session.get(AuditHeadRow, HEAD_ID) is None:
                session.add(AuditHeadRow(head_id=HEAD_ID, seq=0, hash=GENESIS_HASH))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back on any error."""
        with self._writer.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session that takes no write lock."""
        with self._reader() as session:
            try:
                yield session
            finally:
                session.rollback()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()


def _alembic_config(conn: Connection) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def _install_sqlite_hooks(engine: Engine, busy_timeout_s: float, synchronous: str) -> None:
    # pysqlite's own transaction handling defers BEGIN and cannot take the write lock up front;
    # switch it off and issue BEGIN ourselves (SQLAlchemy's documented recipe).
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute(f"PRAGMA synchronous = {synchronous}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        readonly = conn.get_execution_options().get(_READONLY, False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")
