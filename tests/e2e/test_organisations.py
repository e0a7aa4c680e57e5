"""Organisations are scored apart: their own features, model, registry slot, scores and report.

Over the small demo (its organisations' model is trained on organisations only): the service
and the CLI score an organisation with the organisations' champion, with reasons in English
and in Simplified Chinese; a person's model never scores a firm, and training refuses the
other kind's features.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from trustscore import ledger as lg
from trustscore.cli import app
from trustscore.exceptions import PurposeError, SchemaError
from trustscore.features import FEATURES, ORG_DIMENSIONS, ORG_FEATURES, compute_features
from trustscore.model import Scorecard
from trustscore.pipeline import (
    Workspace,
    WorkspaceProvider,
    champion_artifact,
    score_subject,
)
from trustscore.records import RecordStore
from trustscore.service import create_app
from trustscore.settings import get_settings

pytestmark = pytest.mark.slow

ORG_NAMES = {f.name for f in ORG_FEATURES}
PERSON_NAMES = {f.name for f in FEATURES}
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def ws(small_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("organisations") / "ws"
    shutil.copytree(small_demo, root)
    return Workspace(root)


@pytest.fixture(scope="module")
def ledger(ws: Workspace) -> Iterator[lg.Ledger]:
    ledger = lg.Ledger(ws.ledger_url)
    yield ledger
    ledger.dispose()


def _org_scores(ws: Workspace) -> list[dict[str, object]]:
    return pq.read_table(ws.kind_path(ws.scores_path, "organisation")).to_pylist()


def _worst_org(ws: Workspace) -> str:
    """The scored organisation with the lowest score: it has reasons."""
    ok = [r for r in _org_scores(ws) if r["status"] == "OK" and r["reason_1"]]
    return str(min(ok, key=lambda r: (r["score"], r["subject_id"]))["subject_id"])


def test_each_kind_is_trained_registered_scored_and_reported_apart(
    ws: Workspace, ledger: lg.Ledger
) -> None:
    person = champion_artifact(ledger, ws, "credit_pricing")
    org = champion_artifact(ledger, ws, "credit_pricing", subject_kind="organisation")
    assert person.content_hash != org.content_hash
    assert (person.model_card["subject_kind"], org.model_card["subject_kind"]) == (
        "person", "organisation",
    )  # fmt: skip
    assert {c.name for c in org.characteristics} <= ORG_NAMES
    assert {c.name for c in person.characteristics} <= PERSON_NAMES
    assert set(org.dimension_names) <= set(ORG_DIMENSIONS)
    assert set(org.dimension_names).isdisjoint(person.dimension_names)
    registry = json.loads(ws.registry_path.read_text())
    assert registry["credit_pricing"]["champion"] == person.content_hash
    assert registry["organisation"]["credit_pricing"]["champion"] == org.content_hash
    # the persons' scores hold persons only, the organisations' organisations only
    store = RecordStore(ws.store_dir)
    kinds = {r["subject_id"]: r["kind"] for r in store.read("subject").to_pylist()}
    people = pq.read_table(ws.scores_path, columns=["subject_id"])["subject_id"].to_pylist()
    firms = [r["subject_id"] for r in _org_scores(ws)]
    assert firms
    assert {kinds[s] for s in firms} == {"organisation"}
    assert {kinds[s] for s in people} == {"person"}
    for name in ("report", "validation"):
        page = ws.root / f"{name}.organisation.html"
        assert org.model_version in page.read_text(encoding="utf-8")


def test_the_provider_scores_an_organisation_with_its_kind_champion(
    ws: Workspace, ledger: lg.Ledger
) -> None:
    provider = WorkspaceProvider(ws)
    firm = _worst_org(ws)
    org = champion_artifact(ledger, ws, "credit_pricing", subject_kind="organisation")
    got = provider.score(firm, "credit_pricing")
    assert (got["model_hash"], got["status"]) == (org.content_hash, "OK")
    assert set(got["subscores"]) == set(org.dimension_names)
    assert got["reasons"]
    assert all(r["code"].startswith("O") for r in got["reasons"])
    assert sum(got["subscores"].values()) == got["score"]
    # exactly the per-subject query a replay runs, and the demo's batch score
    direct = score_subject(provider.store, org, firm, ws.as_of(), known_at=provider.now())
    assert {k: v for k, v in direct.items() if k != "feature_hash"} == {
        k: v for k, v in got.items() if k != "feature_hash"
    }
    batch = next(r for r in _org_scores(ws) if r["subject_id"] == firm)
    assert batch["score"] == got["score"]
    assert [batch[f"reason_{i}"] for i in range(1, len(got["reasons"]) + 1)] == [
        r["code"] for r in got["reasons"]
    ]
    # a person is still scored by the persons' champion
    person = str(pq.read_table(ws.scores_path)["subject_id"][0])
    assert provider.score(person, "credit_pricing")["model_hash"] != org.content_hash


def test_a_model_of_one_kind_never_scores_or_trains_on_the_other(
    ws: Workspace, ledger: lg.Ledger
) -> None:
    person = champion_artifact(ledger, ws, "credit_pricing")
    firm = _worst_org(ws)
    store = RecordStore(ws.store_dir)
    with pytest.raises(PurposeError, match=f"Subject '{firm}' is an organisation; model"):
        score_subject(store, person, firm, ws.as_of())
    orgs = compute_features(store, ws.as_of(), subject_kind="organisation").to_pandas()
    people = compute_features(store, ws.as_of()).to_pandas()
    y = [0, 1] * 10
    with pytest.raises(SchemaError, match="A person model cannot use paydex_12m"):
        Scorecard().fit(orgs[["paydex_12m"]].head(20), y)
    with pytest.raises(SchemaError, match="An organisation model cannot use on_time_share_12m"):
        Scorecard(subject_kind="organisation").fit(people[["on_time_share_12m"]].head(20), y)


def test_the_api_scores_an_organisation_with_reasons_in_both_languages(
    ws: Workspace, tmp_path: Path
) -> None:
    firm = _worst_org(ws)
    ledger = lg.Ledger(f"sqlite:///{tmp_path / 'api.sqlite'}")
    ledger.create_all()
    _, token = lg.create_client(ledger, "lender", ("credit_pricing",), None, name="Bank")
    bearer = {"Authorization": f"Bearer {token}"}
    body = {"subject_id": firm, "purpose": "credit_pricing"}
    try:
        with TestClient(create_app(ledger=ledger, provider=WorkspaceProvider(ws))) as client:
            en = client.post("/v1/scores", json=body, headers=bearer)
            zh = client.post("/v1/scores", json=body, headers=bearer, params={"lang": "zh-CN"})
    finally:
        ledger.dispose()
    assert en.status_code == 200, en.text
    assert zh.status_code == 200, zh.text
    en_body, zh_body = en.json(), zh.json()
    assert en_body["score"] == zh_body["score"]
    codes = [r["code"] for r in en_body["reasons"]]
    assert codes
    assert codes == [r["code"] for r in zh_body["reasons"]]
    assert all(c.startswith("O") for c in codes)
    assert not any(HAN.search(r["text"]) for r in en_body["reasons"])
    assert all(HAN.search(r["text"]) for r in zh_body["reasons"])
    assert en_body["subscores"]
    assert set(en_body["subscores"]) <= set(ORG_DIMENSIONS)


def test_the_cli_scores_organisations_with_their_champion(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUSTSCORE_WORKSPACE", str(ws.root))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        feats = tmp_path / "orgs.parquet"
        got = runner.invoke(app, [
            "features", "--as-of", ws.as_of().isoformat(), "--store", str(ws.store_dir),
            "--out", str(feats), "--subject-kind", "organisation",
        ])  # fmt: skip
        assert got.exit_code == 0, got.output
        out = tmp_path / "scores.parquet"
        got = runner.invoke(app, [
            "score", "--purpose", "credit_pricing", "--subject-kind", "organisation",
            "--data", str(feats), "--out", str(out),
        ])  # fmt: skip
        assert got.exit_code == 0, got.output
        assert "champion for organisations" in got.output
        wrong = runner.invoke(app, [
            "score", "--purpose", "credit_pricing", "--data", str(feats),
            "--out", str(tmp_path / "wrong.parquet"),
        ])  # fmt: skip
    finally:
        get_settings.cache_clear()
    scores = {r["subject_id"]: r for r in pq.read_table(out).to_pylist()}
    demo = {r["subject_id"]: r for r in _org_scores(ws)}
    assert scores.keys() == demo.keys()
    assert all(scores[s]["score"] == demo[s]["score"] for s in demo)
    assert all(scores[s]["reason_1"] == demo[s]["reason_1"] for s in demo)
    # the persons' champion cannot score an organisation's features: a clear error, no trace
    assert wrong.exit_code != 0
    assert "Traceback" not in wrong.output
