"""Backing up and restoring a SQLite ledger with SQLite's online backup API.

A backup is a consistent copy of the database as of one transaction, taken while the service
writes (the API copies the pages under a read transaction; a WAL database lets writers go on),
written beside the target under a temporary name and renamed into place, so ``out`` holds a
whole backup or nothing. A restore checks that the file is a whole ledger, refuses to overwrite
a ledger that holds entries unless forced, and copies it over the live database with the same
API in one step: other connections see the old ledger or the restored one, never a mix.

PostgreSQL ledgers are backed up with ``pg_dump`` (docs/operations.md); :func:`backup_ledger`
refuses them with that pointer.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from trustscore.exceptions import LedgerError
from trustscore.ledger._db import Ledger

__all__ = ["BackupInfo", "backup_ledger", "restore_ledger"]

_DOC: Final = "docs/operations.md, 'Backing up and restoring the ledger'"


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds: its path, audit entries and size in bytes."""

    path: Path
    entries: int
    size: int


def _sqlite_path(ledger: Ledger, verb: str) -> Path:
    path = ledger._sqlite_path
    if ledger.backend != "sqlite":
        msg = (
            f"trustscore ledger {verb} works on SQLite ledgers; {ledger.safe_url} is "
            f"{ledger.backend}: use pg_dump and pg_restore instead (see {_DOC})."
        )
        raise LedgerError(msg, url=ledger.safe_url)
    if path is None:
        msg = f"An in-memory ledger ({ledger.safe_url}) has no file to {verb}."
        raise LedgerError(msg, url=ledger.safe_url)
    return path


@contextlib.contextmanager
def _connect(path: Path, *, readonly: bool) -> Iterator[sqlite3.Connection]:
    uri = f"{path.resolve().as_uri()}?mode={'ro' if readonly else 'rwc'}"
    conn = sqlite3.connect(uri, uri=True, timeout=30.0)
    try:
        yield conn
    finally:
        conn.close()


def _entries(conn: sqlite3.Connection, where: Path) -> int:
    """The audit entries of a ledger file; a file that is not a whole ledger is refused."""
    try:
        check = conn.execute("PRAGMA quick_check").fetchone()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        msg = f"{where} is not a SQLite database ({exc}); nothing was changed."
        raise LedgerError(msg, file=str(where)) from None
    if check is None or check[0] != "ok":
        msg = f"{where} fails SQLite's integrity check ({check}); nothing was changed."
        raise LedgerError(msg, file=str(where))
    if not {"audit_head", "audit_log"} <= tables:
        msg = f"{where} is not a trustscore ledger (it has no audit log); nothing was changed."
        raise LedgerError(msg, file=str(where))
    row = conn.execute("SELECT seq FROM audit_head").fetchone()
    return 0 if row is None else int(row[0])


def backup_ledger(ledger: Ledger, out: str | os.PathLike[str]) -> BackupInfo:
    """Copy the SQLite ``ledger`` to ``out``, consistently, while others go on writing.

    Examples
    --------
    >>> import tempfile
    >>> from trustscore.ledger import audit_append
    >>> folder = Path(tempfile.mkdtemp())
    >>> ledger = Ledger(f"sqlite:///{folder}/ledger.sqlite"); ledger.create_all()
    >>> _ = audit_append(ledger, "ops", "note", {})
    >>> backup_ledger(ledger, folder / "backup.sqlite").entries
    1
    """
    source = _sqlite_path(ledger, "backup")
    if not source.is_file():
        msg = f"There is no ledger at {source} to back up."
        raise LedgerError(msg, file=str(source))
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.{os.getpid()}.tmp"
    try:
        with _connect(source, readonly=True) as src, _connect(tmp, readonly=False) as dst:
            src.backup(dst)  # one step: the copy is of one moment
            dst.execute("PRAGMA journal_mode=DELETE")  # a single file, no -wal beside it
            entries = _entries(dst, tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return BackupInfo(target, entries, target.stat().st_size)


def restore_ledger(
    ledger: Ledger, backup: str | os.PathLike[str], *, force: bool = False
) -> BackupInfo:
    """Replace the SQLite ``ledger``'s contents with the backup file ``backup``.

    Refuses a file that is not a whole ledger, and a target that holds audit entries unless
    ``force``. The copy is one step of SQLite's backup API into the live database: readers see
    the old ledger or the restored one. Stop the service first all the same: its caches (tokens,
    the deadline lease) describe the old ledger.
    """
    target = _sqlite_path(ledger, "restore")
    source = Path(backup)
    if not source.is_file():
        msg = f"There is no backup file {source}."
        raise LedgerError(msg, file=str(source))
    with _connect(source, readonly=True) as src:
        entries = _entries(src, source)
        if target.is_file() and not force:
            with _connect(target, readonly=True) as current:
                try:
                    held = _entries(current, target)
                except LedgerError:
                    held = -1
            if held != 0:
                what = f"holds {held:,} audit entries" if held > 0 else "is not empty"
                msg = (
                    f"The ledger at {target} {what}; restoring would replace them. Back it up "
                    "first (trustscore ledger backup), then restore with --force."
                )
                raise LedgerError(msg, file=str(target))
        ledger.engine.dispose()  # no pooled connection keeps pages of the old ledger
        target.parent.mkdir(parents=True, exist_ok=True)
        with _connect(target, readonly=False) as dst:
            src.backup(dst)
    return BackupInfo(target, entries, target.stat().st_size)
