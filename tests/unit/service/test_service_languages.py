"""The newest routes answer people in their language: the model registry's refusals, identity
changes and the audit log, in Simplified Chinese when asked for and in English as before."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from trustscore import ledger as lg
from trustscore.exceptions import TrustScoreError
from trustscore.pipeline import merge_subjects, read_run
from trustscore.records import RecordStore
from trustscore.service import create_app
from trustscore.service._domain_messages import domain_message

ZH = {"Accept-Language": "zh-CN"}
CARD = {"approved_purposes": ["credit_pricing"]}


class Api:
    def __init__(self, client: TestClient, ledger: lg.Ledger) -> None:
        self.client, self.ledger = client, ledger
        self.tokens: dict[str, str] = {}
        self.ids: dict[str, str] = {}
        for name, role in (("val", "validator"), ("op", "operator"), ("admin", "admin")):
            made, self.tokens[name] = lg.create_client(ledger, role, name=name)
            self.ids[name] = made.client_id

    def error(self, method: str, url: str, who: str, lang: str, **kw: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[who]}", **kw.pop("headers", {})}
        got = self.client.request(method, url, headers=headers, params={"lang": lang}, **kw)
        assert got.headers["content-language"] == lang
        assert got.status_code >= 400, got.text
        return {"status": got.status_code, **got.json()["error"]}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    ledger = lg.Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger.create_all()
    with TestClient(create_app(ledger=ledger)) as client:
        yield Api(client, ledger)
    ledger.dispose()


def test_the_registry_refuses_in_the_readers_language(api: Api) -> None:
    lg.register_model(api.ledger, "sha256:m1", "m1", CARD, registered_by=api.ids["val"])
    approve = {"purposes": ["credit_pricing"], "report_hash": "sha256:r"}
    url = "/v1/models/sha256:m1/approvals"

    en = api.error("POST", url, "val", "en", json=approve)
    zh = api.error("POST", url, "val", "zh-CN", json=approve)
    assert en["message"] == (
        f"Client {api.ids['val']!r} registered model m1 and cannot also approve it: approval "
        "needs a second person (four eyes). Another validator must read its report and approve it."
    )
    assert zh["message"] == (
        f"客户端 {api.ids['val']!r} 注册了模型 m1，因此不得同时批准该模型：批准须由第二人完成"
        "（四眼原则）。须由另一位验证人员阅读其验证报告后予以批准。"
    )
    # the same codes and details, and no English copy where the whole message is translated
    assert (zh["status"], zh["code"], zh["details"]) == (en["status"], en["code"], en["details"])

    promote = {"purpose": "credit_pricing"}
    zh = api.error("POST", "/v1/models/sha256:m1/promotions", "admin", "zh-CN", json=promote)
    assert zh["message"] == (
        "模型 m1 尚未经验证人员批准用于 'credit_pricing'（已批准的用途：尚无），因此不能成为该用途"
        "的冠军模型。验证人员可使用 trustscore model approve 予以批准。"
    )
    url = "/v1/models/champions/credit_pricing/retirement"
    zh = api.error("POST", url, "admin", "zh-CN")
    assert zh["message"] == "用途 'credit_pricing' 没有可退役的个人冠军模型。"
    zh = api.error("POST", "/v1/models/sha256:nope/promotions", "admin", "zh-CN", json=promote)
    assert zh["message"].startswith("'sha256:nope' 未指向任何已注册模型")


def test_a_message_no_catalogue_holds_keeps_its_english_beside_a_sentence_of_its_kind(
    api: Api,
) -> None:
    # this server has no workspace: registering says so, and the library's words are kept
    body = {"artifact": {"not": "an artifact"}}
    en = api.error("POST", "/v1/models", "op", "en", json=body)
    zh = api.error("POST", "/v1/models", "op", "zh-CN", json=body)
    assert (en["status"], en["message"]) == (
        503, "This server has no workspace to store model artifacts in."
    )  # fmt: skip
    assert zh["message"] == "本服务器没有可存放模型文件的工作区。"


def test_identity_changes_and_the_audit_log_in_simplified_chinese(api: Api) -> None:
    split = {"subject_id": "s1", "records": [{"record_kind": "salary", "record_id": "r1"}]}
    en = api.error("POST", "/v1/identity/split", "op", "en", json=split)
    zh = api.error("POST", "/v1/identity/split", "op", "zh-CN", json=split)
    assert en["message"].startswith("Records of kind 'salary' cannot be moved; kinds are ")
    assert zh["message"].startswith("类型为 'salary' 的记录无法移动；可移动的类型为 ")
    assert zh["details"] == en["details"] == {"record_kind": "salary"}

    report = {"details": "an old account"}
    url = "/v1/identity/split-file-reports"
    zh = api.error("POST", url, "op", "zh-CN", json=report)
    assert zh["message"] == "由运营人员报告时，必须提供 subject_id。"

    en = api.error("GET", "/v1/audit/checkpoint", "admin", "en")
    zh = api.error("GET", "/v1/audit/checkpoint", "admin", "zh-CN")
    assert en["message"] == (
        "No audit checkpoint has been signed yet: run `trustscore audit checkpoint`."
    )
    assert zh["message"] == "尚未签署任何审计检查点：请运行 `trustscore audit checkpoint`。"


def test_an_artifact_that_is_not_one_keeps_the_librarys_words_beside_a_sentence(
    api: Api, tmp_path: Path
) -> None:
    api.client.app.state.workspace = tmp_path  # type: ignore[attr-defined]
    body = {"artifact": {"not": "an artifact"}}
    en = api.error("POST", "/v1/models", "op", "en", json=body)
    zh = api.error("POST", "/v1/models", "op", "zh-CN", json=body)
    assert (en["status"], en["code"]) == (zh["status"], zh["code"]) == (422, "invalid_artifact")
    assert zh["message"] == "该文件不是有效的模型文件。"
    assert zh["details"] == {**en["details"], "message_en": en["message"]}
    assert "message_en" not in en["details"]


def test_a_request_that_does_not_validate_names_each_field_in_the_readers_language(
    api: Api,
) -> None:
    body = {"subject_id": "", "records": "r1", "colour": "red"}
    en = api.error("POST", "/v1/identity/split", "op", "en", json=body)
    zh = api.error("POST", "/v1/identity/split", "op", "zh-CN", json=body)
    # pydantic's own words stay for programs, in English, in both
    raw = [(e["loc"], e["type"], e["msg"]) for e in en["details"]["errors"]]
    assert raw == [(e["loc"], e["type"], e["msg"]) for e in zh["details"]["errors"]]
    assert [t for _, t, _ in raw] == ["string_too_short", "list_type", "extra_forbidden"]
    assert (
        en["message"]
        == "The request is not valid: "
        + "; ".join(f"{'.'.join(loc)}: {msg}" for loc, _, msg in raw)
        + "."
    )
    assert [e["message"] for e in en["details"]["errors"]] == [
        "The field subject_id must not be empty.",
        "The field records must be a list.",
        "The field colour is not expected here; leave it out.",
    ]
    assert zh["message"] == (
        "请求无效。字段 subject_id 不得为空。字段 records 必须是列表。"
        "此处不接受字段 colour，请将其删除。"
    )


def test_a_body_that_is_not_json_or_missing_is_told_as_such(api: Api) -> None:
    headers = {"Content-Type": "application/json"}
    zh = api.error("POST", "/v1/identity/split", "op", "zh-CN", content=b"{", headers=headers)
    assert zh["message"] == "请求无效。请求正文不是有效的 JSON。"
    zh = api.error("POST", "/v1/identity/split", "op", "zh-CN")
    assert zh["message"] == "请求无效。该请求需要 JSON 格式的请求正文。"


def test_the_librarys_identity_and_monitoring_errors_read_in_simplified_chinese(
    tmp_path: Path,
) -> None:
    # the library's own messages, raised as the routes raise them, matched to their templates
    ledger = lg.Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger.create_all()
    raised: list[TrustScoreError] = []
    with pytest.raises(TrustScoreError) as merge:
        merge_subjects(ledger, RecordStore(tmp_path / "store"), "s1", "s1", "op")
    raised.append(merge.value)
    with pytest.raises(TrustScoreError) as run:
        read_run(tmp_path, "20260101T000000Z-abc")
    raised.append(run.value)
    ledger.dispose()
    assert [domain_message(e, "zh-CN") for e in raised] == [
        ("合并需要两个不同的主体；但 's1' 出现了两次。", True),
        ("此工作区中没有保存监测运行 '20260101T000000Z-abc'。", True),
    ]
