"""Ingest batches, score snapshots, decisions and the access log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from trustscore.exceptions import LedgerError, SchemaError
from trustscore.ledger._audit import append_entries, append_entry
from trustscore.ledger._checks import check_choice, check_json, check_text, moment
from trustscore.ledger._refusals import refusal_counts
from trustscore.ledger._rows import RowWriter
from trustscore.ledger._salts import personal, subject_refs
from trustscore.ledger._tables import (
    AccessRow,
    AuditHeadRow,
    BatchRow,
    ClientRow,
    DecisionRow,
    DisputeRow,
    SnapshotRow,
    SuppressionRow,
)
from trustscore.ledger._types import (
    Access,
    Batch,
    Decision,
    DecisionTaken,
    RecordedAccess,
    ScoreAccess,
    Snapshot,
)

if TYPE_CHECKING:
    from trustscore.ledger._db import Ledger

__all__ = [
    "accesses",
    "aggregates",
    "batches",
    "decisions",
    "latest_snapshot",
    "log_access",
    "record_batch",
    "record_decision",
    "record_score_accesses",
    "record_scored_accesses",
    "record_snapshot",
    "snapshots",
]


def _batch(row: BatchRow) -> Batch:
    return Batch(
        row.batch_id, row.file, row.kind, row.sha256, row.rows_in, row.rows_stored,
        row.rows_quarantined, row.ingested_at,
    )  # fmt: skip


def record_batch(
    ledger: Ledger,
    *,
    batch_id: str,
    file: str,
    kind: str,
    sha256: str,
    rows_in: int,
    rows_stored: int,
    rows_quarantined: int,
    ingested_at: dt.datetime | None = None,
    actor: str = "system",
) -> Batch:
    """Record an ingested furnisher batch; recording the same batch again is a no-op.

    Raises :class:`~trustscore.exceptions.SchemaError` unless ``rows_in = rows_stored +
    rows_quarantined`` and :class:`~trustscore.exceptions.LedgerError` if ``batch_id`` was
    already recorded with another file hash.

    Examples
    --------
    >>> from trustscore.ledger import Ledger
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> b = record_batch(ledger, batch_id="b1", file="obligation.csv", kind="obligation",
    ...                  sha256="ab" * 32, rows_in=10, rows_stored=9, rows_quarantined=1)
    >>> (b.rows_stored, b.rows_quarantined)
    (9, 1)
    """
    check_text(batch_id, "batch_id", max_length=128)
    at = moment(ingested_at, name="ingested_at")
    counts = (rows_in, rows_stored, rows_quarantined)
    if min(counts) < 0 or rows_in != rows_stored + rows_quarantined:
        msg = (
            f"Batch {batch_id!r}: rows in ({rows_in}) must equal rows stored ({rows_stored}) plus "
            f"rows quarantined ({rows_quarantined}), none negative. A row was lost or counted "
            "twice; fix the ingest before recording the batch."
        )
        raise SchemaError(msg, batch_id=batch_id, file=file)
    with ledger.transaction() as session:
        existing = session.get(BatchRow, batch_id)
        if existing is not None:
            if existing.sha256 != sha256:
                msg = (
                    f"Batch {batch_id!r} was already recorded from a file with SHA-256 "
                    f"{existing.sha256}, not {sha256}. A batch never changes: ingest the new file "
                    "under a new batch id."
                )
                raise LedgerError(msg, batch_id=batch_id, file=file)
            return _batch(existing)
        row = BatchRow(
            batch_id=batch_id, file=file, kind=kind, sha256=sha256, rows_in=rows_in,
            rows_stored=rows_stored, rows_quarantined=rows_quarantined, ingested_at=at,
        )  # fmt: skip
        session.add(row)
        session.flush()
        append_entry(
            session, actor, "batch.record",
            {"batch_id": batch_id, "file": file, "kind": kind, "sha256": sha256,
             "rows_in": rows_in, "rows_stored": rows_stored, "rows_quarantined": rows_quarantined},
            at,
        )  # fmt: skip
        return _batch(row)


def batches(ledger: Ledger) -> list[Batch]:
    """Every recorded batch, oldest first."""
    with ledger.reading() as session:
        rows = session.scalars(select(BatchRow).order_by(BatchRow.ingested_at, BatchRow.batch_id))
        return [_batch(row) for row in rows]


def _snapshot(row: SnapshotRow) -> Snapshot:
    return Snapshot(
        row.snapshot_id, row.subject_id, row.as_of, row.model_version, row.model_hash, row.score,
        row.status, dict(row.subscores), list(row.reasons), row.feature_hash, row.created_at,
    )  # fmt: skip


def record_snapshot(
    ledger: Ledger,
    *,
    subject_id: str,
    as_of: dt.date,
    model_version: str,
    model_hash: str,
    score: int | None,
    status: str,
    subscores: Mapping[str, Any],
    reasons: Sequence[Any],
    feature_hash: str,
    now: dt.datetime | None = None,
    actor: str = "system",
) -> Snapshot:
    """Record a score as it was given, so it can be shown, explained and replayed later.

    ``status`` is ``"OK"`` with a score in 0–1000, or ``"NS"`` (not scorable) with no score.

    Examples
    --------
    >>> import datetime as dt
    >>> from trustscore.ledger import Ledger
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> s = record_snapshot(ledger, subject_id="s1", as_of=dt.date(2026, 1, 31),
    ...     model_version="1.0.0", model_hash="m" * 64, score=712, status="OK",
    ...     subscores={"payment": 300}, reasons=["R01"], feature_hash="f" * 64)
    >>> latest_snapshot(ledger, "s1").score
    712
    """
    _check_snapshot(subject_id, status, score)
    check_json(dict(subscores), "subscores")
    check_json(list(reasons), "reasons")
    at = moment(now)
    with ledger.transaction() as session:
        row = SnapshotRow(
            subject_id=subject_id, as_of=as_of, model_version=model_version,
            model_hash=model_hash, score=score, status=status, subscores=dict(subscores),
            reasons=list(reasons), feature_hash=feature_hash, created_at=at,
        )  # fmt: skip
        session.add(row)
        session.flush()
        append_entry(
            session, actor, "snapshot.record",
            {"snapshot_id": row.snapshot_id,
             "subject_id": personal(session, subject_id, subject_id, at),
             "as_of": as_of.isoformat(),
             "model_version": model_version, "model_hash": model_hash, "score": score,
             "status": status, "feature_hash": feature_hash},
            at,
        )  # fmt: skip
        return _snapshot(row)


def _check_snapshot(subject_id: str, status: str, score: int | None) -> None:
    check_text(subject_id, "subject_id", max_length=128)
    check_choice(status, "status", ("OK", "NS"))
    if status == "NS" and score is not None:
        msg = f"Subject {subject_id!r}: a not-scorable (NS) snapshot carries no score; got {score}."
        raise SchemaError(msg, field="score", value=score)
    if status == "OK" and (not isinstance(score, int) or not 0 <= score <= 1000):
        msg = (
            f"Subject {subject_id!r}: an OK snapshot needs an integer score in 0-1000; "
            f"got {score!r}."
        )
        raise SchemaError(msg, field="score", value=score)


def record_score_accesses(
    ledger: Ledger, items: Sequence[ScoreAccess]
) -> list[tuple[Snapshot, Access]]:
    """Record scores given to clients: each one's snapshot and access, all in one transaction.

    The same rows and audit entries as :func:`record_snapshot` then :func:`log_access` for each
    item (the client is the actor of both), with one commit for the lot: the service gathers
    the scores of concurrent requests and records them together. Every item is checked before
    anything is written; one bad item fails the call and nothing is recorded. An item with a
    ``decision`` also records it (see :func:`record_scored_accesses`, which returns it).

    Examples
    --------
    >>> import datetime as dt
    >>> from trustscore.ledger import Ledger, ScoreAccess, audit_verify
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> item = ScoreAccess(subject_id="s1", as_of=dt.date(2026, 1, 31), model_version="1.0.0",
    ...     model_hash="m" * 64, score=712, status="OK", subscores={"payment": 300},
    ...     reasons=["R01"], feature_hash="f" * 64, client_id="cl_bank", purpose="credit_limit")
    >>> [(s.score, a.action) for s, a in record_score_accesses(ledger, [item, item])]
    [(712, 'score'), (712, 'score')]
    >>> [a.purpose for a in accesses(ledger, "s1")], audit_verify(ledger).n_entries
    (['credit_limit', 'credit_limit'], 4)
    """
    return [(r.snapshot, r.access) for r in record_scored_accesses(ledger, items)]


def _check_decision(subject_id: str, purpose: str | None, decision: DecisionTaken) -> None:
    check_text(purpose, "purpose", max_length=64)
    check_text(decision.policy, "policy", max_length=128)
    check_text(decision.outcome, "outcome", max_length=128)
    if decision.adverse and not decision.notice:
        msg = (
            f"Subject {subject_id!r}: an adverse decision under policy {decision.policy!r} must "
            "carry its adverse-action notice (reasons and how to dispute); got none."
        )
        raise SchemaError(msg, field="notice", subject_id=subject_id)


def record_scored_accesses(ledger: Ledger, items: Sequence[ScoreAccess]) -> list[RecordedAccess]:
    """Record scores (and decisions) given to clients, all in one transaction.

    For each item, in order: its snapshot, its decision if it carries one (linked to the
    snapshot), and its access, each with the audit entry that :func:`record_snapshot`,
    :func:`record_decision` and :func:`log_access` append (the client is the actor of all
    three), so the chain is the one those functions write one by one. Every item is checked
    before anything is written; one bad item fails the call and nothing is recorded.

    Examples
    --------
    >>> import datetime as dt
    >>> from trustscore.ledger import DecisionTaken, Ledger, ScoreAccess, audit_entries
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> item = ScoreAccess(subject_id="s1", as_of=dt.date(2026, 1, 31), model_version="1.0.0",
    ...     model_hash="m" * 64, score=712, status="OK", subscores={"payment": 300},
    ...     reasons=["R01"], feature_hash="f" * 64, client_id="cl_bank", purpose="credit_limit",
    ...     action="decision", decision=DecisionTaken("limit-v1", "limit_2000", adverse=False))
    >>> [r] = record_scored_accesses(ledger, [item])
    >>> (r.decision.outcome, r.decision.snapshot_id == r.snapshot.snapshot_id, r.access.action)
    ('limit_2000', True, 'decision')
    >>> [e.action for e in audit_entries(ledger)]
    ['snapshot.record', 'decision.record', 'access.log']
    """
    if not items:
        return []
    snaps: list[dict[str, Any]] = []
    looks: list[dict[str, Any]] = []
    for it in items:
        _check_snapshot(it.subject_id, it.status, it.score)
        check_json(dict(it.subscores), "subscores")
        check_json(list(it.reasons), "reasons")
        check_text(it.client_id, "client_id", max_length=64)
        check_text(it.action, "action", max_length=32)
        if it.decision is not None:
            _check_decision(it.subject_id, it.purpose, it.decision)
            notice = it.decision.notice
            check_json(None if notice is None else dict(notice), "notice")
        at = moment(it.at, name="at")
        snaps.append(
            {"subject_id": it.subject_id, "as_of": it.as_of, "model_version": it.model_version,
             "model_hash": it.model_hash, "score": it.score, "status": it.status,
             "subscores": dict(it.subscores), "reasons": list(it.reasons),
             "feature_hash": it.feature_hash, "created_at": at}
        )  # fmt: skip
        looks.append(
            {"client_id": it.client_id, "subject_id": it.subject_id, "purpose": it.purpose,
             "action": it.action, "at": at}
        )  # fmt: skip
    decided = [(i, it.decision) for i, it in enumerate(items) if it.decision is not None]
    with ledger.writing() as conn:
        rows = RowWriter(conn)
        snapshot_ids = rows.insert_returning_ids(SnapshotRow, "snapshot_id", snaps)
        rulings = [
            {"subject_id": items[i].subject_id, "purpose": items[i].purpose,
             "policy": d.policy, "outcome": d.outcome, "adverse": d.adverse,
             "notice": None if d.notice is None else dict(d.notice),
             "snapshot_id": snapshot_ids[i], "client_id": items[i].client_id,
             "decided_at": snaps[i]["created_at"]}
            for i, d in decided
        ]  # fmt: skip
        decision_ids = rows.insert_returning_ids(DecisionRow, "decision_id", rulings)
        by_item = {
            i: (rid, row) for (i, _), rid, row in zip(decided, decision_ids, rulings, strict=True)
        }
        access_ids = rows.insert_returning_ids(AccessRow, "access_id", looks)
        # the entries name each subject by a salted commitment, never by its id
        refs = subject_refs(rows, [look["subject_id"] for look in looks], looks[0]["at"])
        entries: list[tuple[str, str, Any, dt.datetime]] = []
        out: list[RecordedAccess] = []
        for i, (snap, look, sid, aid) in enumerate(
            zip(snaps, looks, snapshot_ids, access_ids, strict=True)
        ):
            at = snap["created_at"]
            actor = look["client_id"]
            entries.append(
                (actor, "snapshot.record",
                 {"snapshot_id": sid, "subject_id": refs[snap["subject_id"]],
                  "as_of": snap["as_of"].isoformat(), "model_version": snap["model_version"],
                  "model_hash": snap["model_hash"], "score": snap["score"],
                  "status": snap["status"], "feature_hash": snap["feature_hash"]},
                 at)
            )  # fmt: skip
            decision = None
            if i in by_item:
                did, row = by_item[i]
                entries.append(
                    (actor, "decision.record",
                     {"decision_id": did, "subject_id": refs[row["subject_id"]],
                      "purpose": row["purpose"], "policy": row["policy"],
                      "outcome": row["outcome"], "adverse": row["adverse"],
                      "snapshot_id": sid, "client_id": actor},
                     at)
                )  # fmt: skip
                decision = Decision(
                    did, row["subject_id"], row["purpose"], row["policy"], row["outcome"],
                    row["adverse"], row["notice"], sid, actor, at,
                )  # fmt: skip
            entries.append(
                (actor, "access.log",
                 {"access_id": aid, "subject_id": refs[look["subject_id"]],
                  "purpose": look["purpose"],
                  "action": look["action"]},
                 at)
            )  # fmt: skip
            out.append(
                RecordedAccess(
                    Snapshot(
                        sid, snap["subject_id"], snap["as_of"], snap["model_version"],
                        snap["model_hash"], snap["score"], snap["status"], snap["subscores"],
                        snap["reasons"], snap["feature_hash"], at,
                    ),
                    Access(aid, actor, look["subject_id"], look["purpose"], look["action"], at),
                    decision,
                )
            )  # fmt: skip
        append_entries(conn, entries)
    return out


def latest_snapshot(ledger: Ledger, subject_id: str) -> Snapshot | None:
    """The subject's snapshot with the latest as-of date (the last recorded on ties), or None."""
    with ledger.reading() as session:
        row = session.scalars(
            select(SnapshotRow)
            .where(SnapshotRow.subject_id == subject_id)
            .order_by(SnapshotRow.as_of.desc(), SnapshotRow.snapshot_id.desc())
            .limit(1)
        ).one_or_none()
        return None if row is None else _snapshot(row)


