"""Typer commands. Each is a thin wrapper over :mod:`trustscore.pipeline` and the stages."""

from __future__ import annotations

import datetime as dt
import logging
import math
from pathlib import Path
from typing import Annotated

import typer

from trustscore.cli._audit import audit_app
from trustscore.cli._consent import consent_app
from trustscore.cli._errors import fail, guarded
from trustscore.cli._fairness import fairness_app
from trustscore.cli._furnishers import furnishers_app
from trustscore.cli._identity import identity_app
from trustscore.cli._ledger import ledger_app
from trustscore.cli._models import models_app
from trustscore.cli._monitor import monitor
from trustscore.cli._ops import clients_app, disputes_app, publish, replay, serve
from trustscore.cli._outputs import atomic_output
from trustscore.cli._progress import progress_bars
from trustscore.cli._purpose import champion_of, score_for_purpose
from trustscore.cli._reviews import reviews_app
from trustscore.cli._spark import SparkMaster, configure_engines, use_spark
from trustscore.cli._store import store_app
from trustscore.cli._whatif import next_tier, projection, what_if

app = typer.Typer(
    name="trustscore",
    help="An accountable trust score: obligations in, a 0-1000 score with reasons out, "
    "used only for approved purposes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

logger = logging.getLogger(__name__)


def _parse_date(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} must be a date like 2025-12-31, got {value!r}.") from None


def _pin(value: str) -> dict[str, float]:
    """``--pin-scaling PDO,SCORE,ODDS`` as the Scorecard's ``scaling`` (which checks ranges)."""
    parts = value.split(",")
    try:
        pdo, score, odds = (float(p) for p in parts)
    except ValueError:
        msg = (
            "--pin-scaling must be PDO,SCORE,ODDS: three numbers, the points to double the odds, "
            f"a score and its odds good:bad (e.g. 40,600,20), got {value!r}."
        )
        raise fail(msg) from None
    return {"pdo": pdo, "anchor_score": score, "anchor_odds": odds}


def _parse_directions(given: list[str]) -> dict[str, int]:
    """``["a=+1", "b=-1"]`` -> ``{"a": 1, "b": -1}``; a bad item is a one-line error."""
    out: dict[str, int] = {}
    for item in given:
        name, sep, value = item.partition("=")
        sign = {"+1": 1, "1": 1, "-1": -1}.get(value.strip())
        if not sep or not name.strip() or sign is None:
            msg = (
                f"--direction must be NAME=+1 (more is better) or NAME=-1 (more is worse), "
                f"got {item!r}."
            )
            raise fail(msg)
        if name.strip() in out and out[name.strip()] != sign:
            raise fail(f"--direction gives {name.strip()!r} two directions; give one.")
        out[name.strip()] = sign
    return out


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Workspace folder to write.")] = Path("trustscore-demo"),
    subjects: Annotated[int, typer.Option(min=100, help="Synthetic subjects.")] = 100_000,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic population.")] = 0,
) -> None:
    """Score a synthetic population end to end and show three subjects."""
    from trustscore.cli._show import show_demo
    from trustscore.pipeline import run_demo

    def run() -> None:
        with progress_bars() as report:
            summary = run_demo(str(out), n_subjects=subjects, seed=seed, report=report)
        show_demo(summary)

    guarded(run)


