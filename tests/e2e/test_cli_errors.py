"""A CLI user never sees a traceback for bad input: one clear line and a non-zero exit."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trustscore.cli import app
from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict

runner = CliRunner()

OBLIGATION_HEADER = (
    "record_id,subject_id,furnisher,category,account,due_date,amount_due,paid_date,amount_paid"
)


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def _assert_clean_error(code: int, output: str, *needles: str) -> None:
    assert code != 0
    assert "Traceback" not in output
    assert output.strip().startswith("error:"), output
    for needle in needles:
        assert needle in output, f"{needle!r} not in {output!r}"


def test_missing_column_names_file_and_column(tmp_path: Path) -> None:
    f = tmp_path / "obligation.csv"
    f.write_text(
        "record_id,subject_id,furnisher,category,account,due_date,paid_date\n"
        "r1,S1,power,utility,a1,2025-01-01,2025-01-02\n"
    )
    code, out = _run("ingest", str(f), "--store", str(tmp_path / "store"))
    _assert_clean_error(code, out, "obligation.csv", "amount_due")
    assert not list((tmp_path / "store").glob("obligation/**/*.parquet"))


def test_prohibited_column_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "obligation.csv"
    f.write_text(
        OBLIGATION_HEADER + ",party_affiliation\n"
        "r1,S1,power,utility,a1,2025-01-01,10,2025-01-01,10,x\n"
    )
    code, out = _run("ingest", str(f), "--store", str(tmp_path / "store"))
    _assert_clean_error(code, out, "party_affiliation", "political")
    assert not (tmp_path / "store" / "obligation").exists() or not list(
        (tmp_path / "store" / "obligation").rglob("*.parquet")
    )


def test_wrong_type_is_quarantined_not_a_crash(tmp_path: Path) -> None:
    f = tmp_path / "obligation.csv"
    f.write_text(
        OBLIGATION_HEADER + "\n"
        "r1,S1,power,utility,a1,2025-01-01,ten,2025-01-01,10\n"
        "r2,S1,power,utility,a1,2025-02-01,10,2025-02-01,10\n"
    )
    subjects = tmp_path / "subject.csv"
    subjects.write_text("subject_id,kind,created_date\nS1,person,2020-01-01\n")
    code, out = _run("ingest", str(subjects), str(f), "--store", str(tmp_path / "store"))
    assert code == 0, out
    assert ("2 rows in = 1 new + 0 versions (0 deletions) + 0 unchanged + 1 quarantined") in out


def test_records_of_unknown_subjects_are_quarantined_and_counted(tmp_path: Path) -> None:
    subjects = tmp_path / "subject.csv"
    subjects.write_text("subject_id,kind,created_date\nS1,person,2020-01-01\n")
    f = tmp_path / "obligation.csv"
    f.write_text(
        OBLIGATION_HEADER + "\n"
        "r1,S1,power,utility,a1,2025-01-01,10,2025-01-01,10\n"
        "r2,s1,power,utility,a1,2025-02-01,10,2025-02-01,10\n"
        "r3,NOBODY,power,utility,a1,2025-02-01,10,2025-02-01,10\n"
    )
    code, out = _run("ingest", str(subjects), str(f), "--store", str(tmp_path / "store"))
    assert code == 0, out
    assert "3 rows in = 1 new + 0 versions (0 deletions) + 0 unchanged + 2 quarantined" in out
    assert "2 x subject_id is not a known subject" in out


def test_unparseable_file_names_file(tmp_path: Path) -> None:
    f = tmp_path / "obligation.parquet"
    f.write_bytes(b"this is not parquet at all")
    code, out = _run("ingest", str(f), "--store", str(tmp_path / "store"))
    _assert_clean_error(code, out, "obligation.parquet")


def test_unknown_file_kind(tmp_path: Path) -> None:
    f = tmp_path / "gossip.csv"
    f.write_text("a,b\n1,2\n")
    code, out = _run("ingest", str(f), "--store", str(tmp_path / "store"))
    _assert_clean_error(code, out, "gossip")


@pytest.mark.parametrize("purpose", ["employment", "housing_eligibility", "travel"])
def test_never_approvable_purpose_is_refused(tmp_path: Path, purpose: str) -> None:
    model = tmp_path / "model.json"
    ScorecardArtifact.from_dict(example_artifact_dict()).to_json(model)
    code, out = _run(
        "decide",
        "--purpose",
        purpose,
        "--model",
        str(model),
        "--scores",
        str(tmp_path / "none.parquet"),
        "--out",
        str(tmp_path / "d.parquet"),
    )
    _assert_clean_error(code, out, purpose, "can never be approved")


def test_unknown_purpose_lists_the_approvable_ones(tmp_path: Path) -> None:
    model = tmp_path / "model.json"
    ScorecardArtifact.from_dict(example_artifact_dict()).to_json(model)
    code, out = _run(
        "decide",
        "--purpose",
        "dating",
        "--model",
        str(model),
        "--scores",
        str(tmp_path / "none.parquet"),
        "--out",
        str(tmp_path / "d.parquet"),
    )
    _assert_clean_error(code, out, "dating", "credit_pricing")


def test_tampered_model_is_refused(tmp_path: Path) -> None:
    model = tmp_path / "model.json"
    d = json.loads(ScorecardArtifact.from_dict(example_artifact_dict()).to_json())
    d["characteristics"][0]["bins"][0]["points"] = 59
    model.write_text(json.dumps(d))
    data = tmp_path / "x.csv"
    data.write_text("on_time_rate,card_kind,months_history\n0.1,card,12\n")
    code, out = _run(
        "score", "--model", str(model), "--data", str(data), "--out", str(tmp_path / "s.parquet")
    )
    _assert_clean_error(code, out, "content hash")


def test_train_missing_target(tmp_path: Path) -> None:
    data = tmp_path / "t.csv"
    data.write_text("x,y\n1,0\n2,1\n")
    code, out = _run(
        "train", "--data", str(data), "--target", "default", "--out", str(tmp_path / "m.json")
    )
    _assert_clean_error(code, out, "t.csv", "default")


def test_bad_date_option() -> None:
    code, out = _run("features", "--as-of", "31/12/2025")
    _assert_clean_error(code, out, "--as-of", "31/12/2025")


def test_train_bad_interactions_option(tmp_path: Path) -> None:
    data = tmp_path / "t.csv"
    data.write_text("x,default\n1,0\n2,1\n")
    code, out = _run(
        "train", "--data", str(data), "--target", "default", "--out", str(tmp_path / "m.json"),
        "--interactions", "many",
    )  # fmt: skip
    _assert_clean_error(code, out, "--interactions", "'many'")
    assert not (tmp_path / "m.json").exists()


def test_train_takes_interactions(tmp_path: Path) -> None:
    # a planted pair: bad when a and b are both high, whatever each alone says
    import numpy as np

    rng = np.random.default_rng(3)
    n = 6000
    a, b, c = rng.uniform(size=n), rng.uniform(size=n), rng.uniform(size=n)
    logit = -2.0 + 3.0 * ((a > 0.5) & (b > 0.5)) - 1.0 * c
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    data = tmp_path / "t.csv"
    rows = "\n".join(f"{x:.4f},{w:.4f},{v:.4f},{t}" for x, w, v, t in zip(a, b, c, y, strict=True))
    data.write_text("a,b,c,default\n" + rows + "\n")
    out_file = tmp_path / "m.json"
    code, out = _run(
        "train", "--data", str(data), "--target", "default", "--out", str(out_file),
        "--interactions", "1",
    )  # fmt: skip
    assert code == 0, out
    art = ScorecardArtifact.from_json(out_file.read_text())
    assert [sorted(i.inputs) for i in art.interactions] == [["a", "b"]]
    assert "1 interactions" in out


@pytest.mark.parametrize(
    ("pin", "needles"),
    [
        ("40,600", ("--pin-scaling must be PDO,SCORE,ODDS", "'40,600'")),
        ("forty,600,20", ("--pin-scaling must be PDO,SCORE,ODDS", "'forty,600,20'")),
        ("40,1200,20", ("The 'scaling' parameter of Scorecard", "Got {'pdo': 40.0")),
    ],
)
def test_train_bad_pin_scaling_option(tmp_path: Path, pin: str, needles: tuple[str, ...]) -> None:
    data = tmp_path / "t.csv"
    data.write_text("x,default\n" + "".join(f"{i},{i % 3 == 0:d}\n" for i in range(60)))
    code, out = _run(
        "train", "--data", str(data), "--target", "default", "--out", str(tmp_path / "m.json"),
        "--pin-scaling", pin,
    )  # fmt: skip
    _assert_clean_error(code, out, *needles)
    assert not (tmp_path / "m.json").exists()


def test_train_spreads_or_pins_the_scale(tmp_path: Path) -> None:
    import numpy as np

    rng = np.random.default_rng(4)
    n = 3000
    a, b = rng.uniform(size=n), rng.uniform(size=n)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(-1.5 + 2.0 * a - 1.5 * b)))).astype(int)
    data = tmp_path / "t.csv"
    rows = "\n".join(f"{x:.4f},{w:.4f},{t}" for x, w, t in zip(a, b, y, strict=True))
    data.write_text("a,b,default\n" + rows + "\n")
    spread, pinned = tmp_path / "spread.json", tmp_path / "pinned.json"
    code, out = _run("train", "--data", str(data), "--target", "default", "--out", str(spread))
    assert code == 0, out
    art = ScorecardArtifact.from_json(spread.read_text())
    assert art.scaling["method"] == "spread"
    assert art.score_range[0] == 0
    assert art.score_range[1] >= 950
    assert f"scores 0-{art.score_range[1]} (spread scale" in out
    code, out = _run(
        "train", "--data", str(data), "--target", "default", "--out", str(pinned),
        "--pin-scaling", "40,600,20",
    )  # fmt: skip
    assert code == 0, out
    s = ScorecardArtifact.from_json(pinned.read_text()).scaling
    assert (s["method"], s["pdo"], s["anchor_score"], s["anchor_odds"]) == ("pinned", 40, 600, 20)
    assert (s["compression"], s["shift"]) == (1.0, 0.0)
    assert "(pinned scale: 40 points double the odds, 600 at odds 20:1)" in out


@pytest.mark.parametrize("given", ["x=2", "x", "x=up", "=+1", "x=+1.5"])
def test_train_bad_direction_option(tmp_path: Path, given: str) -> None:
    data = tmp_path / "t.csv"
    data.write_text("x,default\n1,0\n2,1\n")
    code, out = _run(
        "train", "--data", str(data), "--target", "default", "--out", str(tmp_path / "m.json"),
        "--direction", given,
    )  # fmt: skip
    _assert_clean_error(code, out, "--direction", repr(given))
    assert not (tmp_path / "m.json").exists()


def test_train_direction_of_an_unknown_column_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "t.csv"
    data.write_text("x,default\n" + "".join(f"{i % 7},{i % 2}\n" for i in range(60)))
    code, out = _run(
        "train", "--data", str(data), "--target", "default", "--out", str(tmp_path / "m.json"),
        "--direction", "nope=-1",
    )  # fmt: skip
    _assert_clean_error(code, out, "'nope'", "not a characteristic")


def test_train_takes_directions(tmp_path: Path) -> None:
    # u's effect dips against its meaning; declared +1 it cannot, and v's -1 holds too
    import numpy as np

    rng = np.random.default_rng(5)
    n = 5000
    u, v = rng.uniform(size=n), rng.uniform(size=n)
    logit = -1.5 - 2.0 * u + 1.5 * ((u > 0.4) & (u < 0.6)) + 1.5 * v
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    data = tmp_path / "t.csv"
    rows = "\n".join(f"{x:.4f},{w:.4f},{t}" for x, w, t in zip(u, v, y, strict=True))
    data.write_text("u,v,default\n" + rows + "\n")
    out_file = tmp_path / "m.json"
    code, out = _run(
        "train", "--data", str(data), "--target", "default", "--out", str(out_file),
        "--direction", "u=+1", "--direction", "v=-1",
    )  # fmt: skip
    assert code == 0, out
    d = json.loads(out_file.read_text())
    for c in d["characteristics"]:
        pts = [b["points"] for b in c["bins"]]
        want = {"u": 1, "v": -1}[c["name"]]
        assert c["direction"] == want
        assert all(want * (b - a) >= 0 for a, b in itertools.pairwise(pts)), pts
