"""Consent to use alternative data: a subject's grants and withdrawals, per furnisher or category.

Bills (utility, telecom, rent, platform) count towards a score only while the subject consents
(opt-in, as Experian Boost is). Each grant or withdrawal is an event, never an edit: the consents
in force at a moment are, per scope, the latest event effective by then among those recorded by
then. Every event appends its audit entry in the same transaction, with the commitment of its
row (``consent_events`` is a committed table: a row edited behind the ledger fails
``audit verify``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from sqlalchemy import select

from trustscore.exceptions import SchemaError
from trustscore.ledger._audit import append_entries
from trustscore.ledger._checks import check_choice, check_text, moment
from trustscore.ledger._commitments import register_committed_table, stored_commitments
from trustscore.ledger._rows import RowWriter
from trustscore.ledger._salts import subject_refs
from trustscore.ledger._tables import ConsentRow

if TYPE_CHECKING:
    from trustscore.ledger._db import Ledger

__all__ = [
    "CONSENT_ACTIONS",
    "CONSENT_SCOPE_KINDS",
    "CONSENT_SOURCES",
    "ConsentEvent",
    "consent_events",
    "consents_in_force",
    "import_consents",
    "record_consent",
    "record_consents",
]

#: A grant starts consent for a scope; a withdrawal ends it.
CONSENT_ACTIONS: Final = ("grant", "withdraw")
#: A consent covers one furnisher's bills, or every bill of one category.
CONSENT_SCOPE_KINDS: Final = ("furnisher", "category")
#: Who recorded the event: the subject (through the API or their page), an operator on their
#: behalf (CLI or API), or the synthetic population's generator.
CONSENT_SOURCES: Final = ("subject", "operator", "synthetic")

ConsentAction = Literal["grant", "withdraw"]

# Whether a furnisher's bills count is decided by these rows: each is committed in the log.
register_committed_table(ConsentRow, subject="subject_id")
#: Row commitments per ``consent.import`` entry (a load of 10^5 events is ~10^2 entries).
_IMPORT_CHUNK: Final = 500


@dataclass(frozen=True)
class ConsentEvent:
    """One grant or withdrawal of consent, as the ledger holds it."""

    consent_id: str
    subject_id: str
    scope_kind: str
    scope: str
    action: str
    effective_at: dt.datetime
    recorded_at: dt.datetime
    actor: str
    source: str

    def to_dict(self) -> dict[str, str]:
        """The event as plain JSON values (timestamps in ISO 8601)."""
        return {
            "consent_id": self.consent_id,
            "subject_id": self.subject_id,
            "scope_kind": self.scope_kind,
            "scope": self.scope,
            "action": self.action,
            "effective_at": self.effective_at.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
            "actor": self.actor,
            "source": self.source,
        }


def _event(row: ConsentRow) -> ConsentEvent:
    return ConsentEvent(
        row.consent_id, row.subject_id, row.scope_kind, row.scope, row.action, row.effective_at,
        row.recorded_at, row.actor, row.source,
    )  # fmt: skip


def _checked(event: ConsentEvent) -> ConsentEvent:
    check_text(event.consent_id, "consent_id", max_length=64)
    check_text(event.subject_id, "subject_id", max_length=128)
    check_choice(event.scope_kind, "scope_kind", CONSENT_SCOPE_KINDS)
    check_text(event.scope, "scope", max_length=128)
    check_choice(event.action, "action", CONSENT_ACTIONS)
    check_text(event.actor, "actor", max_length=128)
    check_choice(event.source, "source", CONSENT_SOURCES)
    effective = moment(event.effective_at, name="effective_at")
    recorded = moment(event.recorded_at, name="recorded_at")
    return ConsentEvent(
        event.consent_id, event.subject_id, event.scope_kind, event.scope, event.action,
        effective, recorded, event.actor, event.source,
    )  # fmt: skip


def record_consents(ledger: Ledger, events: Sequence[ConsentEvent]) -> list[ConsentEvent]:
    """Record many consent events at once, each with its audit entry, in one transaction.

    For a bulk load (the synthetic population's consents); :func:`record_consent` records one.
    Every event is checked before anything is written; an event whose ``consent_id`` is already
    in the ledger is refused, so a load is not recorded twice.

    Raises
    ------
    SchemaError
        A field is empty, too long or not one of its choices, a timestamp is naive, or a
        ``consent_id`` is given twice or already recorded.
    """
    checked = [_checked(e) for e in events]
    ids = [e.consent_id for e in checked]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        msg = f"The consent id {dup!r} is given twice; each event needs its own id."
        raise SchemaError(msg, field="consent_id", value=dup)
    with ledger.writing() as conn:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            found = conn.execute(
                select(ConsentRow.consent_id).where(ConsentRow.consent_id.in_(chunk))
            ).first()
            if found is not None:
                msg = (
                    f"The consent event {found[0]!r} is already in the ledger; "
                    "it is not recorded twice."
                )
                raise SchemaError(msg, field="consent_id", value=str(found[0]))
        RowWriter(conn).insert_many(
            ConsentRow,
            [
                {"consent_id": e.consent_id, "subject_id": e.subject_id,
                 "scope_kind": e.scope_kind, "scope": e.scope, "action": e.action,
                 "effective_at": e.effective_at, "recorded_at": e.recorded_at,
                 "actor": e.actor, "source": e.source}
                for e in checked
            ],
        )  # fmt: skip
        at = checked[0].recorded_at if checked else None
        states = stored_commitments(conn, ConsentRow, ids, at)
        # the entries name each subject by a salted commitment, never by its id
        refs = subject_refs(RowWriter(conn), [e.subject_id for e in checked], at or moment(None))
        append_entries(
            conn,
            [
                (e.actor, f"consent.{e.action}", {**e.to_dict(), "subject_id": refs[e.subject_id]},
                 e.recorded_at, [state])
                for e, state in zip(checked, states, strict=True)
            ],
        )  # fmt: skip
    return checked


def import_consents(
    ledger: Ledger,
    rows: Sequence[Mapping[str, Any]],
    *,
    actor: str,
    source: str,
    label: str,
) -> int:
    """Record a bulk load of consent events with one audit entry that commits to all of them.

    For a history loaded at once (the synthetic population's consents: hundreds of thousands of
    events), where an audit entry per event would cost more than the rest of the load. The
    entry (``consent.import``) holds the number of events, the first and last id and the
    SHA-256 of every event's fields in order, so any later change to a loaded event shows
    against the chain; it and, past the first 500 events, ``consent.import.rows`` entries
    carry the rows' commitments, so ``audit verify`` checks each loaded row. Events already in
    the ledger are skipped; returns how many were new.

    Parameters
    ----------
    rows : sequence of mappings
        ``consent_id``, ``subject_id``, ``scope_kind``, ``scope``, ``action``,
        ``effective_at``, ``recorded_at`` (timezone-aware).
    actor, source : str
        Who loaded them, and their source (``synthetic`` for the demo's population).
    label : str
        What was loaded (a file name), for the audit entry.

    Examples
    --------
    >>> from trustscore.ledger import Ledger, audit_entries
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> t0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    >>> rows = [{"consent_id": f"c{i}", "subject_id": "s1", "scope_kind": "category",
    ...          "scope": "rent", "action": "grant", "effective_at": t0, "recorded_at": t0}
    ...         for i in range(3)]
    >>> import_consents(ledger, rows, actor="synth", source="synthetic", label="consent.parquet")
    3
    >>> import_consents(ledger, rows, actor="synth", source="synthetic", label="consent.parquet")
    0
    >>> entry = audit_entries(ledger)[-1]
    >>> entry.action, entry.payload["n_events"], len(entry.state)
    ('consent.import', 3, 3)
    """
    check_text(actor, "actor", max_length=128)
    check_choice(source, "source", CONSENT_SOURCES)
    with ledger.reading() as session:
        held = set(session.scalars(select(ConsentRow.consent_id)))
    fresh = []
    digest = hashlib.sha256()
    for row in rows:
        if row["consent_id"] in held:
            continue
        quick = (
            row["action"] in CONSENT_ACTIONS
            and row["scope_kind"] in CONSENT_SCOPE_KINDS
            and all(
                isinstance(row[k], str) and row[k] for k in ("consent_id", "subject_id", "scope")
            )
            and all(
                isinstance(row[k], dt.datetime) and row[k].tzinfo is not None
                for k in ("effective_at", "recorded_at")
            )
        )
        if not quick:  # the per-event checks say what is wrong, in their words
            _checked(ConsentEvent(**row, actor=actor, source=source))
        held.add(row["consent_id"])
        fresh.append({**row, "actor": actor, "source": source})
        digest.update(
            "\t".join(
                (*(str(row[k]) for k in ("consent_id", "subject_id", "scope_kind", "scope",
                                         "action")),
                 row["effective_at"].isoformat(), row["recorded_at"].isoformat())
            ).encode()
            + b"\n"
        )  # fmt: skip
    if not fresh:
        return 0
    at = dt.datetime.now(dt.UTC)
    with ledger.writing() as conn:
        RowWriter(conn).insert_many(ConsentRow, fresh)
        states = stored_commitments(conn, ConsentRow, [r["consent_id"] for r in fresh], at)
        parts = [states[i : i + _IMPORT_CHUNK] for i in range(0, len(states), _IMPORT_CHUNK)]
        append_entries(
            conn,
            [(actor, "consent.import",
              {"label": label, "source": source, "n_events": len(fresh),
               "first_consent_id": fresh[0]["consent_id"],
               "last_consent_id": fresh[-1]["consent_id"], "sha256": digest.hexdigest()},
              at, parts[0]),
             *((actor, "consent.import.rows", {"label": label, "part": i, "rows": len(part)},
                at, part) for i, part in enumerate(parts[1:], start=1))],
        )  # fmt: skip
    return len(fresh)


def record_consent(
    ledger: Ledger,
    subject_id: str,
    scope_kind: str,
    scope: str,
    action: str,
    *,
    actor: str,
    source: str,
    effective_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> ConsentEvent:
    """Record that a subject granted or withdrew consent for one furnisher or bill category.

    Parameters
    ----------
    ledger : Ledger
    subject_id : str
    scope_kind : {"furnisher", "category"}
    scope : str
        The furnisher's id, or the bill category (``utility``, ``telecom``, ``rent``,
        ``platform``).
    action : {"grant", "withdraw"}
    actor : str
        The client (or operator) that recorded it.
    source : {"subject", "operator", "synthetic"}
    effective_at : datetime, optional
        When it takes effect; defaults to ``now``.
    now : datetime, optional
        When it is recorded; defaults to the current time.

    Examples
    --------
    >>> from trustscore.ledger import Ledger
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> t0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    >>> e = record_consent(ledger, "s1", "category", "rent", "grant", actor="s1",
    ...                    source="subject", now=t0)
    >>> (e.action, e.effective_at == t0, e.consent_id.startswith("cns_"))
    ('grant', True, True)
    """
    at = moment(now)
    event = ConsentEvent(
        f"cns_{uuid.uuid4().hex}", subject_id, scope_kind, scope, action,
        at if effective_at is None else effective_at, at, actor, source,
    )  # fmt: skip
    return record_consents(ledger, [event])[0]


def consent_events(ledger: Ledger, *, subject_id: str | None = None) -> list[ConsentEvent]:
    """Consent events in the order they took effect (then recorded), optionally of one subject."""
    stmt = select(ConsentRow).order_by(
        ConsentRow.effective_at, ConsentRow.recorded_at, ConsentRow.consent_id
    )
    if subject_id is not None:
        stmt = stmt.where(ConsentRow.subject_id == subject_id)
    with ledger.reading() as session:
        return [_event(row) for row in session.scalars(stmt)]


def consents_in_force(
    ledger: Ledger, subject_id: str, at: dt.datetime | None = None
) -> list[ConsentEvent]:
    """The grants in force for a subject at ``at`` (now by default), one per scope.

    Only events recorded by ``at`` and effective by then count; per scope (kind and value) the
    latest of them (by effective time, then recording time, then id) decides: a grant is in
    force, a withdrawal is not. The same rule as the features' (see
    :mod:`trustscore.features._consent`).

    Examples
    --------
    >>> from trustscore.ledger import Ledger
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> t0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    >>> _ = record_consent(ledger, "s1", "category", "rent", "grant", actor="s1",
    ...                    source="subject", now=t0)
    >>> _ = record_consent(ledger, "s1", "category", "rent", "withdraw", actor="s1",
    ...                    source="subject", now=t0 + dt.timedelta(days=9))
    >>> [e.scope for e in consents_in_force(ledger, "s1", t0 + dt.timedelta(days=1))]
    ['rent']
    >>> consents_in_force(ledger, "s1", t0 + dt.timedelta(days=10))
    []
    """
    when = moment(at, name="at")
    latest: dict[tuple[str, str], ConsentEvent] = {}
    for e in consent_events(ledger, subject_id=subject_id):
        if e.recorded_at <= when and e.effective_at <= when:
            latest[(e.scope_kind, e.scope)] = e  # ordered: the last one seen is the latest
    return [e for _, e in sorted(latest.items()) if e.action == "grant"]
