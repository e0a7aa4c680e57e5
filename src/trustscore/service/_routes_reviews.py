"""The human-review queue: reviewers decide cases, subjects ask for one, auditors see the counts.

A lender's decision that the policy refers to a person (near a cut-off, unscorable, flagged
inputs) is answered ``pending_review`` and opens a case; once a reviewer decides, the same
decision asked again is answered with the reviewer's outcome (:func:`review_gate`). A subject may
ask a person to review any decision about them within 30 days, with their point of view.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from trustscore import ledger as lg
from trustscore.decisions import PENDING_REVIEW, review_notice
from trustscore.exceptions import NotFoundError, PurposeError
from trustscore.i18n import DEFAULT_LOCALE, N_
from trustscore.pipeline import WorkspaceProvider
from trustscore.service._auth import LedgerDep, require
from trustscore.service._errors import ApiError
from trustscore.service._locale import Locale
from trustscore.service._provider import DecisionResult, SubjectProvider
from trustscore.service._review_schemas import ReviewDecision, ReviewOut, ReviewRequest
from trustscore.service._texts import localize_review

__all__ = ["ReviewGate", "open_gated_case", "review_gate", "router"]

router = APIRouter(prefix="/v1", tags=["reviews"])

Reviewer = Annotated[lg.Client, Depends(require("reviewer"))]
SubjectOrReviewer = Annotated[lg.Client, Depends(require("subject", "reviewer"))]
AuditorOrAdmin = Annotated[lg.Client, Depends(require("auditor", "admin"))]


@dataclass(frozen=True)
class ReviewGate:
    """What a lender's decision becomes: as decided, pending review, or a reviewer's outcome."""

    outcome: str
    adverse: bool
    notice: dict[str, Any] | None
    case: lg.ReviewCase | None = None
    #: a case to open once the decision is recorded (its decision id is then known)
    opening: lg.ReviewOpening | None = None

    def body(self) -> dict[str, Any] | None:
        """The ``review`` part of the lender's answer (None when no person is involved)."""
        case = self.case
        if case is None and self.opening is None:
            return None
        if case is None:
            return {"state": "open", "kind": self.opening.kind if self.opening else None}
        return {"case_id": case.case_id, "state": case.state, "kind": case.kind,
                "deadline": case.deadline.isoformat()}  # fmt: skip


def _key(result: DecisionResult, purpose: str) -> str:
    s = result["score"]
    return "|".join(
        ("lender", purpose, result["policy"], s["subject_id"], s["model_version"], s["as_of"],
         s["feature_hash"])
    )  # fmt: skip


def review_gate(ledger: lg.Ledger, result: DecisionResult, purpose: str) -> ReviewGate:
    """Never adverse while a person has not decided; the person's outcome once they have.

    A case for the same decision (same subject, purpose, policy, model, as-of date and features)
    decides the answer: pending while open or escalated, the reviewer's outcome once decided.
    Any other case of the subject and purpose still waiting for a person keeps the answer
    pending too. Otherwise a decision the policy refers to a person is pending and opens a case.
    """
    key = _key(result, purpose)
    subject = result["score"]["subject_id"]
    case = lg.pending_review_case(ledger, subject, purpose, key)
    if case is not None and not case.pending and case.final_outcome is not None:
        return ReviewGate(case.final_outcome, bool(case.final_adverse), case.final_notice, case)
    if case is not None:
        return ReviewGate(PENDING_REVIEW, False, None, case)
    referral = result.get("review") or {}
    if not referral.get("referred"):
        return ReviewGate(result["outcome"], result["adverse"], result["notice"])
    s = result["score"]
    opening = lg.ReviewOpening(
        referral_key=key, kind=referral["kinds"][0], kinds=referral["kinds"], subject_id=subject,
        purpose=purpose, policy=result["policy"], proposed_outcome=result["outcome"],
        options=referral["options"], review_days=int(referral["review_days"]),
        score=s["score"], score_status=s["status"],
        reasons=[r if isinstance(r, dict) else {"code": str(r)} for r in s["reasons"]],
        quality=list(referral.get("quality", [])),
        basis={"model_version": s["model_version"],
               "score_range": [s.get("score_range", {}).get("min", 0),
                               s.get("score_range", {}).get("max", 1000)],
               "subscores": dict(s["subscores"])},
    )  # fmt: skip
    return ReviewGate(PENDING_REVIEW, False, None, None, opening)


def open_gated_case(
    ledger: lg.Ledger, gate: ReviewGate, decision_id: int, actor: str
) -> ReviewGate:
    """Open the gate's case, linked to the recorded (pending) decision."""
    if gate.opening is None:
        return gate
    opening = replace(gate.opening, decision_id=decision_id)
    [case] = lg.open_review_cases(ledger, [opening], actor=actor)
    return ReviewGate(gate.outcome, gate.adverse, gate.notice, case)


def _visible(ledger: lg.Ledger, case_id: str, client: lg.Client) -> lg.ReviewCase:
    try:
        case = lg.get_review_case(ledger, case_id)
    except NotFoundError:
        case = None
    if case is None or (client.role == "subject" and case.subject_id != client.subject_id):
        raise ApiError(
            404, "not_found", N_("There is no review case {case_id} that this client may see."),
            params={"case_id": repr(case_id)}, details={"case_id": case_id},
        )  # fmt: skip
    return case