def snapshots(ledger: Ledger, subject_id: str) -> list[Snapshot]:
    """Every snapshot of the subject, oldest first: the score history."""
    with ledger.reading() as session:
        rows = session.scalars(
            select(SnapshotRow)
            .where(SnapshotRow.subject_id == subject_id)
            .order_by(SnapshotRow.as_of, SnapshotRow.snapshot_id)
        )
        return [_snapshot(row) for row in rows]


def _decision(row: DecisionRow) -> Decision:
    return Decision(
        row.decision_id, row.subject_id, row.purpose, row.policy, row.outcome, row.adverse,
        None if row.notice is None else dict(row.notice), row.snapshot_id, row.client_id,
        row.decided_at,
    )  # fmt: skip


def record_decision(
    ledger: Ledger,
    *,
    subject_id: str,
    purpose: str,
    policy: str,
    outcome: str,
    adverse: bool,
    notice: Mapping[str, Any] | None = None,
    snapshot_id: int | None = None,
    client_id: str | None = None,
    now: dt.datetime | None = None,
    actor: str = "system",
) -> Decision:
    """Record a purpose-bound decision and its notice (adverse decisions must carry one).

    Examples
    --------
    >>> from trustscore.ledger import Ledger
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> d = record_decision(ledger, subject_id="s1", purpose="credit_limit", policy="p1",
    ...                     outcome="limit_2000", adverse=False)
    >>> [x.outcome for x in decisions(ledger, "s1")]
    ['limit_2000']
    """
    check_text(subject_id, "subject_id", max_length=128)
    check_text(purpose, "purpose", max_length=64)
    if adverse and not notice:
        msg = (
            f"Subject {subject_id!r}: an adverse decision under policy {policy!r} must carry its "
            "adverse-action notice (reasons and how to dispute); got none."
        )
        raise SchemaError(msg, field="notice", subject_id=subject_id)
    check_json(None if notice is None else dict(notice), "notice")
    at = moment(now)
    with ledger.transaction() as session:
        row = DecisionRow(
            subject_id=subject_id, purpose=purpose, policy=policy, outcome=outcome,
            adverse=adverse, notice=None if notice is None else dict(notice),
            snapshot_id=snapshot_id, client_id=client_id, decided_at=at,
        )  # fmt: skip
        session.add(row)
        session.flush()
        append_entry(
            session, actor, "decision.record",
            {"decision_id": row.decision_id,
             "subject_id": personal(session, subject_id, subject_id, at), "purpose": purpose,
             "policy": policy, "outcome": outcome, "adverse": adverse,
             "snapshot_id": snapshot_id, "client_id": client_id},
            at,
        )  # fmt: skip
        return _decision(row)


