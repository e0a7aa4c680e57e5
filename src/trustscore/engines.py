"""Connecting to the engines trustscore runs on, through Ibis.

This is the only module that touches an engine's own API (DuckDB, PySpark): features and
scorers are Ibis expressions, and this module gives them a backend to run on and tables to run
over. Optional engines are imported only when asked for, and a missing one raises an
:class:`~trustscore.exceptions.EngineError` naming the extra to install.

Examples
--------
>>> con = connect("duckdb")
>>> int(con.sql("SELECT 41 + 1 AS x").to_pyarrow()["x"][0])
42
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import pyarrow as pa

from trustscore.exceptions import EngineError

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend

__all__ = [
    "ENGINES",
    "Engine",
    "configure_duckdb",
    "connect",
    "duckdb_arrow_batches",
    "duckdb_query_arrow",
    "duckdb_raw",
    "duckdb_settings",
    "duckdb_write_parquet",
    "java_available",
    "read_parquet",
    "spark_conf",
    "spark_parquet_query",
    "spark_query_arrow",
    "spark_session",
    "spark_write_parquet",
]

logger = logging.getLogger(__name__)

Engine = Literal["duckdb", "spark"]
ENGINES: Final[tuple[str, ...]] = ("duckdb", "spark")

# Spark's code generation gives up on huge methods and falls back to the interpreter
# (ENGINE-NOTES.md): allow the JIT to compile them.
_SPARK_JAVA_OPTIONS: Final = "-XX:-DontCompileHugeMethods"


def java_available() -> bool:
    """Whether a Java runtime is on the PATH (PySpark needs one)."""
    return shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME"))


#: The project's own Spark settings, applied before the caller's ``conf``. Static ones are
#: read when the JVMs start; runtime ones (``spark.sql.*``) may also be set on a running session,
#: which is all Spark Connect allows (docs/spark.md).
_SPARK_STATIC_CONF: Final[Mapping[str, str]] = {
    # Spark's code generation gives up on huge methods and falls back to the interpreter
    # (ENGINE-NOTES.md): allow the JIT to compile them
    "spark.driver.extraJavaOptions": _SPARK_JAVA_OPTIONS,
    "spark.executor.extraJavaOptions": _SPARK_JAVA_OPTIONS,
    "spark.ui.enabled": "false",
    # the CLI draws its own progress; Spark's stage bars would write over it on stderr
    "spark.ui.showConsoleProgress": "false",
}
_SPARK_RUNTIME_CONF: Final[Mapping[str, str]] = {
    # and split generated code above the JIT's own limit into methods: the scorecard with its
    # reasons then runs 2x faster (the score alone about 8 % slower), and a cluster whose JVMs
    # lack the flag above still compiles it (benchmarks/scoring)
    "spark.sql.codegen.hugeMethodLimit": "8000",
    # dates and as-of moments are UTC everywhere; a session in the machine's zone would move
    # a timestamp's day
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
_LOCAL_MASTER: Final = re.compile(r"local(\[(\*|\d+)(,\d+)?\])?")

#: The session :func:`spark_session` started last, and the settings it was started with.
_spark_current: dict[str, Any] = {}

#: What every DuckDB connection of this process is started with (:func:`configure_duckdb`).
_duckdb_config: dict[str, str] = {}


def configure_duckdb(
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
    temp_directory: str | os.PathLike[str] | None = None,
) -> None:
    """Set what every DuckDB connection this process opens afterwards is started with.

    DuckDB's own default memory limit is 80 % of the machine's memory, which a batch over a
    large store fills whatever the population; with a limit, DuckDB spills what does not fit
    (sorts, hash tables, windows) to ``temp_directory``, so the batch stages' memory stays near
    the limit whatever the store's size. The CLI calls this from its settings
    (``TRUSTSCORE_DUCKDB_MEMORY_LIMIT``, ``_THREADS``, ``_TEMP_DIRECTORY``); a None leaves
    DuckDB's default.

    Examples
    --------
    >>> configure_duckdb(memory_limit="1GB", threads=1)
    >>> sorted(duckdb_settings())
    ['memory_limit', 'threads']
    >>> str(connect().raw_sql("SELECT current_setting('threads')").fetchone()[0])
    '1'
    >>> configure_duckdb()
    >>> duckdb_settings()
    {}
    """
    _duckdb_config.clear()
    if memory_limit is not None:
        _duckdb_config["memory_limit"] = str(memory_limit)
    if threads is not None:
        _duckdb_config["threads"] = str(int(threads))
    if temp_directory is not None:
        _duckdb_config["temp_directory"] = os.fspath(temp_directory)


def duckdb_settings() -> dict[str, str]:
    """The settings :func:`configure_duckdb` gave (a copy)."""
    return dict(_duckdb_config)


def _apply_duckdb_config(raw: Any) -> None:
    for name, value in _duckdb_config.items():
        if name == "temp_directory":
            Path(value).mkdir(parents=True, exist_ok=True)
        raw.execute(f"SET {name} = '{value.replace(chr(39), chr(39) * 2)}'")


def spark_conf(master: str, conf: Mapping[str, str] | None = None) -> dict[str, str]:
    """The Spark configuration :func:`spark_session` applies for ``master``.

    The project's settings (the JIT flag and ``hugeMethodLimit`` for the scorecard's big
    generated methods, UTC, Arrow transfers), a shuffle width of twice the cores in local mode,
    then ``conf``, which wins. For Spark Connect (``sc://``) only the runtime settings
    (``spark.sql.*`` and ``conf``): the server's JVMs are started by whoever runs it.

    Examples
    --------
    >>> spark_conf("local[3]")["spark.sql.shuffle.partitions"]
    '6'
    >>> "spark.sql.shuffle.partitions" in spark_conf("spark://10.0.0.1:7077")
    False
    >>> sorted(spark_conf("sc://spark:15002", {"spark.sql.ansi.enabled": "true"}))[:2]
    ['spark.sql.ansi.enabled', 'spark.sql.codegen.hugeMethodLimit']
    """
    out: dict[str, str] = {}
    if not master.startswith("sc://"):
        out.update(_SPARK_STATIC_CONF)
    out.update(_SPARK_RUNTIME_CONF)
    local = _LOCAL_MASTER.fullmatch(master)
    if local is not None:
        cores = local[2]
        n = (os.cpu_count() or 2) if cores in (None, "*") else int(cores)
        out["spark.sql.shuffle.partitions"] = str(max(2, n * 2))
    out.update(conf or {})
    return out


def _check_master(master: str) -> None:
    from trustscore.settings import SPARK_MASTER_PATTERN

    if re.fullmatch(SPARK_MASTER_PATTERN, master) is None:
        msg = (
            "The Spark master must be a Spark master URL (local[*], local[N], spark://HOST:PORT, "
            f"k8s://URL, yarn) or a Spark Connect URL (sc://HOST:PORT); got {master!r}."
        )
        raise EngineError(msg, engine="spark")


def _spark_alive(session: Any) -> bool:
    try:
        # a classic session's context is gone once stopped; a Connect session says so itself
        if hasattr(session, "is_stopped"):
            return not bool(session.is_stopped)
        return session.sparkContext._jsc is not None
    except Exception:
        return False


def _start_spark(master: str, conf: Mapping[str, str], app_name: str) -> Any:
    if master.startswith("sc://"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                from pyspark.sql.connect.session import SparkSession as ConnectSession
        except ImportError as exc:
            msg = (
                f"Spark Connect ({master}) needs the Spark Connect client: "
                f"pip install 'pyspark[connect]' ({exc})."
            )
            raise EngineError(msg, engine="spark") from None
        remote = ConnectSession.builder.remote(master)
        for key, value in conf.items():
            remote = remote.config(key, value)
        return remote.getOrCreate()
    if not java_available():
        msg = "Spark needs a Java runtime (Java 17): none was found on the PATH or in JAVA_HOME."
        raise EngineError(msg, engine="spark")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from pyspark.sql import SparkSession
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_session(
    master: str | None = None,
    *,
    conf: Mapping[str, str] | None = None,
    app_name: str = "trustscore",
    cores: int | None = None,
) -> Any:
    """The process's SparkSession, started from a master URL (starting one takes seconds).

    Parameters
    ----------
    master : str, optional
        A Spark master URL (``local[*]``, ``local[4]``, ``spark://host:7077``, ``k8s://...``,
        ``yarn``) or a Spark Connect URL (``sc://host:15002``). None: the session started last
        (what :func:`connect` uses), else ``local[*]``.
    conf : mapping of str to str, optional
        More Spark configuration, applied after the project's (:func:`spark_conf`).
    app_name : str
        The application's name on the cluster.
    cores : int, optional
        Shorthand for ``master=f"local[{cores}]"``.

    Returns
    -------
    pyspark.sql.SparkSession
        A session to run on; one per process (Spark allows one context in a JVM): asking for
        another master or configuration stops the running session and starts a new one, and
        asking for the same gives the running one.

    Raises
    ------
    EngineError
        When pyspark (or, for ``sc://``, the Spark Connect client) is not installed, Java is
        missing, or ``master`` is not a URL Spark takes.
    """
    if master is None and cores is not None:
        master = f"local[{int(cores)}]"
    current = _spark_current.get("session")
    if master is None and conf is None and current is not None and _spark_alive(current):
        return current
    master = master or "local[*]"
    _check_master(master)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            import pyspark  # noqa: F401
    except ImportError:
        msg = "Spark needs pyspark: pip install 'trustscore[spark]'"
        raise EngineError(msg, engine="spark") from None
    wanted = (master, tuple(sorted(spark_conf(master, conf).items())), app_name)
    if current is not None and _spark_alive(current):
        if _spark_current.get("key") == wanted:
            return current
        before = _spark_current["key"][0]
        logger.info("stopping the Spark session on %s to start one on %s", before, master)
        current.stop()
    _spark_current.clear()
    session = _start_spark(master, dict(wanted[1]), app_name)
    _spark_current.update(session=session, key=wanted)
    return session


def connect(
    engine: str = "duckdb", *, path: str | Path | None = None, threads: int | None = None
) -> BaseBackend:
    """An Ibis backend for ``engine``: ``"duckdb"`` (in memory, or a file) or ``"spark"``.

    ``"spark"`` runs on the session :func:`spark_session` started last (the CLI starts it from
    the settings' master URL), else on a new local one (``local[*]``).
    """
    if engine == "duckdb":
        import ibis

        con = ibis.duckdb.connect(str(path) if path is not None else ":memory:")
        _apply_duckdb_config(con.con)
        if threads is not None:
            con.raw_sql(f"SET threads = {int(threads)}")
        return con
    if engine == "spark":
        session = spark_session()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            import ibis

            return ibis.pyspark.connect(session)
    msg = f"Unknown engine {engine!r}; choose one of {', '.join(ENGINES)}."
    raise EngineError(msg, engine=engine)


def read_parquet(
    con: BaseBackend, paths: str | Path | Sequence[str | Path], *, table_name: str | None = None
) -> ir.Table:
    """An Ibis table over Parquet files (a glob, a file, or a list of files)."""
    if isinstance(paths, str | Path):
        sources: list[str] = [str(paths)]
    else:
        sources = [str(p) for p in paths]
    kwargs: dict[str, Any] = {}
    if table_name is not None:
        kwargs["table_name"] = table_name
    return con.read_parquet(sources if len(sources) > 1 else sources[0], **kwargs)  # type: ignore[attr-defined,no-any-return]


def duckdb_raw() -> Any:
    """A plain in-memory DuckDB connection (no Ibis), for scans over Parquet files by SQL.

    The record store uses it to check keys across its files; it is here so that DuckDB's own
    API is reached from this module only.
    """
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    _apply_duckdb_config(con)
    return con


def duckdb_write_parquet(con: BaseBackend, expr: ir.Table, dest: str | os.PathLike[str]) -> int:
    """Run an Ibis expression on DuckDB and stream its rows into one Parquet file.

    DuckDB's ``COPY ... TO`` writes the result as it is computed (in the order of the
    expression's ``ORDER BY``), so nothing of the result is held in this process. Float NaN is
    written as NULL (ENGINE-NOTES.md). Returns the number of rows written.
    """
    import ibis

    columns = [
        ibis.ifelse(expr[name].isnan(), ibis.null(dtype), expr[name]).name(name)
        if dtype.is_floating()
        else expr[name]
        for name, dtype in expr.schema().items()
    ]
    sql = con.compile(expr.select(*columns))  # type: ignore[attr-defined]
    target = os.fspath(dest).replace("'", "''")
    raw = con.con  # type: ignore[attr-defined]
    con._run_pre_execute_hooks(expr)  # type: ignore[attr-defined]  # registers memtables
    raw.execute(f"COPY ({sql}) TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
    found = raw.execute(f"SELECT count(*) FROM read_parquet('{target}')").fetchone()
    return int(found[0]) if found is not None else 0


def duckdb_query_arrow(table: pa.Table, name: str, sql: str, *, batch_rows: int) -> pa.Table:
    """Run ``sql`` in a fresh in-memory DuckDB over ``table`` registered as ``name``.

    The Arrow table is scanned in place (no copy) in slices of ``batch_rows`` so every thread
    has work, and a projection keeps the input order (``preserve_insertion_order``).
    """
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        _apply_duckdb_config(con)
        con.execute("SET preserve_insertion_order = true")
        # the in_clause optimizer turns an IN list of five or more constants into a hash join,
        # which returns a multi-batch scan's rows out of order despite the setting above
        # (duckdb/duckdb#24398, seen on 1.5.6): scores would land on the wrong rows
        con.execute("SET disabled_optimizers = 'in_clause'")
        con.register(name, pa.Table.from_batches(table.to_batches(batch_rows), table.schema))
        result: pa.Table = con.sql(sql).to_arrow_table()
    finally:
        con.close()
    return result


def duckdb_arrow_batches(
    sql: str,
    *,
    batch_rows: int,
    tables: Mapping[str, pa.Table] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Stream the result of ``sql`` as Arrow record batches of at most ``batch_rows`` rows.

    A fresh in-memory DuckDB runs the query (over the Arrow ``tables``, registered under their
    names and scanned in place, or over files the query names) and hands its result over batch
    by batch, so memory stays near a few batches whatever the query's size; the connection is
    closed when the stream is exhausted or dropped. Rows keep the order of the scan
    (``preserve_insertion_order``).

    Examples
    --------
    >>> t = pa.table({"x": [1, 2, 3]})
    >>> [b.num_rows for b in duckdb_arrow_batches("SELECT x FROM t", batch_rows=2, tables={"t": t})]
    [2, 1]
    """
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        _apply_duckdb_config(con)
        con.execute("SET enable_progress_bar = false")
        con.execute("SET preserve_insertion_order = true")
        for name, table in (tables or {}).items():
            # slices of a row group each, so that every thread has work
            con.register(name, pa.Table.from_batches(table.to_batches(122_880), table.schema))
        yield from con.sql(sql).to_arrow_reader(batch_rows)
    except duckdb.Error as exc:
        msg = f"DuckDB could not run the query: {exc}"
        raise EngineError(msg, engine="duckdb") from exc
    finally:
        con.close()


def spark_query_arrow(table: pa.Table, build: Callable[[ir.Table], ir.Table]) -> pa.Table:
    """Run ``build(input)`` over ``table`` on Spark, Arrow in and Arrow out.

    ``build`` gets the input as an Ibis table and returns the query expression. Ibis's PySpark
    backend fetches through pandas, which pyspark 4.3 does not fully support with pandas 3, so
    the data goes in and out through Spark's own Arrow paths.
    """
    con = connect("spark")
    session = spark_session()
    name = f"_ts_input_{uuid.uuid4().hex}"
    session.createDataFrame(table).createOrReplaceTempView(name)
    try:
        result: pa.Table = session.sql(con.compile(build(con.table(name)))).toArrow()
    finally:
        session.catalog.dropTempView(name)
    return result


SPARK_FILE_COLUMN: Final = "_ts_file"
SPARK_ROW_COLUMN: Final = "_ts_row"


def spark_parquet_query(
    source: str | Path, build: Callable[[ir.Table], ir.Table], out_dir: str | Path
) -> list[Path]:
    """Run ``build(input)`` on Spark over the Parquet at ``source``; return its part files.

    ``source`` is a Parquet file or a folder of them (read recursively). The input table has
    two more columns, :data:`SPARK_FILE_COLUMN` and :data:`SPARK_ROW_COLUMN` (Spark's file
    metadata: each row's file and its place in that file), by which ``build`` can put the rows
    back into the source's order: Spark reads file splits in no promised order. Spark writes
    the result as Parquet part files under ``out_dir`` (which must not exist yet); they are
    returned in the order of their partitions, which is the order of a sorted result.
    """
    con = connect("spark")
    session = spark_session()
    df = session.read.option("recursiveFileLookup", "true").parquet(str(source))
    df = df.selectExpr(
        "*",
        f"_metadata.file_path AS {SPARK_FILE_COLUMN}",
        f"_metadata.row_index AS {SPARK_ROW_COLUMN}",
    )
    name = f"_ts_input_{uuid.uuid4().hex}"
    df.createOrReplaceTempView(name)
    try:
        sql = con.compile(build(con.table(name)))
        session.sql(sql).write.parquet(str(out_dir))
    finally:
        session.catalog.dropTempView(name)
    return sorted(Path(out_dir).glob("part-*.parquet"))


def spark_write_parquet(
    con: BaseBackend,
    expr: ir.Table,
    dest: str | os.PathLike[str],
    *,
    sort_within: Sequence[str] = (),
) -> None:
    """Run an Ibis expression on Spark and write its rows with Spark's own Parquet writer.

    The executors write part files under the folder ``dest`` (which must not exist yet); no
    row passes through this process. Float NaN is written as NULL (ENGINE-NOTES.md: missing
    values are NULL in every Parquet file the project writes). ``sort_within`` sorts each part
    file's rows (no sort across files, which would cost a sampling job that computes ``expr``
    once more).
    """
    from pyspark.sql import functions as F  # noqa: N812 - pyspark's own convention

    session = spark_session()
    # in-memory tables (an empty kind or no suppressions) become Spark views first: without
    # this, a store without suppressions fails with an unresolved relation
    con._run_pre_execute_hooks(expr)  # type: ignore[attr-defined]
    df = session.sql(con.compile(expr))
    columns = [
        F.nanvl(df[name], F.lit(None).cast(kind)).alias(name)
        if kind in ("float", "double")
        else df[name]
        for name, kind in df.dtypes
    ]
    df = df.select(*columns)
    if sort_within:
        df = df.sortWithinPartitions(*sort_within)
    df.write.mode("errorifexists").parquet(os.fspath(dest))
