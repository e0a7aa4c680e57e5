"""Applying a policy to scores: vectorised over a score table, or one subject at a time."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from trustscore.decisions._guard import check_purpose
from trustscore.decisions._notice import AdverseActionNotice, NoticeReason, SubScore
from trustscore.decisions._policy import NS_EXPLANATION, Policy
from trustscore.exceptions import PurposeError, SchemaError
from trustscore.scoring._artifact import MAX_REASONS, ScorecardArtifact
from trustscore.scoring._quality import QUALITY_COLUMN, parse_quality

__all__ = ["DECISION_COLUMNS", "Decision", "adverse_notices", "decide", "decide_one"]

DECISION_COLUMNS: Final = ("outcome", "label", "adverse", "review", "terms")
REASON_COLUMNS: Final = tuple(f"reason_{i}" for i in range(1, MAX_REASONS + 1))
NS_LABEL: Final = "Referred to human review: not enough history to score (unscorable is not bad)"


def _check_model(policy: Policy, artifact: ScorecardArtifact, scores: pa.Table) -> None:
    if policy.model_version != artifact.model_version:
        msg = (
            f"Policy {policy.name!r} is bound to model {policy.model_version}, but the artifact "
            f"is model {artifact.model_version}. Build a policy for this model, e.g. "
            f"policy_for({policy.purpose!r}, {artifact.model_version!r})."
        )
        raise PurposeError(msg, policy=policy.name, model_version=artifact.model_version)
    if "model_version" in scores.column_names:
        versions = {v for v in pc.unique(scores.column("model_version")).to_pylist() if v}
        other = sorted(str(v) for v in versions - {artifact.model_version})
        if other:
            msg = (
                f"The score table holds scores of model(s) {other}, not only of "
                f"{artifact.model_version}; decide on each model's scores with its own policy."
            )
            raise PurposeError(msg, model_version=artifact.model_version)


def _score_and_status(scores: pa.Table) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    missing = [c for c in ("score", "status") if c not in scores.column_names]
    if missing:
        msg = (
            f"The score table has no column(s) {missing}; expected the columns of "
            "trustscore.scoring.score (subject_id, score, status, dimensions, reason_1..4)."
        )
        raise SchemaError(msg, field=missing[0])
    s = pc.cast(scores.column("score"), pa.float64()).to_numpy(zero_copy_only=False)
    status = np.asarray(scores.column("status").to_pylist(), dtype=object)
    bad = ~np.isin(status, ("OK", "NS"))
    if bad.any():
        i = int(np.argmax(bad))
        msg = f"Row {i} of the score table has status {status[i]!r}; expected 'OK' or 'NS'."
        raise SchemaError(msg, field="status", row=i, value=status[i])
    ok = status == "OK"
    null_ok = ok & np.isnan(s)
    if null_ok.any():
        i = int(np.argmax(null_ok))
        msg = f"Row {i} of the score table has status 'OK' but no score."
        raise SchemaError(msg, field="score", row=i)
    return s, ok


def _flagged(policy: Policy, scores: pa.Table) -> np.ndarray[Any, Any]:
    """Rows whose inputs carry quality flags, where the policy sends those to review."""
    if not policy.review_flagged:
        return np.zeros(scores.num_rows, dtype=bool)
    if QUALITY_COLUMN not in scores.column_names:
        msg = (
            f"Policy {policy.name!r} sends flagged scores to review (review_flagged=True), but "
            f"the score table has no {QUALITY_COLUMN!r} column; score with quality=True."
        )
        raise SchemaError(msg, field=QUALITY_COLUMN, policy=policy.name)
    flags = pc.fill_null(pc.not_equal(scores.column(QUALITY_COLUMN), ""), False)
    return np.asarray(flags.to_numpy(zero_copy_only=False), dtype=bool)


def decide(policy: Policy, artifact: ScorecardArtifact, scores: pa.Table) -> pa.Table:
    """Apply ``policy`` to every row of a score table.

    The purpose guard runs first (:func:`check_purpose`), and the policy, the artifact and the
    table's ``model_version`` column (if any) must name the same model.

    Parameters
    ----------
    policy : Policy
        The policy, bound to one purpose and one model.
    artifact : ScorecardArtifact
        The model the scores come from.
    scores : pyarrow.Table
        A score table (``score`` int32 nullable, ``status`` "OK"/"NS", optional
        ``subject_id``, dimension and ``reason_1``..``reason_4`` columns).

    Returns
    -------
    pyarrow.Table
        The input columns followed by ``outcome`` (string), ``label`` (string), ``adverse``
        (bool), ``review`` (bool: near a cut-off, unscorable, or, with the policy's
        ``review_flagged``, carrying input-quality flags, which the kept ``quality`` column
        names) and ``terms`` (JSON string).
        Existing columns with these names are replaced. NS rows get the policy's
        ``ns_outcome`` ("refer"), never an adverse outcome.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from trustscore.decisions import Band, Policy
    >>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
    >>> art = ScorecardArtifact.from_dict(example_artifact_dict())
    >>> policy = Policy("demo", "credit_pricing", "example-1", review_margin=5, bands=(
    ...     Band(100, "A", "Tier A", terms={"rate_margin_pct": 2.0}),
    ...     Band(0, "decline", "Declined", adverse=True)))
    >>> scores = pa.table({"score": pa.array([150, 98, None], pa.int32()),
    ...                    "status": ["OK", "OK", "NS"]})
    >>> out = decide(policy, art, scores)
    >>> out.column("outcome").to_pylist(), out.column("review").to_pylist()
    (['A', 'decline', 'refer'], [False, True, True])
    >>> out.column("adverse").to_pylist()
    [False, True, False]
    """
    check_purpose(artifact, policy.purpose)
    _check_model(policy, artifact, scores)
    s, ok = _score_and_status(scores)
    bands = policy.bands
    mins_ascending = np.asarray([b.min_score for b in reversed(bands)], dtype=np.float64)
    filled = np.where(ok, s, mins_ascending[0])
    pos = np.searchsorted(mins_ascending, filled, side="right") - 1
    idx = len(bands) - 1 - np.clip(pos, 0, len(bands) - 1)

    outcomes = np.asarray([b.outcome for b in bands], dtype=object)[idx]
    labels = np.asarray([b.label for b in bands], dtype=object)[idx]
    adverse = np.asarray([b.adverse for b in bands], dtype=bool)[idx]
    terms = np.asarray([json.dumps(dict(b.terms), sort_keys=True) for b in bands], dtype=object)
    terms = terms[idx]
    review = np.zeros(s.shape, dtype=bool)
    if policy.review_margin > 0:
        for cutoff in policy.cutoffs:
            review |= np.abs(filled - cutoff) < policy.review_margin
    review |= _flagged(policy, scores)
    ns = ~ok
    outcomes[ns] = policy.ns_outcome
    labels[ns] = NS_LABEL
    adverse[ns] = False
    review[ns] = True
    terms[ns] = "{}"

    keep = [c for c in scores.column_names if c not in DECISION_COLUMNS]
    out = scores.select(keep)
    out = out.append_column("outcome", pa.array(outcomes.tolist(), pa.string()))
    out = out.append_column("label", pa.array(labels.tolist(), pa.string()))
    out = out.append_column("adverse", pa.array(adverse, pa.bool_()))
    out = out.append_column("review", pa.array(review, pa.bool_()))
    return out.append_column("terms", pa.array(terms.tolist(), pa.string()))


@dataclass(frozen=True)
class Decision:
    """One subject's decision, with the adverse-action notice when the outcome is adverse."""

    subject_id: str | None
    score: int | None
    status: str
    outcome: str
    label: str
    adverse: bool
    review: bool
    terms: Mapping[str, Any] = field(hash=False)
    purpose: str
    policy: str
    model_version: str
    explanation: str = ""
    notice: AdverseActionNotice | None = None
    #: the input-quality flags (``kind:characteristic``) that sent it to review, if any
    quality_flags: tuple[str, ...] = ()


