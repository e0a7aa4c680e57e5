"""One subject's bills left out for lack of consent, in milliseconds: the subject's file.

:func:`~trustscore.features.bills_without_consent` builds the Ibis expression, lists the store
and compiles SQL on every call (about 0.4 s, almost all of it Ibis). :class:`SubjectBills` runs
the same expression (:func:`~trustscore.features._expressions.unconsented_bills_at`), compiled
to SQL once per as-of date over named tables that hold only what the caller read for one
subject: its obligation rows, the suppressions that may name them, its consent events, and a
one-row table with the knowledge cutoff and the consent moment (which change with every call, so
they enter as data, not as literals). A call registers those Arrow tables on a DuckDB connection
kept open and runs the SQL: the answer is the one ``bills_without_consent`` gives for the
subject, from the same rows.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Collection
from typing import Any, Final

import ibis
import pyarrow as pa

from trustscore import engines
from trustscore.features._consent import (
    CONSENTS,
    check_consent_categories,
    consent_moment,
    consents_schema,
)
from trustscore.features._expressions import (
    SUPPRESSIONS,
    suppressions_schema,
    unconsented_bills_at,
)
from trustscore.records._schemas import arrow_schema

__all__ = ["SubjectBills"]

#: The one-row table of a call's times.
_CLOCK: Final = "x_clock"
_CLOCK_SCHEMA: Final = pa.schema(
    [
        pa.field("cutoff", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("moment", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)
_COLUMNS: Final = ("record_id", "subject_id", "furnisher", "category", "due_date", "amount_due")
#: As-of dates whose SQL is kept (the workspace's date moves rarely).
_KEEP_SQL: Final = 8


class SubjectBills:
    """:func:`~trustscore.features.bills_without_consent` of one subject at a time, from rows
    the caller has read (see the module's docstring). Safe to call from many threads.

    Examples
    --------
    >>> bills = SubjectBills(["utility"])
    >>> at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    >>> row = {"record_id": "o1", "subject_id": "s1", "furnisher": "power",
    ...        "category": "utility", "due_date": dt.date(2024, 12, 1), "amount_due": 10.0,
    ...        "batch_id": "b1", "ingested_at": at}
    >>> obligations = pa.Table.from_pylist([row], schema=arrow_schema("obligation", stored=True))
    >>> bills(dt.date(2024, 12, 31), at, obligations).column("record_id").to_pylist()
    ['o1']
    """

    def __init__(self, consent_categories: Collection[str]) -> None:
        self.consent_categories = check_consent_categories(consent_categories)
        self._sql: dict[dt.date, str] = {}
        self._lock = threading.Lock()
        self._con: Any = None

    def sql(self, as_of: dt.date) -> str:
        """The SQL of the expression for ``as_of``, over the named tables (compiled once)."""
        found = self._sql.get(as_of)
        if found is None:
            clock = ibis.table(ibis.Schema.from_pyarrow(_CLOCK_SCHEMA), name=_CLOCK)
            tables = {
                "obligation": ibis.table(
                    ibis.Schema.from_pyarrow(arrow_schema("obligation", stored=True)),
                    name="obligation",
                ),
                SUPPRESSIONS: ibis.table(suppressions_schema(), name=SUPPRESSIONS),
                CONSENTS: ibis.table(consents_schema(), name=CONSENTS),
            }
            expr = unconsented_bills_at(
                tables, as_of, clock.cutoff.as_scalar(), moment=clock.moment.as_scalar(),
                consent_categories=self.consent_categories,
            ).select(*_COLUMNS)  # fmt: skip
            found = str(ibis.to_sql(expr, dialect="duckdb"))
            if len(self._sql) >= _KEEP_SQL:
                self._sql.clear()
            self._sql[as_of] = found
        return found

    def __call__(
        self,
        as_of: dt.date,
        known_at: dt.datetime,
        obligations: pa.Table,
        suppressions: pa.Table | None = None,
        consents: pa.Table | None = None,
    ) -> pa.Table:
        """The bills left out, as ``bills_without_consent(store, as_of, subjects=[s],
        known_at=known_at, ...)`` gives them.

        ``obligations`` are every stored version of the subject's obligation records, with the
        other versions of records an identity change moved to or from it (what a read of the
        subject's records gives, :func:`~trustscore.records.subject_rows`); ``suppressions``
        at least the suppression rows that name them; ``consents`` the subject's consent events.
        """
        if known_at.tzinfo is None:
            msg = f"known_at must be timezone-aware (UTC). Got {known_at!r} instead."
            raise ValueError(msg)
        sql = self.sql(as_of)
        cutoff = known_at.astimezone(dt.UTC)
        clock = pa.Table.from_pylist(
            [{"cutoff": cutoff, "moment": consent_moment(as_of, cutoff)}], schema=_CLOCK_SCHEMA
        )
        if suppressions is None:
            suppressions = suppressions_schema().to_pyarrow().empty_table()
        if consents is None:
            consents = consents_schema().to_pyarrow().empty_table()
        named = {
            _CLOCK: clock,
            "obligation": obligations.select(arrow_schema("obligation", stored=True).names),
            SUPPRESSIONS: suppressions,
            CONSENTS: consents,
        }
        with self._lock:
            if self._con is None:
                self._con = engines.duckdb_raw()
                # a few rows per call: one thread, no scheduling across cores
                self._con.execute("SET threads = 1")
            con = self._con
            try:
                for name, table in named.items():
                    con.register(name, table)
                result: pa.Table = con.execute(sql).to_arrow_table()
            finally:
                for name in named:
                    con.unregister(name)
        return result.sort_by([("subject_id", "ascending"), ("record_id", "ascending")])
