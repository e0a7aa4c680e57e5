"""Salted commitments of personal data, so the audit log never holds the data itself.

Each subject has a random 32-byte salt in ``audit_salts``. Where an audit entry names personal
data (a subject id, a client's name, a resolution note, corrected values) it holds
``sha256(salt || canonical_json(value))`` instead. Whoever holds the salt and the value can show
the entry is about them (:func:`personal_matches`); nobody can read the value back out of the log,
nor test guesses against it without the salt. Erasing a subject deletes the salt
(:func:`erase_salt`): the entries stay, every hash in the chain and the tree still verifies,
and the commitments no longer lead to anyone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustscore.exceptions import LedgerError
from trustscore.ledger._audit import append_entry, canonical_json
from trustscore.ledger._rows import RowWriter
from trustscore.ledger._tables import Base, SaltRow

if TYPE_CHECKING:
    from trustscore.ledger._db import Ledger

__all__ = [
    "erase_salt",
    "personal",
    "personal_matches",
    "salt_commitment",
    "subject_refs",
    "subject_salt",
    "subject_salts",
]


def salt_commitment(salt: str, value: Any) -> str:
    """``sha256(salt || canonical_json(value))`` in hex, the salt given in hex.

    Examples
    --------
    >>> salt_commitment("00" * 32, "s1") == hashlib.sha256(bytes(32) + b'"s1"').hexdigest()
    True
    """
    return hashlib.sha256(bytes.fromhex(salt) + canonical_json(value).encode("utf-8")).hexdigest()


def subject_salt(session: Session, subject_id: str, at: dt.datetime) -> str:
    """The subject's salt (hex), made and stored in this transaction on first use."""
    found = session.scalar(select(SaltRow.salt).where(SaltRow.subject_id == subject_id))
    if found is not None:
        return found
    salt = secrets.token_hex(32)
    session.add(SaltRow(subject_id=subject_id, salt=salt, created_at=at))
    session.flush()
    return salt


def personal(session: Session, subject_id: str | None, value: Any, at: dt.datetime) -> Any:
    """What an entry holds for ``value``, personal data of ``subject_id``: its commitment.

    None stays None (there is nothing to hide), and so does a value with no subject.
    """
    if value is None or subject_id is None:
        return value
    return salt_commitment(subject_salt(session, subject_id, at), value)


def personal_matches(ledger: Ledger, subject_id: str, value: Any, commitment: str) -> bool:
    """Whether ``commitment`` (from an entry) commits to ``value`` of ``subject_id``.

    False once the subject's salt was erased.

    Examples
    --------
    >>> from trustscore.ledger import Ledger, audit_entries, open_dispute
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> _ = open_dispute(ledger, "s1", "obligation", "ob-1", "paid")
    >>> held = audit_entries(ledger)[0].payload["subject_id"]
    >>> (personal_matches(ledger, "s1", "s1", held), personal_matches(ledger, "s2", "s2", held))
    (True, False)
    """
    with ledger.reading() as session:
        salt = session.scalar(select(SaltRow.salt).where(SaltRow.subject_id == subject_id))
    return salt is not None and salt_commitment(salt, value) == commitment


def erase_salt(
    ledger: Ledger, subject_id: str, *, actor: str = "system", now: dt.datetime | None = None
) -> bool:
    """Delete the subject's salt (erasure): their commitments in the log lead nowhere after.

    The subject's rows in the tables whose state the log vouches for must go first (each with
    a :func:`~trustscore.ledger._commitments.removal` commitment): a row left behind could no
    longer be checked, so this refuses while one remains. Appends a ``salt.erase`` entry that
    names the subject only by a last commitment. False if the subject had no salt.

    Examples
    --------
    >>> from trustscore.ledger import Ledger, audit_verify, record_suppression
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> _ = record_suppression(ledger, "inquiry", "in-1", "court order", subject_id="s1")
    >>> erase_salt(ledger, "s1")
    Traceback (most recent call last):
    ...
    trustscore.exceptions.LedgerError: Subject 's1' still has rows in suppressions: ...
    """
    from trustscore.ledger._commitments import committed_tables

    at = now or dt.datetime.now(dt.UTC)
    with ledger.transaction() as session:
        row = session.get(SaltRow, subject_id)
        if row is None:
            return False
        left = [
            spec.name
            for spec in committed_tables()
            if spec.subject is not None
            and session.execute(
                select(Base.metadata.tables[spec.name].c[spec.subject])
                .where(Base.metadata.tables[spec.name].c[spec.subject] == subject_id)
                .limit(1)
            ).first()
            is not None
        ]
        if left:
            msg = (
                f"Subject {subject_id!r} still has rows in {', '.join(left)}: remove them (each "
                "with a removal commitment) before erasing the salt, or they could no longer be "
                "checked against the audit log."
            )
            raise LedgerError(msg, subject_id=subject_id)
        subject = salt_commitment(row.salt, subject_id)
        session.delete(row)
        session.flush()
        append_entry(session, actor, "salt.erase", {"subject": subject}, at)
        return True


def subject_salts(writer: RowWriter, subject_ids: Iterable[str], at: dt.datetime) -> dict[str, str]:
    """``{subject_id: salt}`` for a group of writes in one transaction, made on first use.

    The bulk form of :func:`subject_salt`: one query for the salts there are, one multi-row
    insert for those made now.
    """
    wanted = list(dict.fromkeys(subject_ids))
    salts = {k: str(v) for k, v in writer.lookup(SaltRow, "subject_id", "salt", wanted).items()}
    made = [
        {"subject_id": s, "salt": secrets.token_hex(32), "created_at": at}
        for s in wanted
        if s not in salts
    ]
    writer.insert_many(SaltRow, made)
    salts.update((str(row["subject_id"]), str(row["salt"])) for row in made)
    return salts


def subject_refs(writer: RowWriter, subject_ids: Iterable[str], at: dt.datetime) -> dict[str, str]:
    """``{subject_id: commitment of the id}`` for a group of writes in one transaction.

    The bulk form of ``personal(session, s, s, at)`` (salts by :func:`subject_salts`).
    """
    salts = subject_salts(writer, subject_ids, at)
    return {s: salt_commitment(salt, s) for s, salt in salts.items()}
