"""Input-quality flags: the artifact's quality facts, the flag rule and the ``quality`` column."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from trustscore.exceptions import ArtifactError, ModelError
from trustscore.features import BOUNDS
from trustscore.model import Scorecard
from trustscore.scoring import (
    ScorecardArtifact,
    describe_flags,
    output_schema,
    parse_quality,
    score,
    score_parquet,
    to_sql,
)
from trustscore.scoring._artifact import example_artifact_dict

ISSUE = ("card_utilisation", "on_time_share_12m", "n_inquiries_6m")


@pytest.fixture(scope="module")
def fitted() -> ScorecardArtifact:
    """A scorecard fitted on the issue's three characteristics with the features' bounds."""
    rng = np.random.default_rng(3)
    n = 3000
    X = pd.DataFrame(
        {
            "card_utilisation": rng.uniform(0.0, 1.1, n),
            "on_time_share_12m": rng.uniform(0.2, 1.0, n),
            "n_inquiries_6m": rng.integers(0, 8, n).astype(float),
        }
    )
    logit = -1.0 + 1.5 * X["card_utilisation"] - 2.0 * X["on_time_share_12m"]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    sc = Scorecard(
        bounds={k: BOUNDS[k] for k in ISSUE}, min_iv=0, method="woe", interactions=0
    ).fit(X, y)
    return sc.to_artifact()


def test_the_issues_impossible_values_are_flagged_with_characteristic_and_value(
    fitted: ScorecardArtifact,
) -> None:
    names = [c.name for c in fitted.characteristics]
    assert sorted(names) == sorted(ISSUE)
    row = {"card_utilisation": 57.0, "on_time_share_12m": 3.5, "n_inquiries_6m": -4.0}
    data = pa.table({k: [v] for k, v in row.items()})
    want = ";".join(f"impossible:{n}" for n in names)  # in the artifact's order
    for engine in ("kernel", "duckdb"):
        out = score(fitted, data, engine=engine, quality=True)
        assert out["status"].to_pylist() == ["OK"]
        assert out["quality"].to_pylist() == [want], engine
    flags = {f.characteristic: f for f in describe_flags(fitted, row)}
    assert {f.kind for f in flags.values()} == {"impossible"}
    assert flags["card_utilisation"].value == 57.0
    assert flags["card_utilisation"].text == (
        "card_utilisation = 57 is impossible: card balances lie between 0 and twice the card limits"
    )
    assert flags["on_time_share_12m"].text == (
        "on_time_share_12m = 3.5 is impossible: a share lies between 0 and 1"
    )
    assert flags["n_inquiries_6m"].text == (
        "n_inquiries_6m = -4 is impossible: a count is never negative"
    )


def test_fit_records_what_training_saw(fitted: ScorecardArtifact) -> None:
    q = fitted.characteristic("n_inquiries_6m").quality
    assert q is not None
    assert (q.min, q.max, q.lower, q.upper, q.missing_seen) == (0.0, 7.0, 0.0, None, False)
    # within the bounds but beyond the range seen; missing where training saw none
    data = pa.table(
        {
            "card_utilisation": [0.5, None, 1.5],
            "on_time_share_12m": [0.9, 0.9, 0.1],
            "n_inquiries_6m": [9.0, 1.0, math.nan],
        }
    )
    got = score(fitted, data, quality=True)["quality"].to_pylist()
    assert got[0] == "out_of_range:n_inquiries_6m"
    assert got[1] == "unexpected_missing:card_utilisation"
    assert set(parse_quality(got[2])) == {
        ("out_of_range", "card_utilisation"),
        ("out_of_range", "on_time_share_12m"),
        ("unexpected_missing", "n_inquiries_6m"),
    }


def test_fit_refuses_training_data_beyond_declared_bounds() -> None:
    X = pd.DataFrame({"share": [0.1, 0.5, 1.2, 0.3] * 50})
    y = np.array([0, 1, 0, 1] * 50)
    with pytest.raises(ModelError, match=r"share = 1\.2 .*outside its declared bounds"):
        Scorecard(bounds={"share": (0, 1)}).fit(X, y)
    with pytest.raises(ModelError, match="'bounds' parameter"):
        Scorecard(bounds={"share": (1, 0)}).fit(X, y)


@pytest.fixture(scope="module")
def art() -> ScorecardArtifact:
    return ScorecardArtifact.from_dict(example_artifact_dict())


def test_flag_rule_at_the_edges(art: ScorecardArtifact) -> None:
    # on_time_rate: seen 0..1, bounds [0, 1] (so nothing is out_of_range only), special -1,
    # missing seen; card_kind: levels card/loan/none, missing seen
    d = example_artifact_dict()
    d["characteristics"][0]["quality"] = {
        "min": 0.25,
        "max": 0.75,
        "bounds": [0, 1],
        "missing_seen": False,
    }
    d["characteristics"][1]["quality"] = {"levels": ["card"], "missing_seen": True}
    a = ScorecardArtifact.from_dict(d)
    rates = [0.25, 0.75, math.nextafter(0.25, 0), 0.0, -0.0, 1.0, 1.0000001, -1.0, math.inf]
    rates += [-math.inf, None, math.nan]
    kinds = ["card", "loan", None, "card", "card", "card", "card", "card", "card", "card"]
    kinds += ["card", "card"]
    data = pa.table({"on_time_rate": rates, "card_kind": kinds, "months_history": [12.0] * 12})
    want = [
        None,
        None,
        "out_of_range:on_time_rate",
        "out_of_range:on_time_rate",
        "out_of_range:on_time_rate",
        "out_of_range:on_time_rate",
        "impossible:on_time_rate",
        None,  # a special code is declared, never flagged
        "impossible:on_time_rate",
        "impossible:on_time_rate",
        "unexpected_missing:on_time_rate",
        "unexpected_missing:on_time_rate",
    ]
    want[1] = "unseen_level:card_kind"
    for engine in ("kernel", "duckdb"):
        assert score(a, data, engine=engine, quality=True)["quality"].to_pylist() == want
    con = duckdb.connect()
    con.register("features", data)
    sql = to_sql(a, "duckdb", quality=True)
    assert [r[-1] for r in con.sql(sql).fetchall()] == want


def test_quality_column_is_last_and_only_when_asked(art: ScorecardArtifact) -> None:
    data = pa.table({"on_time_rate": [0.5], "card_kind": ["gold"], "months_history": [12.0]})
    plain = score(art, data)
    flagged = score(art, data, quality=True)
    assert "quality" not in plain.column_names
    assert flagged.schema == output_schema(art, quality=True)
    assert flagged.column_names[-1] == "quality"
    assert flagged.drop_columns(["quality"]).equals(plain)
    assert flagged["quality"].to_pylist() == ["unseen_level:card_kind"]


def test_score_parquet_writes_quality(art: ScorecardArtifact, tmp_path: Path) -> None:
    data = pa.table(
        {
            "subject_id": ["a", "b", "c"],
            "on_time_rate": [0.5, 2.0, None],
            "card_kind": ["card", "card", "zz"],
            "months_history": [12.0, 12.0, 12.0],
        }
    )
    pq.write_table(data, tmp_path / "in.parquet")
    for engine in ("kernel", "duckdb"):
        score_parquet(
            art, tmp_path / "in.parquet", tmp_path / "out.parquet", engine=engine, batch_rows=2,
            quality=True,
        )  # fmt: skip
        got = pq.read_table(tmp_path / "out.parquet")["quality"].to_pylist()
        assert got == [None, "impossible:on_time_rate", "unseen_level:card_kind"], engine


def _broken(change: Any) -> dict[str, Any]:
    d = copy.deepcopy(example_artifact_dict())
    change(d)
    return d


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["characteristics"][0].pop("quality"), "no 'quality' object"),
        (lambda d: d["characteristics"][0]["quality"].pop("min"), r"lacks \['min'\]"),
        (lambda d: d["characteristics"][0]["quality"].update(max=-5.0), "min <= max"),
        (
            lambda d: d["characteristics"][0]["quality"].update(bounds=[0.5, 1]),
            "outside the declared bounds",
        ),
        (lambda d: d["characteristics"][0]["quality"].update(bounds=[0]), r"\[lower, upper\]"),
        (lambda d: d["characteristics"][1]["quality"].update(levels="card"), "'levels'"),
        (
            lambda d: d["characteristics"][1]["quality"].update(missing_seen="yes"),
            "missing_seen must be true or false",
        ),
        (lambda d: d.update(schema_version=2), "reads version 3 only"),
    ],
)
def test_load_refuses_a_malformed_quality_block(change: Any, message: str) -> None:
    with pytest.raises(ArtifactError, match=message):
        ScorecardArtifact.from_dict(_broken(change), verify_hash=False)


def test_quality_block_round_trips(art: ScorecardArtifact) -> None:
    again = ScorecardArtifact.from_json(art.to_json())
    assert again == art
    assert again.characteristics[1].quality == art.characteristics[1].quality


def test_more_characteristics_than_one_key_holds() -> None:
    # the kernel packs 27 characteristics' codes into one int64 key; 30 need two
    from scoring_strategies import artifact_of

    chars = [
        {
            "name": f"x{j:02d}",
            "dimension": "d",
            "type": "numeric",
            "reason_code": f"R{j:02d}",
            "reason": "r",
            "bins": [{"upper": 0.5, "points": 0}, {"upper": None, "points": 10}],
            "missing": {"points": 0},
            "quality": {"min": 0.0, "max": 1.0, "bounds": [0, None], "missing_seen": False},
        }
        for j in range(30)
    ]
    art = artifact_of(chars)
    rows = {f"x{j:02d}": [0.5, 0.5, 0.5] for j in range(30)}
    rows["x00"] = [-1.0, 0.5, 0.5]
    rows["x27"] = [2.0, 0.5, None]
    rows["x29"] = [None, 0.5, -3.0]
    data = pa.table(rows)
    got = score(art, data, quality=True, reasons=False)["quality"].to_pylist()
    assert got == [
        "impossible:x00;out_of_range:x27;unexpected_missing:x29",
        None,
        "unexpected_missing:x27;impossible:x29",
    ]
    con = duckdb.connect()
    con.register("features", data)
    con.execute("SET threads = 1")
    assert [r[-1] for r in con.sql(to_sql(art, "duckdb", quality=True)).fetchall()] == got
