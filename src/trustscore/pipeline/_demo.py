"""The whole chain on a synthetic population: what ``trustscore demo`` runs.

synthesise → ingest (validate, store, quarantine) → ingest the furnishers' later delivery (new
versions of records, deletions) → as-of features → fit the scorecard on the training split →
register it → score everyone from the artifact alone → validation report → a validator (not
the registrant) approves it for its card's purposes and promotes it → purpose-bound decisions
with the champion → report → three synthetic monthly monitoring runs, the last with injected
drift.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from typing import Any, Final, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from trustscore import ledger as lg
from trustscore.decisions import Policy, credit_pricing_policy, decide, review_openings
from trustscore.exceptions import ModelError, SchemaError
from trustscore.features import (
    DEFAULT_CONSENT_CATEGORIES,
    FEATURES,
    compute_features,
    count_bills_without_consent,
    end_of_day,
    feature_bounds,
    feature_changeability,
    feature_labels,
    feature_lineage,
    feature_set,
    write_features,
)
from trustscore.i18n import N_
from trustscore.ledger import Ledger, open_review_cases, review_report
from trustscore.model import Scorecard, search_less_discriminatory
from trustscore.monitoring import roc_auc
from trustscore.pipeline._challenger import score_for_purpose
from trustscore.pipeline._consents import load_consent_file
from trustscore.pipeline._demo_monitoring import MonitoringDemo, demo_monitoring
from trustscore.pipeline._demo_orgs import OrganisationDemo, demo_organisations
from trustscore.pipeline._fairsearch import write_search
from trustscore.pipeline._furnishers import furnisher_report
from trustscore.pipeline._latest import subjects_changed_after
from trustscore.pipeline._publish import (
    PublishedCheck,
    publish_scores,
    published_differences,
    recheck_published,
)
from trustscore.pipeline._registry import (
    artifact_subject_kind,
    registry_moved,
    store_and_register,
)
from trustscore.pipeline._workspace import Workspace
from trustscore.records import IngestResult, RecordStore, ingest
from trustscore.reports import model_report, write_report
from trustscore.scoring import ScorecardArtifact, UntrueReason, score, untrue_reasons
from trustscore.synth import UPDATE_KINDS, generate, split_deliveries

__all__ = [
    "DEFAULT_AS_OF",
    "FIRST_DELIVERY_TIME",
    "MINIMUM_CRITERIA",
    "UPDATES_TIME",
    "DemoSummary",
    "Reporter",
    "characteristics_metadata",
    "feature_directions",
    "run_demo",
    "score_features",
]

logger = logging.getLogger(__name__)

# (stage, done, total): the CLI turns these into progress bars.
Reporter = Callable[[str, int, int | None], None]

DEFAULT_AS_OF: Final = dt.date(2025, 12, 31)

# The minimum scoring criteria: below them a subject is "NS" (unscorable), never a low number.
MINIMUM_CRITERIA: Final[tuple[dict[str, Any], ...]] = (
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
        "text": N_("at least one bill or account report in the 12 months before the as-of date"),
    },
)

# Order of ingestion: subjects first, so the store knows who exists (and their kinds).
INGEST_ORDER: Final = (
    "subject", "obligation", "tradeline", "public_record", "inquiry", "supplier_payment",
)  # fmt: skip
# History is back-filled: stamped as delivered late on the as-of day; the furnishers' updates
# arrive half an hour later, so a replay with a cutoff between the two sees the first delivery.
FIRST_DELIVERY_TIME: Final = dt.time(23, 0)
UPDATES_TIME: Final = dt.time(23, 30)
#: Share of each updated kind's records that the later delivery sends again.
UPDATE_SHARE: Final = 0.1
#: The search for a less discriminatory card runs on a seeded sample of this many scorable
#: subjects, which keeps it to seconds beside the demo's minutes; the group searched for.
SEARCH_ROWS: Final = 12_000
SEARCH_GROUP: Final = "B"
#: The workspace's folder for the search's files (search.json, search.html, model.json).
SEARCH_DIR: Final = "fairness"


#: Subjects with something known after the batch's cutoff whose published rows are recomputed
#: one at a time by the demo (about a second each at 10^5 subjects; the rest are counted).
RECHECK_SUBJECTS: Final = 25


def _check_published(
    ws: Workspace, ledger: Ledger, art: ScorecardArtifact, scores: pa.Table, as_of: dt.date,
    consent_categories: Collection[str],
) -> PublishedCheck:  # fmt: skip
    """Every published row against the batch: the service and the reports must say the same of
    each subject, but for what became known after the batch's cutoff (the last moment of the
    as-of day), which only the published rows know; a sample of those is recomputed per
    subject. (A cutoff a microsecond later missed consents that took effect at midnight: 8
    subjects of 100 000 counted as defects.)"""
    store = RecordStore(ws.store_dir)
    # the batch's features were computed without known_at: their cutoff is the day's end
    later = subjects_changed_after(store, end_of_day(as_of))
    check = published_differences(ledger, scores, changed_since=later or ())
    if later is None:  # pragma: no cover - the demo's batches name their subjects
        return check
    sample = sorted(later & set(scores.column("subject_id").to_pylist()))[:RECHECK_SUBJECTS]
    wrong = recheck_published(ledger, store, art, sample, consent_categories=consent_categories)
    return replace(
        check, differ=check.differ + len(wrong), examples=check.examples + tuple(wrong),
        rechecked=len(sample) - len(wrong),
    )  # fmt: skip


def _quiet(_stage: str, _done: int, _total: int | None) -> None:
    return None


@dataclass
class DemoSummary:
    """What a demo run produced, with the numbers the CLI prints."""

    workspace: Workspace
    as_of: dt.date
    n_subjects: int
    ingest: list[IngestResult] = field(default_factory=list)
    updates: list[IngestResult] = field(default_factory=list)
    n_scored: int = 0
    n_unscorable: int = 0
    holdout_auc: float = float("nan")
    oracle_auc: float = float("nan")
    model_version: str = ""
    examples: list[dict[str, Any]] = field(default_factory=list)
    #: reasons given to the scored subjects, and those their own features do not bear out
    n_reasons: int = 0
    untrue: list[UntrueReason] = field(default_factory=list)
    #: human-review cases in the workspace's ledger, by referral kind (near_cutoff, ...)
    review_cases: dict[str, int] = field(default_factory=dict)
    #: consent events loaded into the ledger, and bills as of ``as_of`` left out for lack of
    #: consent (the subject never granted it for the bill's category, or withdrew it)
    n_consent_events: int = 0
    n_bills_without_consent: int = 0
    #: the synthetic monthly monitoring runs (``monitoring/``), one with injected drift
    monitoring: MonitoringDemo | None = None
    #: the less-discriminatory search (fairness/search.html): the card chosen (None: none
    #: found) and why
    search_chosen: str | None = None
    search_why: str = ""
    #: the purposes the trained model was approved for and is champion of
    champion_of: tuple[str, ...] = ()
    #: subjects whose latest score was written to the ledger's keyed store for the service
    n_published: int = 0
    #: every published row checked against the batch's scores (None: not checked)
    published: PublishedCheck | None = None
    #: the organisations' own model, trained, registered, scored and reported apart
    organisations: OrganisationDemo | None = None

    @property
    def auc_ratio(self) -> float:
        return self.holdout_auc / self.oracle_auc


def characteristics_metadata(subject_kind: str = "person") -> dict[str, dict[str, str]]:
    """Dimension, reason and no-information texts of every feature of ``subject_kind``'s set,
    as :class:`Scorecard` takes them."""
    change, labels = feature_changeability(subject_kind), feature_labels(subject_kind)
    return {
        f.name: {
            "dimension": f.dimension,
            "reason_code": f.reason_code,
            "reason": f.reason,
            "improve": f.improve,
            "missing_reason_code": f.missing_reason_code,
            "missing_reason": f.missing_reason,
            "missing_improve": f.missing_improve,
            "change": change[f.name],
            "label": labels[f.name],
        }
        for f in feature_set(subject_kind)
    }


def feature_directions(subject_kind: str = "person") -> dict[str, int]:
    """The declared direction of every feature that has one (+1 more is better, -1 worse)."""
    return {f.name: f.direction for f in feature_set(subject_kind) if f.direction}


def score_features(
    art: ScorecardArtifact, features: pa.Table, as_of: dt.date, *, engine: str = "kernel"
) -> pa.Table:
    """Score a feature table and add subject_id, model_version and as_of (scores.parquet)."""
    scored = score(art, features, engine=cast(Any, engine), quality=True)
    n = features.num_rows
    out = scored.add_column(0, "subject_id", features.column("subject_id"))
    out = out.append_column("model_version", pa.array([art.model_version] * n, pa.string()))
    return out.append_column("as_of", pa.array([as_of] * n, pa.date32()))


def _ingest_all(
    ws: Workspace, as_of: dt.date, report: Reporter
) -> tuple[list[IngestResult], list[IngestResult]]:
    """Ingest the first delivery, then the updates; the results of each."""
    store = RecordStore(ws.store_dir)
    first_at = dt.datetime.combine(as_of, FIRST_DELIVERY_TIME, tzinfo=dt.UTC)
    updates_at = dt.datetime.combine(as_of, UPDATES_TIME, tzinfo=dt.UTC)
    files = [(ws.synth_dir / f"{kind}.parquet", kind, first_at) for kind in INGEST_ORDER]
    files += [
        (path, kind, updates_at)
        for kind in UPDATE_KINDS
        if (path := ws.synth_dir / "updates" / f"{kind}.parquet").is_file()
    ]
    results = []
    for i, (path, kind, at) in enumerate(files):
        report("ingest", i, len(files))
        results.append(ingest(path, store, kind=kind, ingested_at=at))
    report("ingest", len(files), len(files))
    return results[: len(INGEST_ORDER)], results[len(INGEST_ORDER) :]


def _examples(decisions: pa.Table) -> list[dict[str, Any]]:
    """Three subjects to show: the best score, an adverse decision, and an unscorable one."""
    rows = decisions.to_pylist()
    picks: list[dict[str, Any]] = []
    ok = [r for r in rows if r["status"] == "OK"]
    if ok:
        picks.append(max(ok, key=lambda r: (r["score"], r["subject_id"])))
        adverse = [r for r in ok if r.get("adverse")]
        if adverse:
            picks.append(adverse[len(adverse) // 2])
    ns = [r for r in rows if r["status"] == "NS"]
    if ns:
        picks.append(ns[0])
    return picks[:3]


def _open_reviews(
    ws: Workspace, policy: Policy, art: ScorecardArtifact, decisions: pa.Table, as_of: dt.date
) -> dict[str, Any]:
    """Open a human-review case in the workspace's ledger for every decision in review.

    Keyed by the run's as-of date, purpose and subject, so running the demo again opens none
    twice. Returns the queue's report (counts by referral kind, no subject ids).
    """
    openings = review_openings(policy, art, decisions, key_prefix=f"demo|{as_of.isoformat()}")
    ledger = Ledger(ws.ledger_url)
    try:
        ledger.upgrade()
        open_review_cases(ledger, openings, actor="demo")
        return review_report(ledger)
    finally:
        ledger.dispose()


#: The demo's two people of the registry: who registers the model, and who validates it.
DEMO_DEVELOPER: Final = "demo model developer"
DEMO_VALIDATOR: Final = "demo model validator"


def _demo_client(ledger: Ledger, role: str, name: str) -> str:
    """The id of the workspace's demo client of this role and name, created the first time."""
    for client in lg.clients(ledger):
        if client.name == name and client.role == role and client.active:
            return client.client_id
    return lg.create_client(ledger, role, name=name, actor="demo")[0].client_id


