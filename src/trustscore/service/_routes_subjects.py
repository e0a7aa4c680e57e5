"""Scores, decisions and a subject's file: purpose-checked, access-logged, ledger-recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from trustscore import ledger as lg
from trustscore.service._auth import (
    CommitsDep,
    LedgerDep,
    Lender,
    ProviderDep,
    SubjectOrOperator,
    check_lender_purpose,
)
from trustscore.service._errors import ApiError
from trustscore.service._provider import record_score
from trustscore.service._schemas import DisputeOut, ScoreRequest, SuppressionOut

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["subjects"])


def _score_body(snapshot: lg.Snapshot, purpose: str) -> dict[str, Any]:
    return {
        "subject_id": snapshot.subject_id,
        "purpose": purpose,
        "snapshot_id": snapshot.snapshot_id,
        "score": snapshot.score,
        "status": snapshot.status,
        "subscores": snapshot.subscores,
        "reasons": snapshot.reasons,
        "model_version": snapshot.model_version,
        "as_of": snapshot.as_of.isoformat(),
    }


@router.post("/scores")
def score(
    body: ScoreRequest, lender: Lender, commits: CommitsDep, provider: ProviderDep
) -> JSONResponse:
    """Score a subject for one of the lender's purposes; the subject sees the inquiry."""
    purpose = check_lender_purpose(lender, body.purpose)
    result = provider.score(body.subject_id, purpose)
    now = dt.datetime.now(dt.UTC)
    # the snapshot and the access, with their audit entries, committed before answering; the
    # writes of concurrent requests share one transaction (see _group_commit)
    snapshot, _ = commits.record(
        lg.ScoreAccess(
            subject_id=result["subject_id"], as_of=dt.date.fromisoformat(result["as_of"]),
            model_version=result["model_version"], model_hash=result["model_hash"],
            score=result["score"], status=result["status"], subscores=result["subscores"],
            reasons=result["reasons"], feature_hash=result["feature_hash"],
            client_id=lender.client_id, purpose=purpose, action="score", at=now,
        )
    )  # fmt: skip
    provider.record_inquiry(body.subject_id, lender.name, purpose, now)
    # a plain dict of JSON values: no response model to validate it against again
    return JSONResponse(_score_body(snapshot, purpose))


@router.post("/decisions")
def decide(
    body: ScoreRequest, lender: Lender, ledger: LedgerDep, provider: ProviderDep
) -> dict[str, Any]:
    """Decide for one of the lender's purposes, with the adverse-action notice if adverse."""
    purpose = check_lender_purpose(lender, body.purpose)
    result = provider.decide(body.subject_id, purpose)
    snapshot = record_score(ledger, result["score"], lender.client_id)
    decision = lg.record_decision(
        ledger, subject_id=body.subject_id, purpose=purpose, policy=result["policy"],
        outcome=result["outcome"], adverse=result["adverse"], notice=result["notice"],
        snapshot_id=snapshot.snapshot_id, client_id=lender.client_id, actor=lender.client_id,
    )  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    lg.log_access(
        ledger, client_id=lender.client_id, subject_id=body.subject_id, purpose=purpose,
        action="decision", now=now,
    )  # fmt: skip
    provider.record_inquiry(body.subject_id, lender.name, purpose, now)
    return {
        "decision_id": decision.decision_id,
        "policy": decision.policy,
        "outcome": decision.outcome,
        "adverse": decision.adverse,
        "notice": decision.notice,
        "score": _score_body(snapshot, purpose),
    }


@router.get("/subjects/{subject_id}/file")
def subject_file(
    subject_id: str, client: SubjectOrOperator, ledger: LedgerDep, provider: ProviderDep
) -> dict[str, Any]:
    """A subject's whole file: records, score, history, decisions, disputes and who looked."""
    if client.role == "subject":
        if client.subject_id != subject_id:
            raise ApiError(403, "forbidden", "A subject may read only their own file.")
        purpose = "subject_access"
    else:
        purpose = "dispute_handling"
    content = provider.file(subject_id)
    lg.log_access(
        ledger, client_id=client.client_id, subject_id=subject_id, purpose=purpose, action="file"
    )
    return {
        "subject_id": subject_id,
        "file": content,
        "score_history": [
            {"snapshot_id": s.snapshot_id, "as_of": s.as_of.isoformat(), "score": s.score,
             "status": s.status, "model_version": s.model_version,
             "created_at": s.created_at.isoformat()}
            for s in lg.snapshots(ledger, subject_id)
        ],
        "decisions": [
            {"decision_id": d.decision_id, "purpose": d.purpose, "outcome": d.outcome,
             "adverse": d.adverse, "notice": d.notice, "decided_at": d.decided_at.isoformat()}
            for d in lg.decisions(ledger, subject_id)
        ],
        "disputes": [
            DisputeOut.of(d).model_dump(mode="json")
            for d in lg.disputes(ledger, subject_id=subject_id)
        ],
        "suppressions": [
            SuppressionOut.of(s).model_dump(mode="json")
            for s in lg.suppressions(ledger, subject_id=subject_id)
        ],
        "accesses": [
            {"client_id": a.client_id, "purpose": a.purpose, "action": a.action,
             "at": a.at.isoformat()}
            for a in lg.accesses(ledger, subject_id)
        ],
    }  # fmt: skip
