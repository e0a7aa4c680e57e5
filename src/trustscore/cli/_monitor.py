"""``trustscore monitor``: one monitoring run, kept beside the earlier ones."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trustscore.cli._errors import guarded

__all__ = ["monitor"]


def monitor(
    model: Annotated[Path, typer.Option(help="The model artifact (JSON).")],
    current: Annotated[Path, typer.Option(help="Features of the run to monitor (CSV, Parquet).")],
    out: Annotated[
        Path,
        typer.Option(
            help="Folder of the monitoring runs: OUT/monitor.json (this run), "
            "OUT/runs/<run id>.json (every run), OUT/monitor.html (the trend)."
        ),
    ],
    baseline: Annotated[
        Path | None,
        typer.Option(
            help="Features to compare with. Default: the development sample, the workspace's "
            "features.parquet."
        ),
    ] = None,
    workspace: Annotated[
        Path, typer.Option(help="Workspace whose development sample is the default baseline.")
    ] = Path("trustscore-demo"),
    run_id: Annotated[
        str | None,
        typer.Option(
            help="Name of the run, e.g. 2026-01 (runs are shown in the order of their names); "
            "default: the UTC time. A name used before replaces that run."
        ),
    ] = None,
    purpose: Annotated[
        str, typer.Option(help="The purpose whose policy gives the tiers and cut-offs.")
    ] = "credit_pricing",
    groups: Annotated[
        Path | None,
        typer.Option(
            help="A file of subject_id and the protected group (--group-column): adverse "
            "impact ratios at the policy's cut-offs and SMD. Default: the current file's own "
            "group column, if it has one."
        ),
    ] = None,
    group_column: Annotated[str, typer.Option(help="The group's column.")] = "group",
    outcomes: Annotated[
        Path | None,
        typer.Option(
            help="A file of subject_id and the outcome (--target, 1 = bad, empty = not known "
            "yet): back-testing against the development figures. Default: the current "
            "file's own target column, if it has one."
        ),
    ] = None,
    target: Annotated[str, typer.Option(help="The outcome's column.")] = "target",
) -> None:
    """Compare a scoring run with the development sample on the model's own bins.

    PSI of the score and CSI of each characteristic (the missing bin a bin of its own), missing
    and input-quality flag rates, score and tier distribution, fairness by group, back-testing
    when outcomes are given and an estimate of performance (CBPE) before they are. PSI and CSI
    flag "watch" from 0.10 and "act" from 0.25.
    """
    from trustscore.pipeline import monitor_files

    def run() -> None:
        result = monitor_files(
            model, current, out, baseline=baseline, workspace=workspace, purpose=purpose,
            run_id=run_id, groups=groups, group_column=group_column, outcomes=outcomes,
            target=target,
        )  # fmt: skip
        typer.echo(
            f"monitoring run {result['run_id']}: {result['current']['n']:,} rows against "
            f"{result['baseline']['n']:,}; score PSI {result['psi']['psi']:.4f} "
            f"({result['psi']['flag']})"
        )
        for flag in result["flags"]:
            typer.echo(
                f"  {flag['level']}: {flag['metric']} {flag['name']} = {flag['value']:.4f}"
                if isinstance(flag["value"], float)
                else f"  {flag['level']}: {flag['metric']} {flag['name']}"
            )
        typer.echo(f"wrote {out / 'monitor.json'} and the trend over every run to "
                   f"{out / 'monitor.html'}")  # fmt: skip

    guarded(run)