def _govern(ws: Workspace, art: ScorecardArtifact, report_sha256: str) -> tuple[str, ...]:
    """Register the model, have a validator approve it for its card's purposes, promote it.

    The developer registers; a second client, a validator, approves after reading the
    validation report (its hash is kept); then promotes it champion of each purpose.
    """
    ledger = Ledger(ws.ledger_url)
    try:
        ledger.upgrade()
        developer = _demo_client(ledger, "operator", DEMO_DEVELOPER)
        validator = _demo_client(ledger, "validator", DEMO_VALIDATOR)
        model = store_and_register(ledger, ws, art, registered_by=developer, via=("CLI", "demo"))
        purposes = tuple(art.approved_purposes)
        missing = [p for p in purposes if p not in model.approved_purposes]
        if missing:
            lg.approve_model(
                ledger, model.model_hash, missing, validator=validator,
                report_hash=f"sha256:{report_sha256}", via=("CLI", "demo"),
            )  # fmt: skip
        kind = artifact_subject_kind(art)  # the slot of the model's own kind of subject
        for purpose in purposes:
            champ = lg.champion(ledger, purpose, subject_kind=kind)
            if champ is None or champ.model_hash != model.model_hash:
                lg.promote_model(
                    ledger, model.model_hash, purpose, actor=validator, via=("CLI", "demo")
                )
        registry_moved(ledger, ws)
        return purposes
    finally:
        ledger.dispose()


