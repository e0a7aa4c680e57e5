"""``trustscore consent grant|withdraw|list``: operators record a subject's consent for them.

A subject's consent to use their bills (per furnisher or per bill category) is recorded in the
ledger, copied to the workspace's record store and, when the workspace has a model, the subject
is rescored and the new score recorded, as the API does for the subject themselves.
"""

from __future__ import annotations

from typing import Annotated

import typer

from trustscore.cli._errors import fail, guarded
from trustscore.cli._ops import _ledger

__all__ = ["consent_app"]

consent_app = typer.Typer(
    help="A subject's consent to use their bills (utility, telecom, rent, platform).",
    no_args_is_help=True,
)

_Subject = Annotated[str, typer.Argument(help="The subject id.")]
_Category = Annotated[
    str | None,
    typer.Option(help="A bill category: utility, telecom, rent or platform."),
]
_Furnisher = Annotated[str | None, typer.Option(help="One furnisher's id (its bills only).")]
_By = Annotated[str, typer.Option("--by", help="Who records it (the operator's name or id).")]


def _scope(category: str | None, furnisher: str | None) -> tuple[str, str]:
    from trustscore.features import check_consent_categories

    if (category is None) == (furnisher is None):
        raise fail("give exactly one of --category and --furnisher.")
    if category is not None:
        check_consent_categories([category])
        return "category", category
    return "furnisher", str(furnisher)


def _change(
    subject: str, action: str, category: str | None, furnisher: str | None, by: str
) -> None:
    from trustscore.ledger import record_consent
    from trustscore.pipeline import Workspace, WorkspaceProvider, apply_consents
    from trustscore.records import RecordStore
    from trustscore.service import record_score
    from trustscore.settings import get_settings

    def run() -> None:
        scope_kind, scope = _scope(category, furnisher)
        settings = get_settings()
        ws = Workspace(settings.workspace)
        store = RecordStore(ws.store_dir)
        if ws.store_dir.is_dir() and store.read("subject", subjects=[subject]).num_rows == 0:
            raise fail(f"there is no subject {subject!r} in the record store {ws.store_dir}.")
        ledger = _ledger()
        event = record_consent(
            ledger, subject, scope_kind, scope, action, actor=by, source="operator"
        )
        typer.echo(
            f"{action} of consent for {scope_kind} {scope} recorded for {subject} "
            f"({event.consent_id}, effective {event.effective_at:%Y-%m-%d %H:%M:%S} UTC)"
        )
        if not ws.store_dir.is_dir():
            typer.echo("no record store in the workspace: nothing to rescore")
            return
        if not ws.registry_path.is_file():
            apply_consents(store, [event])
            typer.echo("copied to the record store; no model in the workspace to rescore with")
            return
        provider = WorkspaceProvider(
            ws, consent_categories=settings.consent_categories, registry=ledger
        )
        provider.apply_consent(event)
        result = provider.rescore(subject)
        record_score(ledger, result, actor=by)  # type: ignore[arg-type]
        shown = result["score"] if result["status"] == "OK" else "NS (unscorable)"
        typer.echo(f"rescored {subject} as of {result['as_of']}: {shown}")

    guarded(run)


@consent_app.command("grant")
def grant(
    subject: _Subject,
    category: _Category = None,
    furnisher: _Furnisher = None,
    by: _By = "operator",
) -> None:
    """Record that the subject grants consent, and rescore them."""
    _change(subject, "grant", category, furnisher, by)


@consent_app.command("withdraw")
def withdraw(
    subject: _Subject,
    category: _Category = None,
    furnisher: _Furnisher = None,
    by: _By = "operator",
) -> None:
    """Record that the subject withdraws consent, and rescore them (a replay is unchanged)."""
    _change(subject, "withdraw", category, furnisher, by)


@consent_app.command("list")
def list_consents(subject: _Subject) -> None:
    """The subject's grants and withdrawals, oldest first, and what is in force now."""
    from trustscore.ledger import consent_events, consents_in_force

    def run() -> None:
        ledger = _ledger()
        events = consent_events(ledger, subject_id=subject)
        if not events:
            typer.echo(f"no consent recorded for {subject}: none of their bills that need it count")
            return
        for e in events:
            typer.echo(
                f"{e.effective_at:%Y-%m-%d %H:%M:%S}  {e.action:<8} {e.scope_kind:<9} "
                f"{e.scope:<20} by {e.actor} ({e.source})"
            )
        in_force = consents_in_force(ledger, subject)
        shown = ", ".join(f"{e.scope_kind} {e.scope}" for e in in_force) or "none"
        typer.echo(f"in force now: {shown}")

    guarded(run)