def decisions(ledger: Ledger, subject_id: str) -> list[Decision]:
    """Every decision about the subject, oldest first."""
    with ledger.reading() as session:
        rows = session.scalars(
            select(DecisionRow)
            .where(DecisionRow.subject_id == subject_id)
            .order_by(DecisionRow.decision_id)
        )
        return [_decision(row) for row in rows]


def log_access(
    ledger: Ledger,
    *,
    client_id: str,
    subject_id: str,
    purpose: str | None,
    action: str,
    now: dt.datetime | None = None,
) -> Access:
    """Record that a client looked at a subject (``action``: score, decision, file, ...).

    Examples
    --------
    >>> from trustscore.ledger import Ledger
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> _ = log_access(ledger, client_id="bank", subject_id="s1", purpose="credit_limit",
    ...                action="score")
    >>> [(a.client_id, a.purpose) for a in accesses(ledger, "s1")]
    [('bank', 'credit_limit')]
    """
    check_text(client_id, "client_id", max_length=64)
    check_text(subject_id, "subject_id", max_length=128)
    check_text(action, "action", max_length=32)
    at = moment(now)
    with ledger.transaction() as session:
        row = AccessRow(
            client_id=client_id, subject_id=subject_id, purpose=purpose, action=action, at=at
        )
        session.add(row)
        session.flush()
        append_entry(
            session, client_id, "access.log",
            {"access_id": row.access_id,
             "subject_id": personal(session, subject_id, subject_id, at), "purpose": purpose,
             "action": action},
            at,
        )  # fmt: skip
        return Access(row.access_id, client_id, subject_id, purpose, action, at)