@app.command()
def synth(
    out: Annotated[Path, typer.Option(help="Folder for the furnisher files.")],
    subjects: Annotated[int, typer.Option(min=1, help="Number of subjects.")] = 100_000,
    seed: Annotated[int, typer.Option()] = 0,
    as_of: Annotated[str, typer.Option(help="Observation date.")] = "2025-12-31",
    dirty_rate: Annotated[
        float, typer.Option(min=0.0, max=0.5, help="Share of rows made invalid.")
    ] = 0.0,
    updates: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Share of bills, account reports and public records the furnishers send again "
            "in a later delivery (OUT/updates/): payments that arrived, judgments satisfied, "
            "balances revised, accounts closed, deletions. 0: no later delivery.",
        ),
    ] = 0.0,
    identities: Annotated[
        bool,
        typer.Option(
            help="Also write the records with identity fields (with realistic noise) instead of "
            "subject_id to OUT/identified/, and the true subject of each to OUT/truth.parquet.",
        ),
    ] = False,
) -> None:
    """Write a synthetic population as furnisher files (Parquet)."""
    from trustscore.synth import add_identities, generate, split_deliveries

    date = _parse_date(as_of, "--as-of")

    def run() -> None:
        with progress_bars() as report:
            result = generate(
                out,
                n_subjects=subjects,
                seed=seed,
                as_of=date,
                dirty_rate=dirty_rate,
                progress=lambda d, t: report("synthesise", d, t),
            )
        dirty = sum(result.n_dirty.values())
        typer.echo(
            f"wrote {subjects:,} subjects and {result.n_record_rows:,} records to {out} "
            f"({dirty:,} made invalid on purpose; event rate {result.event_rate:.1%})"
        )
        typer.echo(
            f"and {result.rows['consent']:,} consent events (grants and withdrawals of consent "
            "to use the subjects' bills) to consent.parquet"
        )
        if updates > 0:
            later = split_deliveries(out, as_of=date, share=updates, seed=seed)
            typer.echo(
                f"and a later delivery of {later.n_rows:,} updated records "
                f"({later.n_deletions:,} deletions) to {later.out_dir}"
            )
        if identities:
            paths = add_identities(out, seed=seed)
            typer.echo(
                f"and the records with identity fields to {paths['obligation'].parent}, the true "
                f"subjects to {paths['truth']}"
            )

    guarded(run)


@app.command()
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Furnisher files: CSV, Parquet or JSON lines.")
    ],
    store: Annotated[Path, typer.Option(help="Record store folder.")] = Path(
        "trustscore-demo/store"
    ),
    kind: Annotated[
        str | None, typer.Option(help="Record kind (default: from the file name).")
    ] = None,
    ingested_at: Annotated[
        str | None,
        typer.Option(help="Delivery time for back-filled history (ISO date or time, UTC)."),
    ] = None,
    hold_above: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=0.999999,
            metavar="RATE",
            help="Hold a furnisher's rows of a file for review (trustscore furnishers hold) when "
            "more than this share of them is quarantined, e.g. 0.2; holds are recorded in the "
            "ledger of the store's workspace (the store's parent folder). Default: "
            "TRUSTSCORE_HOLD_ABOVE, else hold nothing.",
        ),
    ] = None,
) -> None:
    """Validate furnisher files, store the valid rows, quarantine the rest with reasons."""
    from trustscore.cli._furnishers import open_ledger
    from trustscore.pipeline import ingest_and_hold
    from trustscore.records import RecordStore
    from trustscore.settings import get_settings

    stamp = None
    if ingested_at is not None:
        try:
            stamp = dt.datetime.fromisoformat(ingested_at)
        except ValueError:
            raise fail(f"--ingested-at must be an ISO date or time, got {ingested_at!r}.") from None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.UTC)

    def run() -> None:
        configure_engines()
        rs = RecordStore(store)
        threshold = hold_above if hold_above is not None else get_settings().hold_above
        # holds go to the ledger of the store's workspace, where `trustscore furnishers` looks
        ledger = open_ledger(store.parent) if threshold is not None else None
        for path in paths:
            r = ingest_and_hold(
                path, rs, ledger, kind=kind, ingested_at=stamp, hold_above=threshold
            )
            note = " (already ingested: nothing changed)" if r.already_ingested else ""
            typer.echo(
                f"{path}: {r.rows_in:,} rows in = {r.rows_new:,} new + {r.rows_versions:,} "
                f"versions ({r.rows_deleted:,} deletions) + {r.rows_unchanged:,} unchanged + "
                f"{r.rows_quarantined:,} quarantined"
                f"{f' + {r.rows_held:,} held' if r.rows_held else ''} "
                f"[{r.kind}, batch {r.batch_id}]{note}"
            )
            for reason, count in sorted(r.reasons.items(), key=lambda kv: -kv[1])[:5]:
                typer.echo(f"    {count:,} x {reason}")
            if r.quarantine_path:
                typer.echo(f"    quarantine: {r.quarantine_path}")
            for hold_id, held in r.holds.items():
                typer.echo(f"    held for review: {held['rows']:,} rows as {hold_id}")
                typer.echo(f"        {held['reason']}")

    guarded(run)


