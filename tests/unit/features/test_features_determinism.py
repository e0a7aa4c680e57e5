"""The same as-of date and data give bit-identical features, whatever order rows arrive in.

Feature hashes in score snapshots and exact replay depend on it: a parallel float sum that
differs in the last bit from run to run would break both.
"""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pyarrow as pa

from trustscore import engines
from trustscore.features import feature_table
from trustscore.records._schemas import arrow_schema

AS_OF = dt.date(2025, 6, 30)
AT = dt.datetime(2025, 6, 30, 12, tzinfo=dt.UTC)


def _tables(order: np.ndarray) -> dict[str, ibis.Table]:
    rng = np.random.default_rng(7)
    n = order.size
    # awkward amounts whose float sums depend on the order of addition
    due = rng.uniform(0.01, 1e6, n) * rng.choice([1e-3, 1.0, 1e3], n)
    paid = due * rng.uniform(0, 1, n)
    bills = pa.table(
        {
            "record_id": [f"o{i}" for i in range(n)],
            "subject_id": ["s1"] * n,
            "furnisher": ["f"] * n,
            "category": ["utility"] * n,
            "account": ["a"] * n,
            "due_date": [AS_OF - dt.timedelta(days=int(d)) for d in rng.integers(1, 300, n)],
            "amount_due": np.round(due, 6),
            "paid_date": [AS_OF] * n,
            "amount_paid": np.round(paid, 6),
            "action": [None] * n,
            "batch_id": ["b"] * n,
            "ingested_at": [AT] * n,
        },
        schema=arrow_schema("obligation", stored=True),
    ).take(pa.array(order))
    subject = pa.table(
        {"subject_id": ["s1"], "kind": ["person"], "created_date": [dt.date(2020, 1, 1)],
         "batch_id": ["b"], "ingested_at": [AT]},
        schema=arrow_schema("subject", stored=True),
    )  # fmt: skip
    return {"subject": ibis.memtable(subject), "obligation": ibis.memtable(bills)}


def test_amount_ratios_do_not_depend_on_row_order() -> None:
    n = 20_000
    con = engines.connect("duckdb", threads=4)
    rows = []
    for seed in (0, 1, 2):
        order = np.random.default_rng(seed).permutation(n)
        rows.append(con.to_pyarrow(feature_table(_tables(order), AS_OF)).to_pylist()[0])
    assert rows[0]["unpaid_amount_ratio_12m"] is not None
    assert rows[0] == rows[1] == rows[2]
