"""One ``ledger`` fixture over both backends: a SQLite file, and a PostgreSQL schema.

PostgreSQL tests share one schema created for the session (and dropped after it), emptied
before each test, so runs are repeatable and fast; tests of migrations get a fresh schema each.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from trustscore.ledger import Ledger

T0 = dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)
_TABLES = (
    "access_log, access_refusals, api_clients, audit_checkpoints, audit_head, audit_log, "
    "audit_salts, consent_events, decisions, dispute_kinds, disputes, held_batches, "
    "identity_changes, identity_links, identity_moves, identity_reviews, ingest_batches, "
    "job_leases, latest_score_bases, latest_scores, model_approvals, model_events, "
    "model_registry, review_cases, score_snapshots, suppressions"
)


def _schema_url(postgres_url: str, schema: str) -> str:
    # Commits need not wait for the disk in tests (durability is the server's business).
    options = f"-csearch_path={schema} -csynchronous_commit=off"
    url = sa.make_url(postgres_url).update_query_dict({"options": options})
    return url.render_as_string(hide_password=False)


def _fresh_schema(postgres_url: str) -> Iterator[str]:
    schema = f"ledger_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _schema_url(postgres_url, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_schema(postgres_url: str) -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL schema, dropped afterwards."""
    yield from _fresh_schema(postgres_url)


@pytest.fixture(scope="session")
def pg_shared_ledger(postgres_url: str) -> Iterator[Ledger]:
    """One PostgreSQL ledger for the session, in its own schema."""
    for url in _fresh_schema(postgres_url):
        ledger = Ledger(url)
        ledger.create_all()
        yield ledger
        ledger.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def ledger_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database (no tables) on each backend."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    return str(request.getfixturevalue("pg_schema"))


@pytest.fixture
def ledger(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    """An empty ledger with every table, on SQLite and on PostgreSQL."""
    if backend == "sqlite":
        lgr = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}", sqlite_synchronous="NORMAL")
        lgr.create_all()
        yield lgr
        lgr.dispose()
        return
    shared: Ledger = request.getfixturevalue("pg_shared_ledger")
    with shared.engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {_TABLES} RESTART IDENTITY CASCADE"))
        conn.execute(sa.text("INSERT INTO audit_head (head_id, seq, hash) VALUES (1, 0, :h)"),
                     {"h": "0" * 64})  # fmt: skip
    yield shared


@pytest.fixture
def t0() -> dt.datetime:
    return T0