@app.command()
def features(
    as_of: Annotated[str, typer.Option(help="As-of date: only what was known then counts.")],
    store: Annotated[Path, typer.Option()] = Path("trustscore-demo/store"),
    out: Annotated[
        Path,
        typer.Option(help="A Parquet file; with --engine spark, a folder of Parquet part files."),
    ] = Path("trustscore-demo/features.parquet"),
    engine: Annotated[str, typer.Option(help="duckdb or spark")] = "duckdb",
    spark_master: SparkMaster = None,
    subject_kind: Annotated[
        str,
        typer.Option(
            help="person or organisation: persons and organisations have their own features "
            "and their own models, never mixed."
        ),
    ] = "person",
) -> None:
    """Compute as-of features for every subject of one kind in the store.

    Bills of the categories in TRUSTSCORE_CONSENT_CATEGORIES (default: all) count only with the
    subject's consent; the bills left out for lack of it are counted in the output. With
    --engine spark the features are a Spark job whose executors write the folder --out.
    """
    from trustscore.features import (
        count_bills_without_consent,
        write_features_duckdb,
        write_features_spark,
    )
    from trustscore.records import RecordStore
    from trustscore.settings import get_settings

    date = _parse_date(as_of, "--as-of")

    def run() -> None:
        configure_engines()
        use_spark(engine, spark_master)
        categories = get_settings().consent_categories
        records = RecordStore(store)
        if engine == "spark":
            with atomic_output(out) as tmp:
                n = write_features_spark(
                    records, date, tmp, consent_categories=categories, subject_kind=subject_kind
                )
            typer.echo(f"wrote features of {n:,} subjects as of {date} to {out}/ (Spark)")
            left = count_bills_without_consent(
                records, date, engine=engine, consent_categories=categories
            )
            typer.echo(
                f"{left:,} bills left out for lack of consent "
                f"(categories needing consent: {', '.join(categories) or 'none'})"
            )
            return
        if engine != "duckdb":
            raise fail(f"--engine must be duckdb or spark, got {engine!r}.")
        # DuckDB writes the table as it computes it, within the settings' memory limit
        with atomic_output(out) as tmp:
            n = write_features_duckdb(
                records, date, tmp, consent_categories=categories, subject_kind=subject_kind
            )
        typer.echo(f"wrote features of {n:,} subjects as of {date} to {out}")
        left_out = count_bills_without_consent(
            records, date, engine=engine, consent_categories=categories
        )
        typer.echo(
            f"{left_out:,} bills left out for lack of consent "
            f"(categories needing consent: {', '.join(categories) or 'none'})"
        )

    guarded(run)


