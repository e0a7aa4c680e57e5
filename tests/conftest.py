"""Fixtures shared by the whole suite: real PostgreSQL, real Spark, the reference datasets.

PostgreSQL and Spark are real, never mocked. Where they are not configured (a laptop) their tests
skip with a message saying how to enable them; where CI requires them (``.ci/run`` sets
``TRUSTSCORE_TEST_POSTGRES_URL`` and ``TRUSTSCORE_REQUIRE_SPARK``) they fail instead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

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


@pytest.fixture(scope="session")
def spark() -> Any:
    """One local SparkSession for the whole run (starting one takes seconds)."""
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
    return engines.spark_session()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The reference credit datasets in ../shared/data (never copied into the repo)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"The reference datasets are not at {SHARED_DATA}.")
    return SHARED_DATA
