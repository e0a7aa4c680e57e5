"""The feature expression gives the same table on Spark as on DuckDB."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustscore import engines
from trustscore.features import (
    DEFAULT_CONSENT_CATEGORIES,
    bills_without_consent,
    compute_features,
    feature_table,
    load_tables,
)
from trustscore.features._expressions import unconsented_bills
from trustscore.records import CONSENT_SCHEMA
from trustscore.records._schemas import RECORD_KINDS, arrow_schema

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    # pyspark 4.3's toPandas uses options and keywords that pandas 3 deprecates
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option"),
]

AS_OFS = (dt.date(2023, 6, 30), dt.date(2024, 12, 31))
BATCH_TIMES = [dt.datetime(2022 + i // 4, 1 + 3 * (i % 4), 15, tzinfo=dt.UTC) for i in range(12)]
CATEGORIES = ("utility", "telecom", "rent", "platform")
#: knowledge cutoffs: the as-of day's end (None), and moments before and after it
KNOWN_ATS = (None, dt.datetime(2023, 3, 1, tzinfo=dt.UTC), dt.datetime(2025, 3, 1, tzinfo=dt.UTC))


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


def write_random_store(root: Path, n_subjects: int = 60, seed: int = 20261126) -> Path:
    """A random record store: batches at different times, re-sent rows (some of them deletions),
    uncommitted batches."""
    rng = random.Random(seed)
    (root / "_batches").mkdir(parents=True)
    n = 0
    suppress: list[tuple[str, str, dt.datetime]] = []
    for kind, rows in _records(rng, n_subjects).items():
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


@pytest.fixture(scope="module")
def random_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_random_store(tmp_path_factory.mktemp("spark-features") / "store")


def _assert_same(left: pa.Table, right: pa.Table) -> None:
    """Bit-identical: exact equality of every value, never a tolerance."""
    assert left.schema == right.schema
    assert left["subject_id"].to_pylist() == right["subject_id"].to_pylist()
    for name in left.column_names[1:]:
        assert left[name].to_pylist() == right[name].to_pylist(), name


@pytest.mark.parametrize("consent", [(), DEFAULT_CONSENT_CATEGORIES, ("rent", "utility")])
def test_feature_table_on_spark_equals_duckdb(
    spark: Any, random_store: Path, consent: tuple[str, ...]
) -> None:
    as_of = AS_OFS[1]
    results = {}
    for engine in ("duckdb", "spark"):
        con = engines.connect(engine)
        tables = load_tables(con, random_store, engine=engine)
        expr = feature_table(tables, as_of, consent_categories=consent)
        results[engine] = con.to_pyarrow(expr)
    duck, spk = results["duckdb"], results["spark"]
    assert duck.num_rows > 30
    # the data exercise the features: not all NULL, not all equal
    for name in duck.column_names[1:]:
        assert len(set(duck[name].to_pylist())) > 1, name
    _assert_same(spk.sort_by("subject_id"), duck.sort_by("subject_id"))


def test_bills_left_out_for_lack_of_consent_are_the_same_on_spark(
    spark: Any, random_store: Path
) -> None:
    for known_at in KNOWN_ATS:
        kw: dict[str, Any] = {"consent_categories": DEFAULT_CONSENT_CATEGORIES,
                              "known_at": known_at}  # fmt: skip
        duck = bills_without_consent(random_store, AS_OFS[1], **kw)
        spk = bills_without_consent(random_store, AS_OFS[1], engine="spark", **kw)
        assert duck.num_rows > 20  # the store has bills with and without consent
        assert spk.equals(duck)
    # with consent, fewer bills count than without: the filter does something
    con = engines.connect("duckdb")
    tables = load_tables(con, random_store)
    left = con.to_pyarrow(
        unconsented_bills(tables, AS_OFS[1], consent_categories=DEFAULT_CONSENT_CATEGORIES)
    )
    assert 0 < left.num_rows < con.to_pyarrow(tables["obligation"]).num_rows


def test_compute_features_on_spark_with_subjects(spark: Any, random_store: Path) -> None:
    known = compute_features(random_store, AS_OFS[0])["subject_id"].to_pylist()
    assert len(known) > 10
    some = [*known[1:8:3], "nobody"]
    duck = compute_features(random_store, AS_OFS[0], subjects=some)
    spk = compute_features(random_store, AS_OFS[0], subjects=some, engine="spark")
    assert duck["subject_id"].to_pylist() == some[:3]
    _assert_same(spk, duck)


def test_scores_from_spark_features_equal_scores_from_duckdb_features(
    spark: Any, random_store: Path
) -> None:
    """Records to scores on Spark give the same scores, sub-scores and reasons as on DuckDB,
    with bins cut exactly at the values the features take (a value on an edge goes above it)."""
    from scoring_strategies import artifact_of
    from trustscore.scoring import score

    duck = compute_features(random_store, AS_OFS[1])
    spk = compute_features(random_store, AS_OFS[1], engine="spark")
    chars = []
    for j, name in enumerate(c for c in duck.column_names if c != "subject_id"):
        values = sorted({v for v in duck[name].to_pylist() if v is not None})
        edges = values[1::2][:6]  # edges exactly at observed values, odd and even rows apart
        chars.append(
            {
                "name": name,
                "dimension": "d",
                "type": "numeric",
                "reason_code": f"R{j:02d}",
                "reason": name,
                "bins": [
                    *({"upper": e, "points": 3 * k} for k, e in enumerate(edges)),
                    {"upper": None, "points": 3 * len(edges)},
                ],
                "missing": {"points": 1},
            }
        )
    art = artifact_of(chars)
    want = score(art, duck)
    assert score(art, spk, engine="spark").equals(want)
    assert score(art, spk).equals(want)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_features_are_bit_identical_on_hypothesis_made_stores(
    spark: Any, tmp_path_factory: pytest.TempPathFactory, seed: int
) -> None:
    """Each example is a whole store of 150 subjects (late and unpaid bills, cards at and over
    their limits, re-sent versions, deletions, suppressions), scored in one query per engine
    and as-of date: many subjects' edge cases per Spark job, compared with exact equality."""
    store = write_random_store(tmp_path_factory.mktemp("hyp-store") / "store", 150, seed)
    for as_of, known_at in zip(AS_OFS, KNOWN_ATS[1:], strict=True):
        results = {}
        for engine in ("duckdb", "spark"):
            con = engines.connect(engine)
            expr = feature_table(
                load_tables(con, store, engine=engine), as_of, known_at=known_at,
                consent_categories=DEFAULT_CONSENT_CATEGORIES[: 1 + seed % 4],
            )  # fmt: skip
            results[engine] = con.to_pyarrow(expr).sort_by("subject_id")
        _assert_same(results["spark"], results["duckdb"])
