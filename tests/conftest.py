"""Fixtures shared by the whole suite: real PostgreSQL, real Spark, the reference datasets.

PostgreSQL and Spark are real, never mocked; Spark runs in local mode and on a standalone
cluster (a master and a worker on loopback) that :func:`spark_cluster` starts. Where they are
not configured (a laptop) their tests skip with a message saying how to enable them; where CI
requires them (``.ci/run`` sets ``TRUSTSCORE_TEST_POSTGRES_URL`` and
``TRUSTSCORE_REQUIRE_SPARK``) they fail instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, settings

# No test asserts wall-clock time (issue 15): Hypothesis's per-example deadline (200 ms unless a
# test says otherwise) and its too-slow health check are timing bounds, which fail on a busy
# machine. Speed is the benchmarks' business.
settings.register_profile("trustscore", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("trustscore")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The URL of a real PostgreSQL server for ledger tests, checked reachable."""
    url = os.environ.get("TRUSTSCORE_TEST_POSTGRES_URL")
    if not url:
        pytest.skip(
            "PostgreSQL tests need a server: set TRUSTSCORE_TEST_POSTGRES_URL, e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:5432/test (.ci/run sets it)."
        )
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:
        pytest.fail(f"TRUSTSCORE_TEST_POSTGRES_URL is set to {url!r} but unreachable: {exc}")
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="module")
def pg(postgres_url: str) -> Any:
    """A psycopg connection (autocommit) to the test PostgreSQL, for running SQL text there."""
    import psycopg

    conn = psycopg.connect(
        postgres_url.replace("postgresql+psycopg://", "postgresql://"),
        # a query the planner cannot handle fails the test instead of holding a core for good
        options="-c statement_timeout=60s",
    )
    conn.autocommit = True
    yield conn
    conn.close()


def _require_spark() -> None:
    """Skip (or, where CI requires Spark, fail) unless pyspark and a Java runtime are here."""
    from trustscore import engines

    required = os.environ.get("TRUSTSCORE_REQUIRE_SPARK") == "1"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if required:
            pytest.fail("TRUSTSCORE_REQUIRE_SPARK=1 but pyspark is not installed.")
        pytest.skip("Spark tests need pyspark: pip install 'trustscore[spark]'.")
    if not engines.java_available():
        if required:
            pytest.fail("TRUSTSCORE_REQUIRE_SPARK=1 but no Java runtime was found.")
        pytest.skip("Spark tests need a Java 17 runtime on the PATH.")


@pytest.fixture(scope="session")
def spark() -> Any:
    """One local SparkSession for the whole run (starting one takes seconds)."""
    from trustscore import engines

    _require_spark()
    return engines.spark_session()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_line(log: Path, text: str, proc: subprocess.Popen[bytes], what: str) -> None:
    """Wait until ``text`` appears in ``log``; fail with the log's tail if ``proc`` ends first
    or it never comes (a generous bound: a wait for a JVM on a busy machine, not a timing test)."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
    pytest.fail(f"The standalone Spark {what} did not start (no {text!r} in {log}):\n{tail}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class SparkCluster(NamedTuple):
    """A standalone Spark cluster's master URL, and its worker's folder (one ``app-*`` folder
    per application it ran executors for)."""

    master_url: str
    work_dir: Path


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkCluster]:
    """A standalone Spark cluster on 127.0.0.1 for the whole run.

    A master and one worker (1 core, 1 GiB), started with the pyspark package's own
    ``bin/spark-class`` as a user starts them, and stopped at the end. The fixture returns once
    the master has registered the worker, so an application gets an executor.
    """
    import pyspark

    _require_spark()
    home = Path(pyspark.__file__).resolve().parent
    folder = tmp_path_factory.mktemp("spark-cluster")
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1"}
    spark_class = [shutil.which("bash") or "bash", str(home / "bin" / "spark-class")]
    port = _free_port()
    url = f"spark://127.0.0.1:{port}"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for name, args in (
            ("master", ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                        "--port", str(port), "--webui-port", "0"]),
            ("worker", ["org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1",
                        "--cores", "1", "--memory", "1g", "--webui-port", "0",
                        "--work-dir", str(folder / "work")]),
        ):  # fmt: skip
            log = folder / f"{name}.log"
            with log.open("wb") as out:
                procs.append(
                    subprocess.Popen(
                        [*spark_class, *args], stdout=out, stderr=subprocess.STDOUT, env=env
                    )
                )
            if name == "master":
                _wait_for_line(log, "I have been elected leader", procs[-1], name)
            else:
                # the master logs the worker it accepts
                _wait_for_line(folder / "master.log", "Registering worker", procs[-1], name)
        yield SparkCluster(url, folder / "work")
    finally:
        for proc in reversed(procs):
            _stop(proc)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The reference credit datasets in ../shared/data (never copied into the repo)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"The reference datasets are not at {SHARED_DATA}.")
    return SHARED_DATA
