"""``trustscore identity``: link furnisher files by identity fields, export links, review pairs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from trustscore.cli._errors import fail, guarded
from trustscore.cli._ops import _ledger

identity_app = typer.Typer(
    help="Who is who: link records named by identity fields to subjects.", no_args_is_help=True
)


def _store(workspace: Path | None) -> Path:
    from trustscore.pipeline import Workspace
    from trustscore.settings import get_settings

    return Workspace(workspace or get_settings().workspace).store_dir


@identity_app.command("link")
def link(
    files: Annotated[list[Path], typer.Argument(help="<kind>.csv / .parquet / .jsonl files.")],
    workspace: Annotated[Path | None, typer.Option(help="Workspace (default: settings).")] = None,
    upper: Annotated[
        float | None, typer.Option(help="Match weight at or above which a pair links.")
    ] = None,
    lower: Annotated[
        float | None, typer.Option(help="Match weight below which a pair is two subjects.")
    ] = None,
) -> None:
    """Link each row to a subject (valid ID, then Splink), hold uncertain ones, ingest the rest."""
    from trustscore.identity import DEFAULT_LOWER, DEFAULT_UPPER, link_files
    from trustscore.records import RecordStore

    def run() -> None:
        result = link_files(
            files,
            RecordStore(_store(workspace)),
            _ledger(),
            upper=DEFAULT_UPPER if upper is None else upper,
            lower=DEFAULT_LOWER if lower is None else lower,
        )
        typer.echo(
            f"{result.rows_in:,} rows read and {result.rows_carried:,} held before: "
            f"{result.rows_linked:,} linked, {result.rows_held:,} held "
            f"for review, {result.rows_quarantined:,} quarantined; {result.subjects_new:,} new "
            f"subjects, {result.reviews_open:,} pairs to review"
        )
        for reason, count in result.reasons.items():
            typer.echo(f"  {count:,} × {reason}")

    guarded(run)


@identity_app.command("export")
def export(
    out: Annotated[Path, typer.Option(help="Parquet file to write.")],
    workspace: Annotated[Path | None, typer.Option(help="Workspace (default: settings).")] = None,
) -> None:
    """Write record_kind, record_id, subject_id, match_weight, decided_by of every linked record."""
    from trustscore.identity import export_links
    from trustscore.records import RecordStore

    def run() -> None:
        if out.suffix.lower() != ".parquet":
            raise fail(f"--out must name a .parquet file, got {str(out)!r}.")
        n = export_links(RecordStore(_store(workspace)), out)
        typer.echo(f"wrote {n:,} links to {out}")

    guarded(run)


@identity_app.command("reviews")
def list_reviews() -> None:
    """The open pairs of the clerical review queue."""
    from trustscore.ledger import identity_reviews

    def run() -> None:
        for r in identity_reviews(_ledger(), status="open"):
            typer.echo(f"{r.review_id}  {r.profile_id} ~ {r.candidate_profile_id}  "
                       f"weight {r.match_weight:.2f}")  # fmt: skip

    guarded(run)


@identity_app.command("decide")
def decide(
    review_id: str,
    outcome: Annotated[str, typer.Argument(help="match or distinct")],
    operator: Annotated[str, typer.Option(help="Who decides.")],
) -> None:
    """Decide a pair of the review queue; the next link run applies it."""
    from trustscore.ledger import decide_identity_review

    def run() -> None:
        r = decide_identity_review(
            _ledger(), review_id, outcome, operator, at=dt.datetime.now(dt.UTC)
        )
        typer.echo(f"{r.review_id}: {r.status}")

    guarded(run)
