"""The search report: the frontier plot, every card, the choice; one page that works offline."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pyarrow as pa

from trustscore.reports import frontier_plot, model_report, search_report
from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict


def _alt(name: str, auc: float, air: float, *, front: bool, within: bool = True) -> dict[str, Any]:
    return {"name": name, "family": "subset", "description": f"changed <{name}>", "auc": auc,
            "ks": 0.4, "air_median": air, "air_cutoffs": {"600": air - 0.1, "700": None},
            "smd": -0.2, "auc_loss": 0.80 - auc, "within_loss": within, "on_frontier": front,
            "n_characteristics": 3}  # fmt: skip


def _result(chosen: str | None) -> dict[str, Any]:
    return {
        "attribute": "group", "target_group": "B", "max_auc_loss": 0.005, "default": "default",
        "settings": {"cutoffs": [600.0, 700.0], "n_train": 700, "n_holdout": 300, "seed": 0,
                     "max_rows": None, "n_rows_given": 1000, "method": "woe"},
        "proxies": [{"name": "p<x>", "auc": 0.71, "group": "B", "flagged": True}],
        "alternatives": [
            _alt("default", 0.800, 0.70, front=True),
            _alt("drop:p", 0.797, 0.85, front=True),
            _alt("bins:3", 0.790, 0.95, front=True, within=False),
            _alt("bins:6", 0.795, 0.75, front=False),
            {"name": "monotone", "family": "binning", "description": "m", "failed": "no fit"},
        ],
        "frontier": ["default", "drop:p", "bins:3"], "chosen": chosen,
        "why": "drop:p is the one 'because'" if chosen else "None found in the family searched.",
        "model_versions": {"default": "m1", "drop:p": "m2"}, "warnings": ["a <warning>"],
    }  # fmt: skip


class _Tags(HTMLParser):
    VOID = frozenset({"meta", "br", "line", "rect", "circle", "polyline"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()


def test_the_page_shows_the_choice_the_frontier_and_every_card() -> None:
    html = search_report(_result("drop:p"))
    assert "Chosen: <b>drop:p</b>" in html
    assert "drop:p is the one &#39;because&#39;" in html
    assert '<tr class="chosen"><td>drop:p</td>' in html
    assert '<tr class="default"><td>default</td>' in html
    assert "fit failed: no fit" in html
    assert "changed &lt;bins:3&gt;" in html  # text is escaped
    assert "p&lt;x&gt;" in html
    assert "a &lt;warning&gt;" in html
    # the frontier joins its three cards, left to right by AUC; four dots and one square
    pts = re.search(r'<polyline points="([^"]+)"', html)
    assert pts is not None
    xs = [float(p.split(",")[0]) for p in pts.group(1).split()]
    assert len(xs) == 3
    assert xs == sorted(xs)
    assert html.count('class="front"') == 2  # the default is the square
    assert html.count('class="dot"') == 1
    assert html.count('class="chosen"/>') == 1
    assert html.count('class="bound"') == 1  # 0.795: the least AUC allowed, in view
    checker = _Tags()
    checker.feed(html)
    assert checker.errors == []
    assert checker.stack == []
    for ref in ("http://", "https://", "<script", "<link"):
        assert ref not in html


def test_none_found_is_said_and_nothing_is_ringed() -> None:
    html = search_report(_result(None))
    assert "No less discriminatory alternative found in the family searched." in html
    assert 'class="chosen"' not in html
    assert "None found in the family searched." in html


def test_the_plot_places_higher_air_higher() -> None:
    svg = frontier_plot(
        [
            {"name": "default", "auc": 0.8, "air_median": 0.7, "on_frontier": True},
            {"name": "a", "auc": 0.79, "air_median": 0.9, "on_frontier": True},
        ],
        default="default",
        chosen="a",
    )
    ring = re.search(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="9"', svg)
    square = re.search(r'<rect x="([\d.]+)" y="([\d.]+)"', svg)
    assert ring is not None
    assert square is not None
    # the two sit at opposite corners: svg y grows downwards, lower AUC is to the left
    assert float(ring.group(2)) < float(square.group(2)) - 200
    assert float(ring.group(1)) < float(square.group(1)) - 400


def test_the_model_report_links_the_search_by_a_relative_path() -> None:
    art = ScorecardArtifact.from_dict(example_artifact_dict())
    scores = pa.table({"subject_id": ["a"], "score": pa.array([100], pa.int32()),
                       "status": ["OK"]})  # fmt: skip
    html = model_report(artifact=art, scores=scores, links=[("the search", "fairness/search.html")])
    assert '<a href="fairness/search.html">the search</a>' in html
    assert 'id="related"' not in model_report(artifact=art, scores=scores)
