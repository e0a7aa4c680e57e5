"""``trustscore identity``: link furnisher files by identity fields, export links, review pairs,
merge and split subjects, report a split file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trustscore.cli._errors import fail, guarded
from trustscore.cli._ops import _ledger

if TYPE_CHECKING:
    pass

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


def _show_change(change: object) -> None:
    from trustscore.ledger import IdentityChange

    assert isinstance(change, IdentityChange)
    typer.echo(
        f"{change.change_id}: {change.action} {change.subject_id} / {change.other_subject_id}, "
        f"{len(change.moves):,} record(s) moved"
    )


def _rescore(ledger: object, subjects: list[str], workspace: Path | None) -> None:
    from trustscore.exceptions import NotFoundError
    from trustscore.ledger import Ledger
    from trustscore.service import record_score, workspace_provider
    from trustscore.settings import get_settings

    assert isinstance(ledger, Ledger)
    settings = get_settings()
    provider = workspace_provider(
        workspace or settings.workspace, consent_categories=settings.consent_categories
    )
    if provider is None:
        typer.echo("no model in the workspace: nobody rescored")
        return
    for subject in subjects:
        try:
            result = provider.rescore(subject)
        except NotFoundError:
            continue
        if result is not None:
            record_score(ledger, result, actor="identity-change")
            typer.echo(f"  {subject}: rescored {result['status']} {result['score']}")


@identity_app.command("merge")
def merge(
    keep: Annotated[str, typer.Argument(help="The subject that stays.")],
    other: Annotated[str, typer.Argument(help="The subject merged into it.")],
    operator: Annotated[str, typer.Option(help="Who decides.")],
    note: Annotated[str | None, typer.Option(help="Why.")] = None,
    workspace: Annotated[Path | None, typer.Option(help="Workspace (default: settings).")] = None,
) -> None:
    """Merge two files of one subject: every record and profile of OTHER moves to KEEP."""
    from trustscore.pipeline import merge_subjects
    from trustscore.records import RecordStore

    def run() -> None:
        ledger = _ledger()
        change = merge_subjects(
            ledger, RecordStore(_store(workspace)), keep, other, operator, note=note
        )
        _show_change(change)
        _rescore(ledger, [keep, other], workspace)

    guarded(run)


@identity_app.command("split")
def split(
    subject: Annotated[str, typer.Argument(help="The subject whose file mixes two.")],
    operator: Annotated[str, typer.Option(help="Who decides.")],
    record: Annotated[
        list[str] | None, typer.Option(help="kind:record_id of a record to move (repeatable).")
    ] = None,
    profile: Annotated[
        list[str] | None, typer.Option(help="An identity profile to move (repeatable).")
    ] = None,
    note: Annotated[str | None, typer.Option(help="Why.")] = None,
    workspace: Annotated[Path | None, typer.Option(help="Workspace (default: settings).")] = None,
) -> None:
    """Split a mixed file: the named records and profiles move to a new subject."""
    from trustscore.pipeline import split_subject
    from trustscore.records import RecordStore

    def run() -> None:
        refs = []
        for text in record or []:
            kind, sep, rid = text.partition(":")
            if not sep or not kind or not rid:
                raise fail(f"--record must be kind:record_id (obligation:ob-1), got {text!r}.")
            refs.append((kind, rid))
        ledger = _ledger()
        change = split_subject(
            ledger, RecordStore(_store(workspace)), subject, operator, records=refs,
            profiles=profile or [], note=note,
        )  # fmt: skip
        _show_change(change)
        _rescore(ledger, [change.subject_id, change.other_subject_id], workspace)

    guarded(run)


@identity_app.command("report-split")
def report_split(
    subject: Annotated[str, typer.Argument(help="The subject who reports.")],
    details: Annotated[str, typer.Option(help="What identifies the other file.")],
    other: Annotated[str | None, typer.Option(help="The other subject, if known.")] = None,
) -> None:
    """Record a subject's report that another file is also theirs (an identity review)."""
    from trustscore.ledger import report_split_file

    def run() -> None:
        review_id = report_split_file(
            _ledger(), subject, details, reported_by="cli", other_subject_id=other
        )
        typer.echo(f"{review_id}: split-file report of {subject} waits for an operator")

    guarded(run)
