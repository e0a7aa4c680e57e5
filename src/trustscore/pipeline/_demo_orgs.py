"""The demo's organisations: their own features, scorecard, registry slot, scores and report.

Organisations are trained and reported apart from persons: the organisation feature set
(:data:`trustscore.features.ORG_FEATURES`, invoices against terms, credit, tax and regulatory
compliance, judgments), a scorecard fitted on organisations only (``subject_kind =
"organisation"`` on its card), registered, approved and promoted into the organisations' slot
of each purpose, and scored by that champion. Files beside the persons' (``<name>.organisation
<suffix>``): ``features``, ``validation``, ``scores``, ``report``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from trustscore.exceptions import DataQualityWarning, ModelError
from trustscore.features import compute_features, feature_bounds, kind_lineage, write_features
from trustscore.i18n import N_
from trustscore.ledger import Ledger
from trustscore.model import Scorecard
from trustscore.monitoring import roc_auc
from trustscore.pipeline._registry import champion_artifact
from trustscore.pipeline._workspace import Workspace
from trustscore.records import RecordStore
from trustscore.reports import model_report, write_report
from trustscore.scoring import ScorecardArtifact, untrue_reasons

__all__ = ["ORG_MINIMUM_CRITERIA", "OrganisationDemo", "demo_organisations"]

logger = logging.getLogger(__name__)

KIND: Final = "organisation"

#: An organisation's minimum scoring criteria: as a person's, counted in invoices.
ORG_MINIMUM_CRITERIA: Final[tuple[dict[str, Any], ...]] = (
    {
        "column": "months_history",
        "op": ">=",
        "value": 6,
        "text": N_("at least 6 months between the subject's first record and the as-of date"),
    },
    {
        "column": "n_records_12m",
        "op": ">=",
        "value": 1,
        "text": N_("at least one invoice or account report in the 12 months before the as-of date"),
    },
)


@dataclass
class OrganisationDemo:
    """What the organisations' part of the demo produced."""

    n_organisations: int
    n_scored: int
    model_version: str
    holdout_auc: float
    oracle_auc: float
    champion_of: tuple[str, ...]
    n_reasons: int
    n_untrue: int
    seconds: float


def _auc(y: Any, risk: Any) -> float:
    """The holdout's AUC; NaN where a small population's holdout has one class only."""
    try:
        return roc_auc(y, risk)
    except ModelError:
        return float("nan")


def demo_organisations(
    ws: Workspace,
    as_of: dt.date,
    *,
    seed: int,
    metadata: dict[str, dict[str, str]],
    directions: dict[str, int],
    govern: Callable[[Workspace, ScorecardArtifact, str], tuple[str, ...]],
    scorer: Callable[[ScorecardArtifact, pa.Table, dt.date], pa.Table],
    cutoffs: Sequence[float] | None = None,
) -> OrganisationDemo | None:
    """Train, register, score and report the organisations' own model; None when the
    population holds too few organisations (or events among them) to fit one: organisations
    are then not scored, never scored by the persons' model."""
    start = time.perf_counter()
    store = RecordStore(ws.store_dir)
    features = compute_features(store, as_of, subject_kind=KIND)
    if features.num_rows == 0:
        return None
    write_features(features, ws.kind_path(ws.features_path, KIND))
    outcomes = pq.read_table(ws.synth_dir / "outcomes.parquet")
    ids = pa.table({"subject_id": features.column("subject_id")})
    outcomes = outcomes.join(ids, "subject_id", join_type="inner").sort_by("subject_id")
    frame = features.join(outcomes, "subject_id").sort_by("subject_id").to_pandas()
    names = list(metadata)
    scorable = (frame["months_history"] >= 6) & (frame["n_records_12m"] >= 1)
    train = frame[(frame["split"] == "train") & scorable]
    hold = frame[(frame["split"] == "holdout") & scorable]
    columns = [*names, "months_history", "n_records_12m"]
    card = Scorecard(
        characteristics=metadata,
        directions=directions,
        bounds=feature_bounds(KIND),
        criteria=list(ORG_MINIMUM_CRITERIA),
        random_state=seed,
        subject_kind=KIND,
    )
    window = {
        "start": str(as_of.replace(year=as_of.year - 3)),
        "end": str(as_of),
        "as_of": str(as_of),
        "outcome": "an invoice 90+ days beyond terms or a credit account 90+ days past due "
        "in the 12 months after as_of",
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        try:
            card.fit(
                train[columns], train["target"].to_numpy(),
                eval_set=(hold[columns], hold["target"].to_numpy()),
                data_window=window, lineage=kind_lineage(KIND),
            )  # fmt: skip
        except ModelError as exc:  # too few organisations (or events) to fit and measure one
            logger.warning("The organisations' model was not trained: %s", exc.message)
            return None
    for w in caught:  # a small population's constant column, say: logged, not raised
        logger.warning("%s", w.message)
    art = card.to_artifact()
    validation = scorer(art, features, as_of)
    title = f"trustscore demo: validation of the organisations' model {art.model_version}"
    html = model_report(artifact=art, scores=validation, outcomes=outcomes, title=title,
                        cutoffs=cutoffs)  # fmt: skip
    write_report(html, ws.kind_path(ws.validation_report_path, KIND))
    champion_of = govern(ws, art, hashlib.sha256(html.encode("utf-8")).hexdigest())

    ledger = Ledger(ws.ledger_url)
    try:  # scored by the registry's champion for organisations, as the service does
        champion = champion_artifact(ledger, ws, "credit_pricing", subject_kind=KIND)
    finally:
        ledger.dispose()
    scores = scorer(champion, features, as_of)
    pq.write_table(scores, ws.kind_path(ws.scores_path, KIND))
    title = "trustscore demo: the organisations of a synthetic population"
    html = model_report(
        artifact=champion, scores=scores, outcomes=outcomes, cutoffs=cutoffs, title=title
    )
    write_report(html, ws.kind_path(ws.report_path, KIND))

    ok = pc.equal(scores.column("status"), "OK")
    held = scores.join(outcomes, "subject_id").filter(
        (pc.field("split") == "holdout") & (pc.field("status") == "OK")
    )
    y = held.column("target").to_numpy(zero_copy_only=False).astype(np.int8)
    return OrganisationDemo(
        n_organisations=features.num_rows,
        n_scored=int(pc.sum(ok).as_py() or 0),
        model_version=champion.model_version,
        holdout_auc=_auc(y, -held.column("score").to_numpy(zero_copy_only=False)),
        oracle_auc=_auc(y, held.column("oracle_p").to_numpy(zero_copy_only=False)),
        champion_of=champion_of,
        n_reasons=sum(
            int(pc.sum(pc.is_valid(scores.column(f"reason_{r}"))).as_py() or 0) for r in range(1, 5)
        ),
        n_untrue=len(untrue_reasons(champion, features, scores)),
        seconds=time.perf_counter() - start,
    )
