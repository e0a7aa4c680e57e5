"""The ledger's suppressions and corrections, carried into the record store.

A dispute's outcome is recorded in the ledger first (the system of record) and then applied to
the record store, which the features read. If the second step fails (a crash, a full disk), the
ledger holds a resolution the store lacks. :func:`pending_resolutions` finds those and
:func:`apply_resolution` applies one; both steps are idempotent, so running them again after any
failure completes the work without doing anything twice.

A correction the store cannot take (the ledger of an older version accepted corrected values
that break the record's schema) does not stop the repair: the record is suppressed with a
reason that names the dispute and why the correction was not applied, and the resolution is
then done, so the deadline job never fails on it again.
"""

from __future__ import annotations

import datetime as dt
import logging

from trustscore import ledger as lg
from trustscore.exceptions import LedgerError, NotFoundError, SchemaError
from trustscore.records import CORRECTION_MARK, RecordStore, apply_correction

__all__ = ["apply_resolution", "pending_resolutions"]

logger = logging.getLogger(__name__)


def _held(store: RecordStore) -> dict[tuple[str, str], list[str]]:
    """(kind, record_id) of every record the store has suppressed, with the reasons."""
    table = store.suppressions()
    held: dict[tuple[str, str], list[str]] = {}
    for kind, record_id, reason in zip(
        table.column("kind").to_pylist(),
        table.column("record_id").to_pylist(),
        table.column("reason").to_pylist(),
        strict=True,
    ):
        held.setdefault((kind, record_id), []).append(str(reason))
    return held


def _names_dispute(reasons: list[str], dispute_id: str) -> bool:
    """Whether a store suppression was made for this dispute (see :func:`apply_resolution`)."""
    return any(f"dispute {dispute_id}:" in reason for reason in reasons)


def _corrected_id(suppression: lg.Suppression) -> str:
    return f"{suppression.record_id}{CORRECTION_MARK}{suppression.dispute_id}"


def pending_resolutions(ledger: lg.Ledger, store: RecordStore) -> list[lg.Suppression]:
    """The ledger's suppressions (and corrections) not yet applied to ``store``, oldest first.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> ledger = lg.Ledger("sqlite://"); ledger.create_all()
    >>> store = RecordStore(Path(tempfile.mkdtemp()))
    >>> pending_resolutions(ledger, store)
    []
    """
    held = _held(store)
    recorded = lg.suppressions(ledger)
    # the ledger's latest correction of each record: an earlier one is superseded, and applying
    # it after the latest (a repair) would make it the live correction in the store
    latest = {(s.record_kind, s.record_id): s.suppression_id for s in recorded if s.correction}
    pending = []
    for s in recorded:
        reasons = held.get((s.record_kind, s.record_id))
        if reasons is None or (
            s.correction
            and s.dispute_id is not None
            and latest[(s.record_kind, s.record_id)] == s.suppression_id
            and not _names_dispute(reasons, s.dispute_id)
            and not store.has_record_ids(s.record_kind, [_corrected_id(s)])
        ):
            pending.append(s)
    return pending


def apply_resolution(
    store: RecordStore, suppression: lg.Suppression, *, at: dt.datetime | None = None
) -> str | None:
    """Apply one ledger suppression to ``store`` as of ``at`` (now by default).

    A correction stores the corrected record (``<record_id>~c<dispute_id>``) and suppresses the
    original; any other suppression suppresses the record. Returns the corrected record's id,
    or None. The store's time is when it learns the fact (``at``), so a replay of a score given
    before then sees what the store held then.
    """
    when = dt.datetime.now(dt.UTC) if at is None else at
    reason = suppression.reason
    if suppression.correction:
        if suppression.dispute_id is None:
            msg = f"ledger suppression {suppression.suppression_id} has a correction but no dispute"
            raise LedgerError(msg)
        try:
            done = apply_correction(
                store,
                suppression.record_kind,
                suppression.record_id,
                suppression.correction,
                dispute_id=suppression.dispute_id,
                at=when,
            )
        except (SchemaError, NotFoundError) as error:
            if not store.has_record_ids(suppression.record_kind, [suppression.record_id]):
                raise  # nothing to suppress either: the ledger names a record the store lacks
            # check_correction writes nothing before it refuses, so suppressing is all there is
            reason = (
                f"dispute {suppression.dispute_id}: its correction was not applied "
                f"({error}); record suppressed"
            )
            logger.warning("Ledger suppression %s: %s", suppression.suppression_id, reason)
            if _names_dispute(
                _held(store).get((suppression.record_kind, suppression.record_id), []),
                suppression.dispute_id,
            ):
                return None
            store.suppress(suppression.record_kind, [suppression.record_id], reason=reason, at=when)
            return None
        return done.corrected_record_id
    if (suppression.record_kind, suppression.record_id) not in _held(store):
        store.suppress(suppression.record_kind, [suppression.record_id], reason=reason, at=when)
    return None
