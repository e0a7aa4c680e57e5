"""Turning errors into one clear line for a person at a terminal, never a traceback."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Final, TypeVar

import typer

from trustscore.exceptions import TrustScoreError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Exit codes: 1 for refused or bad input, 70 (EX_SOFTWARE) for a bug of ours.
EXIT_INPUT: Final = 1
EXIT_INTERNAL: Final = 70


def fail(message: str, code: int = EXIT_INPUT) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def guarded(func: Callable[[], T]) -> T:
    """Run ``func``; a trustscore error becomes ``error: ...`` and exit 1, a bug exit 70."""
    try:
        return func()
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except TrustScoreError as exc:
        where = ", ".join(f"{k}={v}" for k, v in exc.context.items() if k in {"file", "line"})
        suffix = f" ({where})" if where and str(exc.context.get("file", "")) not in str(exc) else ""
        raise fail(f"{exc}{suffix}") from None
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        raise fail(f"{exc.strerror}: {exc.filename}") from None
    except Exception as exc:  # a bug: say so plainly, keep the traceback for the log only
        logger.debug("internal error", exc_info=True)
        print(  # noqa: T201 - the CLI's own output
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in trustscore; please report it with the command you ran.",
            file=sys.stderr,
        )
        raise typer.Exit(EXIT_INTERNAL) from None
