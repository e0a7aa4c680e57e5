"""Monitoring on the model's own bins, against hand computations on a tiny sample."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pyarrow as pa
import pytest

from trustscore.decisions import credit_pricing_policy
from trustscore.exceptions import NotFoundError, SchemaError
from trustscore.monitoring import ks
from trustscore.pipeline import list_runs, monitor_run, read_run, record_run
from trustscore.scoring import score
from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict

EPS = 1e-4  # the share an empty bin counts as

# The example card: on_time_rate bins < 0.5 (10 points), [0.5, 0.9) (35), >= 0.9 (60), missing
# (30), special -1 (20); card_kind none (10), card or loan (90), missing (40), other (40); a
# subject with months_history < 6 is unscorable (NS). A score is the sum of the points.
BASELINE = pa.table(
    {
        "subject_id": ["b1", "b2", "b3", "b4"],
        "on_time_rate": [0.2, 0.6, 0.95, None],  # one per bin, and one missing
        "card_kind": ["none", "card", "loan", None],
        "months_history": [12, 12, 12, 3],  # scores 20, 125, 150, NS
    }
)
CURRENT = pa.table(
    {
        "subject_id": [f"c{i}" for i in range(1, 9)],
        "on_time_rate": [0.2, 0.2, 0.2, 0.6, 0.95, 0.95, None, None],
        "card_kind": ["none", "none", "zzz", "card", "card", "loan", None, "none"],
        "months_history": [12, 12, 12, 12, 12, 12, 3, 12],  # 20, 20, 50, 125, 150, 150, NS, 40
    }
)


def _part(e: float, a: float) -> float:
    return (a - e) * math.log(a / e)


@pytest.fixture(scope="module")
def art() -> ScorecardArtifact:
    return ScorecardArtifact.from_dict(example_artifact_dict())


@pytest.fixture(scope="module")
def run(art: ScorecardArtifact) -> dict:
    y = [1, 1, 1, 0, 0, 0, None, 0]
    groups = ["a", "b", "a", "b", "a", "b", "a", "b"]
    return monitor_run(
        art, BASELINE, CURRENT, policy=credit_pricing_policy(art.model_version),
        run_id="2026-01", group=groups, outcomes=y,
    )  # fmt: skip


def test_the_scores_of_the_sample_are_as_the_comments_say(art: ScorecardArtifact) -> None:
    assert score(art, CURRENT).column("score").to_pylist() == [20, 20, 50, 125, 150, 150, None, 40]
    assert score(art, BASELINE).column("score").to_pylist() == [20, 125, 150, None]


def test_csi_of_a_numeric_characteristic_on_its_bins_with_missing_apart(run: dict) -> None:
    t = run["csi"]["on_time_rate"]
    assert [b["label"] for b in t["bins"]] == ["< 0.5", "[0.5, 0.9)", ">= 0.9", "missing",
                                               "special: -1"]  # fmt: skip
    assert [b["n_expected"] for b in t["bins"]] == [1, 1, 1, 1, 0]
    assert [b["n_actual"] for b in t["bins"]] == [3, 1, 2, 2, 0]
    # shares (1/4, 1/4, 1/4, 1/4, 0) -> (3/8, 1/8, 2/8, 2/8, 0)
    hand = _part(1 / 4, 3 / 8) + _part(1 / 4, 1 / 8) + 0.0 + 0.0 + 0.0
    assert hand == pytest.approx(math.log(3) / 8, rel=1e-12)
    assert t["psi"] == pytest.approx(hand, rel=1e-12)
    assert t["flag"] == "watch"  # 0.137


def test_csi_of_a_categorical_characteristic_counts_unseen_levels_as_other(run: dict) -> None:
    t = run["csi"]["card_kind"]
    assert [b["label"] for b in t["bins"]] == ["none", "card, loan", "missing", "other levels"]
    assert [b["n_expected"] for b in t["bins"]] == [1, 2, 1, 0]
    assert [b["n_actual"] for b in t["bins"]] == [3, 3, 1, 1]
    hand = _part(1 / 4, 3 / 8) + _part(2 / 4, 3 / 8) + _part(1 / 4, 1 / 8) + _part(EPS, 1 / 8)
    assert t["psi"] == pytest.approx(hand, rel=1e-12)
    assert t["flag"] == "act"


def test_psi_of_the_score_on_the_score_bands_with_ns_apart(run: dict) -> None:
    t = run["psi"]
    assert [b["label"] for b in t["bins"]][:2] == ["0-99", "100-199"]
    assert [b["label"] for b in t["bins"]][-2:] == ["900-1000", "NS"]
    got = {b["label"]: (b["n_expected"], b["n_actual"]) for b in t["bins"] if b["n_expected"]
           or b["n_actual"]}  # fmt: skip
    assert got == {"0-99": (1, 4), "100-199": (2, 3), "NS": (1, 1)}
    hand = _part(1 / 4, 4 / 8) + _part(2 / 4, 3 / 8) + _part(1 / 4, 1 / 8)
    assert t["psi"] == pytest.approx(hand, rel=1e-12)
    assert t["flag"] == "act"  # 0.296


def test_flags_name_what_crossed_a_threshold(run: dict) -> None:
    raised = {(f["metric"], f["name"], f["level"]) for f in run["flags"]}
    assert {("psi", "score", "act"), ("csi", "on_time_rate", "watch"),
            ("csi", "card_kind", "act")} <= raised  # fmt: skip


def test_missing_and_quality_rates(run: dict) -> None:
    assert run["missing"]["on_time_rate"] == {"baseline": 0.25, "current": 0.25}
    assert run["missing"]["card_kind"] == {"baseline": 0.25, "current": 0.125}
    quality = run["quality"]["current"]
    assert quality["flagged_rate"] == 1 / 8  # "zzz" is a level training never saw
    assert quality["by_kind"]["unseen_level"] == 1 / 8
    assert run["quality"]["baseline"]["flagged_rate"] == 0.0


def test_score_and_tier_distributions(run: dict) -> None:
    cur = run["score"]["current"]
    assert cur["mean"] == pytest.approx(555 / 7, rel=1e-12)
    assert (cur["n"], cur["ns_rate"]) == (8, 1 / 8)
    tiers = {b["label"]: (b["n_expected"], b["n_actual"]) for b in run["tiers"]["bins"]}
    # the default cut-offs (580 and up) are above every score of the example card
    assert tiers["decline"] == (3, 7)
    assert tiers["NS"] == (1, 1)
    assert run["tiers"]["purpose"] == "credit_pricing"


def test_backtest_against_outcomes(run: dict) -> None:
    bt = run["backtest"]
    # scored rows with an outcome: bads at 20, 20, 50; goods at 125, 150, 150, 40.
    # 11 of the 12 (bad, good) pairs are ordered right (50 is above the good 40)
    assert (bt["n"], bt["n_event"]) == (7, 3)
    assert bt["auc"] == pytest.approx(11 / 12, rel=1e-12)
    y, s = [1, 1, 1, 0, 0, 0, 0], [20, 20, 50, 125, 150, 150, 40]
    assert bt["ks"] == ks(y, [-v for v in s])
    assert sum(c["n"] for c in bt["calibration"]) == 7
    assert bt["development"] == {"auc": None, "ks": None}  # the example card has no metrics


def test_estimate_and_fairness_are_present(run: dict) -> None:
    assert 0.5 < run["estimate"]["expected_auc"] < 1.0
    assert run["fairness"]["groups"] == ["a", "b"]
    assert [c["cutoff"] for c in run["fairness"]["cutoffs"]] == sorted(
        credit_pricing_policy("example-1").cutoffs
    )


def test_a_run_against_itself_is_stable(art: ScorecardArtifact) -> None:
    r = monitor_run(
        art, CURRENT, CURRENT, policy=credit_pricing_policy(art.model_version), run_id="same"
    )
    assert r["psi"]["psi"] == 0.0
    assert all(t["psi"] == 0.0 for t in r["csi"].values())
    assert r["flags"] == []
    assert r["fairness"] is None
    assert r["backtest"] is None


def test_a_table_without_a_models_column_is_refused_by_name(art: ScorecardArtifact) -> None:
    with pytest.raises(SchemaError, match=r"june.parquet: no column\(s\) 'card_kind'"):
        monitor_run(
            art, BASELINE, CURRENT.drop(["card_kind"]), run_id="x",
            policy=credit_pricing_policy(art.model_version), sources=("dev", "june.parquet"),
        )  # fmt: skip


def test_runs_accumulate_and_the_report_shows_the_trend(
    art: ScorecardArtifact, run: dict, tmp_path: Path
) -> None:
    policy = credit_pricing_policy(art.model_version)
    first = monitor_run(art, BASELINE, BASELINE, policy=policy, run_id="2025-12")
    record_run(tmp_path, first)
    html = record_run(tmp_path, run).read_text(encoding="utf-8")
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["2025-12.json", "2026-01.json"]
    assert json.loads((tmp_path / "monitor.json").read_text())["run_id"] == "2026-01"
    summaries = list_runs(tmp_path)
    assert [(s["run_id"], s["level"]) for s in summaries] == [("2025-12", "stable"),
                                                              ("2026-01", "act")]  # fmt: skip
    assert summaries[1]["top_csi"][0][0] == "card_kind"
    assert read_run(tmp_path, "2026-01") == run
    assert "2025-12" in html
    assert "2026-01" in html
    assert html.count("<polyline") >= 2
    assert "<script" not in html
    assert "https://" not in html
    with pytest.raises(NotFoundError):
        read_run(tmp_path, "2027-01")
    with pytest.raises(NotFoundError):
        read_run(tmp_path, "../monitor")
    with pytest.raises(SchemaError, match="run id"):
        record_run(tmp_path, {**run, "run_id": "a/b"})
