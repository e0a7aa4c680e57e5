"""``trustscore ledger``: back up and restore a SQLite ledger (PostgreSQL: pg_dump)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trustscore.cli._errors import guarded

if TYPE_CHECKING:
    from trustscore.ledger import Ledger

ledger_app = typer.Typer(
    help="Back up and restore the ledger (SQLite; for PostgreSQL see docs/operations.md).",
    no_args_is_help=True,
)


def _configured() -> Ledger:
    from trustscore.ledger import Ledger
    from trustscore.settings import get_settings

    return Ledger(get_settings().database_url.get_secret_value())


@ledger_app.command("backup")
def ledger_backup(
    out: Annotated[Path, typer.Option("--out", help="The backup file to write.")],
) -> None:
    """Copy the ledger to a file, consistently, while the service may go on writing."""
    from trustscore.ledger import backup_ledger

    def run() -> None:
        ledger = _configured()
        info = backup_ledger(ledger, out)
        typer.echo(f"backed up {info.entries:,} audit entries ({info.size:,} bytes) to {info.path}")

    guarded(run)


@ledger_app.command("restore")
def ledger_restore(
    backup: Annotated[Path, typer.Argument(help="A file written by trustscore ledger backup.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a ledger that already holds entries.")
    ] = False,
) -> None:
    """Replace the ledger with a backup (stop the service first); then run audit verify."""
    from trustscore.ledger import restore_ledger

    def run() -> None:
        ledger = _configured()
        info = restore_ledger(ledger, backup, force=force)
        typer.echo(
            f"restored {info.entries:,} audit entries from {backup} into {info.path}; "
            "check it with: trustscore audit verify --witness <a witness's file>"
        )

    guarded(run)
