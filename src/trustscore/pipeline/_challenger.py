"""The challenger in shadow: scored beside the champion on a batch, compared, never decided with.

:func:`score_for_purpose` scores a feature table with the purpose's champion (the only scores a
decision may use) and, where the purpose has a challenger, with the challenger too, written
beside them under a name that says so (``<scores>.challenger.parquet``), with the comparison of
the two (:func:`compare_challenger`) as JSON and as a small HTML section.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from trustscore import ledger as lg
from trustscore.decisions import Policy, policy_for
from trustscore.pipeline._registry import challenger_artifact, champion_artifact
from trustscore.pipeline._workspace import Workspace
from trustscore.reports import challenger_report, write_report
from trustscore.scoring import ScorecardArtifact

__all__ = [
    "QUANTILES",
    "ShadowRun",
    "compare_challenger",
    "score_for_purpose",
    "shadow_paths",
    "tier_of",
]

#: The quantiles of the score shift the comparison reports.
QUANTILES: Final = (0.05, 0.25, 0.5, 0.75, 0.95)
NS_TIER: Final = "NS"


def tier_of(policy: Policy, score: int | None, status: str) -> str:
    """The policy's band (its outcome) for a score, or ``NS`` for an unscorable subject.

    Examples
    --------
    >>> from trustscore.decisions import policy_for
    >>> p = policy_for("credit_pricing", "m1")
    >>> tier_of(p, 800, "OK"), tier_of(p, 600, "OK"), tier_of(p, None, "NS")
    ('A', 'D', 'NS')
    """
    if status != "OK" or score is None:
        return NS_TIER
    return policy.band_for(int(score)).outcome


def _quantiles(values: np.ndarray[Any, Any]) -> dict[str, float | None]:
    if values.size == 0:
        return {f"q{round(q * 100):02d}": None for q in QUANTILES}
    return {f"q{round(q * 100):02d}": float(np.quantile(values, q)) for q in QUANTILES}


def compare_challenger(
    champion: pa.Table,
    challenger: pa.Table,
    champion_policy: Policy,
    challenger_policy: Policy,
) -> dict[str, Any]:
    """Compare a challenger's scores with the champion's, subject by subject (JSON-ready).

    Both tables have ``subject_id``, ``score``, ``status`` and ``reason_1``. The comparison
    holds the score shift (challenger minus champion, over subjects both score: mean and
    quantiles, beside each model's own mean and quantiles), the tier migration matrix (each
    model's tier under its own policy for the purpose, with ``NS`` as a tier: champion tier ->
    challenger tier -> count), and the share of subjects both score whose first reason changes.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from trustscore.decisions import policy_for
    >>> p = policy_for("credit_pricing", "m1")
    >>> a = pa.table({"subject_id": ["s1", "s2"], "score": [800, 600], "status": ["OK", "OK"],
    ...               "reason_1": ["R1", "R2"]})
    >>> b = pa.table({"subject_id": ["s2", "s1"], "score": [700, 790], "status": ["OK", "OK"],
    ...               "reason_1": ["R2", "R3"]})
    >>> c = compare_challenger(a, b, p, p)
    >>> c["shift"]["mean"], c["reasons"]["first_reason_changed"]
    (45.0, 0.5)
    >>> c["migration"]
    {'A': {'A': 1}, 'D': {'B': 1}}
    """
    names = ["subject_id", "score", "status", "reason_1"]
    left = {r["subject_id"]: r for r in champion.select(names).to_pylist()}
    right = {r["subject_id"]: r for r in challenger.select(names).to_pylist()}
    common = sorted(left.keys() & right.keys())
    both = [s for s in common if left[s]["status"] == "OK" and right[s]["status"] == "OK"]
    a = np.array([left[s]["score"] for s in both], dtype=np.float64)
    b = np.array([right[s]["score"] for s in both], dtype=np.float64)
    diff = b - a
    migration: dict[str, dict[str, int]] = {}
    for s in common:
        old = tier_of(champion_policy, left[s]["score"], left[s]["status"])
        new = tier_of(challenger_policy, right[s]["score"], right[s]["status"])
        row = migration.setdefault(old, {})
        row[new] = row.get(new, 0) + 1
    changed = sum(left[s]["reason_1"] != right[s]["reason_1"] for s in both)
    moved = sum(n for old, row in migration.items() for new, n in row.items() if new != old)
    return {
        "n_subjects": len(common),
        "n_both_scored": len(both),
        "champion_scores": {"mean": float(a.mean()) if a.size else None, **_quantiles(a)},
        "challenger_scores": {"mean": float(b.mean()) if b.size else None, **_quantiles(b)},
        "shift": {
            "mean": float(diff.mean()) if diff.size else None,
            "mean_abs": float(np.abs(diff).mean()) if diff.size else None,
            **_quantiles(diff),
        },
        "tiers": {
            "champion": [band.outcome for band in champion_policy.bands],
            "challenger": [band.outcome for band in challenger_policy.bands],
        },
        "migration": {old: dict(sorted(row.items())) for old, row in sorted(migration.items())},
        "tier_changed": moved / len(common) if common else None,
        "reasons": {
            "first_reason_changed": changed / len(both) if both else None,
            "n_changed": changed,
        },
    }


@dataclass(frozen=True)
class ShadowRun:
    """What :func:`score_for_purpose` wrote: the champion's scores, and the shadow's if any."""

    champion: ScorecardArtifact
    scores: pa.Table
    challenger: ScorecardArtifact | None = None
    challenger_scores: pa.Table | None = None
    comparison: dict[str, Any] | None = None
    paths: tuple[Path, ...] = ()


def shadow_paths(scores_path: Path) -> tuple[Path, Path, Path]:
    """Where the challenger's scores, the comparison JSON and its HTML go, beside the scores."""
    stem = scores_path.with_suffix("")
    return (
        stem.with_name(stem.name + ".challenger.parquet"),
        stem.with_name(stem.name + ".challenger.json"),
        stem.with_name(stem.name + ".challenger.html"),
    )


