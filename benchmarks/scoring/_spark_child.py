"""Time scorecard SQL forms on one Spark session in a fresh process; print one JSON line.

Run by :mod:`benchmarks.scoring._run` as
``python -m benchmarks.scoring._spark_child SPEC_JSON``, where the spec gives the Parquet file,
whether the JVM runs with ``-XX:-DontCompileHugeMethods`` (``"flag"``: the project's session,
:func:`trustscore.engines.spark_session`) or with the JVM's defaults, and the runs to time:
``{"form", "rows", "reasons", "reps", "want", "conf"}`` (``conf``: Spark SQL settings for that
run alone). A separate process because a Spark JVM's options
are fixed when it starts.

Forms:

- ``sum``: :func:`trustscore.scoring.to_ibis` (``form="sum"``), compiled to Spark SQL;
- ``case`` and ``search``: :func:`trustscore.scoring.to_ibis` with that ``form``;
- ``naive``: the textbook SQL, one nested ``CASE WHEN`` per characteristic, a ``WHEN`` per bin;
- ``index``: a bin index as a sum of ``CAST(x >= edge AS INT)``, then ``element_at`` on a
  literal array of the bins' points.

Score-only runs select ``score`` alone (every form computes the same thing); runs with reasons
select every :func:`score` column. Each run reads a cached DataFrame of ``rows`` rows in as many
partitions as the session has cores and writes to Spark's ``noop`` sink; every run's scores are
checked against ``want`` (sum, count and NS count of the kernel's scores on the same rows).
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from typing import Any

from benchmarks.scoring._data import benchmark_artifact
from trustscore.scoring import ScorecardArtifact, to_ibis


def naive_case_sql(art: ScorecardArtifact, table: str) -> str:
    """The scorecard as the textbook SQL: one CASE WHEN per characteristic, a WHEN per bin."""
    terms = []
    for c in art.characteristics:
        x = f"`{c.name}`"
        whens = [f"WHEN {x} IS NULL OR isnan({x}) THEN {c.missing.points}"]
        whens += [
            f"WHEN {x} < {edge!r} THEN {b.points}" for edge, b in zip(c.edges, c.bins, strict=False)
        ]
        terms.append(f"CASE {' '.join(whens)} ELSE {c.bins[-1].points} END")
    return f"SELECT CASE WHEN {_criteria(art)} THEN {' + '.join(terms)} END AS score FROM {table}"


def index_sql(art: ScorecardArtifact, table: str) -> str:
    """A bin index from flat comparisons, then the points from a literal array."""
    terms = []
    for c in art.characteristics:
        x = f"`{c.name}`"
        idx = " + ".join(f"CAST({x} >= {edge!r} AS INT)" for edge in c.edges)
        pts = ", ".join(str(b.points) for b in c.bins)
        terms.append(
            f"CASE WHEN {x} IS NULL OR isnan({x}) THEN {c.missing.points} "
            f"ELSE element_at(array({pts}), 1 + {idx}) END"
        )
    return f"SELECT CASE WHEN {_criteria(art)} THEN {' + '.join(terms)} END AS score FROM {table}"


def _criteria(art: ScorecardArtifact) -> str:
    crit = " AND ".join(
        f"`{c}` IS NOT NULL AND NOT isnan(`{c}`) AND `{c}` {cr.op} {cr.value!r}"
        for cr in art.criteria
        for c in [cr.column]
    )
    return crit or "TRUE"


def _session(flag: bool, cores: int) -> Any:
    from trustscore import engines

    if flag:
        return engines.spark_session(cores=cores)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from pyspark.sql import SparkSession
    # the project's session less the JIT flag: what a default deployment runs
    session = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("trustscore-default-jvm")
        .config("spark.sql.shuffle.partitions", str(max(2, cores * 2)))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def main() -> int:
    spec = json.loads(sys.argv[1])
    cores = int(spec.get("cores", 2))
    session = _session(bool(spec["flag"]), cores)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import ibis

        con = ibis.pyspark.connect(session)
    art = benchmark_artifact()
    full = session.read.parquet(spec["parquet"])
    views: dict[int, Any] = {}

    def view(rows: int) -> str:
        if rows not in views:
            df = full.limit(rows).repartition(cores).cache()
            df.count()
            df.createOrReplaceTempView(f"features_{rows}")
            views[rows] = df
        return f"features_{rows}"

    def sql_for(form: str, table: str, reasons: bool) -> str:
        if form == "naive":
            return naive_case_sql(art, table)
        if form == "index":
            return index_sql(art, table)
        names = ["score"]
        if reasons:
            names += ["status", *art.dimension_names, *(f"reason_{i}" for i in range(1, 5))]
        expr = to_ibis(art, con.table(table), reasons=reasons, form=form)
        return str(con.compile(expr.select(*names)))

    def noop(sql: str) -> None:
        session.sql(sql).write.format("noop").mode("overwrite").save()

    out = []
    for run in spec["runs"]:
        conf: dict[str, str] = run.get("conf", {})
        for key, value in conf.items():
            session.conf.set(key, value)
        sql = sql_for(run["form"], view(run["rows"]), bool(run["reasons"]))
        got = session.sql(
            f"SELECT sum(score), count(score), count(*) - count(score) FROM ({sql})"
        ).collect()[0]
        got_t = [int(got[0] or 0), int(got[1]), int(got[2])]
        if got_t != list(run["want"]):
            msg = f"Spark form {run['form']!r} disagrees with the kernel: {got_t} != {run['want']}"
            raise AssertionError(msg)
        noop(sql)  # warm-up: code generation and JIT
        best = float("inf")
        for _ in range(int(run["reps"])):
            t0 = time.perf_counter()
            noop(sql)
            best = min(best, time.perf_counter() - t0)
        for key in conf:
            session.conf.unset(key)
        out.append({**{k: v for k, v in run.items() if k != "want"}, "seconds": best})
    for df in views.values():
        df.unpersist()
    print(json.dumps({"flag": bool(spec["flag"]), "runs": out}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
