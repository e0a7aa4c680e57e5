"""``trustscore train`` with a lineage file and the proxy screen: clean refusals, a card."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from trustscore.cli import app
from trustscore.scoring._artifact import ScorecardArtifact

runner = CliRunner()


def _table(tmp_path: Path) -> Path:
    """``f_07`` is a preference (a favourite genre) that carries the protected ``grp``."""
    rng = np.random.default_rng(5)
    n = 1500
    grp = rng.choice(["a", "b"], size=n)
    genre = np.where(
        grp == "b", rng.choice(["g1", "g2"], size=n), rng.choice(["g3", "g4", "g1"], size=n)
    )
    on_time = rng.random(n)
    y = (rng.random(n) < 1 / (1 + np.exp(1.0 + 2.0 * on_time))).astype(int)
    lines = [f"{o:.4f},{g},{p},{t}" for o, g, p, t in zip(on_time, genre, grp, y, strict=True)]
    data = tmp_path / "t.csv"
    data.write_text("on_time_rate,f_07,grp,default\n" + "\n".join(lines) + "\n")
    return data


def _train(tmp_path: Path, *extra: str) -> tuple[int, str, Path]:
    out = tmp_path / "m.json"
    args = ["train", "--data", str(_table(tmp_path)), "--target", "default", "--out", str(out)]
    result = runner.invoke(app, [*args, *extra])
    return result.exit_code, result.output, out


def test_a_lineage_reaching_a_prohibited_field_is_one_clear_line(tmp_path: Path) -> None:
    lineage = tmp_path / "lineage.json"
    lineage.write_text(json.dumps({"f_07": ["survey_preferences.favourite_genre"]}))
    code, output, out = _train(tmp_path, "--lineage", str(lineage))
    assert code == 1
    assert output.startswith("error: ")
    assert "'f_07'" in output
    assert "'survey_preferences.favourite_genre'" in output
    assert "browsing, web queries or preferences" in output
    assert "Traceback" not in output
    assert not out.exists()


def test_a_malformed_lineage_file_is_one_clear_line(tmp_path: Path) -> None:
    lineage = tmp_path / "lineage.json"
    lineage.write_text('{"f_07": "not a list"')
    code, output, _ = _train(tmp_path, "--lineage", str(lineage))
    assert code == 1
    assert output.startswith("error: Cannot read the lineage file lineage.json")


def test_refuse_proxies_refuses_a_renamed_preference(tmp_path: Path) -> None:
    code, output, out = _train(tmp_path, "--protected", "grp", "--refuse-proxies")
    assert code == 1
    assert output.startswith("error: The characteristic 'f_07' predicts the protected attribute")
    assert not out.exists()


@pytest.mark.filterwarnings("ignore::trustscore.exceptions.ProxyWarning")
def test_the_screen_and_lineage_are_in_the_model_card(tmp_path: Path) -> None:
    lineage = tmp_path / "lineage.json"
    declared = {"on_time_rate": ["obligation.due_date", "obligation.paid_date"]}
    lineage.write_text(json.dumps(declared))
    code, output, out = _train(
        tmp_path, "--protected", "grp", "--lineage", str(lineage), "--proxy-threshold", "0.65"
    )
    assert code == 0, output
    card = ScorecardArtifact.from_json(out.read_text()).model_card
    assert card["proxy_screen"]["threshold"] == 0.65
    assert card["proxy_screen"]["flagged"] == ["f_07"]
    assert card["lineage"]["declared"] == declared
    assert card["lineage"]["undeclared"] == ["f_07"]
