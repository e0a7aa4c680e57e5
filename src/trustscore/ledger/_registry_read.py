"""The model registry's reads: the models, their approvals, and who held a slot when.

See :mod:`trustscore.ledger._registry` for the writes and the rules they keep.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustscore.exceptions import NotFoundError
from trustscore.ledger._checks import check_choice, moment
from trustscore.ledger._tables import ModelApprovalRow, ModelEventRow, ModelRow

if TYPE_CHECKING:
    from trustscore.ledger._db import Ledger

__all__ = [
    "MODEL_SLOTS",
    "MODEL_SUBJECT_KINDS",
    "ModelApproval",
    "ModelEvent",
    "RegisteredModel",
    "challenger",
    "champion",
    "find_model",
    "model_events",
    "model_subject_kind",
    "registered_models",
]

#: A purpose's two slots: the model its decisions use, and the one scored beside it in shadow.
MODEL_SLOTS: Final = ("champion", "challenger")
#: Each kind of subject has its own slots: persons and organisations are never scored by one
#: model (a model's kind is its card's ``subject_kind``; a card without one is a person's).
MODEL_SUBJECT_KINDS: Final = ("person", "organisation")


def model_subject_kind(card: dict[str, Any]) -> str:
    """The kind of subject a model card's model scores (``person`` when it does not say)."""
    kind = card.get("subject_kind", "person")
    return str(check_choice(kind, "subject_kind", MODEL_SUBJECT_KINDS))


@dataclass(frozen=True)
class ModelApproval:
    """A validator's approval of a model for purposes, with the hash of the report read."""

    approval_id: int
    model_hash: str
    validator: str
    purposes: tuple[str, ...]
    report_hash: str
    approved_at: dt.datetime


@dataclass(frozen=True)
class RegisteredModel:
    """A model of the registry, with its approvals."""

    model_hash: str
    model_version: str
    card: dict[str, Any]
    registered_by: str
    registered_at: dt.datetime
    approvals: tuple[ModelApproval, ...] = ()

    @property
    def approved_purposes(self) -> tuple[str, ...]:
        """The purposes some validator approved this model for, in the order first approved."""
        return tuple(dict.fromkeys(p for a in self.approvals for p in a.purposes))


@dataclass(frozen=True)
class ModelEvent:
    """One move of a purpose's champion or challenger (``model_hash`` None: emptied)."""

    event_id: int
    purpose: str
    slot: str
    action: str
    model_hash: str | None
    actor: str
    at: dt.datetime
    subject_kind: str = "person"


def _approval(row: ModelApprovalRow) -> ModelApproval:
    return ModelApproval(
        row.approval_id, row.model_hash, row.validator, tuple(row.purposes), row.report_hash,
        row.approved_at,
    )  # fmt: skip


def _model(session: Session, row: ModelRow) -> RegisteredModel:
    approvals = session.scalars(
        select(ModelApprovalRow)
        .where(ModelApprovalRow.model_hash == row.model_hash)
        .order_by(ModelApprovalRow.approval_id)
    )
    return RegisteredModel(
        row.model_hash, row.model_version, dict(row.card), row.registered_by, row.registered_at,
        tuple(_approval(a) for a in approvals),
    )  # fmt: skip


def _event(row: ModelEventRow) -> ModelEvent:
    return ModelEvent(
        row.event_id, row.purpose, row.slot, row.action, row.model_hash, row.actor, row.at,
        row.subject_kind,
    )  # fmt: skip


def _get(session: Session, model_hash: str) -> ModelRow:
    row = session.get(ModelRow, model_hash)
    if row is None:
        msg = f"No model with content hash {model_hash!r} is registered (trustscore model list)."
        raise NotFoundError(msg, model_hash=model_hash)
    return row


def _slot_history(
    session: Session, purpose: str, slot: str, subject_kind: str = "person"
) -> list[ModelEvent]:
    stmt = (
        select(ModelEventRow)
        .where(
            ModelEventRow.purpose == purpose,
            ModelEventRow.slot == slot,
            ModelEventRow.subject_kind == subject_kind,
        )
        .order_by(ModelEventRow.event_id)
    )
    return [_event(row) for row in session.scalars(stmt)]


def _slot(
    ledger: Ledger, purpose: str, slot: str, at: dt.datetime | None, subject_kind: str
) -> RegisteredModel | None:
    check_choice(subject_kind, "subject_kind", MODEL_SUBJECT_KINDS)
    stmt = select(ModelEventRow).where(
        ModelEventRow.purpose == purpose,
        ModelEventRow.slot == slot,
        ModelEventRow.subject_kind == subject_kind,
    )
    if at is not None:
        stmt = stmt.where(ModelEventRow.at <= moment(at, name="at"))
    stmt = stmt.order_by(ModelEventRow.event_id.desc()).limit(1)
    with ledger.reading() as session:
        row = session.scalars(stmt).first()
        if row is None or row.model_hash is None:
            return None
        return _model(session, _get(session, row.model_hash))


def champion(
    ledger: Ledger,
    purpose: str,
    *,
    at: dt.datetime | None = None,
    subject_kind: str = "person",
) -> RegisteredModel | None:
    """The champion of ``purpose`` for subjects of ``subject_kind`` now, or at the moment
    ``at``; None if it has none."""
    return _slot(ledger, purpose, "champion", at, subject_kind)


def challenger(
    ledger: Ledger,
    purpose: str,
    *,
    at: dt.datetime | None = None,
    subject_kind: str = "person",
) -> RegisteredModel | None:
    """The challenger of ``purpose`` for ``subject_kind`` now, or at ``at``; None if none."""
    return _slot(ledger, purpose, "challenger", at, subject_kind)


def find_model(ledger: Ledger, ref: str) -> RegisteredModel:
    """A registered model by content hash, or by version when one model has that version."""
    with ledger.reading() as session:
        row = session.get(ModelRow, ref)
        if row is None:
            rows = list(session.scalars(select(ModelRow).where(ModelRow.model_version == ref)))
            if len(rows) != 1:
                what = "several models have" if rows else "no model has"
                msg = (
                    f"{ref!r} names no registered model: no content hash matches and {what} that "
                    "version (trustscore model list)."
                )
                raise NotFoundError(msg, model=ref)
            row = rows[0]
        return _model(session, row)


def registered_models(ledger: Ledger) -> list[RegisteredModel]:
    """Every registered model with its approvals, oldest first."""
    stmt = select(ModelRow).order_by(ModelRow.registered_at, ModelRow.model_hash)
    with ledger.reading() as session:
        return [_model(session, row) for row in session.scalars(stmt)]


def model_events(
    ledger: Ledger, *, purpose: str | None = None, slot: str | None = None
) -> list[ModelEvent]:
    """Every move of the champions and challengers (of one purpose, one slot), oldest first."""
    stmt = select(ModelEventRow).order_by(ModelEventRow.event_id)
    if purpose is not None:
        stmt = stmt.where(ModelEventRow.purpose == purpose)
    if slot is not None:
        stmt = stmt.where(ModelEventRow.slot == check_choice(slot, "slot", MODEL_SLOTS))
    with ledger.reading() as session:
        return [_event(row) for row in session.scalars(stmt)]
