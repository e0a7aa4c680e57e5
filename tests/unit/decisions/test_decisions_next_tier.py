"""The way to the next tier: its cut-off, the changes, the score they give, and "none exists"."""

from __future__ import annotations

from trustscore.decisions import deposit_waiver_policy, next_tier
from trustscore.features import CHANGEABILITY, FEATURES
from trustscore.scoring import ScorecardArtifact, apply_changes, score
from trustscore.scoring._artifact import example_artifact_dict
from trustscore.scoring._changes import CHANGEABILITY_VALUES, declare_changeability, row_table

ROW = {"on_time_rate": 0.5, "card_kind": "none", "months_history": 12}  # 35 + 10 points


def _art() -> ScorecardArtifact:
    return ScorecardArtifact.from_dict(example_artifact_dict())


def test_the_changes_reach_the_next_tier_by_the_scorer() -> None:
    art = _art()
    policy = deposit_waiver_policy(art.model_version, cutoff=100)
    out = next_tier(art, policy, ROW)
    assert (out["score"], out["points_needed"], out["next"]["min_score"]) == (45, 55, 100)
    path = out["path"]
    changed = apply_changes(art, ROW, {c["name"]: c["value"] for c in path["changes"]})
    [scored] = score(art, row_table(art, [changed])).to_pylist()
    assert path["score"] == scored["score"] == 45 + path["points"] >= 100
    assert path["outcome"] == "waive"
    assert sum(c["points"] for c in path["changes"]) == path["points"]


def test_none_exists_when_the_actions_cannot_add_enough() -> None:
    art = declare_changeability(_art(), {"card_kind": "fixed"})
    out = next_tier(art, deposit_waiver_policy(art.model_version, cutoff=100), ROW)
    assert out["path"] is None
    assert out["most_points"] == 25  # on_time_rate from its [0.5, 0.9) bin to the best
    assert "No set of changes" in out["message"]


def test_the_top_tier_and_an_unscored_subject_have_no_next_tier() -> None:
    art = _art()
    policy = deposit_waiver_policy(art.model_version, cutoff=40)
    top = next_tier(art, policy, ROW)
    assert (top["band"]["outcome"], top["next"], top["path"]) == ("waive", None, None)
    unscored = next_tier(art, policy, {**ROW, "months_history": 2})
    assert (unscored["status"], unscored["band"], unscored["path"]) == ("NS", None, None)


def test_every_demo_feature_declares_how_it_changes() -> None:
    assert set(CHANGEABILITY) == {f.name for f in FEATURES}
    assert set(CHANGEABILITY.values()) <= set(CHANGEABILITY_VALUES)
    assert all(how == "time" for name, how in CHANGEABILITY.items() if "months_since" in name)
