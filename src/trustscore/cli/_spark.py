"""``--engine spark``: the Spark session the commands run on, started from the settings."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from trustscore.cli._errors import fail

__all__ = ["SparkMaster", "configure_engines", "use_spark"]

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
    from trustscore.settings import get_settings

    if engine != "spark":
        if master is not None:
            raise fail(f"--spark-master applies only with --engine spark (got --engine {engine}).")
        return
    settings = get_settings()  # a value that does not parse: a SettingsError, one clear line
    engines.spark_session(master or settings.spark_master, conf=settings.spark_conf)


def configure_engines() -> None:
    """Give every DuckDB connection of this command the settings' memory limit, threads and
    spill folder, so a batch stage's memory does not grow with the population."""
    from trustscore import engines
    from trustscore.settings import get_settings

    settings = get_settings()  # a value that does not parse: a SettingsError, one clear line
    spill = settings.duckdb_temp_directory
    if spill == settings.workspace / ".duckdb-tmp" and not settings.workspace.is_dir():
        # the default beside a workspace that does not exist (a command on another store):
        # spill to the system's temporary folder rather than create that workspace
        spill = Path(tempfile.gettempdir()) / "trustscore-duckdb"
    engines.configure_duckdb(
        memory_limit=settings.duckdb_memory_limit,
        threads=settings.duckdb_threads,
        temp_directory=spill,
    )
