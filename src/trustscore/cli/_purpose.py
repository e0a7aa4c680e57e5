"""Scoring and deciding for a purpose from the command line: its champion only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from trustscore.cli._errors import fail, guarded

if TYPE_CHECKING:
    import pyarrow as pa

    from trustscore.scoring import ScorecardArtifact

__all__ = ["champion_of", "score_for_purpose"]


def champion_of(
    purpose: str, model: Path | None, what: str, subject_kind: str = "person"
) -> ScorecardArtifact:
    """The champion artifact of ``purpose`` for ``subject_kind`` in the workspace's registry;
    ``model``, if given, must be it (a purpose is scored and decided only by its champion)."""
    from trustscore.cli._ops import _ledger
    from trustscore.pipeline import Workspace, champion_artifact
    from trustscore.scoring import load_artifact
    from trustscore.settings import get_settings

    ws = Workspace(get_settings().workspace)
    champ = champion_artifact(_ledger(), ws, purpose, subject_kind=subject_kind)
    if model is not None:
        named = load_artifact(load_artifact(model).to_dict())
        if named.content_hash != champ.content_hash:
            msg = (
                f"{what} for {purpose} use only its champion, model {champ.model_version} "
                f"({champ.content_hash}); --model {model} is model {named.model_version} "
                f"({named.content_hash}). Leave --model out, or have it approved and promoted "
                "(trustscore model approve, trustscore model promote)."
            )
            raise fail(msg)
    return champ


def score_for_purpose(
    purpose: str, model: Path | None, data: Path, out: Path, engine: str,
    subject_kind: str = "person",
) -> None:  # fmt: skip
    """``score --purpose``: the champion's scores, and the challenger's in shadow beside them."""
    from trustscore.cli._ops import _ledger
    from trustscore.pipeline import Workspace, read_table, score_features
    from trustscore.pipeline import score_for_purpose as score_run
    from trustscore.settings import get_settings

    def run() -> None:
        champion_of(purpose, model, "Scores", subject_kind)
        ws = Workspace(get_settings().workspace)
        features = read_table(data)

        def scorer(art: ScorecardArtifact, table: pa.Table, as_of: dt.date) -> pa.Table:
            return score_features(art, table, as_of, engine=engine)

        out.parent.mkdir(parents=True, exist_ok=True)
        shadow = score_run(
            _ledger(), ws, purpose, features, ws.as_of(), out, scorer=scorer,
            subject_kind=subject_kind,
        )  # fmt: skip
        typer.echo(
            f"scored {shadow.scores.num_rows:,} rows for {purpose} into {out} with its "
            f"champion for {subject_kind}s, model {shadow.champion.model_version}"
        )
        if shadow.challenger is not None and shadow.comparison is not None:
            c = shadow.comparison
            typer.echo(
                f"challenger {shadow.challenger.model_version} scored in shadow (never decided "
                f"with): mean shift {c['shift']['mean']:+.1f} points, "
                f"{(c['tier_changed'] or 0):.1%} change tier, first reason changes for "
                f"{(c['reasons']['first_reason_changed'] or 0):.1%}; see "
                f"{', '.join(str(p) for p in shadow.paths[1:])}"
            )

    guarded(run)
