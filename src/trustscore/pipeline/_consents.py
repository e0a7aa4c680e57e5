"""The ledger's consent events, carried into the record store the features read.

Consent is recorded in the ledger first (the system of record, with its audit entry) and then
copied to ``<store>/_consents/``. If the copy fails, :func:`pending_consents` finds the events
the store lacks and :func:`apply_consents` writes them; writing is idempotent, so running both
again completes the copy without writing anything twice.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pyarrow.parquet as pq

from trustscore import ledger as lg
from trustscore.exceptions import NotFoundError, SchemaError
from trustscore.records import CONSENT_SCHEMA, RecordStore, read_consents, write_consents

__all__ = ["apply_consents", "load_consent_file", "pending_consents"]

#: Who the synthetic population's consent events are recorded by.
SYNTH_ACTOR = "synth"


def _row(event: lg.ConsentEvent) -> dict[str, object]:
    return {name: getattr(event, name) for name in CONSENT_SCHEMA.names}


def apply_consents(store: RecordStore, events: Iterable[lg.ConsentEvent]) -> int:
    """Copy ledger consent events into the store; returns how many were new there."""
    return write_consents(store, (_row(e) for e in events))


def pending_consents(ledger: lg.Ledger, store: RecordStore) -> list[lg.ConsentEvent]:
    """The ledger's consent events that the store lacks, in the order they took effect.

    Examples
    --------
    >>> import tempfile
    >>> ledger = lg.Ledger("sqlite://"); ledger.create_all()
    >>> store = RecordStore(Path(tempfile.mkdtemp()))
    >>> e = lg.record_consent(ledger, "s1", "category", "rent", "grant", actor="s1",
    ...                       source="subject")
    >>> [p.consent_id for p in pending_consents(ledger, store)] == [e.consent_id]
    True
    >>> apply_consents(store, [e]), pending_consents(ledger, store)
    (1, [])
    """
    held = set(read_consents(store).column("consent_id").to_pylist())
    return [e for e in lg.consent_events(ledger) if e.consent_id not in held]


def load_consent_file(
    ledger: lg.Ledger, store: RecordStore, path: str | os.PathLike[str]
) -> tuple[int, int]:
    """Record a synthetic population's consent file in the ledger, then copy it to the store.

    The load is one audit entry that commits to every event (:func:`ledger.import_consents`);
    events recorded through the API or the CLI have an entry each. Events already in the
    ledger are skipped, so loading the same file again records nothing.
    Returns the events newly recorded in the ledger and newly written to the store.

    Raises
    ------
    NotFoundError
        If the file does not exist.
    SchemaError
        If it is not a consent file (the columns of ``trustscore.records.CONSENT_SCHEMA``).
    """
    file = Path(path)
    if not file.is_file():
        msg = f"There is no consent file {str(file)!r}; `trustscore synth` writes consent.parquet."
        raise NotFoundError(msg, file=str(file))
    try:
        table = pq.read_table(file, schema=CONSENT_SCHEMA)
    except (ValueError, KeyError, OSError) as error:
        msg = (
            f"{file} is not a consent file: it needs the columns "
            f"{', '.join(CONSENT_SCHEMA.names)} ({error})."
        )
        raise SchemaError(msg, file=str(file)) from error
    rows = table.to_pylist()
    # one audit entry for the load, committing to every event (see ledger.import_consents)
    recorded = lg.import_consents(
        ledger, rows, actor=SYNTH_ACTOR, source="synthetic", label=file.name
    )
    # every row of the file is in the ledger now; the store gets those it lacks (all of them,
    # unless an earlier load stopped between the two writes)
    return recorded, write_consents(store, table)
