"""The PMML form, scored by pypmml (PMML4S on the JVM), gives the reference's score and reasons.

The reference scorer is the yardstick every engine equals (the kernel included).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings

from scoring_strategies import artifacts_and_data
from trustscore.scoring import ScorecardArtifact, to_pmml
from trustscore.scoring._artifact import example_artifact_dict
from trustscore.scoring._pmml import verification_rows
from trustscore.scoring._reference_table import reference_table

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


def _reference_scores(art: ScorecardArtifact, data: pa.Table) -> list[tuple[Any, ...]]:
    got = reference_table(dataclasses.replace(art, criteria=()), data)
    cols = ["score", "reason_1", "reason_2", "reason_3", "reason_4"]
    return list(zip(*(got[c].to_pylist() for c in cols), strict=True))


_TRICKY = {
    "on_time_rate": [0.95, math.nan, None, math.inf, -math.inf, 0.5, 0.9, -1.0, 0.3, 0.92],
    "card_kind": ["card", "zzz", None, "none", "loan", "none", "", "x", "loan", "none"],
}


def test_pmml_equals_reference_on_tricky_rows(pmml_model: Any) -> None:
    art = ScorecardArtifact.from_dict(example_artifact_dict())
    data = pa.table(
        {
            "on_time_rate": [0.95, math.nan, None, math.inf, -math.inf, 0.5, 0.9, -1.0],
            "card_kind": ["card", "zzz", None, "none", "loan", "none", "", "x"],
        }
    )
    # no two characteristics lose the same points here: both tie orders agree
    assert _pmml_scores(pmml_model, art, data, "consumer") == _reference_scores(art, data)
    assert _pmml_scores(pmml_model, art, data, "artifact") == _reference_scores(art, data)


def test_pmml_tie_order(pmml_model: Any) -> None:
    d = example_artifact_dict()
    d["characteristics"][0]["missing_reason_code"] = "A1"  # sorts before CH01N
    d["characteristics"][1]["missing"]["points"] = 60  # loses 30, as on_time_rate missing does
    art = ScorecardArtifact.from_dict(d)
    data = pa.table({"on_time_rate": [None], "card_kind": [None]})
    assert _reference_scores(art, data) == [(90, "A1", "CH01N", None, None)]
    assert _pmml_scores(pmml_model, art, data, "artifact") == [(90, "A1", "CH01N", None, None)]
    # PMML4S's own rule: equal losses by reason code, descending
    assert _pmml_scores(pmml_model, art, data, "consumer") == [(90, "CH01N", "A1", None, None)]


def test_pmml_reasons_are_true_by_construction(pmml_model: Any) -> None:
    # a missing value that earns more than the best bin is no reason; a special one that earns
    # less gives the no-information code; the pair's otherwise, however low, is never a reason
    d = example_artifact_dict(interaction=True)
    d["characteristics"][0]["missing"]["points"] = 70  # above the best bin's 60
    art = ScorecardArtifact.from_dict(d)
    data = pa.table(
        {
            "on_time_rate": [None, -1.0, 0.95, 0.95, 0.2],
            "card_kind": ["card", "card", "zz", "loan", "loan"],
        }
    )
    want = [  # the pair's otherwise (0 points, 25 below its best cell) in rows 0-2
        (70 + 90 + 0, None, None, None, None),
        (20 + 90 + 0, "PR01N", None, None, None),
        (60 + 40 + 0, "CH01", None, None, None),
        (60 + 90 + 25, None, None, None, None),
        (10 + 90 + 10, "PR01", "PR02", None, None),
    ]
    assert _reference_scores(art, data) == want
    for tie_order in ("artifact", "consumer"):
        assert _pmml_scores(pmml_model, art, data, tie_order) == want


def test_pmml_verification_rows_score_as_recorded(pmml_model: Any) -> None:
    art = ScorecardArtifact.from_dict(example_artifact_dict())
    rows = verification_rows(art)
    assert _pmml_scores(pmml_model, art, rows) == _reference_scores(art, rows)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=artifacts_and_data(max_rows=12))
def test_pmml_equals_reference(pmml_model: Any, case: tuple[ScorecardArtifact, pa.Table]) -> None:
    art, data = case
    assert _pmml_scores(pmml_model, art, data) == _reference_scores(art, data)


# -- interactions --------------------------------------------------------------------------------
def test_pmml_interaction_equals_reference_on_tricky_rows(pmml_model: Any) -> None:
    art = ScorecardArtifact.from_dict(example_artifact_dict(interaction=True))
    data = pa.table(_TRICKY)
    want = _reference_scores(art, data)
    assert _pmml_scores(pmml_model, art, data) == want
    # the pair's cells [[0, 10], [15, 25]] are in the score: inf and 0.92 with "none" are
    # cell (1, 0), 15; "" (an unseen level) and the special -1 get otherwise, 0
    plain = ScorecardArtifact.from_dict(example_artifact_dict())
    diff = [w[0] - p[0] for w, p in zip(want, _reference_scores(plain, data), strict=True)]
    assert diff == [25, 0, 0, 15, 10, 0, 0, 0, 10, 15]


def test_pmml_interaction_verification_rows_score_as_recorded(pmml_model: Any) -> None:
    art = ScorecardArtifact.from_dict(example_artifact_dict(interaction=True))
    rows = verification_rows(art)
    assert _pmml_scores(pmml_model, art, rows) == _reference_scores(art, rows)
    assert "<ModelVerification" in to_pmml(art)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=artifacts_and_data(max_rows=12, interactions=True))
def test_pmml_with_interactions_equals_reference(
    pmml_model: Any, case: tuple[ScorecardArtifact, pa.Table]
) -> None:
    art, data = case
    assert art.interactions
    assert _pmml_scores(pmml_model, art, data) == _reference_scores(art, data)


# -- the PMML 4.4 schema ------------------------------------------------------------------------
# The DMG's PMML 4.4 XSD is not fetched (no network in tests): Spark's MLlib jar carries it as
# ``pmml.xsd`` (targetNamespace http://www.dmg.org/PMML-4_4), so it is read from the installed
# pyspark, the same package the Spark tests need, and never copied into this repository.


@pytest.fixture(scope="module")
def pmml_schema() -> Any:
    import os
    import zipfile
    from pathlib import Path

    xmlschema = pytest.importorskip("xmlschema")
    try:
        import pyspark
    except ImportError:
        if os.environ.get("TRUSTSCORE_REQUIRE_SPARK") == "1":
            pytest.fail(
                "TRUSTSCORE_REQUIRE_SPARK=1 but pyspark (which carries pmml.xsd) is absent."
            )
        pytest.skip("The PMML 4.4 XSD is read from pyspark's MLlib jar: pip install pyspark.")
    jars = sorted((Path(pyspark.__file__).parent / "jars").glob("spark-mllib_*.jar"))
    assert jars, "pyspark is installed without its MLlib jar"
    with zipfile.ZipFile(jars[0]) as jar:
        text = jar.read("pmml.xsd").decode("utf-8")
    assert 'targetNamespace="http://www.dmg.org/PMML-4_4"' in text
    return xmlschema.XMLSchema(text)


def _schema_errors(schema: Any, document: str) -> list[str]:
    return [str(e.reason) for e in schema.iter_errors(document)]


def test_pmml_validates_against_the_pmml_4_4_schema(pmml_schema: Any) -> None:
    for interaction in (False, True):
        art = ScorecardArtifact.from_dict(example_artifact_dict(interaction=interaction))
        for kwargs in ({}, {"verification": False}, {"tie_order": "consumer"}):
            assert _schema_errors(pmml_schema, to_pmml(art, **kwargs)) == []


def test_the_schema_check_catches_a_broken_document(pmml_schema: Any) -> None:
    # the check is not vacuous: a Scorecard without its required attribute, and elements out
    # of the order the schema prescribes, are both reported
    document = to_pmml(ScorecardArtifact.from_dict(example_artifact_dict()))
    assert 'useReasonCodes="true"' in document
    no_function = document.replace('functionName="regression"', "", 1)
    assert no_function != document
    assert _schema_errors(pmml_schema, no_function)
    start, end = document.index("<MiningSchema"), document.index("</MiningSchema>")
    block = document[start : end + len("</MiningSchema>")]
    moved = document.replace(block, "", 1).replace(
        "</Characteristics>", "</Characteristics>" + block, 1
    )
    assert _schema_errors(pmml_schema, moved)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=artifacts_and_data(max_rows=4))
def test_every_pmml_validates(pmml_schema: Any, case: tuple[ScorecardArtifact, pa.Table]) -> None:
    art, _ = case
    assert _schema_errors(pmml_schema, to_pmml(art)) == []


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=artifacts_and_data(max_rows=4, interactions=True))
def test_every_pmml_with_interactions_validates(
    pmml_schema: Any, case: tuple[ScorecardArtifact, pa.Table]
) -> None:
    art, _ = case
    document = to_pmml(art)
    # one per element, and the one that keeps the no-reason code below zero
    n_elements = len(art.characteristics) + len(art.interactions)
    assert document.count("<Characteristic ") == n_elements + 1
    assert _schema_errors(pmml_schema, document) == []
