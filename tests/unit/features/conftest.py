"""A tiny record-store writer for the feature tests, following docs/architecture.md's layout."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from trustscore.records._schemas import arrow_schema

UTC = dt.UTC
D = dt.date


def at(year: int, month: int, day: int, *rest: int) -> dt.datetime:
    """A UTC instant."""
    return dt.datetime(year, month, day, *rest, tzinfo=UTC)


class StoreWriter:
    """Writes committed (or uncommitted) batches and suppressions into a record store folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._n = itertools.count()

    def batch(
        self,
        kind: str,
        rows: list[dict[str, Any]],
        ingested_at: dt.datetime,
        *,
        batch_id: str | None = None,
        commit: bool = True,
    ) -> str:
        batch_id = batch_id or f"batch-{next(self._n):03d}"
        schema = arrow_schema(kind, stored=True)
        full = [
            {
                **{f.name: None for f in schema},
                **r,
                "batch_id": batch_id,
                "ingested_at": ingested_at,
            }
            for r in rows
        ]
        folder = self.root / kind
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(
            pa.Table.from_pylist(full, schema=schema), folder / f"{batch_id}-00000.parquet"
        )
        if commit:
            (self.root / "_batches").mkdir(exist_ok=True)
            manifest = {"batch_id": batch_id, "kind": kind}
            (self.root / "_batches" / f"{batch_id}.json").write_text(json.dumps(manifest))
        return batch_id

    def suppress(self, rows: list[tuple[str, str, dt.datetime]]) -> None:
        folder = self.root / "_suppressions"
        folder.mkdir(parents=True, exist_ok=True)
        table = pa.table(
            {
                "record_id": [r[0] for r in rows],
                "kind": [r[1] for r in rows],
                "suppressed_at": pa.array([r[2] for r in rows], pa.timestamp("us", tz="UTC")),
                "reason": ["dispute upheld"] * len(rows),
            }
        )
        pq.write_table(table, folder / f"supp-{next(self._n):03d}.parquet")


def subject(sid: str, created: dt.date, kind: str = "person") -> dict[str, Any]:
    return {"subject_id": sid, "kind": kind, "created_date": created}


def bill(
    rid: str,
    sid: str,
    due: dt.date,
    amount: float,
    paid: dt.date | None = None,
    amount_paid: float | None = None,
) -> dict[str, Any]:
    if paid is not None and amount_paid is None:
        amount_paid = amount
    return {
        "record_id": rid, "subject_id": sid, "furnisher": "water-co", "category": "utility",
        "account": "acc", "due_date": due, "amount_due": amount, "paid_date": paid,
        "amount_paid": amount_paid,
    }  # fmt: skip


def report(
    rid: str,
    sid: str,
    account: str,
    kind: str,
    opened: dt.date,
    limit: float,
    reported: dt.date,
    balance: float,
    dpd: int = 0,
    status: str = "current",
    closed: dt.date | None = None,
    furnisher: str = "bank",
) -> dict[str, Any]:
    return {
        "record_id": rid, "subject_id": sid, "furnisher": furnisher, "account": account,
        "kind": kind, "opened_date": opened, "closed_date": closed, "credit_limit": limit,
        "balance": balance, "reported_date": reported, "days_past_due": dpd, "status": status,
    }  # fmt: skip


def public(
    rid: str,
    sid: str,
    kind: str,
    filed: dt.date,
    amount: float,
    satisfied: dt.date | None = None,
) -> dict[str, Any]:
    return {
        "record_id": rid, "subject_id": sid, "furnisher": "court", "kind": kind,
        "filed_date": filed, "amount": amount, "satisfied_date": satisfied,
    }  # fmt: skip


def inquiry(rid: str, sid: str, day: dt.date) -> dict[str, Any]:
    return {
        "record_id": rid, "subject_id": sid, "furnisher": "lender", "purpose": "credit_pricing",
        "inquiry_date": day,
    }  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> StoreWriter:
    """An empty record store for one test."""
    return StoreWriter(tmp_path / "store")


@pytest.fixture(scope="session")
def kit() -> SimpleNamespace:
    """The row builders and ``at`` (a UTC instant), for tests that build their own stores."""
    return SimpleNamespace(
        subject=subject,
        bill=bill,
        report=report,
        public=public,
        inquiry=inquiry,
        at=at,
        writer=StoreWriter,
    )


