"""Random record stores for the cross-engine tests (DuckDB against Spark, local and cluster):
batches at different times, re-sent rows, deletions, uncommitted batches, suppressions and
consent events, written straight in the store's layout."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from trustscore.records import CONSENT_SCHEMA
from trustscore.records._schemas import RECORD_KINDS, arrow_schema

__all__ = ["BATCH_TIMES", "CATEGORIES", "write_random_store"]

BATCH_TIMES = [dt.datetime(2022 + i // 4, 1 + 3 * (i % 4), 15, tzinfo=dt.UTC) for i in range(12)]
CATEGORIES = ("utility", "telecom", "rent", "platform")


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _records(rng: random.Random, n_subjects: int) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in RECORD_KINDS}
    lo, hi = dt.date(2015, 1, 1), dt.date(2025, 6, 30)
    for s in range(n_subjects):
        sid = f"s{s:03d}"
        created = _day(rng, dt.date(2012, 1, 1), dt.date(2024, 12, 31))
        out["subject"].append({"subject_id": sid, "kind": "person", "created_date": created})
        for i in range(rng.randrange(12)):
            due = _day(rng, lo, hi)
            late = rng.choice([None, 0, 0, 0, -3, 10, 35, 70, 120, 400])
            paid = None if late is None else due + dt.timedelta(days=late)
            amount = round(rng.uniform(5, 300), 2)
            part = None if paid is None else rng.choice([amount, amount, None, amount / 2])
            out["obligation"].append(
                # furnisher and category vary without drawing from rng (the rest stays as it was)
                {"record_id": f"o{s}-{i}", "subject_id": sid, "furnisher": "fg"[(s + i) % 2],
                 "category": CATEGORIES[(3 * s + i) % 4], "account": "a", "due_date": due,
                 "amount_due": amount,
                 "paid_date": paid, "amount_paid": part}
            )  # fmt: skip
        for a in range(rng.randrange(4)):
            opened = _day(rng, dt.date(2010, 1, 1), dt.date(2024, 6, 30))
            closed = rng.choice([None, None, opened + dt.timedelta(days=rng.randrange(30, 2000))])
            kind = rng.choice(["card", "card", "instalment", "mortgage"])
            limit = rng.choice([0.0, 500.0, 2000.0])
            for m in range(rng.randrange(1, 30)):
                reported = opened + dt.timedelta(days=30 * (m + 1))
                dpd = rng.choice([0, 0, 0, 0, 15, 30, 60, 95])
                status = rng.choice(["current", "delinquent", "default", "charged_off", "closed"])
                out["tradeline"].append(
                    {"record_id": f"t{s}-{a}-{m}", "subject_id": sid, "furnisher": "bank",
                     "account": f"acc{a}", "kind": kind, "opened_date": opened,
                     "closed_date": closed, "credit_limit": limit,
                     "balance": round(rng.uniform(0, 2500), 2), "reported_date": reported,
                     "days_past_due": dpd, "status": status}
                )  # fmt: skip
        for p in range(rng.randrange(3)):
            filed = _day(rng, dt.date(2014, 1, 1), hi)
            sat = rng.choice([None, filed + dt.timedelta(days=rng.randrange(1, 900))])
            out["public_record"].append(
                {"record_id": f"p{s}-{p}", "subject_id": sid, "furnisher": "court",
                 "kind": "tax_arrears", "filed_date": filed,
                 "amount": float(rng.randrange(1, 9)) * 100,
                 "satisfied_date": sat}
            )  # fmt: skip
        for q in range(rng.randrange(5)):
            out["inquiry"].append(
                {"record_id": f"q{s}-{q}", "subject_id": sid, "furnisher": "l",
                 "purpose": "credit_limit", "inquiry_date": _day(rng, dt.date(2022, 1, 1), hi)}
            )  # fmt: skip
    return out


def _organisations(rng: random.Random, n: int, out: dict[str, list[dict[str, Any]]]) -> None:
    """``n`` organisations (``f000``...) with invoices, credit reports and public records of
    every kind, added to ``out``."""
    lo, hi = dt.date(2015, 1, 1), dt.date(2025, 6, 30)
    for s in range(n):
        sid = f"f{s:03d}"
        created = _day(rng, dt.date(2012, 1, 1), dt.date(2024, 12, 31))
        out["subject"].append({"subject_id": sid, "kind": "organisation", "created_date": created})
        for i in range(rng.randrange(25)):
            invoiced = _day(rng, lo, hi)
            terms = rng.choice([0, 14, 30, 30, 60, 90])
            # days from the invoice to its payment: early, within terms, or some way beyond
            days = rng.choice([None, 0, 3, terms - 12, terms, terms + 7, terms + 20, terms + 45,
                               terms + 80, terms + 200])  # fmt: skip
            paid = None if days is None else invoiced + dt.timedelta(days=max(days, 0))
            out["supplier_payment"].append(
                {"record_id": f"i{s}-{i}", "subject_id": sid, "furnisher": "xyz"[(s + i) % 3],
                 "category": ("supplier", "utility")[i % 2], "invoice": f"n{i}",
                 "invoice_date": invoiced, "terms_days": terms,
                 "amount": round(rng.uniform(10, 9000), 2), "paid_date": paid}
            )  # fmt: skip
        for m in range(rng.randrange(20)):
            opened = dt.date(2016, 1, 1) + dt.timedelta(days=40 * s)
            out["tradeline"].append(
                {"record_id": f"ft{s}-{m}", "subject_id": sid, "furnisher": "bank",
                 "account": "line", "kind": "instalment", "opened_date": opened,
                 "closed_date": None, "credit_limit": 50000.0, "balance": 1000.0 * m,
                 "reported_date": opened + dt.timedelta(days=30 * (m + 1)),
                 "days_past_due": rng.choice([0, 0, 0, 15, 40, 95]), "status": "current"}
            )  # fmt: skip
        for p in range(rng.randrange(5)):
            filed = _day(rng, dt.date(2014, 1, 1), hi)
            sat = rng.choice([None, filed + dt.timedelta(days=rng.randrange(1, 900))])
            out["public_record"].append(
                {"record_id": f"fp{s}-{p}", "subject_id": sid, "furnisher": "authority",
                 "kind": rng.choice(["court_judgment", "bankruptcy", "tax_arrears",
                                     "regulatory_penalty"]),
                 "filed_date": filed, "amount": round(rng.uniform(100, 20000), 2),
                 "satisfied_date": sat}
            )  # fmt: skip


def write_random_store(
    root: Path, n_subjects: int = 60, seed: int = 20261126, *, n_organisations: int = 0
) -> Path:
    """A random record store: batches at different times, re-sent rows (some of them deletions),
    uncommitted batches; with ``n_organisations``, organisations beside the persons."""
    rng = random.Random(seed)
    (root / "_batches").mkdir(parents=True)
    n = 0
    suppress: list[tuple[str, str, dt.datetime]] = []
    records = _records(rng, n_subjects)
    if n_organisations:
        _organisations(random.Random(seed + 1), n_organisations, records)
    for kind, rows in records.items():
        (root / kind).mkdir()
        rng.shuffle(rows)
        # a few batches per kind, at different times; some rows re-sent with another amount
        for b, start in enumerate(range(0, len(rows), max(1, len(rows) // 4 + 1))):
            chunk = rows[start : start + len(rows) // 4 + 1]
            resent = [dict(r) for r in rng.sample(chunk, k=min(2, len(chunk)))]
            for r in resent:
                for money in ("amount_due", "balance", "amount"):
                    if money in r:
                        r[money] = r[money] + 1.0
                if kind != "subject" and rng.random() < 0.3:
                    r["action"] = "delete"  # a furnisher's deletion: a version that stops it
            for part, part_rows in enumerate((chunk, resent)):
                n += 1
                bid = f"{kind}-{b}-{n}"
                at = rng.choice(BATCH_TIMES)
                schema = arrow_schema(kind, stored=True)
                full = [{**r, "batch_id": bid, "ingested_at": at} for r in part_rows]
                pq.write_table(
                    pa.Table.from_pylist(full, schema=schema),
                    root / kind / f"{bid}-{part:05d}.parquet",
                )
                if n % 7:  # every seventh batch is never committed
                    (root / "_batches" / f"{bid}.json").write_text(json.dumps({"batch_id": bid}))
            key = "subject_id" if kind == "subject" else "record_id"
            suppress += [(r[key], kind, rng.choice(BATCH_TIMES)) for r in rng.sample(chunk, k=1)]
    (root / "_suppressions").mkdir()
    pq.write_table(
        pa.table(
            {"record_id": [s[0] for s in suppress], "kind": [s[1] for s in suppress],
             "suppressed_at": pa.array([s[2] for s in suppress], pa.timestamp("us", tz="UTC")),
             "reason": ["dispute"] * len(suppress)}
        ),
        root / "_suppressions" / "s-1.parquet",
    )  # fmt: skip
    _write_consents(root, n_subjects, seed)
    return root


def _write_consents(root: Path, n_subjects: int, seed: int) -> None:
    """Random grants and withdrawals per subject, by furnisher and by category, many of them at
    the same moment (ties are broken by recording time, then id), some recorded late."""
    rng = random.Random(seed + 1)
    rows = []
    for s in range(n_subjects):
        for k in range(rng.randrange(5)):
            by_category = rng.random() < 0.6
            effective = rng.choice(BATCH_TIMES)
            recorded = rng.choice([effective, effective, effective + dt.timedelta(days=400)])
            rows.append(
                {"consent_id": f"c{s}-{k}", "subject_id": f"s{s:03d}",
                 "scope_kind": "category" if by_category else "furnisher",
                 "scope": rng.choice(CATEGORIES) if by_category else rng.choice("fg"),
                 "action": rng.choice(["grant", "grant", "withdraw"]),
                 "effective_at": effective, "recorded_at": recorded}
            )  # fmt: skip
    (root / "_consents").mkdir()
    pq.write_table(
        pa.Table.from_pylist(rows, schema=CONSENT_SCHEMA), root / "_consents" / "c.parquet"
    )
