"""to_ibis, to_sql and to_pmml: the compiled forms themselves."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import duckdb
import ibis
import pyarrow as pa
import pytest

from trustscore.exceptions import EngineError, SchemaError
from trustscore.scoring import ScorecardArtifact, input_schema, to_ibis, to_pmml, to_sql
from trustscore.scoring._artifact import example_artifact_dict
from trustscore.scoring._reference_table import reference_table

NS = {"p": "http://www.dmg.org/PMML-4_4"}


@pytest.fixture(scope="module")
def art() -> ScorecardArtifact:
    return ScorecardArtifact.from_dict(example_artifact_dict())


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "pyspark", "trino", "snowflake"])
def test_to_sql_for_each_dialect(art: ScorecardArtifact, dialect: str) -> None:
    sql = to_sql(art, dialect, table="my_features")
    assert sql.lstrip().upper().startswith("SELECT")
    assert "my_features" in sql
    assert "'PR01'" in sql
    assert "'CH01'" in sql
    assert "GREATEST" in sql.upper()
    # edges are written so that every engine parses the same double
    assert "'0.5'" in sql
    assert "'0.9'" in sql


def test_to_sql_rejects_unknown_dialect(art: ScorecardArtifact) -> None:
    with pytest.raises(EngineError, match="oracle"):
        to_sql(art, "oracle")


def test_to_sql_grows_linearly(art: ScorecardArtifact) -> None:
    d = example_artifact_dict()
    base = d["characteristics"][0]
    d["characteristics"] = [
        {
            **base,
            "name": f"x{j}",
            "direction": None,  # the points below rise and fall
            "reason_code": f"R{j:02d}",
            "missing_reason_code": f"R{j:02d}N",
            "bins": [{"upper": float(e), "points": e % 5} for e in range(7)]
            + [{"upper": None, "points": 5}],
            "missing": {"points": 2},
            "special": [],
        }
        for j in range(20)
    ]
    d["criteria"] = []
    big = ScorecardArtifact.from_dict(d)
    sql = to_sql(big, "pyspark")
    assert len(sql) < 200_000
    assert sql.upper().count("CASE WHEN") < 20 * 8 + 4 * 20 + 100


def test_to_sql_text_runs_in_duckdb(art: ScorecardArtifact) -> None:
    data = pa.table(
        {
            "row_id": ["a", "b", "c"],
            "on_time_rate": [0.5, float("nan"), None],
            "card_kind": ["loan", None, "other"],
            "months_history": [6.0, 6.0, 5.0],
        }
    )
    con = duckdb.connect()
    con.register("features", data)
    got = con.sql(to_sql(art, "duckdb", keep=["row_id"]) + " ORDER BY row_id").to_arrow_table()
    want = reference_table(art, data.drop_columns(["row_id"]))
    assert got.drop_columns(["row_id"]).to_pylist() == want.to_pylist()
    assert got["reason_1"].to_pylist() == ["PR01", "CH01N", None]  # NaN is missing: PR01N 2nd


def test_to_ibis_keeps_other_columns_and_checks_inputs(art: ScorecardArtifact) -> None:
    t = ibis.table({"subject_id": "string", **input_schema(art)}, name="f")
    expr = to_ibis(art, t)
    assert expr.columns[:4] == ("subject_id", "on_time_rate", "card_kind", "months_history")
    assert dict(expr.schema())["score"] == ibis.dtype("int32")
    with pytest.raises(SchemaError, match="card_kind"):
        to_ibis(art, ibis.table({"on_time_rate": "float64", "months_history": "float64"}))
    with pytest.raises(SchemaError, match="on_time_rate"):
        to_ibis(
            art,
            ibis.table(
                {"on_time_rate": "string", "card_kind": "string", "months_history": "float64"}
            ),
        )


def test_pmml_document_structure(art: ScorecardArtifact) -> None:
    root = ET.fromstring(to_pmml(art))
    assert root.get("version") == "4.4"
    sc = root.find("p:Scorecard", NS)
    assert sc is not None
    assert sc.get("useReasonCodes") == "true"
    assert sc.get("reasonCodeAlgorithm") == "pointsBelow"
    assert sc.get("baselineMethod") == "other"  # the best bin's points, not the best outcome's
    chars = sc.findall("p:Characteristics/p:Characteristic", NS)
    # each baseline is the best bin's points; the last Characteristic gives 0 points under the
    # no-reason code, against a baseline below anything the other Attributes lose under it
    assert [(c.get("reasonCode"), c.get("baselineScore")) for c in chars] == [
        ("PR01", "60"),
        ("CH01", "90"),
        ("__no_reason__", "-131"),
    ]
    first = [
        (a.get("partialScore"), a.get("reasonCode")) for a in chars[0].findall("p:Attribute", NS)
    ]
    # missing and special: the no-information code; bins below the best: the Characteristic's
    # code; the best bin: no reason
    assert first == [
        ("30", "PR01N"),
        ("20", "PR01N"),
        ("10", None),
        ("35", None),
        ("60", "__no_reason__"),
    ]
    second = [
        (a.get("partialScore"), a.get("reasonCode")) for a in chars[1].findall("p:Attribute", NS)
    ]
    assert second == [("40", "CH01N"), ("10", None), ("90", "__no_reason__"), ("40", None)]
    assert chars[1].findall("p:Attribute", NS)[-1].find("p:True", NS) is not None
    outputs = [o.get("name") for o in sc.findall("p:Output/p:OutputField", NS)]
    assert outputs == ["score", "reason_1", "reason_2", "reason_3", "reason_4"]
    rows = sc.findall("p:ModelVerification/p:InlineTable/p:row", NS)
    assert len(rows) >= 4
    # children order the XSD requires: MiningSchema, Output, Characteristics, ModelVerification
    tags = [child.tag.split("}")[1] for child in sc]
    assert tags == ["MiningSchema", "Output", "Characteristics", "ModelVerification"]