def score_for_purpose(
    ledger: lg.Ledger,
    workspace: Workspace,
    purpose: str,
    features: pa.Table,
    as_of: dt.date,
    scores_path: Path,
    *,
    scorer: Any,
    subject_kind: str = "person",
) -> ShadowRun:
    """Score ``features`` with the champion of ``purpose`` into ``scores_path``, and its
    challenger, if any, in shadow beside it (see the module's docstring).

    ``scorer(art, features, as_of)`` returns a score table (``subject_id``, ``model_version``,
    ``score``, ``status``, ``reason_1``...): the demo's :func:`score_features`. The models are
    those of ``subject_kind``'s slots (``features`` must be that kind's feature table).
    """
    champ = champion_artifact(ledger, workspace, purpose, subject_kind=subject_kind)
    scores: pa.Table = scorer(champ, features, as_of)
    pq.write_table(scores, scores_path)
    chall = challenger_artifact(ledger, workspace, purpose, subject_kind=subject_kind)
    if chall is None or chall.content_hash == champ.content_hash:
        for stale in shadow_paths(scores_path):
            stale.unlink(missing_ok=True)  # an earlier run's shadow is not this run's
        return ShadowRun(champ, scores, paths=(scores_path,))
    shadow: pa.Table = scorer(chall, features, as_of)
    parquet, json_path, html_path = shadow_paths(scores_path)
    pq.write_table(shadow, parquet)
    comparison = {
        "purpose": purpose,
        "as_of": as_of.isoformat(),
        "models": {
            "champion": {"model_version": champ.model_version, "model_hash": champ.content_hash},
            "challenger": {"model_version": chall.model_version, "model_hash": chall.content_hash},
        },
        **compare_challenger(
            scores, shadow,
            policy_for(purpose, champ.model_version, scaling=champ.scaling),
            policy_for(purpose, chall.model_version, scaling=chall.scaling),
        ),
    }  # fmt: skip
    json_path.write_text(json.dumps(comparison, indent=2) + "\n", encoding="utf-8")
    write_report(challenger_report(comparison), html_path)
    return ShadowRun(
        champ, scores, chall, shadow, comparison, (scores_path, parquet, json_path, html_path)
    )
