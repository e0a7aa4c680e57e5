"""``trustscore fairness search``: three files joined on a key, three files out, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from markupsafe import escape
from typer.testing import CliRunner

from trustscore.cli import app
from trustscore.model import EVIDENCE_KEY
from trustscore.scoring import load_artifact

runner = CliRunner()
N = 1200  # training rows under 1 000: the default card is the WoE one, no cross-validation


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    ids = [f"S{i:05d}" for i in range(N)]
    g = np.where(rng.random(N) < 0.4, "B", "A")
    a, b = rng.normal(size=N), rng.normal(size=N)
    p = (g == "B") * 1.5 + rng.normal(size=N)
    y = (rng.random(N) < 1 / (1 + np.exp(1.2 - 1.1 * a - 0.8 * b - 0.12 * p))).astype(int)
    d = tmp_path_factory.mktemp("search-in")
    paths = {"features": d / "features.csv", "labels": d / "labels.csv", "groups": d / "g.csv"}
    pd.DataFrame({"subject_id": ids, "a": a, "b": b, "p": p}).to_csv(paths["features"], index=False)
    pd.DataFrame({"subject_id": ids[::-1], "target": y[::-1]}).to_csv(paths["labels"], index=False)
    pd.DataFrame({"subject_id": ids, "group": g}).to_csv(paths["groups"], index=False)
    return paths


def _search(files: dict[str, Path], out: Path, *extra: str) -> tuple[int, str]:
    args = ["fairness", "search", "--features", str(files["features"]), "--labels",
            str(files["labels"]), "--groups", str(files["groups"]), "--out", str(out),
            "--cutoffs", "500,600", *extra]  # fmt: skip
    r = runner.invoke(app, args)
    return r.exit_code, r.output


@pytest.mark.slow
def test_the_search_writes_its_json_report_and_the_chosen_card(
    files: dict[str, Path], tmp_path: Path
) -> None:
    code, out = _search(files, tmp_path / "s")
    assert code == 0, out
    doc = json.loads((tmp_path / "s" / "search.json").read_text())
    assert doc["attribute"] == "group"
    assert doc["target_group"] == "B"
    assert doc["settings"]["cutoffs"] == [500.0, 600.0]
    assert doc["proxies"][0]["name"] == "p"  # the key joined the files row by row
    names = {a["name"] for a in doc["alternatives"]}
    assert set(doc["frontier"]) <= names
    assert doc["why"] in out
    art = load_artifact(tmp_path / "s" / "model.json")
    ev = art.model_card[EVIDENCE_KEY]
    assert ev["chosen"] == (doc["chosen"] or "default")
    assert art.model_version == doc["model_versions"][ev["chosen"]]
    assert "p" not in {c.name for c in art.characteristics} or doc["chosen"] != "drop:p"
    html = (tmp_path / "s" / "search.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<circle") >= len(doc["alternatives"]) - 1  # every card but the default
    assert 'class="default"' in html
    assert "https://" not in html
    assert escape(doc["why"]) in html


@pytest.mark.parametrize(
    ("change", "needles"),
    [
        (("--protected", "sex"), ["g.csv", "'sex'"]),
        (("--target", "bad"), ["labels.csv", "'bad'"]),
        (("--cutoffs", "6x0"), ["--cutoffs"]),
        (("--group", "C"), ["'C'", "not a group"]),
    ],
)
def test_bad_input_is_one_clear_line(
    files: dict[str, Path], tmp_path: Path, change: tuple[str, str], needles: list[str]
) -> None:
    code, out = _search(files, tmp_path / "s", *change, "--max-rows", "400")
    assert code == 1, out
    assert "Traceback" not in out
    assert out.strip().startswith("error:"), out
    for n in needles:
        assert n in out
    assert not (tmp_path / "s" / "model.json").exists()


def test_a_subject_without_an_outcome_is_named(files: dict[str, Path], tmp_path: Path) -> None:
    short = tmp_path / "labels.csv"
    pd.read_csv(files["labels"]).iloc[1:].to_csv(short, index=False)
    code, out = _search({**files, "labels": short}, tmp_path / "s")
    assert code == 1
    assert "labels.csv: no 'target' for subject_id" in out
    assert "S01199" in out  # the labels were reversed: its first row is the last subject


def test_the_protected_attribute_given_twice_is_refused(
    files: dict[str, Path], tmp_path: Path
) -> None:
    both = tmp_path / "features.csv"
    f = pd.read_csv(files["features"])
    f["group"] = pd.read_csv(files["groups"])["group"]
    f.to_csv(both, index=False)
    code, out = _search({**files, "features": both}, tmp_path / "s")
    assert code == 1
    assert "already has a column 'group'" in out
