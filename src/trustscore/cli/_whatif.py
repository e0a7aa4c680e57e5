"""Commands that say what would change a subject's score: what-if, next-tier, projection.

Each reads the workspace of the settings (``TRUSTSCORE_WORKSPACE``, like ``replay``) and prints
the answer in words, or as JSON with ``--json``. Nothing is recorded.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trustscore.cli._errors import fail, guarded

if TYPE_CHECKING:
    from trustscore.pipeline import WorkspaceProvider
    from trustscore.scoring import ScorecardArtifact

_JSON = Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")]


def _provider() -> WorkspaceProvider:
    from trustscore.cli._ops import _ledger
    from trustscore.pipeline import Workspace, WorkspaceProvider
    from trustscore.settings import get_settings

    settings = get_settings()
    workspace = settings.workspace
    if not Workspace(workspace).registry_path.is_file():
        msg = f"no model in the workspace {workspace} (set TRUSTSCORE_WORKSPACE, or run demo)."
        raise fail(msg)
    return WorkspaceProvider(
        str(workspace), consent_categories=settings.consent_categories, registry=_ledger()
    )


def parse_setting(art: ScorecardArtifact, text: str) -> tuple[str, Any]:
    """``NAME=VALUE`` as a change: a number for a numeric characteristic, text for a level,
    ``none`` (or nothing) for none on file."""
    name, sep, raw = text.partition("=")
    name, raw = name.strip(), raw.strip()
    if not sep or not name:
        raise fail(f"--set takes NAME=VALUE, got {text!r}.")
    if raw.lower() in {"", "none", "null"}:
        return name, None
    try:
        kind = art.characteristic(name).type
    except KeyError:
        return name, raw  # the pipeline says which names there are
    if kind == "categorical":
        return name, raw
    try:
        return name, float(raw)
    except ValueError:
        raise fail(f"{name} is a number: --set {name}=VALUE needs one, got {raw!r}.") from None


def _reasons(reasons: list[dict[str, Any]], key: str) -> None:
    for i, r in enumerate(reasons, start=1):
        typer.echo(f"  reason {i}: {r['code']} {r[key]}")


def what_if(
    subject: Annotated[str, typer.Argument(help="The subject id.")],
    setting: Annotated[
        list[str],
        typer.Option("--set", help="NAME=VALUE: a characteristic's value to try (repeatable)."),
    ],
    purpose: Annotated[
        list[str] | None,
        typer.Option(help="A purpose to give the tier for (default: every approved one)."),
    ] = None,
    as_json: _JSON = False,
) -> None:
    """The score, sub-scores, reasons and tiers with some of a subject's values changed."""
    from trustscore.pipeline import what_if as run_what_if

    def run() -> None:
        provider = _provider()
        art = provider.artifact
        changes = dict(parse_setting(art, s) for s in setting)
        out = run_what_if(provider, subject, changes, purposes=purpose or None)
        if as_json:
            typer.echo(json.dumps(out, indent=2))
            return
        lo, hi = out["score_range"]["min"], out["score_range"]["max"]
        now = out["current"]
        typer.echo(f"subject {subject} as of {out['as_of']} (model {out['model_version']})")
        typer.echo(f"  now:     score {now['score']} ({now['status']})")
        tried = ", ".join(f"{k}={v}" for k, v in out["changes"].items())
        typer.echo(
            f"  with {tried}: score {out['score']} ({out['status']}); this model's scores run "
            f"from {lo} to {hi}"
        )
        for d in out["dimensions"]:
            typer.echo(
                f"  {d['label']}: {d['points']} (from {d['min_points']} to {d['max_points']})"
            )
        _reasons(out["reasons"], "statement")
        for d in out["decisions"]:
            review = " (sent to human review)" if d["review"] else ""
            typer.echo(f"  {d['purpose']}: {d['label']}{review}")

    guarded(run)


def next_tier(
    subject: Annotated[str, typer.Argument(help="The subject id.")],
    purpose: Annotated[str, typer.Option(help="The purpose whose tiers to climb.")],
    as_json: _JSON = False,
) -> None:
    """The fewest changes a subject can make that reach the next tier of a purpose."""
    from trustscore.pipeline import next_tier_of

    def run() -> None:
        out = next_tier_of(_provider(), subject, purpose)
        if as_json:
            typer.echo(json.dumps(out, indent=2))
            return
        band = out["band"]
        typer.echo(
            f"subject {subject}: score {out['score']} ({out['status']})"
            + (f", {band['label']}" if band else "")
        )
        path = out["path"]
        if path is not None:
            for c in path["changes"]:
                typer.echo(
                    f"  {c['name']}: from {c['current']} to {c['value']} (any value "
                    f"{c['range']}): +{c['points']} points"
                )
            for t in path["together"]:
                typer.echo(f"  {t['interaction']}, the two together: {t['points']:+d} points")
            typer.echo(f"  then: score {path['score']}, {path['label']}")
        typer.echo(f"  {out['message']}")

    guarded(run)


def projection(
    subject: Annotated[str, typer.Argument(help="The subject id.")],
    as_json: _JSON = False,
) -> None:
    """A subject's score 3, 6 and 12 months on if nothing new happens."""
    from trustscore.pipeline import projection as run_projection

    def run() -> None:
        out = run_projection(_provider(), subject)
        if as_json:
            typer.echo(json.dumps(out, indent=2))
            return
        now = out["current"]
        typer.echo(f"subject {subject} if nothing new happens (model {out['model_version']})")
        typer.echo(f"  now, as of {now['as_of']}: score {now['score']} ({now['status']})")
        for p in out["later"]:
            typer.echo(
                f"  +{p['months']} months, as of {p['as_of']}: score {p['score']} ({p['status']})"
            )

    guarded(run)
