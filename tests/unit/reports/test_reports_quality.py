"""The model report counts input-quality flags when the scores carry them."""

from __future__ import annotations

import re

import pyarrow as pa

from trustscore.reports import model_report
from trustscore.scoring import ScorecardArtifact, score
from trustscore.scoring._artifact import example_artifact_dict


def test_model_report_shows_flag_counts_only_with_a_quality_column() -> None:
    art = ScorecardArtifact.from_dict(example_artifact_dict())
    data = pa.table(
        {
            "subject_id": ["a", "b", "c"],
            "on_time_rate": [3.5, 0.5, 0.9],
            "card_kind": ["card", "gold", "card"],
            "months_history": [12.0, 12.0, 12.0],
        }
    )
    scored = score(art, data, carry=["subject_id"], quality=True)
    html = model_report(artifact=art, scores=scored, n_boot=10)
    assert re.search(r'<span id="n-flagged">2</span> of 3 scored rows', html)
    assert "<td>impossible</td><td>on_time_rate</td>" in html
    assert "<td>unseen level</td><td>card_kind</td>" in html
    plain = model_report(artifact=art, scores=scored.drop_columns(["quality"]), n_boot=10)
    assert "Input quality" not in plain
