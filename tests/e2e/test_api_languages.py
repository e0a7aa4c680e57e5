"""The API in the reader's language, over the small demo: ``?lang=`` or ``Accept-Language``.

Reasons and how they clear, notices, dispute sentences and error messages come in Simplified
Chinese when asked for, with ``Content-Language`` and the body's ``locale`` saying so; codes,
ids and numbers stay as they are; without a choice everything is English, as before. The ledger
keeps what it records in English.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from trustscore import ledger as lg
from trustscore.i18n import catalogue, format_date
from trustscore.pipeline import WorkspaceProvider, explain_subject
from trustscore.service import create_app

pytestmark = pytest.mark.slow

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}


class Api:
    def __init__(self, client: TestClient, ledger: lg.Ledger, provider: WorkspaceProvider) -> None:
        self.client, self.ledger, self.provider = client, ledger, provider
        self.tokens: dict[str, str] = {}

    def as_(self, who: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **(extra or {})}


@pytest.fixture(scope="module")
def api(small_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    provider = WorkspaceProvider(small_demo)  # read only: nothing here writes to the workspace
    path = tmp_path_factory.mktemp("languages") / "ledger.db"
    ledger = lg.Ledger(f"sqlite:///{path}")
    ledger.create_all()
    with TestClient(create_app(ledger=ledger, provider=provider)) as client:
        yield Api(client, ledger, provider)
    ledger.dispose()


@pytest.fixture(scope="module")
def lowest(small_demo: Path, api: Api) -> str:
    """The scored subject with the lowest score (a decline, far below any cut-off), with a
    subject token and a lender token."""
    rows = pq.read_table(small_demo / "scores.parquet", columns=["subject_id", "status", "score"])
    scored = [r for r in rows.to_pylist() if r["status"] == "OK"]
    subject = min(scored, key=lambda r: r["score"])["subject_id"]
    _, api.tokens["subject"] = lg.create_client(api.ledger, "subject", (), subject, name="me")
    _, api.tokens["lender"] = lg.create_client(
        api.ledger, "lender", ("credit_pricing",), None, name="Bank"
    )
    return str(subject)


def _file(api: Api, subject: str, **kw: Any) -> tuple[dict[str, Any], Any]:
    got = api.client.get(f"/v1/subjects/{subject}/file", **kw)
    assert got.status_code == 200, got.text
    return got.json(), got.headers


def test_the_file_in_simplified_chinese_by_header_or_query(api: Api, lowest: str) -> None:
    english, en_headers = _file(api, lowest, headers=api.as_("subject"))
    by_header, headers = _file(api, lowest, headers=api.as_("subject", ZH))
    by_query, q_headers = _file(api, lowest, headers=api.as_("subject"), params={"lang": "zh-CN"})

    assert (en_headers["content-language"], english["locale"]) == ("en", "en")
    assert (headers["content-language"], by_header["locale"]) == ("zh-CN", "zh-CN")
    assert (q_headers["content-language"], by_query["locale"]) == ("zh-CN", "zh-CN")
    assert "Accept-Language" in headers["vary"]
    assert by_query["explanation"] == by_header["explanation"]

    # English as it always was: the explanation the pipeline gives
    assert english["explanation"] == {
        **explain_subject(api.provider, lowest), "as_of": english["explanation"]["as_of"]
    }  # fmt: skip
    en_x, zh_x = english["explanation"], by_header["explanation"]
    zh = catalogue("zh-CN")
    # (their order is the subject's: the demo's persons-only model gives this subject this one)
    assert [d["label"] for d in en_x["dimensions"]] == ["Credit history", "Payment reliability"]
    assert [d["label"] for d in zh_x["dimensions"]] == ["信用历史", "缴费可靠性"]
    codes = [r["reason_code"] for r in en_x["reasons"]]
    assert [r["reason_code"] for r in zh_x["reasons"]] == codes
    assert zh_x["reasons"], "the lowest score of the demo has reasons"
    for en_r, zh_r in zip(en_x["reasons"], zh_x["reasons"], strict=True):
        # a fixed statement is its catalogue text; a relative one is built in Chinese
        assert zh_r["reason"] == zh.get(en_r["reason"]) or zh_r["reason"].startswith("您的")
        assert zh_r["reason"] != en_r["reason"]
        assert zh_r["improve"] == (zh[en_r["improve"]] if en_r["improve"] else "")
        assert (zh_r["points"], zh_r["value"]) == (en_r["points"], en_r["value"])
    assert [c["text"] for c in zh_x["criteria"]] == [zh[c["text"]] for c in en_x["criteria"]]


def test_a_decision_and_its_notice_in_simplified_chinese(api: Api, lowest: str) -> None:
    got = api.client.post(
        "/v1/decisions", params={"lang": "zh-CN"},
        json={"subject_id": lowest, "purpose": "credit_pricing"}, headers=api.as_("lender"),
    )  # fmt: skip
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["locale"], got.headers["content-language"]) == ("zh-CN", "zh-CN")
    assert (body["outcome"], body["adverse"]) == ("decline", True)
    notice = body["notice"]
    lines = notice["text"].splitlines()
    assert lines[0] == "不利决定通知：已拒绝"
    assert lines[2] == f"主体：{lowest}"
    assert lines[3] == "用途：信贷定价（政策：信贷定价档位 A-D）"
    assert lines[4].startswith(f"您的评分：{body['score']['score']}，评分范围为 ")
    zh = catalogue("zh-CN")
    assert notice["reasons"], "a decline gives its reasons"
    for r, scored in zip(notice["reasons"], body["score"]["reasons"], strict=True):
        assert r["code"] == scored["code"]
        assert f"（{r['code']}）" in notice["text"]
        if r["reason"] in zh.values():
            assert r["reason"] == scored["text"]  # the same statement, translated once
        else:  # a relative statement: rebuilt in Chinese (the score's names the value)
            assert r["reason"].startswith("您的")
            assert scored["text"].startswith("您的")
    assert notice["rights"][1].startswith("您有权对您认为有误或不完整的任何记录提出异议")

    # the ledger keeps the notice in English: the subject's file shows it in their language
    english, _ = _file(api, lowest, headers=api.as_("subject"))
    [decision] = [d for d in english["decisions"] if d["decision_id"] == body["decision_id"]]
    assert decision["notice"]["text"].startswith("Notice of adverse action: Declined\n")
    chinese, _ = _file(api, lowest, headers=api.as_("subject", ZH))
    [decision] = [d for d in chinese["decisions"] if d["decision_id"] == body["decision_id"]]
    assert decision["notice"]["text"] == notice["text"]


def test_errors_meant_for_people_in_simplified_chinese(api: Api, lowest: str) -> None:
    other = "no-such-subject"
    for kw in ({"headers": api.as_("subject", ZH)},
               {"headers": api.as_("subject"), "params": {"lang": "zh-CN"}}):  # fmt: skip
        got = api.client.get(f"/v1/subjects/{other}/file", **kw)  # type: ignore[arg-type]
        assert got.status_code == 403
        assert got.headers["content-language"] == "zh-CN"
        assert got.json()["error"]["code"] == "forbidden"
        assert got.json()["error"]["message"] == "主体只能查看自己的档案。"
    english = api.client.get(f"/v1/subjects/{other}/file", headers=api.as_("subject"))
    assert english.json()["error"]["message"] == "A subject may read only their own file."

    # a purpose the lender may not use: a sentence from the error's context, English kept
    refused = api.client.post(
        "/v1/scores", json={"subject_id": lowest, "purpose": "credit_limit"},
        headers=api.as_("lender", ZH),
    )  # fmt: skip
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "purpose_not_approved"
    assert error["message"] == (
        "该客户端只能将评分用于信贷定价；但其请求的用途为 credit_limit。如模型卡批准该用途，"
        "管理员可为其创建相应的客户端。"
    )
    assert "may use scores only for credit_pricing" in error["details"]["message_en"]

    no_token = api.client.get(f"/v1/subjects/{lowest}/file", headers=ZH)
    assert no_token.status_code == 401
    assert no_token.json()["error"]["message"].startswith("此接口需要持有者令牌")
    nowhere = api.client.get("/v1/nowhere", params={"lang": "zh-CN"})
    assert nowhere.json()["error"]["message"] == "没有此接口。API 说明见 /docs 和 /openapi.json。"


def test_a_dispute_says_its_deadline_as_the_locale_writes_dates(api: Api, lowest: str) -> None:
    records = api.provider.file(lowest)["records"]
    kind = next(k for k in ("obligation", "tradeline") if records.get(k))
    record_id = records[kind][0]["record_id"]
    got = api.client.post(
        "/v1/disputes", json={"record_kind": kind, "record_id": record_id, "grounds": "paid"},
        headers=api.as_("subject", ZH),
    )  # fmt: skip
    assert got.status_code == 201, got.text
    body = got.json()
    deadline = dt.datetime.fromisoformat(body["deadline"]).date()
    zh_date = f"{deadline.year}年{deadline.month}月{deadline.day}日"
    assert format_date(deadline, "zh-CN", style="long") == zh_date
    assert body["message"] == (
        f"处理中：我们正在与报送该记录的机构核实，该异议将于 {zh_date}前处理完毕。"
    )
    again = api.client.get(f"/v1/disputes/{body['dispute_id']}", headers=api.as_("subject"))
    assert again.json()["message"] == (
        "Open: the record is checked with the organisation that reported it, and the dispute "
        f"is resolved by {format_date(deadline, 'en', style='long')}."
    )


def test_the_way_to_the_next_tier_in_simplified_chinese(api: Api, lowest: str) -> None:
    url = f"/v1/subjects/{lowest}/next-tier"
    params = {"purpose": "credit_pricing"}
    english = api.client.get(url, params=params, headers=api.as_("subject")).json()
    chinese = api.client.get(url, params=params, headers=api.as_("subject", ZH)).json()
    assert (english["locale"], chinese["locale"]) == ("en", "zh-CN")
    assert (chinese["score"], chinese["points_needed"]) == (
        english["score"], english["points_needed"])  # fmt: skip
    assert chinese["band"]["label"] == "已拒绝"
    assert chinese["message"] != english["message"]
    assert "达到" in chinese["message"]
    assert not any("a" <= ch <= "z" for ch in chinese["message"].replace("D", ""))