@app.command()
def train(
    data: Annotated[Path, typer.Option(help="A flat table, CSV or Parquet.")],
    target: Annotated[str, typer.Option(help="The 0/1 column, 1 = bad.")],
    out: Annotated[Path, typer.Option(help="Where to write the model artifact (JSON).")],
    protected: Annotated[
        list[str] | None,
        typer.Option(
            help="Protected attribute: held out of the model, used for the fairness report."
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option(help="Other columns to leave out (ids).")
    ] = None,
    seed: Annotated[int, typer.Option()] = 0,
    interactions: Annotated[
        str | None,
        typer.Option(
            help="Pairs of characteristics scored together: 'auto' (taken only where "
            "cross-validation shows they help), a number to try, or 0 for none. Default: the "
            "scorecard's."
        ),
    ] = None,
    pin_scaling: Annotated[
        str | None,
        typer.Option(
            metavar="PDO,SCORE,ODDS",
            help="Pin the scale: points to double the odds, a score and its odds good:bad "
            "(e.g. 40,600,20), so that a score means the same odds in every model trained "
            "with the same pin (a model card's score_to_odds.pin gives a model's own). "
            "Default: spread the attainable scores over 0-1000.",
        ),
    ] = None,
    direction: Annotated[
        list[str] | None,
        typer.Option(
            help="NAME=+1 (more is better: points never fall as the value rises) or NAME=-1 "
            "(more is worse), held in every bin and pair; repeat for each column."
        ),
    ] = None,
    lineage: Annotated[
        Path | None,
        typer.Option(
            help='A JSON file of column -> the record fields it is computed from, e.g. {"x17": '
            '["clickstream.url"]}: a column whose lineage reaches a prohibited field is '
            "refused, whatever its name."
        ),
    ] = None,
    proxy_threshold: Annotated[
        float | None,
        typer.Option(
            help="AUC at or above which a characteristic that predicts a --protected "
            "attribute is flagged (default 0.6)."
        ),
    ] = None,
    refuse_proxies: Annotated[
        bool, typer.Option(help="Refuse a flagged characteristic rather than warn.")
    ] = False,
) -> None:
    """Fit a scorecard on any flat table and write its artifact."""
    from trustscore.pipeline import read_lineage, train_flat

    params: dict[str, object] = {}
    if pin_scaling is not None:
        params["scaling"] = _pin(pin_scaling)
    if direction:
        params["directions"] = _parse_directions(direction)
    if proxy_threshold is not None:
        params["proxy_threshold"] = proxy_threshold
    if refuse_proxies:
        params["refuse_proxies"] = True
    if interactions is not None:
        if interactions == "auto":
            params["interactions"] = "auto"
        elif interactions.isdigit():
            params["interactions"] = int(interactions)
        else:
            raise fail(f"--interactions must be 'auto' or a whole number, got {interactions!r}.")

    def run() -> None:
        declared = None if lineage is None else read_lineage(lineage)
        art = train_flat(
            data, target, protected=protected or (), exclude=exclude or (), seed=seed,
            params=params, lineage=declared,
        )  # fmt: skip
        with atomic_output(out) as tmp:
            art.to_json(tmp)
        metrics = art.model_card.get("metrics", {})
        auc = metrics.get("auc")
        shown = (
            f", holdout AUC {auc['value']:.4f}" if isinstance(auc, dict) and "value" in auc else ""
        )
        s = art.scaling
        scale = (
            f"scores {art.score_range[0]}-{art.score_range[1]} ({s.get('method')} scale: "
            f"{float(s['score_factor']) * math.log(2.0):.4g} points double the odds, "
            f"{float(s['anchor_score']):g} at odds {float(s['anchor_odds']):.4g}:1)"
        )
        typer.echo(
            f"wrote {out}: model {art.model_version}, "
            f"{len(art.characteristics)} characteristics"
            f"{f', {len(art.interactions)} interactions' if art.interactions else ''}{shown}; "
            f"{scale}"
        )

    guarded(run)


@app.command()
def score(
    data: Annotated[
        Path, typer.Option(help="Features: CSV, Parquet, or a folder of Parquet files.")
    ],
    out: Annotated[
        Path,
        typer.Option(help="Scores (Parquet); with --engine spark, a folder of Parquet part files."),
    ],
    model: Annotated[
        Path | None,
        typer.Option(help="A model artifact (JSON), to score with outside any purpose."),
    ] = None,
    purpose: Annotated[
        str | None,
        typer.Option(
            help="Score for a purpose: with its champion in the workspace's registry, and its "
            "challenger, if it has one, in shadow beside it (OUT.challenger.parquet, with the "
            "comparison in OUT.challenger.json and .html). Features as of the workspace's date."
        ),
    ] = None,
    engine: Annotated[str, typer.Option(help="kernel, duckdb or spark")] = "kernel",
    carry: Annotated[
        list[str] | None, typer.Option(help="Id columns to copy into the scores.")
    ] = None,
    spark_master: SparkMaster = None,
    subject_kind: Annotated[
        str,
        typer.Option(
            help="person or organisation: persons and organisations have their own features "
            "and their own models, never mixed: with --purpose, the champion of this kind."
        ),
    ] = "person",
) -> None:
    """Score a table from a model artifact alone, or for a purpose with its champion.

    With --engine spark a Parquet source is scored by a Spark job whose executors write the
    folder --out.
    """
    from trustscore.pipeline import score_file

    if purpose is not None:
        # the champion's Spark job runs on the master named here, as a model's does
        guarded(lambda: use_spark(engine, spark_master))
        score_for_purpose(purpose, model, data, out, engine, subject_kind)
        return
    if model is None:
        raise fail("give --model (an artifact) or --purpose (its champion scores).")

    def run() -> None:
        configure_engines()
        use_spark(engine, spark_master)
        with progress_bars() as report, atomic_output(out) as tmp:
            n = score_file(
                model,
                data,
                tmp,
                engine=engine,
                carry=carry or (),
                progress=lambda done, total: report("score", done, total),
            )
        typer.echo(f"scored {n:,} rows into {out}")

    guarded(run)


@app.command()
def decide(
    purpose: Annotated[str, typer.Option(help="The purpose the scores are used for.")],
    model: Annotated[
        Path | None,
        typer.Option(
            help="Refuse unless this artifact is the purpose's champion (default: the champion)."
        ),
    ] = None,
    scores: Annotated[Path, typer.Option()] = Path("trustscore-demo/scores.parquet"),
    out: Annotated[Path, typer.Option()] = Path("trustscore-demo/decisions.parquet"),
) -> None:
    """Apply the purpose's policy to its champion's scores; refuse purposes not approved.

    The model is the purpose's champion in the workspace's registry, and the scores must be
    its own: a challenger's scores (or any other model's) are refused.
    """
    import pyarrow.parquet as pq

    from trustscore.decisions import check_purpose, policy_for
    from trustscore.decisions import decide as decide_all
    from trustscore.safeguards import check_purpose_approvable

    def run() -> None:
        check_purpose_approvable(purpose)
        art = champion_of(purpose, model, "Decisions")
        check_purpose(art, purpose)
        policy = policy_for(purpose, art.model_version, scaling=art.scaling)
        table = decide_all(policy, art, pq.read_table(scores))
        with atomic_output(out) as tmp:
            pq.write_table(table, tmp)
        typer.echo(f"decided {table.num_rows:,} subjects for {purpose} into {out}")

    guarded(run)


app.command()(serve)
app.command()(publish)
app.command()(replay)
app.command("what-if")(what_if)
app.command("next-tier")(next_tier)
app.command()(projection)
app.command()(monitor)
app.add_typer(clients_app, name="client")
app.add_typer(audit_app, name="audit")
app.add_typer(disputes_app, name="disputes")
app.add_typer(furnishers_app, name="furnishers")
app.add_typer(reviews_app, name="reviews")
app.add_typer(consent_app, name="consent")
app.add_typer(identity_app, name="identity")
app.add_typer(fairness_app, name="fairness")
app.add_typer(models_app, name="model")
app.add_typer(ledger_app, name="ledger")
app.add_typer(store_app, name="store")


def main() -> None:
    """Console entry point."""
    app()
