"""``trustscore furnishers``: counts per furnisher, and the batches held for review."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trustscore.cli._errors import fail, guarded

if TYPE_CHECKING:
    from trustscore.ledger import Ledger
    from trustscore.records import RecordStore

__all__ = ["furnishers_app", "open_ledger"]

furnishers_app = typer.Typer(
    help="Furnisher quality: what each furnisher sent, what became of it, its disputes; and "
    "the batches held for review.",
    invoke_without_command=True,
)
hold_app = typer.Typer(
    help="Batches held for review: a furnisher's rows of a batch whose quarantine rate was above "
    "--hold-above.",
    no_args_is_help=True,
)
furnishers_app.add_typer(hold_app, name="hold")

Workspace = Annotated[
    Path | None,
    typer.Option(help="The workspace (default: TRUSTSCORE_WORKSPACE, else ./trustscore-demo)."),
]
Format = Annotated[str, typer.Option("--format", help="table or json")]


def open_ledger(workspace: Path | None) -> Ledger:
    """The ledger of a workspace (TRUSTSCORE_DATABASE_URL if set, else its ledger.sqlite)."""
    from trustscore.ledger import Ledger
    from trustscore.settings import get_settings, load_settings

    settings = get_settings() if workspace is None else load_settings(workspace=workspace)
    settings.workspace.mkdir(parents=True, exist_ok=True)
    ledger = Ledger(settings.database_url.get_secret_value())
    ledger.upgrade()
    return ledger


def _open(workspace: Path | None) -> tuple[RecordStore, Ledger]:
    """The workspace's record store and ledger."""
    from trustscore.pipeline import Workspace as Ws
    from trustscore.records import RecordStore
    from trustscore.settings import get_settings

    ws = Ws(workspace if workspace is not None else get_settings().workspace)
    if not ws.root.is_dir():
        raise fail(
            f"there is no workspace at {ws.root} (run trustscore demo, or pass --workspace)."
        )
    return RecordStore(ws.store_dir), open_ledger(ws.root)


def _check_format(fmt: str) -> str:
    if fmt not in ("table", "json"):
        raise fail(f"--format must be table or json, got {fmt!r}.")
    return fmt


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


_COLUMNS = ("received", "new", "versions", "deleted", "unchanged", "quarantined", "held")


def _table(report: dict[str, Any]) -> list[str]:
    rows = [*report["furnishers"], report["total"]]
    head = ["furnisher", *_COLUMNS, "q-rate", "disputes"]
    cells = [
        [
            str(r["furnisher"]), *(f"{r[c]:,}" for c in _COLUMNS), _rate(r["quarantine_rate"]),
            f"{r['disputes']['opened']:,}",
        ]
        for r in rows
    ]  # fmt: skip
    widths = [max(len(x) for x in col) for col in zip(head, *cells, strict=True)]

    def line(values: list[str]) -> str:
        first = values[0].ljust(widths[0])
        return "  ".join(
            [first, *(v.rjust(w) for v, w in zip(values[1:], widths[1:], strict=True))]
        )

    out = [line(head), "  ".join("-" * w for w in widths)]
    out += [line(c) for c in cells[:-1]]
    out += ["  ".join("-" * w for w in widths), line(cells[-1])]
    for r in report["furnishers"]:
        details = [f"    {n:,} x {reason}" for reason, n in r["quarantine_reasons"].items()]
        outcomes = {k: v for k, v in r["disputes"].items() if k != "opened"}
        if outcomes:
            details.append("    disputes: " + ", ".join(f"{v:,} {k}" for k, v in outcomes.items()))
        details += [f"    held: {h}" for h in r["held_batches"]]
        if details:
            out += [f"{r['furnisher']}:", *details]
    return out


@furnishers_app.callback()
def furnishers(ctx: typer.Context, workspace: Workspace = None, fmt: Format = "table") -> None:
    """Per furnisher: rows received, stored (new, versions, deletions), unchanged, quarantined
    by reason, held; disputes of its records by outcome. received = new + versions + unchanged +
    quarantined + held, per furnisher and in total."""
    if ctx.invoked_subcommand is not None:
        return
    from trustscore.pipeline import furnisher_report

    _check_format(fmt)

    def run() -> None:
        store, ledger = _open(workspace)
        try:
            report = furnisher_report(store, ledger)
        finally:
            ledger.dispose()
        if fmt == "json":
            typer.echo(json.dumps(report, indent=2, sort_keys=True))
        elif not report["furnishers"]:
            typer.echo(f"no furnisher batches in {store.root}")
        else:
            typer.echo("\n".join(_table(report)))

    guarded(run)


@hold_app.command("list")
def hold_list(
    workspace: Workspace = None,
    status: Annotated[str | None, typer.Option(help="held, released or rejected")] = "held",
    fmt: Format = "table",
) -> None:
    """List held batches (by default those still waiting for review)."""
    from trustscore.ledger import HOLD_STATUSES, held_batches
    from trustscore.pipeline import record_holds

    _check_format(fmt)
    if status is not None and status not in HOLD_STATUSES:
        raise fail(f"--status must be one of {', '.join(HOLD_STATUSES)}, got {status!r}.")

    def run() -> None:
        store, ledger = _open(workspace)
        try:
            record_holds(ledger, store)
            found = held_batches(ledger, status)
        finally:
            ledger.dispose()
        if fmt == "json":
            items = [
                {
                    k: v.isoformat() if isinstance(v, dt.datetime) else v
                    for k, v in asdict(h).items()
                }
                for h in found
            ]
            typer.echo(json.dumps(items, indent=2, sort_keys=True))
            return
        if not found:
            typer.echo(f"no {status or ''} held batches".replace("  ", " "))
        for h in found:
            done = f" by {h.resolver} at {h.resolved_at:%Y-%m-%d %H:%M}" if h.resolver else ""
            typer.echo(f"{h.hold_id}  {h.status}{done}  {h.kind}, {h.rows:,} rows")
            typer.echo(f"    {h.reason}")

    guarded(run)


def _resolve(hold_id: str, operator: str, workspace: Path | None, outcome: str) -> None:
    from trustscore.pipeline import resolve_held

    def run() -> None:
        store, ledger = _open(workspace)
        try:
            held, result = resolve_held(
                ledger, store, hold_id, "released" if outcome == "released" else "rejected",
                operator,
            )  # fmt: skip
        finally:
            ledger.dispose()
        if result is not None:
            typer.echo(
                f"released {hold_id}: {result.rows_in:,} rows = {result.rows_new:,} new + "
                f"{result.rows_versions:,} versions + {result.rows_unchanged:,} unchanged + "
                f"{result.rows_quarantined:,} quarantined [batch {result.batch_id}]"
            )
        else:
            typer.echo(f"{held.status} {hold_id}: {held.rows:,} rows by {held.resolver}")

    guarded(run)


Operator = Annotated[str, typer.Option(help="Your name, recorded in the audit chain.")]


@hold_app.command("release")
def hold_release(hold_id: str, operator: Operator, workspace: Workspace = None) -> None:
    """Store a held batch's rows, as ingest would have stored them, from now."""
    _resolve(hold_id, operator, workspace, "released")


@hold_app.command("reject")
def hold_reject(hold_id: str, operator: Operator, workspace: Workspace = None) -> None:
    """Quarantine a held batch's rows ("batch rejected by operator NAME")."""
    _resolve(hold_id, operator, workspace, "rejected")