def _out(case: lg.ReviewCase, locale: str, *, for_subject: bool = False) -> ReviewOut:
    """A case as a person reads it: its reasons, options and notice in ``locale``."""
    out = ReviewOut.of(case, for_subject=for_subject)
    if locale == DEFAULT_LOCALE:
        return out
    return ReviewOut.model_validate(localize_review(out.model_dump(mode="json"), locale))


@router.get("/reviews")
def list_reviews(
    client: SubjectOrReviewer,
    ledger: LedgerDep,
    locale: Locale,
    state: Annotated[
        str | None, Query(pattern="^(open|escalated|decided|pending)$",
                          description="open, escalated, decided, or pending (not decided)")
    ] = None,
) -> list[ReviewOut]:  # fmt: skip
    """The review queue, the earliest deadline first; a subject sees only their own cases."""
    if client.role == "subject":
        cases = lg.review_cases(ledger, state, subject_id=client.subject_id)
        return [_out(c, locale, for_subject=True) for c in cases]
    return [_out(c, locale) for c in lg.review_cases(ledger, state)]


@router.get("/reviews/report")
def review_report(_client: AuditorOrAdmin, ledger: LedgerDep, request: Request) -> dict[str, Any]:
    """Counts for auditors, without subject ids: per reviewer confirmations and overrides by
    outcome and median seconds to decide; by referral kind; the override rate per protected
    group where the workspace holds the groups apart (``override_rate_by_group``, else null)."""
    provider: SubjectProvider | None = request.app.state.provider
    groups = None
    if isinstance(provider, WorkspaceProvider):
        path = provider.workspace.synth_dir / "protected.parquet"
        if path.is_file():
            import pyarrow.parquet as pq

            table = pq.read_table(path, columns=["subject_id", "group"])
            groups = dict(
                zip(table.column("subject_id").to_pylist(),
                    (str(g) for g in table.column("group").to_pylist()), strict=True)
            )  # fmt: skip
    return lg.review_report(ledger, groups)


@router.get("/reviews/{case_id}")
def get_review(
    case_id: str, client: SubjectOrReviewer, ledger: LedgerDep, locale: Locale
) -> ReviewOut:
    """One case: for reviewers, and for the subject it is about.

    A reviewer's read is logged: the subject sees it among who looked, and the auditors' report
    measures the reviewer's decision from it.
    """
    case = _visible(ledger, case_id, client)
    if client.role == "reviewer":
        lg.record_review_view(ledger, case, client.client_id)
    return _out(case, locale, for_subject=client.role == "subject")


@router.post("/reviews/{case_id}/decision")
def decide_review(
    case_id: str, body: ReviewDecision, reviewer: Reviewer, ledger: LedgerDep, locale: Locale
) -> ReviewOut:
    """Decide a case: confirm or override the proposed outcome within the policy's bounds.

    A reviewer may not decide a case about themselves (a reviewer client bound to the case's
    subject) or one they opened (403). An adverse final outcome carries its notice, with the
    reviewer's reason first; the decision is recorded in the ledger and the audit chain.
    """
    case = _visible(ledger, case_id, reviewer)
    if reviewer.subject_id is not None and reviewer.subject_id == case.subject_id:
        raise ApiError(403, "forbidden", N_("A reviewer may not decide a case about themselves; "
                       "another reviewer must."), details={"conflict": "own_subject"})  # fmt: skip
    if case.opened_by == reviewer.client_id:
        raise ApiError(403, "forbidden", N_("A reviewer may not decide a case they opened; "
                       "another reviewer must."), details={"conflict": "own_case"})  # fmt: skip
    notice = review_notice(case, body.outcome, body.reason, body.note)
    decided = lg.decide_review_case(
        ledger, case_id, reviewer.client_id, body.outcome, body.reason, note=body.note,
        notice=notice,
    )  # fmt: skip
    return _out(decided, locale)


@router.post("/reviews", status_code=201)
def request_review(
    body: ReviewRequest, client: Annotated[lg.Client, Depends(require("subject"))],
    ledger: LedgerDep, request: Request, locale: Locale,
) -> ReviewOut:  # fmt: skip
    """Ask a person to review one of your decisions (within 30 days), with your point of view.

    The case joins the reviewers' queue (or, if the decision already waits for a person, your
    statement and documents are added to its case); its state and outcome show on your file.
    """
    subject_id = str(client.subject_id)
    mine = {d.decision_id: d for d in lg.decisions(ledger, subject_id)}
    decision = mine.get(body.decision_id)
    if decision is None:
        raise ApiError(
            404, "not_found",
            N_("You have no decision {decision_id}; your file lists your decisions."),
            params={"decision_id": body.decision_id}, details={"decision_id": body.decision_id},
        )  # fmt: skip
    options: list[dict[str, Any]] = []
    review_days = 5
    provider: SubjectProvider | None = request.app.state.provider
    if provider is not None and decision.outcome != PENDING_REVIEW:
        # the policy's bounds for this purpose, as the provider applies it now
        try:
            referral = provider.decide(subject_id, decision.purpose).get("review") or {}
        except (NotFoundError, PurposeError):
            # the subject is no longer scored, or the model no longer serves the purpose: the
            # reviewer keeps or changes the decision's own outcome only
            referral = {}
        options = list(referral.get("options", []))
        review_days = int(referral.get("review_days", review_days))
    case = lg.request_review(
        ledger, subject_id, body.decision_id, body.statement, options=options,
        review_days=review_days, documents=[d.model_dump() for d in body.documents],
        actor=client.client_id,
    )  # fmt: skip
    return _out(case, locale, for_subject=True)
