"""What ``trustscore demo`` prints when it is done."""

from __future__ import annotations

import typer

from trustscore.pipeline import DemoSummary
from trustscore.scoring import load_artifact


def show_demo(summary: DemoSummary) -> None:
    ws = summary.workspace
    art = load_artifact(ws.model_path_for(summary.model_version))
    results = [*summary.ingest, *summary.updates]
    new = sum(r.rows_new for r in results)
    versions = sum(r.rows_versions for r in results)
    deleted = sum(r.rows_deleted for r in results)
    quarantined = sum(r.rows_quarantined for r in results)
    typer.echo("")
    typer.echo(f"trustscore demo: {summary.n_subjects:,} synthetic subjects as of {summary.as_of}")
    typer.echo(
        f"  records: {new:,} stored, then {versions:,} updated by a later delivery "
        f"({deleted:,} deleted as sent in error); {quarantined:,} rows quarantined with reasons"
    )
    typer.echo(
        f"  consent: {summary.n_consent_events:,} consent events loaded; "
        f"{summary.n_bills_without_consent:,} bills left out for lack of consent"
    )
    typer.echo(
        f"  scored:  {summary.n_scored:,}; unscorable (NS, too little history): "
        f"{summary.n_unscorable:,}"
    )
    typer.echo(
        f"  service: {summary.n_published:,} latest scores written to the ledger's keyed "
        "store (trustscore serve reads them one subject at a time)"
    )
    check = summary.published
    if check is not None and check.differ:
        typer.echo(
            f"  service: {check.differ:,} subjects' published scores differ from the batch's "
            "(a defect: please report it), for example:"
        )
        for d in check.examples[:5]:
            typer.echo(f"    subject {d.subject_id}: {d.why}")
    elif check is not None:
        typer.echo(
            f"  service: {check.checked - check.changed:,} of {check.checked:,} published scores "
            "equal the batch's score, sub-scores and reasons; the other "
            f"{check.changed:,} know of a later consent, delivery or correction, and the "
            f"{check.rechecked:,} subjects with such later events recomputed one at a time "
            "equal theirs"
        )
    typer.echo(
        f"  model {summary.model_version}: holdout AUC {summary.holdout_auc:.4f}, oracle "
        f"{summary.oracle_auc:.4f} ({summary.auc_ratio:.1%} of the best possible)"
    )
    if summary.untrue:
        typer.echo(
            f"  reasons: {summary.n_reasons:,} given; {len(summary.untrue):,} NOT borne out by "
            "the subjects' own features (a defect: please report it), for example:"
        )
        for v in summary.untrue[:5]:
            typer.echo(f"    subject {v.subject_id}: {v.code}: {v.why}")
    else:
        typer.echo(
            f"  reasons: {summary.n_reasons:,} given, each checked true against the subject's "
            "own features"
        )
    if summary.review_cases:
        kinds = ", ".join(f"{kind} {n:,}" for kind, n in summary.review_cases.items())
        typer.echo(
            f"  review:  {sum(summary.review_cases.values()):,} decisions wait for a person "
            f"({kinds}); see `trustscore reviews list`"
        )
    if summary.monitoring is not None:
        m = summary.monitoring
        raised = "; ".join(
            f"{run} {', '.join(f['level'] + ' ' + f['metric'] + ' ' + f['name'] for f in fl)}"
            for run, fl in m.flags.items()
            if fl
        )
        typer.echo(
            f"  monitor: {len(m.run_ids)} monthly runs, {m.drifted} shifted in the last; flags: "
            f"{raised or 'none'}; trend {ws.monitoring_dir.resolve() / 'monitor.html'}"
        )
    if summary.champion_of:
        typer.echo(
            f"  models:  {summary.model_version} registered by the demo's developer, approved by "
            f"its validator on {ws.validation_report_path.name} (four eyes), champion of "
            f"{', '.join(summary.champion_of)}; see `trustscore model list`"
        )
    typer.echo(f"  report:  {ws.report_path.resolve()}")
    org = summary.organisations
    if org is not None:
        typer.echo(
            f"  organisations: {org.n_organisations:,} scored apart by their own model "
            f"{org.model_version} ({org.n_scored:,} scorable; holdout AUC {org.holdout_auc:.4f}, "
            f"oracle {org.oracle_auc:.4f}; {org.n_reasons:,} reasons, {org.n_untrue:,} untrue), "
            f"champion of {', '.join(org.champion_of)} for organisations; "
            f"{org.seconds:.1f} s"
        )
        typer.echo(f"    report: {ws.kind_path(ws.report_path, 'organisation').resolve()}")
    if summary.search_why:
        page = ws.root / "fairness" / "search.html"
        typer.echo(f"  fairness search: {page.resolve() if page.is_file() else 'not run'}")
        typer.echo(f"    {summary.search_why}")
    typer.echo(f"  scores:  {ws.scores_path.resolve()}")
    for row in summary.examples:
        typer.echo("")
        typer.echo(f"subject {row['subject_id']}")
        if row["status"] == "NS":
            typer.echo("  status NS: too little history to score; unscorable is not bad.")
        else:
            lo, hi = art.score_range
            dims = ", ".join(
                f"{label} {row[name]} (range {a}-{b})"
                for (name, label), (a, b) in zip(
                    art.dimensions, map(art.dimension_range, art.dimension_names), strict=True
                )
            )
            typer.echo(f"  score {row['score']} (attainable {lo}-{hi} on a 0-1000 scale)")
            typer.echo(f"  sub-scores: {dims}")
            for i in range(1, 5):
                code = row.get(f"reason_{i}")
                if code:
                    reason, _ = art.reason_text(code)
                    typer.echo(f"  reason {i}: {code} {reason}")
        adverse = " (adverse: a notice with the reasons is sent)" if row.get("adverse") else ""
        review = " (sent to human review)" if row.get("review") else ""
        typer.echo(
            f"  decision for credit_pricing: {row.get('label') or row.get('outcome')}"
            f"{adverse}{review}"
        )
