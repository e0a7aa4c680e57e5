"""Identity changes: operators merge and split subjects; a subject reports a split file.

A merge or a split is recorded in the ledger (the change, every record it moves, the identity
profiles it re-links, an audit entry) and then carried into the record store as new versions of
the moved records from that moment: the subjects' current scores change, their earlier scores
replay unchanged. A subject who finds their history scattered over another file reports it; the
report waits in the identity review queue, where an operator merges the files if they agree.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from trustscore import ledger as lg
from trustscore.exceptions import NotFoundError
from trustscore.i18n import N_
from trustscore.pipeline import Workspace, merge_subjects, split_subject
from trustscore.records import DISPUTABLE_KINDS, RecordStore
from trustscore.service._auth import LedgerDep, SubjectOrOperator, require
from trustscore.service._errors import ApiError
from trustscore.service._provider import SubjectProvider, record_score
from trustscore.settings import get_settings

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["identity"])

_STRICT = ConfigDict(extra="forbid")

OperatorOrAdmin = Annotated[lg.Client, Depends(require("operator", "admin"))]


class MergeRequest(BaseModel):
    """Merge ``merge`` into ``keep``: every record and identity profile of ``merge`` moves."""

    model_config = _STRICT
    keep: str = Field(min_length=1, max_length=128)
    merge: str = Field(min_length=1, max_length=128)
    note: str | None = Field(default=None, max_length=4000)


class RecordRef(BaseModel):
    """One record, by kind and id."""

    model_config = _STRICT
    record_kind: str = Field(min_length=1, max_length=64)
    record_id: str = Field(min_length=1, max_length=256)


class SplitRequest(BaseModel):
    """Split a subject: the named records, and those of the named profiles, go to a new one."""

    model_config = _STRICT
    subject_id: str = Field(min_length=1, max_length=128)
    records: list[RecordRef] = Field(default_factory=list, max_length=10_000)
    profiles: list[str] = Field(default_factory=list, max_length=1_000)
    note: str | None = Field(default=None, max_length=4000)


class ChangeOut(BaseModel):
    """An identity change and the records it moved."""

    change_id: str
    action: str
    subject_id: str
    other_subject_id: str
    decided_by: str
    dispute_id: str | None
    changed_at: dt.datetime
    moves: list[dict[str, str]]
    rescored: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, change: lg.IdentityChange, rescored: list[str] | None = None) -> ChangeOut:
        return cls(
            change_id=change.change_id, action=change.action, subject_id=change.subject_id,
            other_subject_id=change.other_subject_id, decided_by=change.decided_by,
            dispute_id=change.dispute_id, changed_at=change.changed_at,
            moves=[m.__dict__ for m in change.moves], rescored=rescored or [],
        )  # fmt: skip


class SplitFileReport(BaseModel):
    """A subject's report that another file is also theirs: what would let an operator find it
    (an earlier name or address, an old account). An operator may name the other subject."""

    model_config = _STRICT
    subject_id: str | None = Field(default=None, max_length=128)
    details: str = Field(min_length=1, max_length=4000)
    other_subject_id: str | None = Field(default=None, max_length=128)


class SplitFileReportOut(BaseModel):
    """The identity review the report opened."""

    review_id: str
    subject_id: str
    status: str


def _store(request: Request) -> RecordStore:
    store = getattr(request.app.state.provider, "store", None)
    if isinstance(store, RecordStore):
        return store
    settings = request.app.state.settings or get_settings()
    return RecordStore(Workspace(settings.workspace).store_dir)


def _rescore(request: Request, ledger: lg.Ledger, subjects: list[str], actor: str) -> list[str]:
    provider: SubjectProvider | None = request.app.state.provider
    done = []
    for subject in subjects:
        if provider is None:
            break
        try:
            result = provider.rescore(subject)
        except NotFoundError:
            continue  # a subject with no file as of the clock's date has no score to record
        if result is not None:
            record_score(ledger, result, actor=actor)
            done.append(subject)
    return done


@router.post("/identity/merge")
def merge(
    body: MergeRequest, operator: OperatorOrAdmin, ledger: LedgerDep, request: Request
) -> ChangeOut:
    """Merge two files of one subject; both are rescored, earlier scores replay unchanged."""
    change = merge_subjects(
        ledger, _store(request), body.keep, body.merge, operator.client_id, note=body.note
    )
    rescored = _rescore(request, ledger, [body.keep, body.merge], operator.client_id)
    return ChangeOut.of(change, rescored)


@router.post("/identity/split")
def split(
    body: SplitRequest, operator: OperatorOrAdmin, ledger: LedgerDep, request: Request
) -> ChangeOut:
    """Split a mixed file: the named records move to a new subject; both are rescored."""
    unknown = sorted({r.record_kind for r in body.records} - set(DISPUTABLE_KINDS))
    if unknown:
        raise ApiError(
            422, "validation_error",
            N_("Records of kind {record_kind} cannot be moved; kinds are {kinds}."),
            params={"record_kind": repr(unknown[0]), "kinds": ", ".join(DISPUTABLE_KINDS)},
            details={"record_kind": unknown[0]},
        )  # fmt: skip
    change = split_subject(
        ledger, _store(request), body.subject_id, operator.client_id,
        records=[(r.record_kind, r.record_id) for r in body.records], profiles=body.profiles,
        note=body.note,
    )  # fmt: skip
    subjects = [change.subject_id, change.other_subject_id]
    return ChangeOut.of(change, _rescore(request, ledger, subjects, operator.client_id))


@router.get("/identity/changes")
def list_changes(
    operator: OperatorOrAdmin,  # noqa: ARG001 - the dependency checks the role
    ledger: LedgerDep,
    subject_id: Annotated[str | None, Query(max_length=128)] = None,
) -> list[ChangeOut]:
    """Identity changes (unlinks, merges, splits), oldest first, optionally of one subject."""
    return [ChangeOut.of(c) for c in lg.identity_changes(ledger, subject_id=subject_id)]


@router.post("/identity/split-file-reports", status_code=201)
def report_split_file(
    body: SplitFileReport, client: SubjectOrOperator, ledger: LedgerDep
) -> SplitFileReportOut:
    """Report that another file is also the subject's: an identity review opens for operators."""
    if client.role == "subject":
        if body.subject_id not in (None, client.subject_id) or body.other_subject_id:
            raise ApiError(
                403, "forbidden",
                N_(
                    "A subject reports a split file of their own, and describes the other file "
                    "in details; leave subject_id and other_subject_id out."
                ),
                details={"subject_id": body.subject_id}, refusal="not_own_file",
            )  # fmt: skip
        subject_id = str(client.subject_id)
    elif body.subject_id is None:
        raise ApiError(
            422, "validation_error", N_("An operator reporting must give the subject_id.")
        )
    else:
        subject_id = body.subject_id
    review_id = lg.report_split_file(
        ledger, subject_id, body.details, reported_by=client.client_id,
        other_subject_id=body.other_subject_id,
    )  # fmt: skip
    return SplitFileReportOut(review_id=review_id, subject_id=subject_id, status="open")
