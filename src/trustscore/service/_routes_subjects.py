"""Scores, decisions and a subject's file: purpose-checked, access-logged, ledger-recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from trustscore import ledger as lg
from trustscore.decisions import localize_notice
from trustscore.exceptions import NotFoundError
from trustscore.i18n import DEFAULT_LOCALE, N_, translate
from trustscore.pipeline import WorkspaceProvider, explain_subject
from trustscore.service._auth import (
    Authenticated,
    LedgerDep,
    Lender,
    ProviderDep,
    SubjectOrOperator,
    check_lender_purpose,
    commits_of,
    provider_of,
)
from trustscore.service._errors import ApiError
from trustscore.service._locale import Locale, request_locale
from trustscore.service._provider import (
    ScoreResult,
    provider_decide,
    provider_record_inquiry,
    provider_score,
)
from trustscore.service._review_schemas import ReviewOut
from trustscore.service._routes_reviews import open_gated_case, review_gate
from trustscore.service._schemas import DisputeOut, ScoreRequest, SuppressionOut
from trustscore.service._texts import localize_flags, localize_reasons, localize_review

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["subjects"])


def _notice(notice: dict[str, Any] | None, locale: str) -> dict[str, Any] | None:
    return None if notice is None else localize_notice(notice, locale)


def _score_body(
    snapshot: lg.Snapshot, purpose: str, result: ScoreResult, locale: str
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "locale": locale,
        "subject_id": snapshot.subject_id,
        "purpose": purpose,
        "snapshot_id": snapshot.snapshot_id,
        "score": snapshot.score,
        "status": snapshot.status,
        "subscores": snapshot.subscores,
        "reasons": localize_reasons(snapshot.reasons, locale),
        "model_version": snapshot.model_version,
        "as_of": snapshot.as_of.isoformat(),
    }
    # what the model can give, beside the score: a score is never shown without its range
    if "score_range" in result:
        body["score_range"] = result["score_range"]
    if "subscore_ranges" in result:
        body["subscore_ranges"] = result["subscore_ranges"]
    # input-quality flags: values the model was not trained for (a policy may review them)
    if "quality" in result:
        body["quality"] = localize_flags(result["quality"], locale)
    return body


def _score_access(
    result: ScoreResult,
    client: lg.Client,
    purpose: str,
    at: dt.datetime,
    decision: lg.DecisionTaken | None = None,
) -> lg.ScoreAccess:
    return lg.ScoreAccess(
        subject_id=result["subject_id"], as_of=dt.date.fromisoformat(result["as_of"]),
        model_version=result["model_version"], model_hash=result["model_hash"],
        score=result["score"], status=result["status"], subscores=result["subscores"],
        reasons=result["reasons"], feature_hash=result["feature_hash"],
        client_id=client.client_id, purpose=purpose,
        action="score" if decision is None else "decision", at=at, decision=decision,
    )  # fmt: skip


# The score and decision routes are coroutines: a provider that answers from memory answers on
# the event loop, and the ledger writes are awaited, not waited for in a thread (a thread hop
# and a blocked thread per request cost more than the rest of the request). They take the group
# commit and the provider from the request rather than as dependencies: FastAPI's resolution of
# a dependency costs more than the lookup.


@router.post("/scores")
async def score(body: ScoreRequest, lender: Lender, request: Request) -> JSONResponse:
    """Score a subject for one of the lender's purposes; the subject sees the inquiry."""
    provider = provider_of(request)
    request.state.subject_id = body.subject_id  # named by a refusal of the purpose
    purpose = check_lender_purpose(lender, body.purpose)
    result = await provider_score(provider, body.subject_id, purpose)
    now = dt.datetime.now(dt.UTC)
    # the snapshot and the access, with their audit entries, committed before answering; the
    # writes of concurrent requests share one transaction (see _group_commit)
    recorded = await commits_of(request).submit(_score_access(result, lender, purpose, now))
    await provider_record_inquiry(provider, body.subject_id, lender.name, purpose, now)
    # a plain dict of JSON values: no response model to validate it against again
    locale = request_locale(request)
    return JSONResponse(_score_body(recorded.snapshot, purpose, result, locale))


@router.post("/decisions", response_model=dict[str, Any])
async def decide(body: ScoreRequest, lender: Lender, request: Request) -> JSONResponse:
    """Decide for one of the lender's purposes, with the adverse-action notice if adverse.

    A decision the policy sends to a person (near a cut-off, unscorable, flagged inputs), or one
    for a subject and purpose whose review case is still open, answers ``"outcome":
    "pending_review"``, never adverse, with ``review`` naming the case; once a reviewer decides,
    the same decision answers the reviewer's outcome (and its notice if adverse).
    """
    provider = provider_of(request)
    request.state.subject_id = body.subject_id  # named by a refusal of the purpose
    purpose = check_lender_purpose(lender, body.purpose)
    result = await provider_decide(provider, body.subject_id, purpose)
    now = dt.datetime.now(dt.UTC)
    ledger: lg.Ledger = request.app.state.ledger
    # a decision a person has not decided yet is "pending_review", never adverse
    gate = await run_in_threadpool(review_gate, ledger, result, purpose)
    taken = lg.DecisionTaken(
        policy=result["policy"], outcome=gate.outcome, adverse=gate.adverse, notice=gate.notice
    )
    # the snapshot, the decision and the access, with their audit entries, in one group commit
    item = _score_access(result["score"], lender, purpose, now, taken)
    recorded = await commits_of(request).submit(item)
    await provider_record_inquiry(provider, body.subject_id, lender.name, purpose, now)
    decision = recorded.decision
    if decision is None:  # pragma: no cover - an item with a decision records one
        msg = "The ledger recorded no decision for a decision request."
        raise RuntimeError(msg)
    if gate.opening is not None:
        gate = await run_in_threadpool(
            open_gated_case, ledger, gate, decision.decision_id, lender.client_id
        )
    locale = request_locale(request)
    return JSONResponse(
        {
            "locale": locale,
            "decision_id": decision.decision_id,
            "policy": decision.policy,
            "outcome": decision.outcome,
            "adverse": decision.adverse,
            "notice": _notice(decision.notice, locale),
            "review": gate.body(),
            "score": _score_body(recorded.snapshot, purpose, result["score"], locale),
        }
    )


