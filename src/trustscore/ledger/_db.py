"""The :class:`Ledger`: one SQLAlchemy engine on SQLite or PostgreSQL, and its transactions.

Writes are serialised where it matters: on SQLite every write transaction starts with
``BEGIN IMMEDIATE`` (so two writers never both read the audit chain head) and waits on a busy
timeout; on PostgreSQL the audit append locks the single-row chain head with
``SELECT ... FOR UPDATE``. Reads take no write lock.

SQLite runs in WAL mode. By default the commit that grows the WAL past 1000 pages copies them
into the database file and syncs it (a checkpoint), so that commit, and every write queued
behind it, waits 10-30 ms on a slow disk. A long-running writer (the service) passes
``sqlite_checkpoints="background"``: a thread of the ledger's own runs passive checkpoints
(which never block writers) on its own connection while commits go on, and a commit
checkpoints only the little that is left, once per 16 MiB of WAL, to restart it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, Literal, cast

from sqlalchemy import Engine, create_engine, event, insert, inspect, select
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
#: With background checkpoints, the WAL size (pages) at which a commit checkpoints itself, so
#: that the WAL restarts from its beginning (see ``_Checkpointer``).
RESTART_PAGES: Final = 4096
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
    sqlite_checkpoints : {"commit", "background"}, default "commit"
        Who copies the WAL into a SQLite database file: the commit that fills it (SQLite's
        default), or mostly a background thread of this ledger, every ``checkpoint_interval_s``
        while there are writes (see the module's docstring). Either way every commit is in the
        WAL, synced as ``sqlite_synchronous`` says, before it returns. Ignored for PostgreSQL
        and in-memory SQLite.
    checkpoint_interval_s : float, default 0.1
        The most often the background thread checkpoints.

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
        sqlite_checkpoints: Literal["commit", "background"] = "commit",
        checkpoint_interval_s: float = 0.1,
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
        self._checkpointer: _Checkpointer | None = None
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
            if sqlite_checkpoints not in ("commit", "background"):
                msg = (
                    "sqlite_checkpoints must be 'commit' or 'background'; got "
                    f"{sqlite_checkpoints!r}."
                )
                raise LedgerError(msg)
            background = sqlite_checkpoints == "background" and self._sqlite_path is not None
            _install_sqlite_hooks(
                self._engine, busy_timeout_s, sqlite_synchronous,
                autocheckpoint_pages=RESTART_PAGES if background else None,
            )  # fmt: skip
            if background and self._sqlite_path is not None:
                self._checkpointer = _Checkpointer(
                    self._sqlite_path, busy_timeout_s, sqlite_synchronous, checkpoint_interval_s
                )
                event.listen(self._engine, "commit", self._checkpointer.poke)
        elif self.backend == "postgresql":
            self._engine = create_engine(url, pool_pre_ping=True)
        else:
            msg = (
                f"The ledger runs on SQLite or PostgreSQL; the URL {self.safe_url!r} names "
                f"{self.backend!r}. Set TRUSTSCORE_DATABASE_URL to a sqlite:/// or "
                "postgresql+psycopg:// URL."
            )
            raise LedgerError(msg, url=self.safe_url)
        self._busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._point_readers: list[sqlite3.Connection] = []
        self._point_lock = threading.Lock()
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
        '0013'
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
        # Core, naming only the columns of the first revision: upgrade() may stop at any one.
        head = Base.metadata.tables[AuditHeadRow.__tablename__]
        with self.writing() as conn:
            found = conn.execute(select(head.c.head_id).where(head.c.head_id == HEAD_ID)).first()
            if found is None:
                conn.execute(insert(head).values(head_id=HEAD_ID, seq=0, hash=GENESIS_HASH))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back on any error."""
        with self._writer.begin() as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A write transaction on a Core connection, for bulk inserts that need no ORM session.

        Begun and committed like :meth:`transaction` (on SQLite with ``BEGIN IMMEDIATE``), at
        half its cost.
        """
        with self._engine.begin() as conn:
            yield conn

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session that takes no write lock."""
        with self._reader() as session:
            try:
                yield session
            finally:
                session.rollback()

    def point_read(self, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """The first row of a read-only ``sql`` (``?`` placeholders), as the driver returns it;
        None if there is none. Only for a SQLite file ledger (see :attr:`point_reads`).

        It runs on the calling thread's own connection, in autocommit (each statement reads
        the latest committed state and takes no lock) with ``query_only`` set: no pool checkout,
        no ``BEGIN``/``ROLLBACK``, no SQLAlchemy statement machinery, and the driver's cache of
        prepared statements. That is what a read by primary key on the service's hot path can
        afford (about 20 microseconds, against 150-250 through the engine).
        """
        conn: sqlite3.Connection | None = getattr(self._local, "reader", None)
        if conn is None:
            if self._sqlite_path is None:
                msg = f"Point reads need a SQLite file ledger; this one is {self.safe_url!r}."
                raise LedgerError(msg, url=self.safe_url)
            conn = sqlite3.connect(
                self._sqlite_path, timeout=self._busy_timeout_s, isolation_level=None,
                check_same_thread=False,
            )  # fmt: skip
            conn.execute("PRAGMA query_only = ON")
            with self._point_lock:
                self._point_readers.append(conn)
            self._local.reader = conn
        row: tuple[Any, ...] | None = conn.execute(sql, params).fetchone()
        return row

    @property
    def point_reads(self) -> bool:
        """Whether :meth:`point_read` serves this ledger (a SQLite file); else read through
        the engine."""
        return self._sqlite_path is not None

    def checkpoints(self) -> int:
        """How many checkpoints the background thread has run (0 unless it runs them)."""
        return 0 if self._checkpointer is None else self._checkpointer.runs

    def dispose(self) -> None:
        """Close every pooled connection (and stop the background checkpoints, if any)."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
        with self._point_lock:
            readers, self._point_readers = self._point_readers, []
            self._local = threading.local()
        for conn in readers:
            conn.close()
        self._engine.dispose()


class _Checkpointer:
    """WAL checkpoints from a thread of their own, while a SQLite ledger is written.

    A passive checkpoint copies the WAL's committed pages into the database file and syncs it
    without taking the write lock, so commits go on meanwhile. Commits wake the thread
    (:meth:`poke`); it checkpoints at most once per ``interval_s`` and sleeps while nothing is
    written.

    The WAL starts again from its beginning only when a writer begins while every frame in it
    has been copied, which seldom happens while commits follow each other closely (each passive
    checkpoint leaves behind the commits made while it ran). So the ledger's connections keep
    SQLite's own checkpoint at commit, at :data:`RESTART_PAGES` instead of 1000 pages: the
    commit that grows the WAL that far copies what this thread has not yet copied (little)
    and syncs the database file, and the next writer restarts the WAL. That commit takes a few
    ms longer, once per 16 MiB of WAL; without this thread, a commit took 10-30 ms longer every
    4 MiB.
    """

    def __init__(
        self,
        path: Path,
        busy_timeout_s: float,
        synchronous: str,
        interval_s: float,
    ) -> None:
        self.path = path
        self.busy_timeout_s = busy_timeout_s
        self.synchronous = synchronous
        self.interval_s = interval_s
        self.runs = 0
        self._wake = threading.Event()
        self._halt = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def poke(self, _conn: object = None) -> None:
        """A commit is under way: checkpoint soon (starts the thread on first use)."""
        if self._thread is None:
            with self._lock:
                if self._thread is None and not self._stopped:
                    self._thread = threading.Thread(
                        target=self._run, name="ledger-checkpoint", daemon=True
                    )
                    self._thread.start()
        self._wake.set()

    def stop(self) -> None:
        """Checkpoint what is left, then end the thread."""
        with self._lock:
            self._stopped = True
            thread = self._thread
        self._halt.set()
        self._wake.set()
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        conn = sqlite3.connect(
            self.path, timeout=self.busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        try:
            # a checkpoint syncs the database file as the connection's mode says: the same as
            # the ledger's connections
            conn.execute(f"PRAGMA synchronous = {self.synchronous}")
            while not self._stopped:
                self._wake.wait()
                self._halt.wait(self.interval_s)  # let an interval's commits gather
                self._wake.clear()
                if self._stopped:
                    break
                self._checkpoint(conn)
            self._checkpoint(conn)
        finally:
            conn.close()

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.runs += 1
        except sqlite3.Error:  # the next commit pokes again; a commit never depends on this
            logger.warning("A background checkpoint of %s failed", self.path, exc_info=True)


def _alembic_config(conn: Connection) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def _install_sqlite_hooks(
    engine: Engine, busy_timeout_s: float, synchronous: str, *, autocheckpoint_pages: int | None
) -> None:
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
            if autocheckpoint_pages is not None:  # else SQLite's default, 1000
                cursor.execute(f"PRAGMA wal_autocheckpoint = {int(autocheckpoint_pages)}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        readonly = conn.get_execution_options().get(_READONLY, False)
        # on the driver's connection: SQLAlchemy's execution of a statement (context, events,
        # result) cost more than the BEGIN itself, once per transaction
        driver = cast(sqlite3.Connection, conn.connection.driver_connection)
        driver.execute("BEGIN" if readonly else "BEGIN IMMEDIATE")
