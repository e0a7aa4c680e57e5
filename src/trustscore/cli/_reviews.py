"""``trustscore reviews``: the human-review queue's deadline job and a look at the queue."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from trustscore.cli._errors import fail, guarded

reviews_app = typer.Typer(
    help="The human-review queue: decisions waiting for a person.", no_args_is_help=True
)

__all__ = ["reviews_app"]


@reviews_app.command("run-deadlines")
def run_deadlines() -> None:
    """Escalate every review case still undecided past its deadline (never adverse)."""
    from trustscore.cli._ops import _ledger
    from trustscore.ledger import run_review_deadlines

    def run() -> None:
        done = run_review_deadlines(_ledger(), dt.datetime.now(dt.UTC))
        typer.echo(
            f"{len(done)} overdue review case(s) escalated; their decisions stay pending review"
        )

    guarded(run)


@reviews_app.command("list")
def list_cases(
    state: Annotated[
        str, typer.Option(help="open, escalated, decided, or pending (open and escalated).")
    ] = "pending",
) -> None:
    """List review cases, the earliest deadline first."""
    from trustscore.cli._ops import _ledger
    from trustscore.ledger import review_cases

    if state not in ("open", "escalated", "decided", "pending"):
        raise fail(f"--state must be open, escalated, decided or pending, got {state!r}.")

    def run() -> None:
        cases = review_cases(_ledger(), state)
        for c in cases:
            typer.echo(
                f"{c.case_id}  {c.state:<9}  deadline {c.deadline:%Y-%m-%d %H:%M}  {c.kind:<15}"
                f"  {c.subject_id}  {c.purpose}  proposed {c.proposed_outcome}"
                + (f"  final {c.final_outcome}" if c.final_outcome else "")
            )
        typer.echo(f"{len(cases)} case(s)")

    guarded(run)