@router.get("/me")
def me(client: Authenticated) -> dict[str, Any]:
    """Who the token is: its role, its name, and the subject it is (for a subject's token).

    The subject's page opens its own file with it, without the subject typing their id; an
    operator's page keeps the id field. The call reads nothing about any subject and is not
    logged as a look at a file.
    """
    return {
        "client_id": client.client_id,
        "role": client.role,
        "name": client.name,
        "subject_id": client.subject_id,
        "purposes": list(client.purposes),
    }


@router.get("/subjects/{subject_id}/file")
def subject_file(
    subject_id: str,
    client: SubjectOrOperator,
    ledger: LedgerDep,
    provider: ProviderDep,
    locale: Locale,
) -> dict[str, Any]:
    """A subject's whole file: records, score, history, decisions, reviews, disputes, who looked.

    ``reviews`` lists the subject's human-review cases (state, deadline, outcome, the reviewer's
    reason and note; a subject is not shown the clients' ids).

    ``refused_attempts`` lists the requests about this subject that were refused (a purpose
    the client may not use, another subject's client, an invalid token): who tried, for what,
    and why they were refused.

    ``explanation`` says what the current score is made of and what would change it: per
    dimension its points and range; per reason its plain words, how it clears and how many
    points separate the subject's value from the characteristic's best; for an unscorable
    subject, the minimum criteria and which are met. It is null where the provider is not a
    workspace's. Each access names the client (``client_name``, ``client_role``) that looked.

    The texts a person reads (the explanation, the notices, the reviews' reasons) are in
    ``locale`` (``?lang=`` or ``Accept-Language``); the records are as their furnishers sent them.
    """
    if client.role == "subject":
        if client.subject_id != subject_id:
            raise ApiError(
                403,
                "forbidden",
                N_("A subject may read only their own file."),
                refusal="not_own_file",
            )
        purpose = "subject_access"
    else:
        purpose = "dispute_handling"
    content = provider.file(subject_id)
    current = content.get("current_score") if isinstance(content, dict) else None
    if locale != DEFAULT_LOCALE and isinstance(current, dict) and "reasons" in current:
        reasons = localize_reasons(current["reasons"], locale)
        content = {**content, "current_score": {**current, "reasons": reasons}}
    explanation = (
        explain_subject(provider, subject_id, locale=locale)
        if isinstance(provider, WorkspaceProvider)
        else None
    )
    lg.log_access(
        ledger, client_id=client.client_id, subject_id=subject_id, purpose=purpose, action="file"
    )
    seen = lg.accesses(ledger, subject_id)
    refused = lg.refusals(ledger, subject_id=subject_id)
    lookers: dict[str, lg.Client | None] = {}
    for client_id in [*(a.client_id for a in seen), *(r.client_id for r in refused)]:
        if client_id is not None and client_id not in lookers:
            try:
                lookers[client_id] = lg.get_client(ledger, client_id)
            except NotFoundError:
                lookers[client_id] = None
    return {
        "locale": locale,
        "subject_id": subject_id,
        "file": content,
        "explanation": explanation,
        "score_history": [
            {"snapshot_id": s.snapshot_id, "as_of": s.as_of.isoformat(), "score": s.score,
             "status": s.status, "subscores": s.subscores, "model_version": s.model_version,
             "created_at": s.created_at.isoformat()}
            for s in lg.snapshots(ledger, subject_id)
        ],
        "decisions": [
            {"decision_id": d.decision_id, "purpose": d.purpose, "outcome": d.outcome,
             "adverse": d.adverse, "notice": _notice(d.notice, locale),
             "decided_at": d.decided_at.isoformat()}
            for d in lg.decisions(ledger, subject_id)
        ],
        "reviews": [
            localize_review(
                ReviewOut.of(c, for_subject=client.role == "subject").model_dump(mode="json"),
                locale,
            )
            for c in lg.review_cases(ledger, subject_id=subject_id)
        ],
        "disputes": [
            DisputeOut.of(d, locale).model_dump(mode="json")
            for d in lg.disputes(ledger, subject_id=subject_id)
        ],
        "suppressions": [
            SuppressionOut.of(s).model_dump(mode="json")
            for s in lg.suppressions(ledger, subject_id=subject_id)
        ],
        "accesses": [
            {"client_id": a.client_id, "purpose": a.purpose, "action": a.action,
             "at": a.at.isoformat(), "client_name": getattr(lookers[a.client_id], "name", None),
             "client_role": getattr(lookers[a.client_id], "role", None)}
            for a in seen
        ],
        "refused_attempts": [
            {"kind": r.kind, "client_id": r.client_id, "purpose": r.purpose,
             "reason": translate(locale, r.reason),
             "path": r.path, "at": r.at.isoformat(),
             "client_name": getattr(lookers.get(r.client_id or ""), "name", None),
             "client_role": getattr(lookers.get(r.client_id or ""), "role", None)}
            for r in refused
        ],
    }  # fmt: skip
