"""Models under governance through both doors: the CLI and the API, on a demo workspace.

An unapproved model cannot score for a purpose; the registrant cannot approve; promotion,
retirement and rollback are in the audit chain; replay after a promotion uses the old champion;
a challenger never reaches a decision.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from trustscore import ledger as lg
from trustscore.cli import app
from trustscore.pipeline import (
    Workspace,
    WorkspaceProvider,
    registry_moved,
    replay,
    workspace_champion,
)
from trustscore.pipeline._demo import DEMO_DEVELOPER, DEMO_VALIDATOR
from trustscore.scoring import ScorecardArtifact
from trustscore.service import create_app
from trustscore.settings import get_settings

runner = CliRunner()


def _variant(art: ScorecardArtifact, version: str, *, flatten: bool) -> dict[str, Any]:
    """Another model: a new version and, with ``flatten``, the first characteristic's points
    made equal in every bin (so its scores and reasons differ from the champion's)."""
    d = copy.deepcopy(art.to_dict())
    d.pop("content_hash")
    d["model_version"] = version
    if flatten:
        first = d["characteristics"][0]
        for b in [*first["bins"], first["missing"]]:
            b["points"] = 100
    return ScorecardArtifact.from_dict(d).to_dict()


@pytest.fixture(scope="module")
def ws(small_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("registry") / "ws"
    shutil.copytree(small_demo, root)
    return Workspace(root)


@pytest.fixture
def ledger(ws: Workspace) -> Iterator[lg.Ledger]:
    ledger = lg.Ledger(ws.ledger_url)
    yield ledger
    ledger.dispose()


@pytest.fixture
def cli_env(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TRUSTSCORE_WORKSPACE", str(ws.root))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_demo_registers_and_a_second_person_approves_and_promotes(
    ws: Workspace, ledger: lg.Ledger
) -> None:
    # the persons' model; the organisations' is registered and approved the same way, apart
    models = lg.registered_models(ledger)
    assert sorted(m.card["subject_kind"] for m in models) == ["organisation", "person"]
    [model] = [m for m in models if m.card["subject_kind"] == "person"]
    by = {c.client_id: c for c in lg.clients(ledger)}
    assert (by[model.registered_by].name, by[model.registered_by].role) == (
        DEMO_DEVELOPER, "operator",
    )  # fmt: skip
    [approval] = model.approvals
    assert (by[approval.validator].name, by[approval.validator].role) == (
        DEMO_VALIDATOR, "validator",
    )  # fmt: skip
    # the validator read the validation report the demo wrote
    report = hashlib.sha256(ws.validation_report_path.read_bytes()).hexdigest()
    assert approval.report_hash == f"sha256:{report}"
    assert set(approval.purposes) == {"credit_pricing", "credit_limit", "deposit_waiver"}
    for purpose in approval.purposes:
        champ = lg.champion(ledger, purpose)
        assert champ is not None
        assert champ.model_hash == model.model_hash
    # the stored artifact is the registered one, and there is no other model file
    assert workspace_champion(ws).content_hash == model.model_hash
    assert not (ws.root / "model.json").exists()
    assert lg.audit_verify(ledger).ok


@pytest.mark.usefixtures("cli_env")
def test_cli_four_eyes_promote_retire_rollback_and_unapproved_models(
    ws: Workspace, ledger: lg.Ledger, tmp_path: Path
) -> None:
    champ = workspace_champion(ws)
    first = lg.create_client(ledger, "validator", name="first")[0].client_id
    second = lg.create_client(ledger, "validator", name="second")[0].client_id
    path = tmp_path / "m2.json"
    path.write_text(json.dumps(_variant(champ, "m2-cli", flatten=False)), encoding="utf-8")
    report = tmp_path / "report.html"
    report.write_text("<p>validation of m2</p>", encoding="utf-8")

    code, out = _cli("model", "register", str(path), "--by", first)
    assert code == 0, out
    m2 = lg.find_model(ledger, "m2-cli")
    # an unapproved model can be neither promoted nor named for a decision
    code, out = _cli("model", "promote", "m2-cli", "--purpose", "credit_limit", "--by", second)
    assert code == 1
    assert "not approved for 'credit_limit'" in out
    code, out = _cli(
        "decide", "--purpose", "credit_limit", "--model", str(path),
        "--scores", str(ws.scores_path), "--out", str(tmp_path / "d.parquet"),
    )  # fmt: skip
    assert code == 1
    assert f"use only its champion, model {champ.model_version}" in out
    assert not (tmp_path / "d.parquet").exists()
    # the registrant cannot approve: refused, and the refusal is on record
    code, out = _cli(
        "model", "approve", "m2-cli", "--purpose", "credit_limit", "--report", str(report),
        "--by", first,
    )  # fmt: skip
    assert code == 1
    assert "four eyes" in out
    assert [r.client_id for r in lg.refusals(ledger, kind="four_eyes")] == [first]
    code, out = _cli(
        "model", "approve", "m2-cli", "--purpose", "credit_limit", "--report", str(report),
        "--by", second,
    )  # fmt: skip
    assert code == 0, out
    digest = hashlib.sha256(report.read_bytes()).hexdigest()
    assert lg.find_model(ledger, "m2-cli").approvals[0].report_hash == f"sha256:{digest}"

    code, out = _cli("model", "promote", "m2-cli", "--purpose", "credit_limit", "--by", second)
    assert code == 0, out
    assert json.loads(ws.registry_path.read_text())["credit_limit"]["champion"] == m2.model_hash
    code, out = _cli("model", "retire", "--purpose", "credit_limit", "--by", second)
    assert code == 0, out
    # a purpose without a champion: nothing decides for it
    code, out = _cli(
        "decide", "--purpose", "credit_limit", "--scores", str(ws.scores_path),
        "--out", str(tmp_path / "d.parquet"),
    )  # fmt: skip
    assert code == 1
    assert "No model is approved and promoted for 'credit_limit'" in out
    code, out = _cli("model", "rollback", "--purpose", "credit_limit", "--by", second)
    assert code == 0, out
    assert "rolled credit_limit back to model m2-cli" in out
    code, out = _cli("model", "list")
    assert code == 0, out
    assert "champion of credit_limit" in out.split("m2-cli")[1]

    moves = [e for e in lg.audit_entries(ledger) if e.payload.get("purpose") == "credit_limit"]
    assert [(e.action, e.actor, e.payload["model_hash"]) for e in moves[-3:]] == [
        ("model.promote", second, m2.model_hash), ("model.retire", second, None),
        ("model.rollback", second, m2.model_hash),
    ]  # fmt: skip
    assert lg.audit_verify(ledger).ok
    # leave credit_limit as the demo left it for the other tests
    lg.promote_model(ledger, champ.content_hash, "credit_limit", actor=second)
    registry_moved(ledger, ws)


@pytest.mark.slow
def test_api_registry_four_eyes_scores_follow_the_champion_and_replay_the_old_one(
    ws: Workspace, ledger: lg.Ledger
) -> None:
    champ = workspace_champion(ws)
    _, lender = lg.create_client(ledger, "lender", ["credit_pricing", "credit_limit"])
    _, admin = lg.create_client(ledger, "admin")
    val_a, token_a = lg.create_client(ledger, "validator", name="api-a")
    _, token_b = lg.create_client(ledger, "validator", name="api-b")
    provider = WorkspaceProvider(ws, registry=ledger)
    client = TestClient(create_app(ledger=ledger, provider=provider))
    subject = next(
        r["subject_id"] for r in pq.read_table(ws.scores_path).to_pylist() if r["status"] == "OK"
    )
    ask = {"subject_id": subject, "purpose": "credit_pricing"}

    # a request can name no model: the purpose's champion is the only one
    named = client.post("/v1/scores", json={**ask, "model": "m2"}, headers=_headers(lender))
    assert named.status_code == 422
    first = client.post("/v1/scores", json=ask, headers=_headers(lender))
    assert first.status_code == 200, first.text
    assert first.json()["model_version"] == champ.model_version

    m3 = _variant(champ, "m3-api", flatten=True)
    got = client.post("/v1/models", json={"artifact": m3}, headers=_headers(token_a))
    assert got.status_code == 201, got.text
    m3_hash = got.json()["model_hash"]
    # a lender may not register, and the registrant may not approve its own model
    by_lender = client.post("/v1/models", json={"artifact": m3}, headers=_headers(lender))
    assert by_lender.status_code == 403
    broken = client.post("/v1/models", json={"artifact": {"x": 1}}, headers=_headers(token_a))
    assert (broken.status_code, broken.json()["error"]["code"]) == (422, "invalid_artifact")
    approval = {"purposes": ["credit_pricing"], "report_hash": "sha256:r3"}
    own = client.post(f"/v1/models/{m3_hash}/approvals", json=approval, headers=_headers(token_a))
    assert own.status_code == 403
    assert own.json()["error"]["code"] == "approval_refused"
    assert "four eyes" in own.json()["error"]["message"]
    assert [r.path for r in lg.refusals(ledger, kind="four_eyes", client_id=val_a.client_id)] == [
        f"/v1/models/{m3_hash}/approvals"
    ]
    # not approved yet: it cannot be promoted
    early = client.post(
        "/v1/models/m3-api/promotions", json={"purpose": "credit_pricing"},
        headers=_headers(token_b),
    )  # fmt: skip
    assert early.status_code == 403
    ok = client.post(f"/v1/models/{m3_hash}/approvals", json=approval, headers=_headers(token_b))
    assert ok.status_code == 201, ok.text
    assert ok.json()["approved_purposes"] == ["credit_pricing"]
    promoted = client.post(
        "/v1/models/m3-api/promotions", json={"purpose": "credit_pricing"},
        headers=_headers(admin),
    )  # fmt: skip
    assert promoted.status_code == 201, promoted.text
    assert promoted.json()["slots"]["credit_pricing"]["champion"] == m3_hash

    # the service's scores follow the champion at once, purpose by purpose
    after = client.post("/v1/scores", json=ask, headers=_headers(lender))
    assert after.json()["model_version"] == "m3-api"
    other = client.post("/v1/scores", json={**ask, "purpose": "credit_limit"},
                        headers=_headers(lender))  # fmt: skip
    assert other.json()["model_version"] == champ.model_version
    decided = client.post("/v1/decisions", json=ask, headers=_headers(lender))
    assert decided.status_code == 200, decided.text

    # replay after the promotion uses the champion of the time of the score
    snaps = [s for s in lg.snapshots(ledger, subject) if s.model_version == champ.model_version]
    old = asdict(snaps[0])
    again = replay(ws, old, registry=ledger, purpose="credit_pricing")
    assert again.matches, again.differences
    assert again.recomputed["model_hash"] == champ.content_hash
    # (the champion now would not give it)
    newest = asdict(lg.snapshots(ledger, subject)[-1])
    assert newest["model_hash"] == m3_hash
    assert replay(ws, newest, registry=ledger, purpose="credit_pricing").matches

    # retire: nothing scores for the purpose; rollback: the old champion again
    retired = client.post("/v1/models/champions/credit_pricing/retirement", headers=_headers(admin))
    assert retired.status_code == 201, retired.text
    refused = client.post("/v1/scores", json=ask, headers=_headers(lender))
    assert refused.status_code == 403
    assert "No model is approved and promoted for 'credit_pricing'" in refused.text
    back = client.post("/v1/models/champions/credit_pricing/rollback", headers=_headers(admin))
    assert back.json()["slots"]["credit_pricing"]["champion"] == m3_hash
    back = client.post("/v1/models/champions/credit_pricing/rollback", headers=_headers(admin))
    assert back.json()["slots"]["credit_pricing"]["champion"] == champ.content_hash
    restored = client.post("/v1/scores", json=ask, headers=_headers(lender))
    assert restored.json()["score"] == first.json()["score"]

    listed = client.get("/v1/models", headers=_headers(admin)).json()
    actions = [e["action"] for e in listed["events"] if e["purpose"] == "credit_pricing"]
    assert actions[-4:] == ["promote", "retire", "rollback", "rollback"]
    assert lg.audit_verify(ledger).ok


@pytest.mark.slow
@pytest.mark.usefixtures("cli_env")
def test_a_challenger_is_scored_in_shadow_and_never_reaches_a_decision(
    ws: Workspace, ledger: lg.Ledger, tmp_path: Path
) -> None:
    champ = workspace_champion(ws)
    admin = lg.create_client(ledger, "admin")[0].client_id
    _, lender = lg.create_client(ledger, "lender", ["credit_pricing"])
    path = tmp_path / "c.json"
    path.write_text(json.dumps(_variant(champ, "c-shadow", flatten=True)), encoding="utf-8")
    assert _cli("model", "register", str(path), "--by", admin)[0] == 0
    code, out = _cli("model", "challenge", "c-shadow", "--purpose", "credit_pricing", "--by", admin)
    assert code == 0, out

    out_path = tmp_path / "scores.parquet"
    code, out = _cli(
        "score", "--purpose", "credit_pricing", "--data", str(ws.features_path),
        "--out", str(out_path),
    )  # fmt: skip
    assert code == 0, out
    assert "scored in shadow (never decided with)" in out
    main = pq.read_table(out_path)
    shadow = pq.read_table(tmp_path / "scores.challenger.parquet")
    assert set(main.column("model_version").to_pylist()) == {champ.model_version}
    assert set(shadow.column("model_version").to_pylist()) == {"c-shadow"}
    # the comparison, against a hand computation over the two files
    comparison = json.loads((tmp_path / "scores.challenger.json").read_text())
    a = {r["subject_id"]: r for r in main.to_pylist()}
    b = {r["subject_id"]: r for r in shadow.to_pylist()}
    both = [s for s in a if a[s]["status"] == "OK" and b[s]["status"] == "OK"]
    shift = np.array([b[s]["score"] - a[s]["score"] for s in both], dtype=float)
    assert comparison["shift"]["mean"] == pytest.approx(shift.mean(), abs=1e-9)
    assert comparison["shift"]["q50"] == pytest.approx(np.quantile(shift, 0.5), abs=1e-9)
    changed = sum(a[s]["reason_1"] != b[s]["reason_1"] for s in both)
    assert comparison["reasons"]["n_changed"] == changed > 0
    assert sum(n for row in comparison["migration"].values() for n in row.values()) == len(a)
    assert comparison["models"]["challenger"]["model_version"] == "c-shadow"
    html = (tmp_path / "scores.challenger.html").read_text()
    assert "Challenger c-shadow beside champion" in html

    # the challenger's scores are refused for a decision; the champion's decide
    code, out = _cli(
        "decide", "--purpose", "credit_pricing", "--scores",
        str(tmp_path / "scores.challenger.parquet"), "--out", str(tmp_path / "d.parquet"),
    )  # fmt: skip
    assert code == 1
    assert "c-shadow" in out
    code, out = _cli(
        "decide", "--purpose", "credit_pricing", "--scores", str(out_path),
        "--out", str(tmp_path / "d.parquet"),
    )  # fmt: skip
    assert code == 0, out
    decisions = pq.read_table(tmp_path / "d.parquet")
    assert set(decisions.column("model_version").to_pylist()) == {champ.model_version}
    # through the service too: the decision is the champion's
    client = TestClient(create_app(ledger=ledger, provider=WorkspaceProvider(ws, registry=ledger)))
    subject = both[0]
    got = client.post(
        "/v1/decisions", json={"subject_id": subject, "purpose": "credit_pricing"},
        headers=_headers(lender),
    )  # fmt: skip
    assert got.status_code == 200, got.text
    assert got.json()["score"]["model_version"] == champ.model_version
    assert got.json()["score"]["score"] == a[subject]["score"]
    assert not ws.shadow_dir.exists()  # shadow scoring of requests is off by default
    # with it on, a request's challenger score goes to shadow/, never into the answer
    shadowed = WorkspaceProvider(ws, registry=ledger, shadow_challengers=True)
    client = TestClient(create_app(ledger=ledger, provider=shadowed))
    again = client.post(
        "/v1/decisions", json={"subject_id": subject, "purpose": "credit_pricing"},
        headers=_headers(lender),
    )  # fmt: skip
    assert again.json()["outcome"] == got.json()["outcome"]
    assert again.json()["score"]["score"] == a[subject]["score"]
    [line] = [
        json.loads(x) for x in (ws.shadow_dir / "credit_pricing.jsonl").read_text().splitlines()
    ]
    assert (line["subject_id"], line["champion"]["score"]) == (subject, a[subject]["score"])
    assert (line["challenger"]["model_version"], line["challenger"]["score"]) == (
        "c-shadow", b[subject]["score"],
    )  # fmt: skip
    # withdrawn: the next batch leaves no shadow behind
    assert (
        _cli("model", "challenge", "--purpose", "credit_pricing", "--withdraw", "--by", admin)[0]
        == 0
    )
    assert _cli("score", "--purpose", "credit_pricing", "--data", str(ws.features_path),
                "--out", str(out_path))[0] == 0  # fmt: skip
    assert not (tmp_path / "scores.challenger.parquet").exists()