def _shown(settings: dict[str, Any]) -> str:
    return (
        f"{settings['n_subjects']:,} subjects (seed {settings['seed']}, as of "
        f"{settings['as_of']}, dirty rate {settings['dirty_rate']})"
    )


def _claim(ws: Workspace, settings: dict[str, Any]) -> None:
    """Record the demo's settings in ``ws``, or refuse a workspace that holds another demo."""
    marker = ws.root / "demo.json"
    held: dict[str, Any] | None = None
    if marker.is_file():
        held = json.loads(marker.read_text(encoding="utf-8"))
    elif ws.store_dir.exists() and any(ws.store_dir.iterdir()):
        msg = (
            f"{ws.root} already holds a record store that no demo run wrote; the demo would mix "
            "its synthetic records into it. Choose another --out, or remove the folder."
        )
        raise SchemaError(msg, file=str(ws.store_dir))
    if held is not None and held != settings:
        msg = (
            f"{ws.root} holds a demo of {_shown(held)}; this run asks for {_shown(settings)}. "
            "Its store would mix the two populations. Choose another --out, or remove the folder."
        )
        raise SchemaError(msg, file=str(marker))
    marker.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")


def run_demo(
    root: str = "trustscore-demo",
    *,
    n_subjects: int = 100_000,
    seed: int = 0,
    as_of: dt.date = DEFAULT_AS_OF,
    dirty_rate: float = 0.0005,
    report: Reporter = _quiet,
    consent_categories: Collection[str] = DEFAULT_CONSENT_CATEGORIES,
) -> DemoSummary:
    """Run the whole chain into ``root`` and return what it produced.

    A workspace that already holds a demo of other settings (or records of unknown origin) is
    refused before anything is written: its store would mix two populations, and the scores
    and reasons would describe people of neither. Running again with the same settings is safe
    (an identical re-send is no new record).

    The synthetic subjects' consent events are recorded in the workspace's ledger and copied
    to the store before the features are computed: bills of ``consent_categories`` count only
    with a consent in force (see :mod:`trustscore.features._consent`), and the summary says how
    many were left out.
    """
    ws = Workspace(root).create()
    _claim(ws, {"n_subjects": n_subjects, "seed": seed, "as_of": as_of.isoformat(),
                "dirty_rate": dirty_rate})  # fmt: skip
    summary = DemoSummary(workspace=ws, as_of=as_of, n_subjects=n_subjects)

    generate(
        ws.synth_dir,
        n_subjects=n_subjects,
        seed=seed,
        as_of=as_of,
        dirty_rate=dirty_rate,
        progress=lambda done, total: report("synthesise", done, total),
    )
    split_deliveries(ws.synth_dir, as_of=as_of, share=UPDATE_SHARE, seed=seed)
    summary.ingest, summary.updates = _ingest_all(ws, as_of, report)

    report("consent", 0, None)
    store = RecordStore(ws.store_dir)
    ledger = lg.Ledger(ws.ledger_url)
    try:
        ledger.upgrade()
        summary.n_consent_events, _ = load_consent_file(
            ledger, store, ws.synth_dir / "consent.parquet"
        )
    finally:
        ledger.dispose()
    summary.n_bills_without_consent = count_bills_without_consent(
        store, as_of, consent_categories=consent_categories
    )
    report("consent", 1, 1)

    report("features", 0, None)
    features = compute_features(store, as_of, consent_categories=consent_categories)
    write_features(features, ws.features_path)
    report("features", features.num_rows, features.num_rows)

    outcomes = pq.read_table(ws.synth_dir / "outcomes.parquet")
    protected = pq.read_table(ws.synth_dir / "protected.parquet")
    table = features.join(outcomes, "subject_id").join(protected, "subject_id")
    table = table.sort_by("subject_id")
    names = [f.name for f in FEATURES]
    frame = table.to_pandas()
    scorable = (frame["months_history"] >= 6) & (frame["n_records_12m"] >= 1)
    train = frame[(frame["split"] == "train") & scorable]
    hold = frame[(frame["split"] == "holdout") & scorable]

    report("train", 0, None)
    card = Scorecard(
        characteristics=characteristics_metadata(),
        directions=feature_directions(),
        bounds=feature_bounds("person"),
        criteria=list(MINIMUM_CRITERIA),
        random_state=seed,
    )
    window = {
        "start": str(as_of.replace(year=as_of.year - 3)),
        "end": str(as_of),
        "as_of": str(as_of),
        "outcome": "90+ days past due in the 12 months after as_of",
    }
    card.fit(
        train[[*names, "months_history", "n_records_12m"]],
        train["target"].to_numpy(),
        protected=train[["group"]],
        eval_set=(
            hold[[*names, "months_history", "n_records_12m"]],
            hold["target"].to_numpy(),
            hold[["group"]],
        ),
        data_window=window,
        lineage=feature_lineage(),  # each column's record fields, refused if one is prohibited
    )
    # how each characteristic can change: the way to a higher tier suggests only actions
    art = card.to_artifact()
    ws.set_as_of(as_of)
    report("train", 1, 1)

    # the validation report the validator reads before approving: the model on everyone's
    # features, with the outcomes and the fairness of its scores (no decisions yet)
    report("validate", 0, 1)
    validation = score_features(art, features, as_of)
    html = model_report(
        artifact=art, scores=validation, outcomes=outcomes, protected=protected,
        title=f"trustscore demo: validation of model {art.model_version}",
    )  # fmt: skip
    write_report(html, ws.validation_report_path)
    summary.champion_of = _govern(ws, art, hashlib.sha256(html.encode("utf-8")).hexdigest())
    report("validate", 1, 1)

    report("score", 0, features.num_rows)
    ledger = Ledger(ws.ledger_url)
    try:
        # the champion of credit pricing (the model just promoted), and its challenger in
        # shadow where the registry names one
        run = score_for_purpose(
            ledger, ws, "credit_pricing", features, as_of, ws.scores_path, scorer=score_features
        )
    finally:
        ledger.dispose()
    art, scores = run.champion, run.scores
    report("score", features.num_rows, features.num_rows)

    policy = credit_pricing_policy(art.model_version, scaling=art.scaling)
    decisions = decide(policy, art, scores)
    pq.write_table(decisions, ws.decisions_path)
    reviews = _open_reviews(ws, policy, art, decisions, as_of)
    summary.review_cases = dict(
        sorted((kind, sum(n.values())) for kind, n in reviews["by_kind"].items())
    )

    report("organisations", 0, 1)
    summary.organisations = demo_organisations(
        ws, as_of, seed=seed, metadata=characteristics_metadata("organisation"),
        directions=feature_directions("organisation"), govern=_govern, scorer=score_features,
        cutoffs=policy.cutoffs,
    )  # fmt: skip
    report("organisations", 1, 1)

    report("search", 0, None)
    links = []
    try:
        search = search_less_discriminatory(
            frame.loc[scorable, [*names, "months_history", "n_records_12m"]],
            frame.loc[scorable, "target"].to_numpy(),
            frame.loc[scorable, "group"],
            # the demo card's settings and method (no new cross-validation: seconds, not
            # minutes) and its scale pinned, so the policy's cut-offs mean the same odds
            base_params={**card.get_params(deep=False), "method": card.method_,
                         "interactions": len(art.interactions),
                         "scaling": dict(art.model_card["score_to_odds"]["pin"])},
            cutoffs=policy.cutoffs,
            target_group=SEARCH_GROUP,
            max_rows=SEARCH_ROWS,
            seed=seed,
            fit_kwargs={"data_window": window},
            progress=lambda done, total: report("search", done, total),
        )  # fmt: skip
    except ModelError as exc:  # a population too small to fit or measure the alternatives
        summary.search_why = f"The search was not run: {exc.message}"
    else:
        write_search(search, ws.root / SEARCH_DIR, title="trustscore demo: the search for a "
                     f"less discriminatory card for group {SEARCH_GROUP}")  # fmt: skip
        summary.search_chosen, summary.search_why = search.chosen, search.why
        links.append(("the search for a less discriminatory alternative",
                      f"{SEARCH_DIR}/search.html"))  # fmt: skip

    report("report", 0, 1)
    html = model_report(
        artifact=art,
        scores=scores,
        decisions=decisions,
        outcomes=outcomes,
        protected=protected,
        cutoffs=policy.cutoffs,
        title="trustscore demo: a synthetic population",
        furnishers=furnisher_report(RecordStore(ws.store_dir), None),
        reviews=reviews,
        links=links,
    )
    write_report(html, ws.report_path)
    report("report", 1, 1)

    report("monitor", 0, None)
    summary.monitoring = demo_monitoring(
        ws.monitoring_dir, art, features, outcomes, protected, policy, seed=seed, as_of=as_of
    )
    report("monitor", 1, 1)

    # the service's keyed store of latest scores: it reads one subject's row per request
    report("publish", 0, features.num_rows)
    ledger = Ledger(ws.ledger_url)
    try:
        summary.n_published = publish_scores(
            ws, ledger, consent_categories=consent_categories,
            progress=lambda done, total: report("publish", done, total),
        ).n_rows  # fmt: skip
        summary.published = _check_published(ws, ledger, art, scores, as_of, consent_categories)
    finally:
        ledger.dispose()

    status = scores.column("status")
    summary.n_scored = int(pc.sum(pc.equal(status, "OK")).as_py() or 0)
    summary.n_unscorable = scores.num_rows - summary.n_scored
    summary.model_version = art.model_version
    held = scores.join(outcomes, "subject_id").filter(
        (pc.field("split") == "holdout") & (pc.field("status") == "OK")
    )
    y = held.column("target").to_numpy(zero_copy_only=False).astype(np.int8)
    summary.holdout_auc = roc_auc(y, -held.column("score").to_numpy(zero_copy_only=False))
    summary.oracle_auc = roc_auc(y, held.column("oracle_p").to_numpy(zero_copy_only=False))
    summary.examples = _examples(decisions)
    summary.n_reasons = sum(
        int(pc.sum(pc.is_valid(scores.column(f"reason_{r}"))).as_py() or 0) for r in range(1, 5)
    )
    summary.untrue = untrue_reasons(art, features, scores)
    return summary
