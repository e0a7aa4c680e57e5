"""The PMML form, scored by pypmml (JPMML on Java), gives the kernel's score and reasons."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings

from scoring_strategies import artifacts_and_data
from trustscore.scoring import ScorecardArtifact, score, to_pmml
from trustscore.scoring._artifact import example_artifact_dict
from trustscore.scoring._pmml import verification_rows

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pmml_model() -> Any:
    pypmml = pytest.importorskip("pypmml")
    return pypmml.Model


def _pmml_scores(
    model_cls: Any, art: ScorecardArtifact, data: pa.Table, tie_order: str = "artifact"
) -> list[tuple[Any, ...]]:
    model = model_cls.fromString(to_pmml(art, verification=False, tie_order=tie_order))
    out = []
    names = [c.name for c in art.characteristics]
    for row in data.select(names).to_pylist():
        # one record at a time: pypmml's DataFrame path reads ±inf as missing
        res = model.predict(row)
        codes = [res[f"reason_{r}"] for r in range(1, 5)]
        # JPMML repeats the last reason when fewer than four characteristics lost points
        reasons = list(dict.fromkeys(c for c in codes if c is not None))
        out.append((int(res["score"]), *reasons, *[None] * (4 - len(reasons))))
    return out


def _kernel_scores(art: ScorecardArtifact, data: pa.Table) -> list[tuple[Any, ...]]:
    # PMML does not carry the criteria: compare with the scores every row gets without them
    got = score(dataclasses.replace(art, criteria=()), data)
    cols = ["score", "reason_1", "reason_2", "reason_3", "reason_4"]
    return list(zip(*(got[c].to_pylist() for c in cols), strict=True))


def test_pmml_equals_kernel_on_tricky_rows(pmml_model: Any) -> None:
    art = ScorecardArtifact.from_dict(example_artifact_dict())
    data = pa.table(
        {
            "on_time_rate": [0.95, math.nan, None, math.inf, -math.inf, 0.5, 0.9, -1.0],
            "card_kind": ["card", "zzz", None, "none", "loan", "none", "", "x"],
        }
    )
    # no two characteristics lose the same points here: both tie orders agree
    assert _pmml_scores(pmml_model, art, data, "consumer") == _kernel_scores(art, data)
    assert _pmml_scores(pmml_model, art, data, "artifact") == _kernel_scores(art, data)


def test_pmml_tie_order(pmml_model: Any) -> None:
    d = example_artifact_dict()
    d["characteristics"][0]["reason_code"] = "A1"  # sorts before CH01
    d["characteristics"][1]["missing"]["points"] = 60  # loses 30, as on_time_rate missing does
    art = ScorecardArtifact.from_dict(d)
    data = pa.table({"on_time_rate": [None], "card_kind": [None]})
    assert _kernel_scores(art, data) == [(90, "A1", "CH01", None, None)]
    assert _pmml_scores(pmml_model, art, data, "artifact") == [(90, "A1", "CH01", None, None)]
    # JPMML's own rule: equal losses by reason code, descending
    assert _pmml_scores(pmml_model, art, data, "consumer") == [(90, "CH01", "A1", None, None)]


def test_pmml_verification_rows_score_as_recorded(pmml_model: Any) -> None:
    art = ScorecardArtifact.from_dict(example_artifact_dict())
    rows = verification_rows(art)
    assert _pmml_scores(pmml_model, art, rows) == _kernel_scores(art, rows)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=artifacts_and_data(max_rows=12))
def test_pmml_equals_kernel(pmml_model: Any, case: tuple[ScorecardArtifact, pa.Table]) -> None:
    art, data = case
    assert _pmml_scores(pmml_model, art, data) == _kernel_scores(art, data)
