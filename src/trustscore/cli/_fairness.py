"""``trustscore fairness search``: a less discriminatory card of about the same accuracy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trustscore.cli._errors import fail, guarded
from trustscore.cli._progress import progress_bars

fairness_app = typer.Typer(
    help="Fairness of a scorecard: the search for a less discriminatory alternative.",
    no_args_is_help=True,
)


def _cutoffs(value: str) -> tuple[float, ...]:
    try:
        cuts = tuple(float(v) for v in value.split(",") if v.strip())
    except ValueError:
        raise fail(
            f"--cutoffs must be numbers separated by commas, e.g. 640,700,760; got {value!r}."
        ) from None
    if not cuts or any(not 0 <= c <= 1000 for c in cuts):
        raise fail(f"--cutoffs must be scores in 0-1000, e.g. 640,700,760; got {value!r}.")
    return cuts


@fairness_app.command("search")
def search(
    features: Annotated[
        Path,
        typer.Option(
            help="The characteristics: CSV or Parquet (may hold the target and group too)."
        ),
    ],
    out: Annotated[Path, typer.Option(help="Folder for search.json, search.html and model.json.")],
    labels: Annotated[
        Path | None,
        typer.Option(help="Outcomes file with --key and --target columns, joined on --key."),
    ] = None,
    groups: Annotated[
        Path | None,
        typer.Option(help="Protected groups file with --key and --protected, joined on --key."),
    ] = None,
    target: Annotated[str, typer.Option(help="The 0/1 column, 1 = bad.")] = "target",
    protected: Annotated[
        str, typer.Option(help="The protected attribute's column: measured, never an input.")
    ] = "group",
    key: Annotated[str, typer.Option(help="The column the files are joined on.")] = "subject_id",
    exclude: Annotated[
        list[str] | None, typer.Option(help="Other columns to leave out (ids).")
    ] = None,
    group: Annotated[
        str | None,
        typer.Option(
            help="The group to search for (default: the one with the lowest adverse impact "
            "ratio at the default card's median score)."
        ),
    ] = None,
    cutoffs: Annotated[
        str, typer.Option(help="Policy cut-offs at which the AIR is reported, e.g. 640,700,760.")
    ] = "500,600,700",
    max_auc_loss: Annotated[
        float,
        typer.Option(min=0.0, max=0.49, help="AUC an alternative may lose against the default."),
    ] = 0.005,
    max_rows: Annotated[
        int | None, typer.Option(min=200, help="Search on a seeded sample of this many rows.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the split, the sample and every fit.")] = 0,
) -> None:
    """Fit a family of alternative cards and report the frontier of AUC against disparity."""
    from trustscore.pipeline import SEARCH_FILES, fairness_search, write_search

    cuts = _cutoffs(cutoffs)

    def run() -> None:
        with progress_bars() as report:
            result = fairness_search(
                features, labels=labels, groups=groups, target=target, protected=protected,
                key=key, exclude=exclude or (), cutoffs=cuts, max_auc_loss=max_auc_loss,
                target_group=group, max_rows=max_rows, seed=seed,
                progress=lambda done, total: report("search", done, total),
            )  # fmt: skip
        folder = write_search(result, out)
        d = result.alternative("default")
        typer.echo(
            f"searched {len(result.alternatives)} cards for group {result.target_group!r} of "
            f"{result.attribute!r}: default AUC {d['auc']:.4f}, AIR at the median "
            f"{d['air_median']:.4f}; frontier {', '.join(result.frontier)}"
        )
        typer.echo(result.why)
        typer.echo(f"wrote {', '.join(str(folder / n) for n in SEARCH_FILES)}")

    guarded(run)