def accesses(ledger: Ledger, subject_id: str) -> list[Access]:
    """Who looked at the subject, for what purpose, oldest first."""
    with ledger.reading() as session:
        rows = session.scalars(
            select(AccessRow)
            .where(AccessRow.subject_id == subject_id)
            .order_by(AccessRow.access_id)
        )
        return [
            Access(r.access_id, r.client_id, r.subject_id, r.purpose, r.action, r.at) for r in rows
        ]


def aggregates(ledger: Ledger) -> dict[str, Any]:
    """Counts without any subject identifier, for auditors and regulators.

    Examples
    --------
    >>> from trustscore.ledger import Ledger
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> aggregates(ledger)["disputes_by_status"]
    {}
    """
    with ledger.reading() as session:
        by_status = session.execute(
            select(DisputeRow.status, func.count()).group_by(DisputeRow.status)
        ).all()
        by_purpose = session.execute(
            select(AccessRow.action, AccessRow.purpose, func.count()).group_by(
                AccessRow.action, AccessRow.purpose
            )
        ).all()
        roles = session.execute(
            select(ClientRow.role, func.count())
            .where(ClientRow.revoked_at.is_(None))
            .group_by(ClientRow.role)
        ).all()
        adverse = session.execute(
            select(DecisionRow.purpose, DecisionRow.adverse, func.count()).group_by(
                DecisionRow.purpose, DecisionRow.adverse
            )
        ).all()
        head = session.get(AuditHeadRow, 1)
        return {
            "disputes_by_status": dict(sorted(by_status)),
            "accesses": [
                {"action": action, "purpose": purpose, "count": n}
                for action, purpose, n in sorted(by_purpose, key=lambda r: (r[0], r[1] or ""))
            ],
            "decisions": [
                {"purpose": purpose, "adverse": bool(adv), "count": n}
                for purpose, adv, n in sorted(adverse, key=lambda r: (r[0], r[1]))
            ],
            "refusals": refusal_counts(session),
            "active_clients_by_role": dict(sorted(roles)),
            "snapshots": session.scalar(select(func.count()).select_from(SnapshotRow)) or 0,
            "suppressions": session.scalar(select(func.count()).select_from(SuppressionRow)) or 0,
            "audit_entries": 0 if head is None else head.seq,
        }
