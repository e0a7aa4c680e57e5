"""The keyed store of latest scores the service reads per request (``latest_scores``).

One row per subject: the service's answer (score, status, sub-scores, reasons, quality flags)
and the feature values it is from, with what it was computed from: the model's hash, the as-of
date, the moment whose knowledge it holds (``computed_at``) and the state of the record store
(``base_id``, a row of ``latest_score_bases``, and ``patch``, what changed for this subject
since that state). Whether a row is still current is decided by ``trustscore.pipeline``; this
module only reads and writes rows, by key or in bulk, the same on SQLite and PostgreSQL.

The rows are derived data (the batch run writes them, the service recomputes stale ones), so
they carry no audit entries.

Examples
--------
>>> import datetime as dt
>>> ledger = Ledger("sqlite://")
>>> ledger.upgrade()
>>> at = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
>>> row = LatestScore("s1", "b1", "", "m1", dt.date(2026, 2, 28), at,
...                   {"score": 640, "status": "OK", "feature_hash": "sha256:0"}, {"x": 0.5})
>>> put_latest_scores(ledger, [row])
1
>>> latest_score(ledger, "s1") == row, latest_score(ledger, "s2")
(True, None)
>>> latest_answer(ledger, "s1").result["score"]
640
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from itertools import islice
from typing import Any, Final

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from trustscore.exceptions import LedgerError
from trustscore.ledger._db import Ledger
from trustscore.ledger._tables import LatestScoreBaseRow, LatestScoreRow

__all__ = [
    "LatestAnswer",
    "LatestScore",
    "ScoreBase",
    "count_latest_scores",
    "latest_answer",
    "latest_answers",
    "latest_score",
    "latest_score_bases",
    "put_latest_scores",
    "record_score_base",
    "score_base",
]

#: Rows per statement and transaction when writing in bulk.
CHUNK_ROWS: Final = 2000

_SCORES: Table = LatestScoreRow.__table__  # type: ignore[assignment]
_BASES: Table = LatestScoreBaseRow.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class LatestAnswer:
    """One subject's latest score (``result``: the service's ScoreResult) and what it was
    computed from: what the service needs to answer a score or a decision."""

    subject_id: str
    base_id: str
    patch: str
    model_hash: str
    as_of: dt.date
    computed_at: dt.datetime
    result: dict[str, Any]


@dataclass(frozen=True)
class LatestScore(LatestAnswer):
    """One subject's latest score and the feature values it is from."""

    features: dict[str, Any]


@dataclass(frozen=True)
class ScoreBase:
    """A state of the record store: its committed batches, suppression and consent files.

    ``times`` holds every event time in those files later than ``known_at`` (batches' ingestion,
    suppressions, consents' effective and recorded times), sorted.
    """

    base_id: str
    as_of: dt.date
    known_at: dt.datetime
    batches: frozenset[str]
    suppressions: frozenset[str]
    consents: frozenset[str]
    times: tuple[dt.datetime, ...]


def _values(row: LatestScore) -> dict[str, Any]:
    return {
        "subject_id": row.subject_id,
        "base_id": row.base_id,
        "patch": row.patch,
        "model_hash": row.model_hash,
        "as_of": row.as_of,
        "computed_at": row.computed_at,
        "score": row.result.get("score"),
        "status": row.result.get("status", ""),
        "feature_hash": row.result.get("feature_hash", ""),
        "result": json.dumps(row.result, separators=(",", ":")),
        "features": json.dumps(row.features, separators=(",", ":")),
    }


def _chunks(rows: Iterable[LatestScore], size: int) -> Iterator[list[dict[str, Any]]]:
    it = iter(rows)
    while chunk := [_values(r) for r in islice(it, size)]:
        yield chunk


def put_latest_scores(
    ledger: Ledger, rows: Iterable[LatestScore], *, chunk_rows: int = CHUNK_ROWS
) -> int:
    """Insert or replace rows by subject, ``chunk_rows`` per transaction; how many were written.

    Each chunk is one multi-row statement committed on its own, so a reader never waits long
    and a refill of millions of rows needs no more memory than a chunk.
    """
    dialect = postgresql if ledger.backend == "postgresql" else sqlite
    n = 0
    for chunk in _chunks(rows, chunk_rows):
        stmt = dialect.insert(_SCORES)
        stmt = stmt.on_conflict_do_update(
            index_elements=[_SCORES.c.subject_id],
            set_={c.name: stmt.excluded[c.name] for c in _SCORES.c if c.name != "subject_id"},
        )
        with ledger.writing() as conn:
            conn.execute(stmt, chunk)
        n += len(chunk)
    return n


_BY_SUBJECT = select(
    _SCORES.c.base_id, _SCORES.c.patch, _SCORES.c.model_hash, _SCORES.c.as_of,
    _SCORES.c.computed_at, _SCORES.c.result, _SCORES.c.features,
).where(_SCORES.c.subject_id == bindparam("sid"))  # fmt: skip


def latest_score(ledger: Ledger, subject_id: str) -> LatestScore | None:
    """The subject's row, or None: one read by primary key."""
    with ledger.engine.connect() as conn:
        found = conn.execute(_BY_SUBJECT, {"sid": subject_id}).first()
        conn.rollback()
    if found is None:
        return None
    base_id, patch, model_hash, as_of, computed_at, result, features = found
    return LatestScore(
        subject_id, base_id, patch, model_hash, as_of, computed_at,
        json.loads(result), json.loads(features),
    )  # fmt: skip


