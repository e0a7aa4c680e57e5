"""``trustscore model``: the registry of models, four-eyes approval, champion and challenger.

Each command names the client acting (``--by``): the ledger checks its role, records the
move in the audit chain, and refuses the registrant's approval of their own model.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trustscore.cli._errors import fail, guarded

if TYPE_CHECKING:
    from trustscore.ledger import Ledger, ModelEvent
    from trustscore.pipeline import Workspace

models_app = typer.Typer(
    help="The model registry: register, approve (a validator, not the registrant), promote a "
    "champion per purpose, retire, roll back, name a challenger.",
    no_args_is_help=True,
)

__all__ = ["models_app"]

_By = Annotated[
    str, typer.Option("--by", help="The id of the client acting (trustscore client create).")
]
_Model = Annotated[str, typer.Argument(help="The model: its content hash or its version.")]
_Purpose = Annotated[str, typer.Option(help="The purpose, e.g. credit_pricing.")]


def _open() -> tuple[Ledger, Workspace]:
    from trustscore.cli._ops import _ledger
    from trustscore.pipeline import Workspace
    from trustscore.settings import get_settings

    return _ledger(), Workspace(get_settings().workspace)


def _moved(ledger: Ledger, ws: Workspace, event: ModelEvent, what: str) -> None:
    from trustscore.pipeline import registry_moved

    registry_moved(ledger, ws)
    typer.echo(f"{what} (event {event.event_id}, in the audit chain)")


@models_app.command("register")
def register(
    artifact: Annotated[Path, typer.Argument(help="A model artifact (JSON).")], by: _By
) -> None:
    """Store an artifact in the workspace's registry and register it by its content hash."""
    from trustscore.pipeline import store_and_register

    def run() -> None:
        ledger, ws = _open()
        model = store_and_register(ledger, ws, artifact, registered_by=by)
        typer.echo(
            f"registered model {model.model_version} ({model.model_hash}) by {model.registered_by}"
        )

    guarded(run)


@models_app.command("approve")
def approve(
    model: _Model,
    by: _By,
    report: Annotated[Path, typer.Option(help="The validation report read (its SHA-256 is kept).")],
    purpose: Annotated[list[str], typer.Option(help="A purpose approved; repeat for each.")],
) -> None:
    """Approve a model for purposes, as a validator who did not register it (four eyes)."""
    from trustscore.ledger import approve_model, find_model

    def run() -> None:
        ledger, _ = _open()
        digest = hashlib.sha256(report.read_bytes()).hexdigest()
        found = find_model(ledger, model)
        approved = approve_model(
            ledger, found.model_hash, purpose, validator=by, report_hash=f"sha256:{digest}"
        )
        typer.echo(
            f"model {approved.model_version} approved by {by} for {', '.join(purpose)}; now "
            f"approved for {', '.join(approved.approved_purposes)}"
        )

    guarded(run)


@models_app.command("promote")
def promote(model: _Model, purpose: _Purpose, by: _By) -> None:
    """Make an approved model the champion of a purpose: the only model scoring for it."""
    from trustscore.ledger import find_model, promote_model

    def run() -> None:
        ledger, ws = _open()
        found = find_model(ledger, model)
        event = promote_model(ledger, found.model_hash, purpose, actor=by)
        _moved(ledger, ws, event, f"model {found.model_version} is the champion of {purpose}")

    guarded(run)


@models_app.command("retire")
def retire(purpose: _Purpose, by: _By) -> None:
    """Retire a purpose's champion: nothing scores for the purpose until another is promoted."""
    from trustscore.ledger import retire_model

    def run() -> None:
        ledger, ws = _open()
        event = retire_model(ledger, purpose, actor=by)
        _moved(ledger, ws, event, f"the champion of {purpose} is retired; none scores for it")

    guarded(run)


@models_app.command("rollback")
def rollback(purpose: _Purpose, by: _By) -> None:
    """Make the previous champion of a purpose its champion again."""
    from trustscore.ledger import find_model, rollback_model

    def run() -> None:
        ledger, ws = _open()
        event = rollback_model(ledger, purpose, actor=by)
        back = find_model(ledger, str(event.model_hash))
        _moved(ledger, ws, event, f"rolled {purpose} back to model {back.model_version}")

    guarded(run)


@models_app.command("challenge")
def challenge(
    purpose: _Purpose,
    by: _By,
    model: Annotated[
        str | None, typer.Argument(help="The challenger (hash or version); none: withdraw.")
    ] = None,
    withdraw: Annotated[bool, typer.Option(help="Withdraw the purpose's challenger.")] = False,
) -> None:
    """Name a registered model the challenger of a purpose: scored in shadow, never decided with."""
    from trustscore.ledger import find_model, set_challenger

    if (model is None) == (not withdraw):
        raise fail("name a challenger model, or pass --withdraw (not both).")

    def run() -> None:
        ledger, ws = _open()
        found = None if model is None else find_model(ledger, model)
        event = set_challenger(
            ledger, None if found is None else found.model_hash, purpose, actor=by
        )
        what = (
            f"the challenger of {purpose} is withdrawn"
            if found is None
            else f"model {found.model_version} challenges the champion of {purpose} in shadow"
        )
        _moved(ledger, ws, event, what)

    guarded(run)


@models_app.command("list")
def list_models() -> None:
    """Every registered model: who registered it, its approvals, the slots it holds."""
    from trustscore.ledger import challenger, champion, registered_models
    from trustscore.safeguards import APPROVABLE_PURPOSES

    def run() -> None:
        ledger, _ = _open()
        slots: dict[str, list[str]] = {}
        for purpose in APPROVABLE_PURPOSES:
            for name, held in (("champion", champion), ("challenger", challenger)):
                found = held(ledger, purpose)
                if found is not None:
                    slots.setdefault(found.model_hash, []).append(f"{name} of {purpose}")
        models = registered_models(ledger)
        if not models:
            typer.echo("no model is registered (trustscore model register)")
        for m in models:
            typer.echo(
                f"{m.model_version}  {m.model_hash}  registered by {m.registered_by} at "
                f"{m.registered_at:%Y-%m-%d %H:%M} UTC"
            )
            for a in m.approvals:
                typer.echo(
                    f"    approved for {', '.join(a.purposes)} by {a.validator} at "
                    f"{a.approved_at:%Y-%m-%d %H:%M} UTC (report {a.report_hash})"
                )
            typer.echo(f"    {'; '.join(slots.get(m.model_hash, [])) or 'holds no slot'}")

    guarded(run)
