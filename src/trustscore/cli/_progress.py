"""Progress bars for long stages, on stderr so that stdout stays clean for results."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # only for the annotation: importing the pipeline pulls in scikit-learn, numba and Ibis,
    # seconds of CPU that every command (even --help) paid when this import ran at start
    from rich.progress import TaskID

    from trustscore.pipeline import Reporter


@contextmanager
def progress_bars(*, enabled: bool = True) -> Iterator[Reporter]:
    """A :data:`~trustscore.pipeline.Reporter` that draws one bar per stage."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(stderr=True)
    bars = Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not enabled or not console.is_terminal,
        transient=False,
    )
    tasks: dict[str, TaskID] = {}
    plain = enabled and not console.is_terminal
    finished: set[str] = set()

    def report(stage: str, done: int, total: int | None) -> None:
        if plain:
            # no terminal (a log, CI): one line per finished stage instead of bars
            if total is not None and done >= total and stage not in finished:
                finished.add(stage)
                console.print(f"{stage:<12} done ({done:,})", highlight=False)
            return
        if stage not in tasks:
            tasks[stage] = bars.add_task(stage, total=total)
        bars.update(tasks[stage], completed=done, total=total)

    with bars:
        yield report
