"""The demo runs the search for a less discriminatory card for group B and links its report."""

from __future__ import annotations

import json
from pathlib import Path

from trustscore.decisions import credit_pricing_policy
from trustscore.model import EVIDENCE_KEY
from trustscore.pipeline import Workspace, workspace_champion
from trustscore.scoring import load_artifact


def test_the_demo_searches_for_group_b_and_its_report_links_the_search(small_demo: Path) -> None:
    ws = Workspace(small_demo)
    folder = small_demo / "fairness"
    doc = json.loads((folder / "search.json").read_text())
    assert doc["attribute"] == "group"
    assert doc["target_group"] == "B"
    art = workspace_champion(ws)
    policy = credit_pricing_policy(art.model_version, scaling=art.scaling)
    assert doc["settings"]["cutoffs"] == [float(c) for c in policy.cutoffs]
    assert set(doc["alternatives"][0]["air_cutoffs"]) == {str(c) for c in policy.cutoffs}
    assert doc["alternatives"][0]["name"] == "default"
    assert doc["frontier"]
    assert doc["why"]
    chosen = load_artifact(folder / "model.json")
    assert chosen.model_card[EVIDENCE_KEY]["chosen"] == (doc["chosen"] or "default")
    # the demo's own card keeps its place: the search's choice is evidence, not a swap
    assert art.model_version not in doc["model_versions"].values()
    report = ws.report_path.read_text(encoding="utf-8")
    assert 'href="fairness/search.html"' in report
    assert "https://" not in (folder / "search.html").read_text(encoding="utf-8")