_ANSWER_COLUMNS: Final = ("base_id", "patch", "model_hash", "as_of", "computed_at", "result")
_ANSWER_SQL: Final = f"SELECT {', '.join(_ANSWER_COLUMNS)} FROM {_SCORES.name} WHERE subject_id = ?"
_BY_SUBJECT_ANSWER = select(*(_SCORES.c[name] for name in _ANSWER_COLUMNS)).where(
    _SCORES.c.subject_id == bindparam("sid")
)


@cache
def _answer_processors(dialect: Dialect) -> tuple[Callable[[Any], Any] | None, ...]:
    """The column types' own conversions of driver values (dates, UTC timestamps), as the
    engine would apply them."""
    types = (_SCORES.c[name].type.dialect_impl(dialect) for name in _ANSWER_COLUMNS)
    return tuple(t.result_processor(dialect, None) for t in types)


def latest_answer(ledger: Ledger, subject_id: str) -> LatestAnswer | None:
    """The subject's row without its features, or None: the service's read per request.

    On a SQLite file it is one prepared statement on the thread's own connection
    (:meth:`Ledger.point_read`), its values converted by the columns' own types; elsewhere one
    read through the engine. The features' JSON is neither read nor decoded.
    """
    if ledger.point_reads:
        raw = ledger.point_read(_ANSWER_SQL, (subject_id,))
        if raw is None:
            return None
        processors = _answer_processors(ledger.engine.dialect)
        found: Any = tuple(v if p is None else p(v) for p, v in zip(processors, raw, strict=True))
    else:
        with ledger.engine.connect() as conn:
            found = conn.execute(_BY_SUBJECT_ANSWER, {"sid": subject_id}).first()
            conn.rollback()
        if found is None:
            return None
    base_id, patch, model_hash, as_of, computed_at, result = found
    return LatestAnswer(
        subject_id, base_id, patch, model_hash, as_of, computed_at, json.loads(result)
    )


def latest_answers(ledger: Ledger, *, chunk_rows: int = CHUNK_ROWS) -> Iterator[LatestAnswer]:
    """Every stored row without its features, by subject id, read ``chunk_rows`` at a time
    (each chunk its own short read, so a check over millions of rows holds one chunk)."""
    after = ""
    while True:
        stmt = (
            select(_SCORES.c.subject_id, *(_SCORES.c[name] for name in _ANSWER_COLUMNS))
            .where(_SCORES.c.subject_id > after)
            .order_by(_SCORES.c.subject_id)
            .limit(chunk_rows)
        )
        with ledger.engine.connect() as conn:
            found = conn.execute(stmt).all()
            conn.rollback()
        for sid, base_id, patch, model_hash, as_of, computed_at, result in found:
            yield LatestAnswer(
                sid, base_id, patch, model_hash, as_of, computed_at, json.loads(result)
            )
        if len(found) < chunk_rows:
            return
        after = found[-1][0]


def count_latest_scores(ledger: Ledger) -> int:
    """How many subjects have a row."""
    with ledger.reading() as session:
        return int(session.execute(select(func.count()).select_from(_SCORES)).scalar_one())


def _base(found: Any) -> ScoreBase:
    listing = json.loads(found.listing)
    return ScoreBase(
        base_id=found.base_id,
        as_of=found.as_of,
        known_at=found.known_at,
        batches=frozenset(listing["batches"]),
        suppressions=frozenset(listing["suppressions"]),
        consents=frozenset(listing["consents"]),
        times=tuple(dt.datetime.fromisoformat(t) for t in json.loads(found.times)),
    )


def record_score_base(ledger: Ledger, base: ScoreBase) -> ScoreBase:
    """Store ``base`` unless a base of its id is stored; the stored one.

    Two processes that reach the same state of the store make the same id: the first one's
    ``known_at`` and ``times`` then hold for both (its times cover every later event).
    """
    dialect = postgresql if ledger.backend == "postgresql" else sqlite
    listing = {
        "batches": sorted(base.batches),
        "suppressions": sorted(base.suppressions),
        "consents": sorted(base.consents),
    }
    stmt = dialect.insert(_BASES).values(
        base_id=base.base_id, as_of=base.as_of, known_at=base.known_at,
        listing=json.dumps(listing, separators=(",", ":")),
        times=json.dumps(sorted(t.isoformat() for t in base.times)),
    ).on_conflict_do_nothing(index_elements=[_BASES.c.base_id])  # fmt: skip
    with ledger.writing() as conn:
        conn.execute(stmt)
    stored = score_base(ledger, base.base_id)
    if stored is None:  # pragma: no cover - written just above
        msg = f"The score base {base.base_id!r} was not stored in {ledger.safe_url}."
        raise LedgerError(msg)
    return stored


def score_base(ledger: Ledger, base_id: str) -> ScoreBase | None:
    """The stored base of that id, or None."""
    with ledger.engine.connect() as conn:
        found = conn.execute(select(_BASES).where(_BASES.c.base_id == base_id)).first()
        conn.rollback()
    return None if found is None else _base(found)


def latest_score_bases(ledger: Ledger, limit: int = 5) -> list[ScoreBase]:
    """The ``limit`` bases stored last (by ``known_at``), newest first."""
    with ledger.engine.connect() as conn:
        found = conn.execute(select(_BASES).order_by(_BASES.c.known_at.desc()).limit(limit)).all()
        conn.rollback()
    return [_base(f) for f in found]