def _notice(
    policy: Policy, artifact: ScorecardArtifact, row: Mapping[str, Any], label: str, outcome: str
) -> AdverseActionNotice:
    reasons: list[NoticeReason] = []
    for col in REASON_COLUMNS:
        code = row.get(col)
        if code is None or code == "":
            continue
        try:
            reason, improve = artifact.reason_text(str(code))
        except KeyError:
            msg = (
                f"The score row gives reason code {code!r} in {col}, which model "
                f"{artifact.model_version} does not define; were these scores made by "
                "another model?"
            )
            raise SchemaError(msg, field=col, value=code) from None
        reasons.append(NoticeReason(str(code), reason, improve))
    subject = row.get("subject_id")
    return AdverseActionNotice(
        subject_id=None if subject is None else str(subject),
        outcome=outcome,
        label=label,
        purpose=policy.purpose,
        policy=policy.name,
        model_version=artifact.model_version,
        score=int(row["score"]),
        score_range=artifact.score_range,
        reasons=tuple(reasons[:MAX_REASONS]),
        subscores=tuple(
            SubScore(label, int(row[name]), *artifact.dimension_range(name))
            for name, label in artifact.dimensions
            if row.get(name) is not None
        ),
    )


def decide_one(policy: Policy, artifact: ScorecardArtifact, row: Mapping[str, Any]) -> Decision:
    """Decide for one score row (a mapping with ``score``, ``status``, ``reason_1``.. keys).

    Examples
    --------
    >>> from trustscore.decisions import credit_pricing_policy
    >>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
    >>> art = ScorecardArtifact.from_dict(example_artifact_dict())
    >>> policy = credit_pricing_policy("example-1")
    >>> d = decide_one(policy, art, {"subject_id": "s1", "score": 70, "status": "OK",
    ...                              "reason_1": "CH01", "reason_2": "PR01"})
    >>> d.outcome, d.adverse, [r.code for r in d.notice.reasons]
    ('decline', True, ['CH01', 'PR01'])
    >>> decide_one(policy, art, {"score": None, "status": "NS"}).outcome
    'refer'
    """
    score = row.get("score")
    table = pa.table(
        {
            "score": pa.array([score], pa.int32()),
            "status": pa.array([row.get("status")], pa.string()),
        }
    )
    if row.get("model_version") is not None:
        table = table.append_column("model_version", pa.array([row["model_version"]]))
    if QUALITY_COLUMN in row:
        table = table.append_column(QUALITY_COLUMN, pa.array([row[QUALITY_COLUMN]], pa.string()))
    decided = decide(policy, artifact, table).to_pylist()[0]
    flags = (
        tuple(f"{k}:{c}" for k, c in parse_quality(row.get(QUALITY_COLUMN)))
        if policy.review_flagged
        else ()
    )
    explanation = NS_EXPLANATION if decided["status"] == "NS" else ""
    if flags:
        said = ", ".join(
            f"{c} ({k.replace('_', ' ')})" for k, c in parse_quality(row[QUALITY_COLUMN])
        )
        explanation = (explanation + " " if explanation else "") + (
            f"Sent to human review: input-quality flags on {said}."
        )
    subject = row.get("subject_id")
    notice = None
    if decided["adverse"]:
        notice = _notice(policy, artifact, row, decided["label"], decided["outcome"])
    return Decision(
        subject_id=None if subject is None else str(subject),
        score=None if score is None or decided["status"] == "NS" else int(score),
        status=decided["status"],
        outcome=decided["outcome"],
        label=decided["label"],
        adverse=decided["adverse"],
        review=decided["review"],
        terms=json.loads(decided["terms"]),
        purpose=policy.purpose,
        policy=policy.name,
        model_version=artifact.model_version,
        explanation=explanation,
        notice=notice,
        quality_flags=flags,
    )


def adverse_notices(
    policy: Policy, artifact: ScorecardArtifact, decided: pa.Table
) -> list[AdverseActionNotice]:
    """The notices for every adverse row of a table returned by :func:`decide`.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from trustscore.decisions import credit_pricing_policy
    >>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
    >>> art = ScorecardArtifact.from_dict(example_artifact_dict())
    >>> policy = credit_pricing_policy("example-1")
    >>> scores = pa.table({"score": pa.array([70], pa.int32()), "status": ["OK"],
    ...                    "reason_1": ["PR01"]})
    >>> [n.reasons[0].reason for n in adverse_notices(policy, art, decide(policy, art, scores))]
    ['Bills paid after their due date']
    """
    check_purpose(artifact, policy.purpose)
    missing = [c for c in ("adverse", "outcome", "label", "score") if c not in decided.column_names]
    if missing:
        msg = f"The table has no column(s) {missing}; pass the table returned by decide()."
        raise SchemaError(msg, field=missing[0])
    rows = decided.filter(pc.fill_null(decided.column("adverse"), False)).to_pylist()
    return [_notice(policy, artifact, r, r["label"], r["outcome"]) for r in rows]
