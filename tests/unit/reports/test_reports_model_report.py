"""The model report: the numbers it shows, self-contained and well-formed HTML."""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from trustscore.decisions import Band, Policy, decide
from trustscore.model._card import score_to_odds
from trustscore.monitoring import fairness_report, gini, ks, roc_auc
from trustscore.reports import model_report, write_report
from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict

N = 400
CUTOFFS = (100, 60)


@pytest.fixture(scope="module")
def artifact() -> ScorecardArtifact:
    d = example_artifact_dict()
    bins = d["characteristics"][0]["bins"]
    for b, woe, n, rate in zip(
        bins, (-0.812, 0.104, 0.655), (120, 180, 100), (0.21, 0.09, 0.05), strict=True
    ):
        b.update(woe=woe, n=n, event_rate=rate)
    d["characteristics"][0]["iv"] = 0.3141
    # ln(odds good:bad) = (score - 80) / 15: the model's p equals the oracle's in these tests
    d["scaling"].update(score_factor=15.0, score_offset=80.0)
    d["model_card"] = {
        "approved_purposes": ["credit_pricing"],
        "data_window": {"start": "2023-01-01", "end": "2026-01-01"},
        "fairness": {"groups": ["g1", "g2"], "air_at_600": {"g2": 0.912}},
    }
    return ScorecardArtifact.from_dict(d)


@pytest.fixture(scope="module")
def tables(artifact: ScorecardArtifact) -> dict[str, pa.Table]:
    rng = np.random.default_rng(3)
    ids = [f"s{i:04d}" for i in range(N)]
    pr = rng.choice([10, 20, 30, 35, 60], size=N)
    ch = rng.choice([10, 40, 90], size=N)
    score = (pr + ch).astype(np.int64)
    ns = rng.random(N) < 0.1
    oracle_p = 1 / (1 + np.exp((score - 80) / 15))
    target = (rng.random(N) < oracle_p).astype(np.int8)
    status = np.where(ns, "NS", "OK")
    reason_1 = np.where(pr < 60, "PR01", "CH01")
    scores = pa.table(
        {
            "subject_id": ids,
            "score": pa.array(np.where(ns, None, score).tolist(), pa.int32()),
            "status": status.tolist(),
            "payment_reliability": pa.array(np.where(ns, None, pr).tolist(), pa.int32()),
            "credit_history": pa.array(np.where(ns, None, ch).tolist(), pa.int32()),
            "reason_1": np.where(ns, None, reason_1).tolist(),
            "reason_2": np.where(ns | (ch == 90), None, "CH01").tolist(),
            "reason_3": pa.array([None] * N, pa.string()),
            "reason_4": pa.array([None] * N, pa.string()),
        }
    )
    # shuffled, to show the tables are joined on subject_id and not by position
    order = rng.permutation(N)
    outcomes = pa.table(
        {
            "subject_id": [ids[i] for i in order],
            "target": target[order],
            "oracle_p": oracle_p[order],
            "split": np.where(np.arange(N) % 2 == 0, "holdout", "train")[order].tolist(),
        }
    )
    protected = pa.table(
        {"subject_id": ids, "group": np.where(rng.random(N) < 0.4, "g2", "g1").tolist()}
    )
    policy = Policy(
        "test tiers",
        "credit_pricing",
        artifact.model_version,
        (
            Band(100, "A", "Tier A", terms={"rate_margin_pct": 2.0}),
            Band(60, "B", "Tier B", terms={"rate_margin_pct": 4.0}),
            Band(0, "decline", "Declined", adverse=True),
        ),
        review_margin=3,
    )
    decisions = decide(policy, artifact, scores)
    return {"scores": scores, "outcomes": outcomes, "protected": protected, "decisions": decisions}


@pytest.fixture(scope="module")
def html(artifact: ScorecardArtifact, tables: dict[str, pa.Table]) -> str:
    return model_report(
        artifact=artifact,
        scores=tables["scores"],
        decisions=tables["decisions"],
        outcomes=tables["outcomes"],
        protected=tables["protected"],
        cutoffs=CUTOFFS,
        n_boot=50,
    )


