"""The ledger on a real PostgreSQL server: migrations, and many writers in separate pools."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

import trustscore.ledger as lg

pytestmark = pytest.mark.postgres

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


@pytest.fixture
def schema_urls(postgres_url: str) -> Iterator[tuple[str, str]]:
    """Two fresh schemas (for create_all and for upgrade), dropped afterwards."""
    names = [f"ledger_it_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    admin = sa.create_engine(postgres_url)
    with admin.begin() as conn:
        for name in names:
            conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    base = sa.make_url(postgres_url)
    urls = [
        base.update_query_dict(
            {"options": f"-csearch_path={name} -csynchronous_commit=off"}
        ).render_as_string(hide_password=False)
        for name in names
    ]
    try:
        yield urls[0], urls[1]
    finally:
        with admin.begin() as conn:
            for name in names:
                conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def _columns(ledger: lg.Ledger) -> dict[str, list[tuple[str, str, bool]]]:
    inspector = sa.inspect(ledger.engine)
    return {
        table: sorted(
            (c["name"], str(c["type"]), bool(c["nullable"])) for c in inspector.get_columns(table)
        )
        for table in ledger.table_names()
        if table != "alembic_version"
    }


def test_migrations_build_the_same_schema_as_the_models(schema_urls: tuple[str, str]) -> None:
    by_models, by_migrations = lg.Ledger(schema_urls[0]), lg.Ledger(schema_urls[1])
    by_models.create_all()
    by_migrations.upgrade()
    assert by_migrations.revision() == "0013"
    assert _columns(by_migrations) == _columns(by_models)
    assert dict(sa.inspect(by_migrations.engine).get_columns("audit_log")[1])["type"].timezone
    by_models.dispose()
    by_migrations.dispose()


def test_writers_in_separate_pools_serialise_on_the_chain_head(
    schema_urls: tuple[str, str],
) -> None:
    url = schema_urls[1]
    setup = lg.Ledger(url)
    setup.upgrade()
    setup.dispose()
    # Like several service workers: each has its own engine and connection pool.
    workers = [lg.Ledger(url) for _ in range(4)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work(k: int) -> None:
        ledger = workers[k % len(workers)]
        try:
            barrier.wait()
            for i in range(25):
                d = lg.open_dispute(ledger, f"s{k}", "obligation", f"ob-{k}-{i}", "x", T0)
                lg.resolve_dispute(ledger, d.dispute_id, "unverifiable", f"op-{k}", T0)
        except BaseException as exc:  # re-raised by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = lg.audit_verify(workers[0])
    assert result.ok, result
    assert result.n_entries == 8 * 25 * 3
    assert len(lg.suppressions(workers[0])) == 200
    assert lg.run_deadline_job(workers[0], T0 + dt.timedelta(days=90)) == []
    for w in workers:
        w.dispose()
