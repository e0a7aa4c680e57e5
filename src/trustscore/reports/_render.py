"""Rendering the model report: one self-contained HTML page (inline CSS and SVG, no links)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
import pyarrow as pa

from trustscore.monitoring import DEFAULT_CUTOFFS
from trustscore.reports._furnishers import furnishers_section
from trustscore.reports._tables import (
    characteristics_section,
    decisions_section,
    dimensions_section,
    fairness_section,
    flatten,
    performance_section,
    population_section,
    reasons_section,
)
from trustscore.scoring import flagged_rows, quality_counts
from trustscore.scoring._artifact import ScorecardArtifact

__all__ = ["environment", "model_report", "write_report"]

_STAT_NAMES = {"woe": "WoE", "event_rate": "Event rate", "n": "Count", "n_event": "Events"}


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def _count(value: Any) -> str:
    return "—" if _missing(value) else f"{int(value):,}"


def _dec(value: Any, digits: int = 3) -> str:
    return "—" if _missing(value) else f"{float(value):.{digits}f}"


def _pct(value: Any, digits: int = 1) -> str:
    return "—" if _missing(value) else f"{100.0 * float(value):.{digits}f}%"


def _odds(value: Any) -> str:
    """Odds as a reader takes them in: 12,345 / 12.35 / 0.0123."""
    if _missing(value):
        return "—"
    v = float(value)
    return f"{v:,.0f}" if v >= 100 else f"{v:.2f}" if v >= 1 else f"{v:.3g}"


class _PackageLoader(jinja2.BaseLoader):
    """Templates read with importlib.resources, so they work from a wheel or a zip."""

    def get_source(
        self,
        environment: jinja2.Environment,  # noqa: ARG002 - the loader API passes it
        template: str,
    ) -> tuple[str, str | None, Any]:
        resource = files("trustscore.reports").joinpath("templates", template)
        if not resource.is_file():
            raise jinja2.TemplateNotFound(template)
        return resource.read_text(encoding="utf-8"), None, lambda: True


@cache
def environment() -> jinja2.Environment:
    """The reports' Jinja2 environment: package templates, autoescaped, with number filters."""
    env = jinja2.Environment(
        loader=_PackageLoader(),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(count=_count, dec=_dec, odds=_odds, pct=_pct)
    return env


def _quality_section(scores: pa.Table) -> dict[str, Any] | None:
    """Counts of input-quality flags, where the scores carry them (``quality=True``)."""
    if "quality" not in scores.column_names:
        return None
    rows = quality_counts(scores)
    return {"n": scores.num_rows, "n_flagged": flagged_rows(scores), "rows": rows[:10]}


def model_report(
    *,
    artifact: ScorecardArtifact,
    scores: pa.Table,
    decisions: pa.Table | None = None,
    outcomes: pa.Table | None = None,
    protected: pa.Table | None = None,
    title: str = "trustscore model report",
    cutoffs: Sequence[float] | None = None,
    n_boot: int = 200,
    furnishers: Mapping[str, Any] | None = None,
    reviews: Mapping[str, Any] | None = None,
    links: Sequence[tuple[str, str]] = (),
) -> str:
    """Render the model report: one HTML page that works offline.

    Parameters
    ----------
    artifact : ScorecardArtifact
        The model.
    scores : pyarrow.Table
        Its scores (``subject_id``, ``score``, ``status``, dimension and reason columns; with a
        ``quality`` column, the page counts the input-quality flags).
    decisions : pyarrow.Table, optional
        The output of :func:`trustscore.decisions.decide`: counts by outcome.
    outcomes : pyarrow.Table, optional
        ``subject_id``, ``target``, ``oracle_p``, ``split``: AUC, Gini and KS on the holdout
        with bootstrap intervals, the oracle's AUC and calibration by score band.
    protected : pyarrow.Table, optional
        ``subject_id``, ``group``: approval rates, adverse impact ratios and SMD by group.
    title : str
        The page title.
    cutoffs : sequence of float, optional
        Cut-offs for approval rates and score bands; default
        :data:`trustscore.monitoring.DEFAULT_CUTOFFS`. Pass the policy's ``cutoffs``.
    n_boot : int, default 200
        Bootstrap resamples for the intervals.
    furnishers : mapping, optional
        A furnisher report (:func:`trustscore.pipeline.furnisher_report`): the "Furnishers"
        section, rows received, stored, quarantined and held per furnisher.
    reviews : mapping, optional
        :func:`trustscore.ledger.review_report`'s counts: the human-review cases by referral
        kind and state, per reviewer confirmations and overrides, override rates by group.
    links : sequence of (text, relative path)
        Reports beside this one to link to (the search for a less discriminatory
        alternative, ...); relative paths, so the page still holds no external reference.

    Returns
    -------
    str
        The HTML page: inline CSS and SVG, no scripts, no external references.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
    >>> art = ScorecardArtifact.from_dict(example_artifact_dict())
    >>> scores = pa.table({"subject_id": ["a", "b"], "score": pa.array([100, None], pa.int32()),
    ...                    "status": ["OK", "NS"]})
    >>> html = model_report(artifact=art, scores=scores)
    >>> html.startswith("<!DOCTYPE html>"), "example-1" in html, "https://" in html
    (True, True, False)
    """
    cuts = tuple(cutoffs) if cutoffs else DEFAULT_CUTOFFS
    card = dict(artifact.model_card)
    card_fairness = card.pop("fairness", None)
    score_odds = card.pop("score_to_odds", None)
    card.pop("approved_purposes", None)
    context = {
        "title": title,
        "artifact": artifact,
        "population": population_section(scores, artifact),
        "dimensions": dimensions_section(scores, artifact),
        "performance": None
        if outcomes is None
        else performance_section(scores, outcomes, artifact, cutoffs=cuts, n_boot=n_boot),
        "characteristics": characteristics_section(artifact),
        "stat_names": _STAT_NAMES,
        "decisions": None if decisions is None else decisions_section(decisions),
        "reviews": None if reviews is None else dict(reviews),
        "reasons": reasons_section(scores, artifact),
        "quality": _quality_section(scores),
        "fairness": None
        if protected is None
        else fairness_section(
            scores, protected, outcomes=outcomes, artifact=artifact, cutoffs=cuts
        ),
        "card_fairness": flatten(card_fairness) if card_fairness else [],
        "card": flatten(card),
        "score_odds": score_odds,
        "furnishers": None if furnishers is None else furnishers_section(furnishers),
        "links": list(links),
    }
    return environment().get_template("model_report.html.j2").render(context)


def write_report(html: str, path: str | Path) -> Path:
    """Write a report to ``path`` (UTF-8), creating parent folders; return the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_report("<p>hi</p>", pathlib.Path(d) / "out" / "r.html")
    ...     p.read_text(encoding="utf-8")
    '<p>hi</p>'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    return target