def _holdout(tables: dict[str, pa.Table]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = tables["scores"].join(tables["outcomes"], "subject_id").to_pylist()
    rows = [r for r in s if r["split"] == "holdout" and r["status"] == "OK"]
    y = np.array([r["target"] for r in rows])
    return y, np.array([r["score"] for r in rows], float), np.array([r["oracle_p"] for r in rows])


def _cell(html: str, cell_id: str) -> str:
    m = re.search(rf'id="{cell_id}">([^<]*)<', html)
    assert m is not None, cell_id
    return m.group(1)


def test_report_shows_discrimination_and_oracle(html: str, tables: dict[str, pa.Table]) -> None:
    y, score, oracle = _holdout(tables)
    auc = roc_auc(y, -score)
    oracle_auc = roc_auc(y, oracle)
    assert _cell(html, "metric-auc") == f"{auc:.3f}"
    assert _cell(html, "metric-gini") == f"{gini(y, -score):.3f}"
    assert _cell(html, "metric-ks") == f"{ks(y, -score):.3f}"
    assert _cell(html, "metric-oracle-auc") == f"{oracle_auc:.3f}"
    assert _cell(html, "metric-ratio") == f"{auc / oracle_auc:.3f}"
    assert f"{len(y):,} scored subjects" in html


def test_report_shows_calibration_by_band(html: str, tables: dict[str, pa.Table]) -> None:
    y, score, oracle = _holdout(tables)
    low = score < CUTOFFS[1]
    observed = f"{100 * y[low].mean():.1f}%"
    expected = f"{100 * oracle[low].mean():.1f}%"
    row = re.search(r"<td>&lt; 60</td>(.*?)</tr>", html, flags=re.S)
    assert row is not None
    cells = re.findall(r">([^<]+)</td>", row.group(1))
    assert cells[:4] == [f"{int(low.sum()):,}", f"{int(y[low].sum()):,}", observed, expected]


def test_report_shows_population_counts(html: str, tables: dict[str, pa.Table]) -> None:
    status = tables["scores"].column("status").to_pylist()
    assert _cell(html, "n-subjects") == f"{N:,}"
    assert _cell(html, "n-ok") == f"{status.count('OK'):,}"
    assert _cell(html, "n-ns") == f"{status.count('NS'):,}"
    assert "Payment reliability" in html
    assert "Credit history" in html


def test_report_shows_bins_with_woe_and_points(html: str) -> None:
    assert "-0.812" in html
    assert "21.0%" in html
    assert "IV 0.314" in html
    for label in ("&lt; 0.5", "[0.5, 0.9)", "&gt;= 0.9", "card, loan", "special: -1"):
        assert label in html


def test_report_shows_decisions_and_reasons(html: str, tables: dict[str, pa.Table]) -> None:
    d = tables["decisions"]
    adverse = sum(d.column("adverse").to_pylist())
    review = sum(d.column("review").to_pylist())
    assert _cell(html, "n-adverse") == f"{adverse:,}"
    assert _cell(html, "n-review") == f"{review:,}"
    assert "Tier A" in html
    assert "Declined" in html
    assert "Bills paid after their due date" in html


def test_report_shows_fairness(html: str, tables: dict[str, pa.Table]) -> None:
    t = tables["scores"].join(tables["protected"], "subject_id")
    scores = [
        s if st == "OK" else None
        for s, st in zip(t.column("score").to_pylist(), t.column("status").to_pylist(), strict=True)
    ]
    want = fairness_report(scores, t.column("group").to_pylist(), cutoffs=CUTOFFS)
    for entry in want["cutoffs"]:
        assert f"Cut-off {entry['cutoff']}" in html
        for g in ("g1", "g2"):
            assert f"{entry['air'][g]:.3f}" in html
    assert "Fairness in the model card" in html
    assert "0.912" in html


def test_report_shows_what_the_scores_mean(
    artifact: ScorecardArtifact, tables: dict[str, pa.Table]
) -> None:
    d = artifact.to_dict()
    d["model_card"]["score_to_odds"] = score_to_odds(d["scaling"], artifact.score_range)
    d.pop("content_hash", None)
    art = ScorecardArtifact.from_dict(d)
    html = model_report(artifact=art, scores=tables["scores"], n_boot=10)
    table = re.search(r'<table id="score-to-odds">(.*?)</table>', html, flags=re.S)
    assert table is not None
    rows = re.findall(
        r"<tr><td[^>]*>(\d+)</td><td[^>]*>([^<]+)</td><td[^>]*>([^<]+)</td></tr>", table.group(1)
    )
    lo, hi = art.score_range
    assert [int(r[0]) for r in rows] == sorted({lo, hi, *range(-(-lo // 50) * 50, hi + 1, 50)})
    # ln(odds good:bad) = (score - 80) / 15 in this artifact's scaling
    for score, odds, p_event in rows:
        o = math.exp((int(score) - 80) / 15)
        assert odds == (f"{o:,.0f}:1" if o >= 100 else f"{o:.2f}:1" if o >= 1 else f"{o:.3g}:1")
        assert p_event == f"{100 / (1 + o):.2f}%"
    pin = d["model_card"]["score_to_odds"]["pin"]
    assert (
        f"--pin-scaling {pin['pdo']:.8g},{pin['anchor_score']:.8g},{pin['anchor_odds']:.8g}" in html
    )
    # the table is its own section, not rows of the model card's key-value table
    assert "score_to_odds" not in html


def test_report_is_self_contained(html: str) -> None:
    assert "http://" not in html
    assert "https://" not in html
    assert "<script" not in html
    assert "<link" not in html
    assert html.count("<svg") >= 4


class _Checker(HTMLParser):
    VOID = frozenset({"meta", "br", "link", "img", "input", "hr", "line", "rect"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: Any) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID and tag == "rect":
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()


def test_report_parses_with_balanced_tags(html: str) -> None:
    checker = _Checker()
    checker.feed(html)
    checker.close()
    assert checker.errors == []
    assert checker.stack == []


def test_report_escapes_text_and_works_without_optional_tables(
    artifact: ScorecardArtifact, tables: dict[str, pa.Table]
) -> None:
    out = model_report(artifact=artifact, scores=tables["scores"], title="<script>x</script>")
    assert "<script>" not in out
    assert "&lt;script&gt;" in out
    assert "No outcomes were given" in out
    assert "No protected attributes were given" in out


def test_write_report(tmp_path: Path) -> None:
    path = write_report("<p>é</p>", tmp_path / "a" / "report.html")
    assert path.read_text(encoding="utf-8") == "<p>é</p>"
