"""The keyed store of latest scores: rows by subject and the store states they came from."""

from __future__ import annotations

import datetime as dt

from trustscore import ledger as lg

AS_OF = dt.date(2026, 2, 28)


def _row(sid: str, score: int | None, at: dt.datetime, base: str = "base:1") -> lg.LatestScore:
    result = {
        "subject_id": sid, "score": score, "status": "OK" if score is not None else "NS",
        "feature_hash": f"sha256:{sid}", "reasons": [{"code": "P1", "text": "late"}],
    }  # fmt: skip
    # the features' floats must come back bit for bit: a replay hashes them
    return lg.LatestScore(sid, base, "", "m" * 64, AS_OF, at, result,
                          {"subject_id": sid, "ratio": 0.8611111111111112, "n": None})  # fmt: skip


def test_rows_round_trip_and_are_replaced_by_subject(ledger: lg.Ledger, t0: dt.datetime) -> None:
    rows = [_row(f"s{i:04d}", 300 + i, t0) for i in range(250)]
    assert lg.put_latest_scores(ledger, rows, chunk_rows=100) == 250
    assert lg.count_latest_scores(ledger) == 250
    assert lg.latest_score(ledger, "s0007") == rows[7]
    assert lg.latest_score(ledger, "nobody") is None
    later = _row("s0007", None, t0 + dt.timedelta(hours=1), base="base:2")
    assert lg.put_latest_scores(ledger, [later]) == 1
    assert lg.latest_score(ledger, "s0007") == later
    assert lg.count_latest_scores(ledger) == 250


def test_a_base_is_stored_once_and_the_first_one_holds(ledger: lg.Ledger, t0: dt.datetime) -> None:
    times = (t0 + dt.timedelta(hours=2), t0 + dt.timedelta(hours=1))
    first = lg.ScoreBase("base:a", AS_OF, t0, frozenset({"b1", "b2"}), frozenset(),
                         frozenset({"c.parquet"}), times)  # fmt: skip
    stored = lg.record_score_base(ledger, first)
    assert stored == lg.ScoreBase(
        "base:a", AS_OF, t0, first.batches, first.suppressions, first.consents, tuple(sorted(times))
    )
    again = lg.ScoreBase("base:a", AS_OF, t0 + dt.timedelta(days=1), first.batches,
                         first.suppressions, first.consents, ())  # fmt: skip
    assert lg.record_score_base(ledger, again) == stored  # another process, the same state
    newer = lg.ScoreBase("base:b", AS_OF, t0 + dt.timedelta(days=2), frozenset({"b1"}),
                         frozenset(), frozenset(), ())  # fmt: skip
    lg.record_score_base(ledger, newer)
    assert [b.base_id for b in lg.latest_score_bases(ledger)] == ["base:b", "base:a"]
    assert lg.score_base(ledger, "base:none") is None


def _answer(row: lg.LatestScore) -> lg.LatestAnswer:
    return lg.LatestAnswer(row.subject_id, row.base_id, row.patch, row.model_hash, row.as_of,
                           row.computed_at, row.result)  # fmt: skip


def test_the_answer_alone_reads_back_equal_values_of_equal_types(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    # on a SQLite file the service's read runs on the driver's connection, not the engine:
    # the dates and UTC times must come back as the engine gives them, or no row is current
    at = t0 + dt.timedelta(microseconds=15896)
    rows = [_row("s1", 640, at), _row("s2", None, at, base="base:2")]
    lg.put_latest_scores(ledger, rows)
    for row in rows:
        answer = lg.latest_answer(ledger, row.subject_id)
        assert answer == _answer(row)
        assert answer is not None
        assert type(answer) is lg.LatestAnswer
        assert type(answer.as_of) is dt.date
        assert answer.computed_at.tzinfo == dt.UTC
    assert lg.latest_answer(ledger, "nobody") is None
    assert ledger.point_reads is (ledger.backend == "sqlite")


def test_the_answer_read_sees_every_commit_and_closes_with_the_ledger(
    ledger: lg.Ledger, t0: dt.datetime
) -> None:
    lg.put_latest_scores(ledger, [_row("s1", 640, t0)])
    assert lg.latest_answer(ledger, "s1").result["score"] == 640  # type: ignore[union-attr]
    # a later commit (another connection) is read at once: no read transaction stays open
    lg.put_latest_scores(ledger, [_row("s1", 700, t0 + dt.timedelta(hours=1))])
    assert lg.latest_answer(ledger, "s1").result["score"] == 700  # type: ignore[union-attr]
    ledger.dispose()
    # a disposed ledger opens its connections again, as its engine does
    assert lg.latest_answer(ledger, "s1").result["score"] == 700  # type: ignore[union-attr]
