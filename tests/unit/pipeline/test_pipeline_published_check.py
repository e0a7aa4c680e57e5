"""The check of the keyed store against the batch's scores finds every kind of difference."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from trustscore import ledger as lg
from trustscore.pipeline import published_differences

AS_OF = dt.date(2025, 12, 31)
AT = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[lg.Ledger]:
    led = lg.Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    led.upgrade()
    yield led
    led.dispose()


def _batch_row(sid: str, score: int | None, reasons: list[str]) -> dict[str, Any]:
    ok = score is not None
    codes = [*reasons, None, None, None, None][:4]
    return {
        "subject_id": sid, "score": score, "status": "OK" if ok else "NS",
        "payment_reliability": score // 2 if ok else None,
        "credit_history": score - score // 2 if ok else None,
        **{f"reason_{i}": c for i, c in enumerate(codes, start=1)},
        "quality": None, "model_version": "m-1", "as_of": AS_OF,
    }  # fmt: skip


def _published(row: dict[str, Any]) -> lg.LatestScore:
    dims = ("payment_reliability", "credit_history")
    result = {
        "subject_id": row["subject_id"], "as_of": row["as_of"].isoformat(),
        "model_version": row["model_version"], "model_hash": "sha256:m",
        "score": row["score"], "status": row["status"],
        "subscores": {d: row[d] for d in dims},  # NS: each None, as the service says
        "reasons": [{"code": row[f"reason_{i}"], "text": "t"} for i in range(1, 5)
                    if row[f"reason_{i}"]],
        "feature_hash": "sha256:f",
    }  # fmt: skip
    return lg.LatestScore(row["subject_id"], "base:1", "", "sha256:m", AS_OF, AT, result, {})


def test_equal_stores_pass_and_each_difference_is_named(ledger: lg.Ledger) -> None:
    rows = [_batch_row(f"s{i:03d}", 500 + i, ["PR02", "CH03"]) for i in range(30)]
    rows.append(_batch_row("s900", None, []))  # NS: no number, no sub-scores
    scores = pa.Table.from_pylist(rows)
    lg.put_latest_scores(ledger, [_published(r) for r in rows], chunk_rows=7)
    check = published_differences(ledger, scores)
    assert (check.checked, check.differ, check.examples) == (31, 0, ())

    # one subject's reasons in another order, one's sub-score, one missing, one extra
    lg.put_latest_scores(ledger, [
        _published({**rows[3], "reason_1": "CH03", "reason_2": "PR02"}),
        _published({**rows[4], "credit_history": 1}),
        _published(_batch_row("s999", 700, [])),
    ])  # fmt: skip
    missing = scores.filter(pa.compute.not_equal(scores["subject_id"], "s999"))
    extra_in_batch = pa.concat_tables(
        [missing, pa.Table.from_pylist([_batch_row("s555", 600, [])], schema=scores.schema)]
    )
    check = published_differences(ledger, extra_in_batch)
    assert check.checked == 32
    whys = {d.subject_id: d.why for d in check.examples}
    assert check.differ == 4
    assert whys == {
        "s003": "reasons: published ['CH03', 'PR02'], batch ['PR02', 'CH03']",
        "s004": "subscores: published {'payment_reliability': 252, 'credit_history': 1}, "
        "batch {'payment_reliability': 252, 'credit_history': 252}",
        "s999": "published, but not in the batch's scores",
        "s555": "in the batch's scores, but not published",
    }
    assert published_differences(ledger, extra_in_batch, limit=1).differ == 4
    assert len(published_differences(ledger, extra_in_batch, limit=1).examples) == 1
    # a subject who changed after the batch's cutoff may differ: counted apart, not a defect
    later = published_differences(ledger, extra_in_batch, changed_since={"s003", "s010"})
    assert (later.differ, later.changed) == (3, 1)
    assert "s003" not in {d.subject_id for d in later.examples}


def test_a_consent_at_midnight_after_the_as_of_day_is_news_to_the_batch(tmp_path: Path) -> None:
    from trustscore.features import end_of_day
    from trustscore.pipeline._latest import subjects_changed_after
    from trustscore.records import RecordStore, write_consents

    store = RecordStore(tmp_path / "store")
    midnight = dt.datetime.combine(AS_OF + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    write_consents(store, [
        {"consent_id": f"c-{sid}", "subject_id": sid, "scope_kind": "category",
         "scope": "utility", "action": "withdraw", "effective_at": at, "recorded_at": at}
        for sid, at in [("s1", midnight), ("s2", end_of_day(AS_OF)),
                        ("s3", midnight + dt.timedelta(days=30))]
    ])  # fmt: skip
    # the batch's features know what took effect by the day's last moment: s2, not s1 or s3
    assert subjects_changed_after(store, end_of_day(AS_OF)) == {"s1", "s3"}
