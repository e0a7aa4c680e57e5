"""``--engine spark``: the Spark session the commands run on, started from the settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from trustscore.cli._errors import fail

if TYPE_CHECKING:
    from trustscore.settings import Settings

__all__ = ["SparkMaster", "configure_engines", "read_settings", "use_spark"]

SparkMaster = Annotated[
    str | None,
    typer.Option(
        metavar="URL",
        help="With --engine spark: a Spark master URL (local[*], spark://HOST:7077, "
        "k8s://URL, yarn) or a Spark Connect URL (sc://HOST:15002). Default: "
        "TRUSTSCORE_SPARK_MASTER, else local[*]; more configuration in TRUSTSCORE_SPARK_CONF "
        "(docs/spark.md).",
    ),
]


def use_spark(engine: str, master: str | None) -> None:
    """Start the Spark session for ``--engine spark`` from the settings and ``--spark-master``.

    Nothing happens for another engine; ``--spark-master`` with another engine is an error,
    as is a setting that does not parse (one line naming it, never a traceback).
    """
    from trustscore import engines

    if engine != "spark":
        if master is not None:
            raise fail(f"--spark-master applies only with --engine spark (got --engine {engine}).")
        return
    settings = read_settings()
    engines.spark_session(master or settings.spark_master, conf=settings.spark_conf)


def configure_engines() -> None:
    """Give every DuckDB connection of this command the settings' memory limit, threads and
    spill folder, so a batch stage's memory does not grow with the population."""
    from trustscore import engines

    settings = read_settings()
    engines.configure_duckdb(
        memory_limit=settings.duckdb_memory_limit,
        threads=settings.duckdb_threads,
        temp_directory=settings.duckdb_temp_directory,
    )


def read_settings() -> Settings:
    """The settings; a value that does not parse is one line naming it, never a traceback."""
    from trustscore.settings import get_settings

    try:
        return get_settings()
    except ValueError as exc:  # pydantic's ValidationError: a TRUSTSCORE_* value is wrong
        errors = getattr(exc, "errors", None)
        first = errors()[0] if callable(errors) else {"loc": (), "msg": str(exc)}
        text = str(first["msg"]).removeprefix("Value error, ")
        if not text.startswith("TRUSTSCORE_"):
            field = ".".join(str(p) for p in first["loc"])
            text = f"TRUSTSCORE_{field.upper()}: {text}"
        raise fail(text) from None
