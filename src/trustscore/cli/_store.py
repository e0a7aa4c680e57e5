"""``trustscore store``: the record store's layout, and its migration to hash buckets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trustscore.cli._errors import guarded

store_app = typer.Typer(
    help="The record store's layout: hash buckets of the subject (see docs/architecture.md).",
    no_args_is_help=True,
)


@store_app.command("init")
def store_init(
    root: Annotated[Path, typer.Argument(help="The new record store's folder.")],
    buckets: Annotated[
        int,
        typer.Option("--buckets", min=1, help="Bucket count: 64 for a laptop, 16384 for a nation."),
    ] = 64,
) -> None:
    """Create an empty record store with a chosen number of hash buckets of the subject."""
    from trustscore.records import init_store

    def run() -> None:
        layout = init_store(root, buckets=buckets)
        typer.echo(f"{root}: a record store in {layout.buckets} hash buckets of the subject")

    guarded(run)


@store_app.command("migrate")
def store_migrate(
    root: Annotated[Path, typer.Argument(help="The record store folder (<workspace>/store).")],
    buckets: Annotated[
        int | None,
        typer.Option(
            "--buckets",
            min=1,
            help="Bucket count (default 64; about 16384 for a nation). Fixed once written.",
        ),
    ] = None,
) -> None:
    """Rewrite a version-1 store into hash buckets of the subject; safe to run again.

    Stop ingest first. A killed run is finished by running the command again; a store
    already bucketed is left as it is.
    """
    from trustscore.records import migrate_store

    def run() -> None:
        result = migrate_store(root, buckets=buckets)
        layout = result.layout
        if not result.migrated:
            typer.echo(
                f"{result.root}: already laid out in {layout.buckets} hash buckets of the "
                f"subject (layout version {layout.version}); nothing to do."
            )
        else:
            typer.echo(
                f"{result.root}: migrated {result.batches} batches to {layout.buckets} hash "
                "buckets of the subject; removed "
                f"{result.removed} old files."
            )
        for kind in sorted(result.rows):
            before, after = result.rows_before.get(kind, 0), result.rows[kind]
            if before or after:
                typer.echo(
                    f"  {kind}: {before:,} rows in {result.files_before.get(kind, 0):,} files "
                    f"before, {after:,} rows in {result.files[kind]:,} files now"
                )

    guarded(run)
