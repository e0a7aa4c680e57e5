"""The model registry: every artifact by content hash, validators' approvals, champions.

A model is *registered* (its content hash, version and card, who registered it and when), then
*approved* by a ``validator`` client for named purposes after reading its validation report
(the report's hash is kept), and never by the client who registered it (four eyes). Each purpose
has one *champion*, the only model whose scores may be used for it, and may have a
*challenger*, scored beside it in shadow and never used for a decision. Every move of a slot
(promote, retire, rollback, challenge, withdraw) is a new row of ``model_events``, never an
update, and an entry of the audit chain: the champion of a purpose at any past moment is the
model of its latest event at or before that moment, which is what a replay uses.

A refused approval (the registrant approving their own model, a client that is no validator)
is on record in ``access_refusals`` like the service's other refusals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy.orm import Session

from trustscore.exceptions import ApprovalError, NotFoundError, SchemaError
from trustscore.ledger._audit import append_entry
from trustscore.ledger._checks import check_json, check_text, moment
from trustscore.ledger._commitments import commitments, register_committed_table
from trustscore.ledger._refusals import RefusalAttempt, record_refusals
from trustscore.ledger._registry_read import (
    ModelEvent,
    RegisteredModel,
    _event,
    _get,
    _model,
    _slot_history,
    champion,
    model_subject_kind,
)
from trustscore.ledger._tables import ClientRow, ModelApprovalRow, ModelEventRow, ModelRow
from trustscore.safeguards import check_purpose_approvable

if TYPE_CHECKING:
    from trustscore.ledger._db import Ledger

__all__ = [
    "APPROVER_ROLES",
    "MOVER_ROLES",
    "REGISTRANT_ROLES",
    "approve_model",
    "promote_model",
    "register_model",
    "retire_model",
    "rollback_model",
    "set_challenger",
]

#: Who may register a model, approve one, and move a purpose's champion or challenger.
REGISTRANT_ROLES: Final = ("admin", "operator", "validator")
APPROVER_ROLES: Final = ("validator",)
MOVER_ROLES: Final = ("admin", "validator")

# Every registry row is committed in the audit chain, so `audit verify` catches an edit of one.
register_committed_table(ModelRow)
register_committed_table(ModelApprovalRow)
register_committed_table(ModelEventRow)


def _client_role(session: Session, client_id: str) -> str | None:
    row = session.get(ClientRow, client_id)
    return None if row is None or row.revoked_at is not None else row.role


def _refuse(
    ledger: Ledger, kind: str, msg: str, client_id: str, via: tuple[str, str], **context: Any
) -> ApprovalError:
    """Record a refused registry step, then return the error to raise."""
    record_refusals(ledger, [RefusalAttempt(kind, via[0], via[1], msg, client_id=client_id)])
    return ApprovalError(msg, client_id=client_id, **context)


def _check_role(
    ledger: Ledger, client_id: str, roles: Sequence[str], step: str, via: tuple[str, str]
) -> None:
    check_text(client_id, "client_id", max_length=64)
    with ledger.reading() as session:
        role = _client_role(session, client_id)
    if role not in roles:
        who = "no active client" if role is None else f"a {role} client"
        msg = (
            f"Client {client_id!r} is {who}; to {step} a model the client needs the role "
            f"{' or '.join(roles)}. An admin creates one with trustscore client create."
        )
        raise _refuse(ledger, "role_refused", msg, client_id, via, role=role)


def register_model(
    ledger: Ledger,
    model_hash: str,
    model_version: str,
    card: dict[str, Any],
    *,
    registered_by: str,
    now: dt.datetime | None = None,
    via: tuple[str, str] = ("CLI", "model register"),
) -> RegisteredModel:
    """Register a model artifact by its content hash; registering it again changes nothing.

    ``registered_by`` is the client registering it (role admin, operator or validator): it can
    never approve this model.

    Examples
    --------
    >>> from trustscore.ledger import Ledger, create_client
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> dev, _ = create_client(ledger, "operator")
    >>> m = register_model(ledger, "sha256:ab", "m-1", {"approved_purposes": ["credit_limit"]},
    ...                    registered_by=dev.client_id)
    >>> (m.model_version, m.approved_purposes)
    ('m-1', ())
    """
    check_text(model_hash, "model_hash", max_length=128)
    check_text(model_version, "model_version", max_length=128)
    check_json(card, "card")
    _check_role(ledger, registered_by, REGISTRANT_ROLES, "register", via)
    at = moment(now)
    with ledger.transaction() as session:
        row = session.get(ModelRow, model_hash)
        if row is not None:
            return _model(session, row)
        row = ModelRow(
            model_hash=model_hash, model_version=model_version, card=card,
            registered_by=registered_by, registered_at=at,
        )  # fmt: skip
        session.add(row)
        session.flush()
        append_entry(
            session, registered_by, "model.register",
            {"model_hash": model_hash, "model_version": model_version},
            at, state=commitments(session, row),
        )  # fmt: skip
        return _model(session, row)


def approve_model(
    ledger: Ledger,
    model_hash: str,
    purposes: Sequence[str],
    *,
    validator: str,
    report_hash: str,
    now: dt.datetime | None = None,
    via: tuple[str, str] = ("CLI", "model approve"),
) -> RegisteredModel:
    """Approve a registered model for ``purposes``, as ``validator``, after reading its report.

    Refused, with the refusal on record: a client that is not an active validator, and the
    client who registered the model (four eyes). A purpose that can never be approved raises
    :class:`~trustscore.exceptions.NeverApprovablePurposeError`; one the model card does not
    list as an intended use, :class:`~trustscore.exceptions.ApprovalError`.

    Examples
    --------
    >>> from trustscore.ledger import Ledger, create_client
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> dev, _ = create_client(ledger, "operator"); val, _ = create_client(ledger, "validator")
    >>> _ = register_model(ledger, "sha256:ab", "m-1", {"approved_purposes": ["credit_limit"]},
    ...                    registered_by=dev.client_id)
    >>> approve_model(ledger, "sha256:ab", ["credit_limit"], validator=val.client_id,
    ...               report_hash="sha256:report").approved_purposes
    ('credit_limit',)
    """
    check_text(report_hash, "report_hash", max_length=128)
    purposes = tuple(dict.fromkeys(purposes))
    if not purposes:
        msg = "An approval names at least one purpose (e.g. --purpose credit_pricing)."
        raise SchemaError(msg, field="purposes")
    for purpose in purposes:
        check_purpose_approvable(purpose)
    _check_role(ledger, validator, APPROVER_ROLES, "approve", via)
    with ledger.reading() as session:
        model = _model(session, _get(session, model_hash))
    if model.registered_by == validator:
        msg = (
            f"Client {validator!r} registered model {model.model_version} and cannot also "
            "approve it: approval needs a second person (four eyes). Another validator must "
            "read its report and approve it."
        )
        raise _refuse(ledger, "four_eyes", msg, validator, via, model_hash=model_hash)
    intended = tuple(model.card.get("approved_purposes") or ())
    unlisted = [p for p in purposes if p not in intended]
    if unlisted:
        msg = (
            f"Model {model.model_version} is not meant for {', '.join(unlisted)}: its card lists "
            f"its intended uses as {', '.join(intended) or 'none'}. Approve only those."
        )
        raise ApprovalError(msg, model_hash=model_hash, purposes=unlisted)
    at = moment(now)
    with ledger.transaction() as session:
        row = ModelApprovalRow(
            model_hash=model_hash, validator=validator, purposes=list(purposes),
            report_hash=report_hash, approved_at=at,
        )  # fmt: skip
        session.add(row)
        session.flush()
        append_entry(
            session, validator, "model.approve",
            {"approval_id": row.approval_id, "model_hash": model_hash,
             "purposes": list(purposes), "report_hash": report_hash},
            at, state=commitments(session, row),
        )  # fmt: skip
        return _model(session, _get(session, model_hash))


def _move(
    ledger: Ledger, purpose: str, slot: str, action: str, model_hash: str | None, actor: str,
    now: dt.datetime | None, subject_kind: str,
) -> ModelEvent:  # fmt: skip
    at = moment(now)
    with ledger.transaction() as session:
        row = ModelEventRow(
            purpose=purpose, slot=slot, action=action, model_hash=model_hash, actor=actor, at=at,
            subject_kind=subject_kind,
        )  # fmt: skip
        session.add(row)
        session.flush()
        append_entry(
            session, actor, f"model.{action}",
            {"event_id": row.event_id, "purpose": purpose, "slot": slot,
             "subject_kind": subject_kind, "model_hash": model_hash},
            at, state=commitments(session, row),
        )  # fmt: skip
        return _event(row)


def _approved_for(ledger: Ledger, model_hash: str, purpose: str) -> RegisteredModel:
    with ledger.reading() as session:
        model = _model(session, _get(session, model_hash))
    if purpose not in model.approved_purposes:
        msg = (
            f"Model {model.model_version} is not approved for {purpose!r} by a validator "
            f"(approved for: {', '.join(model.approved_purposes) or 'nothing yet'}); it cannot "
            "be its champion. A validator approves it with trustscore model approve."
        )
        raise ApprovalError(msg, model_hash=model_hash, purpose=purpose)
    return model


def promote_model(
    ledger: Ledger,
    model_hash: str,
    purpose: str,
    *,
    actor: str,
    now: dt.datetime | None = None,
    via: tuple[str, str] = ("CLI", "model promote"),
) -> ModelEvent:
    """Make an approved model the champion of ``purpose`` (a new event, in the audit chain).

    Its slot is that of its card's ``subject_kind``: promoting an organisation's model leaves
    the persons' champion of the purpose in place, and the reverse.

    Examples
    --------
    >>> from trustscore.ledger import Ledger, create_client
    >>> ledger = Ledger("sqlite://"); ledger.create_all()
    >>> dev, _ = create_client(ledger, "operator"); val, _ = create_client(ledger, "validator")
    >>> _ = register_model(ledger, "sha256:ab", "m-1", {"approved_purposes": ["credit_limit"]},
    ...                    registered_by=dev.client_id)
    >>> promote_model(ledger, "sha256:ab", "credit_limit", actor=val.client_id)
    Traceback (most recent call last):
    ...
    trustscore.exceptions.ApprovalError: Model m-1 is not approved for 'credit_limit' by a...
    """
    check_purpose_approvable(purpose)
    _check_role(ledger, actor, MOVER_ROLES, "promote", via)
    model = _approved_for(ledger, model_hash, purpose)
    kind = model_subject_kind(model.card)
    return _move(ledger, purpose, "champion", "promote", model_hash, actor, now, kind)


def retire_model(
    ledger: Ledger,
    purpose: str,
    *,
    actor: str,
    now: dt.datetime | None = None,
    via: tuple[str, str] = ("CLI", "model retire"),
    subject_kind: str = "person",
) -> ModelEvent:
    """Retire the champion of ``purpose`` for ``subject_kind``: nothing scores such subjects
    for it until another is promoted."""
    _check_role(ledger, actor, MOVER_ROLES, "retire", via)
    current = champion(ledger, purpose, subject_kind=subject_kind)
    if current is None:
        msg = f"The purpose {purpose!r} has no champion to retire for {subject_kind}s."
        raise NotFoundError(msg, purpose=purpose)
    return _move(ledger, purpose, "champion", "retire", None, actor, now, subject_kind)


def rollback_model(
    ledger: Ledger,
    purpose: str,
    *,
    actor: str,
    now: dt.datetime | None = None,
    via: tuple[str, str] = ("CLI", "model rollback"),
    subject_kind: str = "person",
) -> ModelEvent:
    """Make the champion before the current one (or before the retirement) champion again,
    in the slot of ``subject_kind``."""
    _check_role(ledger, actor, MOVER_ROLES, "roll back", via)
    with ledger.reading() as session:
        history = _slot_history(session, purpose, "champion", subject_kind)
    current = history[-1].model_hash if history else None
    earlier = [r.model_hash for r in history[:-1] if r.model_hash is not None]
    if current is None and history:
        earlier = [r.model_hash for r in history if r.model_hash is not None]
    target = next((h for h in reversed(earlier) if h != current), None)
    if target is None:
        msg = f"The purpose {purpose!r} had no earlier champion to roll back to."
        raise NotFoundError(msg, purpose=purpose)
    _approved_for(ledger, target, purpose)
    return _move(ledger, purpose, "champion", "rollback", target, actor, now, subject_kind)


def set_challenger(
    ledger: Ledger,
    model_hash: str | None,
    purpose: str,
    *,
    actor: str,
    now: dt.datetime | None = None,
    via: tuple[str, str] = ("CLI", "model challenge"),
    subject_kind: str = "person",
) -> ModelEvent:
    """Name a registered model the challenger of ``purpose`` (None withdraws the challenger
    of ``subject_kind``; a model goes to its own card's kind's slot).

    A challenger needs no approval: it is only ever scored in shadow, never decided with.
    """
    check_purpose_approvable(purpose)
    _check_role(ledger, actor, MOVER_ROLES, "challenge with", via)
    kind = subject_kind
    if model_hash is not None:
        with ledger.reading() as session:
            kind = model_subject_kind(dict(_get(session, model_hash).card))
    action = "withdraw" if model_hash is None else "challenge"
    return _move(ledger, purpose, "challenger", action, model_hash, actor, now, kind)