@pytest.fixture(scope="session")
def hand_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-built store of test_features_values.py (expected values are computed there)."""
    w = StoreWriter(tmp_path_factory.mktemp("features") / "store")
    main = at(2024, 6, 15, 12)
    w.batch(
        "subject",
        [
            subject("s1", D(2015, 1, 1)),
            subject("s2", D(2020, 1, 1)),
            subject("s3", D(2024, 7, 1)),  # created after as_of
            subject("s4", D(2023, 1, 1)),  # no records at all
        ],
        main,
    )
    w.batch("subject", [subject("s5", D(2024, 1, 1))], at(2024, 7, 2))  # known after as_of
    w.batch(
        "obligation",
        [
            bill("o1", "s1", D(2024, 5, 1), 100.0, D(2024, 4, 28)),
            bill("o2", "s1", D(2024, 3, 1), 200.0, D(2024, 4, 15)),
            bill("o3", "s1", D(2024, 2, 1), 50.0),
            bill("o4", "s1", D(2024, 6, 20), 80.0, D(2024, 7, 5)),
            bill("o5", "s1", D(2022, 9, 1), 100.0, D(2022, 12, 15)),
            bill("o6", "s1", D(2021, 9, 1), 100.0, D(2021, 9, 1)),
            bill("o7", "s1", D(2016, 1, 1), 100.0, D(2016, 6, 1)),
            bill("o8", "s1", D(2024, 8, 1), 100.0),  # due after as_of
            bill("o11", "s1", D(2024, 4, 1), 500.0),  # suppressed before as_of
            bill("o12", "s1", D(2023, 8, 1), 60.0, D(2023, 9, 10)),  # suppressed after as_of
            bill("o20", "s2", D(2020, 5, 1), 40.0, D(2020, 5, 1)),
        ],
        main,
    )
    # ingested at the last instant of the as-of day: counts
    w.batch("obligation", [bill("o10", "s1", D(2024, 6, 10), 10.0, D(2024, 6, 10))],
            at(2024, 6, 30, 23, 59, 59, 999999))  # fmt: skip
    # ingested a microsecond later: does not count, although its due date is before as_of
    w.batch("obligation", [bill("o9", "s1", D(2024, 6, 1), 70.0)], at(2024, 7, 1))
    # written but never committed (no manifest): does not count
    w.batch("obligation", [bill("o99", "s1", D(2024, 1, 1), 999.0)], main, commit=False)
    w.batch(
        "tradeline",
        [
            report("r1", "s1", "c1", "card", D(2019, 3, 15), 1000.0, D(2024, 5, 31), 300.0),
            report("r2", "s1", "c1", "card", D(2019, 3, 15), 1000.0, D(2024, 4, 30), 500.0,
                   35, "delinquent"),
            report("r3", "s1", "c1", "card", D(2019, 3, 15), 1000.0, D(2022, 10, 31), 200.0,
                   60, "delinquent"),
            report("r4", "s1", "c2", "card", D(2021, 1, 10), 500.0, D(2023, 12, 31), 0.0,
                   0, "closed", D(2023, 12, 31)),
            report("r5", "s1", "l1", "instalment", D(2018, 5, 20), 10000.0, D(2024, 6, 30),
                   4000.0, furnisher="lender"),
            report("r6", "s1", "l1", "instalment", D(2018, 5, 20), 10000.0, D(2022, 1, 31),
                   7000.0, 0, "default", furnisher="lender"),
            report("r7", "s1", "l1", "instalment", D(2018, 5, 20), 10000.0, D(2024, 7, 31),
                   3900.0, 90, "delinquent", furnisher="lender"),  # reported after as_of
            report("r9", "s1", "c3", "card", D(2024, 1, 5), 500.0, D(2024, 6, 15), 100.0,
                   furnisher="store"),
        ],
        main,
    )  # fmt: skip
    # a correction of r1 known by as_of, and another one known only later
    w.batch("tradeline",
            [report("r1", "s1", "c1", "card", D(2019, 3, 15), 1000.0, D(2024, 5, 31), 350.0)],
            at(2024, 6, 20))  # fmt: skip
    w.batch("tradeline",
            [report("r1", "s1", "c1", "card", D(2019, 3, 15), 1000.0, D(2024, 5, 31), 900.0)],
            at(2024, 7, 2))  # fmt: skip
    w.batch("tradeline",
            [report("r8", "s1", "l1", "instalment", D(2018, 5, 20), 10000.0, D(2024, 6, 15),
                    6000.0, 120, "charged_off", furnisher="lender")],
            at(2024, 7, 1))  # fmt: skip
    w.batch(
        "public_record",
        [
            public("p1", "s1", "court_judgment", D(2020, 3, 10), 1500.0),
            public("p2", "s1", "tax_arrears", D(2022, 11, 20), 300.0, D(2024, 5, 1)),
            public("p3", "s1", "regulatory_penalty", D(2023, 2, 14), 200.0, D(2024, 8, 1)),
            public("p4", "s1", "bankruptcy", D(2016, 5, 1), 9000.0),  # aged out
        ],
        main,
    )
    w.batch(
        "inquiry",
        [
            inquiry("i1", "s1", D(2024, 2, 1)),
            inquiry("i2", "s1", D(2023, 10, 1)),
            inquiry("i3", "s1", D(2024, 6, 30)),
            inquiry("i4", "s2", D(2024, 3, 3)),
        ],
        main,
    )
    w.suppress(
        [
            ("o11", "obligation", at(2024, 6, 1)),
            ("o12", "obligation", at(2024, 7, 15)),
            ("o3", "tradeline", at(2024, 6, 1)),  # same id, other kind: no effect on the bill
        ]
    )
    return w.root
