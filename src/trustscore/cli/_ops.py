"""Commands for operating the service: serve, publish, clients, disputes' deadlines, replay."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer

from trustscore.cli._errors import fail, guarded

if TYPE_CHECKING:
    from trustscore.ledger import Dispute, Ledger

clients_app = typer.Typer(help="API clients and their tokens.", no_args_is_help=True)
disputes_app = typer.Typer(help="Disputes and their 30-day deadlines.", no_args_is_help=True)


def _ledger() -> Ledger:
    from trustscore.ledger import Ledger
    from trustscore.settings import get_settings

    settings = get_settings()
    settings.workspace.mkdir(parents=True, exist_ok=True)
    ledger = Ledger(settings.database_url.get_secret_value())
    ledger.upgrade()
    return ledger


def serve(
    host: Annotated[
        str | None,
        typer.Option(help="Address to listen on [default: TRUSTSCORE_HOST or 127.0.0.1]"),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Port [default: TRUSTSCORE_PORT or 8000]"),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Worker processes [default: TRUSTSCORE_WORKERS or 1]"),
    ] = None,
) -> None:
    """Serve the REST API: JSON logs, /metrics, /v1/health, /v1/ready, the deadline job.

    Flags override the TRUSTSCORE_* variables; other settings (rate limits, the deadline job's
    interval, the log level) come from those variables only.
    """
    from trustscore.service import serve as run_server
    from trustscore.settings import get_settings

    def run() -> None:
        given = {"host": host, "port": port, "workers": workers}
        settings = get_settings().model_copy(
            update={k: v for k, v in given.items() if v is not None}
        )
        typer.echo(
            f"serving http://{settings.host}:{settings.port}/docs with {settings.workers} "
            f"worker(s) (workspace {settings.workspace})"
        )
        run_server(settings)

    guarded(run)


def publish() -> None:
    """Write every subject's latest score into the service's keyed store (the ledger's
    latest_scores), computed now from the workspace's store with the served champion.

    The batch run's last step (``trustscore demo`` runs it): the service then reads one row per
    request and computes only those that later batches, suppressions or consents made stale.
    Run it after ingesting a furnisher's batch, a new as-of date or a new champion.
    """
    from trustscore.cli._progress import progress_bars
    from trustscore.pipeline import Workspace, publish_scores
    from trustscore.settings import get_settings

    def run() -> None:
        settings = get_settings()
        ledger = _ledger()
        try:
            with progress_bars() as report:
                done = publish_scores(
                    Workspace(settings.workspace), ledger,
                    consent_categories=settings.consent_categories,
                    progress=lambda n, total: report("publish", n, total),
                )  # fmt: skip
        finally:
            ledger.dispose()
        typer.echo(
            f"published {done.n_rows:,} latest scores of model {done.model_version} as of "
            f"{done.as_of} into {ledger.safe_url} ({done.compute_s:.1f} s computing, "
            f"{done.write_s:.1f} s writing: {done.rows_per_s:,.0f} rows/s)"
        )

    guarded(run)


@clients_app.command("create")
def client_create(
    role: Annotated[
        str, typer.Option(help="subject, lender, operator, auditor, admin or reviewer")
    ],
    purpose: Annotated[list[str] | None, typer.Option(help="A lender's allowed purpose.")] = None,
    subject: Annotated[
        str | None,
        typer.Option(help="A subject client's own subject id (a reviewer's, if they have one)."),
    ] = None,
    name: Annotated[str | None, typer.Option(help="A name to recognise the client by.")] = None,
) -> None:
    """Create an API client and print its token (shown this once, stored only as a hash)."""
    from trustscore.ledger import create_client

    def run() -> None:
        client, token = create_client(_ledger(), role, purpose or (), subject, name)
        typer.echo(f"client {client.client_id} ({client.role}) created; its token, shown once:")
        typer.echo(token)

    guarded(run)


@disputes_app.command("run-deadlines")
def run_deadlines() -> None:
    """Suppress every record still unverified at its dispute's deadline, and rescore.

    Also applies any resolution the ledger holds but the record store lacks, and records the
    score owed to any subject resolved since their last one (a failure between the writes), so
    running it again always completes the work.
    """
    from trustscore.exceptions import NotFoundError
    from trustscore.ledger import (
        identity_change,
        run_deadline_job,
        unlink_change_id,
        unrescored_subjects,
    )
    from trustscore.pipeline import Workspace, pending_identity_changes, pending_resolutions
    from trustscore.records import RecordStore
    from trustscore.service import record_score, workspace_provider
    from trustscore.settings import get_settings

    def run() -> None:
        settings = get_settings()
        workspace = settings.workspace
        provider = workspace_provider(workspace, consent_categories=settings.consent_categories)
        if provider is None:
            raise fail("the workspace has no model: nothing can be rescored (run trustscore demo).")
        ledger = _ledger()

        def suppress(dispute: Dispute) -> None:
            if dispute.kind == "not_mine":  # unlinked from the subject, not suppressed
                change = identity_change(ledger, unlink_change_id(dispute.dispute_id))
                provider.apply_identity_change(change)
                return
            reason = f"dispute {dispute.dispute_id}: not verified by its deadline"
            provider.suppress(dispute.record_kind, dispute.record_id, reason)

        # every record first, then each subject rescored once: one features computation for
        # all of them rather than one per dispute
        done = run_deadline_job(ledger, dt.datetime.now(dt.UTC), suppress)
        late = pending_resolutions(ledger, RecordStore(Workspace(workspace).store_dir))
        for suppression in late:
            provider.apply_resolution(suppression)
        changes = pending_identity_changes(ledger, RecordStore(Workspace(workspace).store_dir))
        for change in changes:  # unlinks of not_mine disputes, merges, splits
            provider.apply_identity_change(change)
        rescored = 0
        for subject in unrescored_subjects(ledger):
            try:
                result = provider.rescore(subject)
            except NotFoundError:  # no longer scored (erased, or never was): nothing owed
                continue
            if result is not None:
                record_score(ledger, result, actor="deadline-job")
                rescored += 1
        typer.echo(
            f"{len(done)} overdue dispute(s) resolved as unverifiable and suppressed; "
            f"{len(late)} earlier resolution(s) applied to the record store; "
            + (f"{len(changes)} identity change(s) applied; " if changes else "")
            + f"{rescored} subject(s) rescored"
        )

    guarded(run)


def replay(
    subject: Annotated[str, typer.Argument(help="The subject id.")],
    as_of: Annotated[str, typer.Option(help="The as-of date of the score to replay.")],
    purpose: Annotated[
        str | None,
        typer.Option(
            help="The purpose the score was given for: the replay uses the model that was its "
            "champion then. Default: the purpose of a decision taken on the score, if any, "
            "else the model version the score recorded."
        ),
    ] = None,
) -> None:
    """Recompute a past score from its records and model; show it equals the snapshot."""
    from dataclasses import asdict

    from trustscore.ledger import decisions, snapshots
    from trustscore.pipeline import Workspace
    from trustscore.pipeline import replay as replay_snapshot
    from trustscore.settings import get_settings

    try:
        date = dt.date.fromisoformat(as_of)
    except ValueError:
        raise fail(f"--as-of must be a date like 2025-12-31, got {as_of!r}.") from None

    def run() -> None:
        ledger = _ledger()
        found = [s for s in snapshots(ledger, subject) if s.as_of == date]
        if not found:
            raise fail(f"no score of subject {subject!r} as of {date} is in the ledger.")
        snap = asdict(found[-1])
        used_for = purpose or next(
            (d.purpose for d in decisions(ledger, subject)
             if d.snapshot_id == snap["snapshot_id"]), None,
        )  # fmt: skip
        settings = get_settings()
        result = replay_snapshot(
            Workspace(settings.workspace), snap, consent_categories=settings.consent_categories,
            registry=ledger, purpose=used_for,
        )  # fmt: skip
        typer.echo(
            f"snapshot {snap['snapshot_id']} of {subject} as of {date} "
            f"(model {snap['model_version']}): score {snap['score']} {snap['status']}"
        )
        typer.echo(f"replayed: score {result.recomputed['score']} {result.recomputed['status']}")
        if not result.matches:
            raise fail(f"the replay differs in: {', '.join(result.differences)}")
        typer.echo("identical: score, status, sub-scores, reasons, features and model hash")

    guarded(run)
