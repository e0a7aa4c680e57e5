"""Reasons, how they clear and notices in every language: the project's own texts are all in the
catalogues, statements are built from translated templates with the values formatted for the
locale, and English stays what it always was."""

from __future__ import annotations

from typing import Any

import pytest

from trustscore.decisions import (
    AdverseActionNotice,
    NoticeReason,
    SubScore,
    band_label,
    localize_notice,
)
from trustscore.features import DIMENSIONS, FEATURES, LABELS
from trustscore.i18n import LOCALES, catalogue
from trustscore.scoring import ScorecardArtifact
from trustscore.scoring._artifact import example_artifact_dict

TRANSLATED = [loc for loc in LOCALES if loc != "en"]


def _feature_texts() -> list[str]:
    texts = list(LABELS.values()) + list(DIMENSIONS.values())
    for f in FEATURES:
        texts += [f.reason, f.improve, f.missing_reason, f.missing_improve]
    return [t for t in texts if t]


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_feature_text_is_in_the_catalogue(locale: str) -> None:
    have = catalogue(locale)
    texts = _feature_texts()
    assert len(texts) > 80  # reason, improve, no-information texts, labels, dimensions
    missing = [t for t in texts if t not in have]
    assert not missing, f"{len(missing)} feature texts missing from {locale}: {missing}"


@pytest.fixture(scope="module")
def art() -> ScorecardArtifact:
    """The example artifact with the demo's labels, a characteristic without a direction
    (relative statements) and an interaction."""
    d = example_artifact_dict(interaction=True)
    d["characteristics"][0]["direction"] = None
    d["characteristics"][0]["label"] = LABELS["on_time_share_12m"]
    d["characteristics"][1]["label"] = LABELS["n_open_accounts"]
    return ScorecardArtifact.from_dict(d)


ROW: dict[str, Any] = {"on_time_rate": 1234.5, "card_kind": "none", "months_history": 12}


def test_relative_and_interaction_statements_in_english_are_as_before(
    art: ScorecardArtifact,
) -> None:
    label = "share of bills paid on time in the last 12 months"
    assert art.reason_text("PR01", ROW) == (
        f"Your {label}, 1234.5, is outside the range that scores best (0.9 or more)",
        "Pay each bill by its due date",
    )
    assert art.reason_text("PR01") == art.reason_text("PR01", locale="en")
    assert art.reason_text("PR02", ROW)[0] == (
        f"Your {label}, 1234.5, together with your number of open credit accounts, 'none', "
        f"scores lower than the best combination ({label} >= 0.9 with number of open credit "
        "accounts card, loan)"
    )


def test_statements_in_simplified_chinese_format_the_values(art: ScorecardArtifact) -> None:
    label = "过去 12 个月内按时支付的账单比例"
    # the number with the locale's grouping; the range from the templates
    assert art.reason_text("PR01", ROW, locale="zh-CN")[0] == (
        f"您的{label}为 1,234.5，不在得分最高的范围内（0.9 或以上）"
    )
    assert art.reason_text("PR01", locale="zh-CN")[0] == (
        f"您的{label}不在得分最高的范围内（0.9 或以上）"
    )
    assert art.reason_text("PR02", ROW, locale="zh-CN")[0] == (
        f"您的{label}为 1,234.5，有效信贷账户数为 “none”，该组合得分低于最佳组合"
        f"（{label} >= 0.9，且有效信贷账户数 card, loan）"
    )
    assert art.reason_text("PR01", {"on_time_rate": None}, locale="zh-CN")[0].startswith(
        f"您的{label}为 无，"
    )


def test_a_third_partys_own_texts_fall_back_to_english(art: ScorecardArtifact) -> None:
    # the example's own reason texts are in no catalogue: they stay as the artifact has them
    assert art.reason_text("PR01N", locale="zh-CN") == (
        "No bill on file to measure payments by",
        "Bills paid on time will count once they are reported",
    )


@pytest.mark.parametrize("locale", TRANSLATED)
def test_the_demos_statements_are_translated(locale: str) -> None:
    d = example_artifact_dict()
    f = FEATURES[2]  # bills 30 or more days late
    d["characteristics"][0].update(
        reason=f.reason, improve=f.improve, missing_reason=f.missing_reason,
        missing_improve=f.missing_improve, label=LABELS[f.name],
    )  # fmt: skip
    art = ScorecardArtifact.from_dict(d)
    for code in ("PR01", "PR01N"):
        english, translated = art.reason_text(code), art.reason_text(code, locale=locale)
        assert translated[0] == catalogue(locale)[english[0]]
        assert translated[1] == catalogue(locale)[english[1]]


def _notice(**kw: Any) -> AdverseActionNotice:
    f = FEATURES[2]
    base: dict[str, Any] = {
        "subject_id": "s1", "outcome": "D", "label": "Tier D: base rate + 9.50%",
        "purpose": "credit_pricing", "policy": "credit pricing tiers A-D", "model_version": "m1",
        "score": 512, "score_range": (0, 1000),
        "reasons": (NoticeReason(f.reason_code, f.reason, f.improve),),
        "subscores": (SubScore("Payment reliability", 120, 0, 400),),
    }  # fmt: skip
    return AdverseActionNotice(**{**base, **kw})


def test_a_notice_in_simplified_chinese() -> None:
    english = _notice().to_dict()
    zh = localize_notice(english, "zh-CN")
    assert zh["label"] == "D 档：基准利率 + 9.50%"
    assert zh["reasons"] == [
        {
            "code": "PR03",
            "reason": "过去 24 个月内有账单逾期 30 天或以上支付",
            "improve": catalogue("zh-CN")[FEATURES[2].improve],
        }
    ]
    lines = zh["text"].splitlines()
    assert lines[0] == "不利决定通知：D 档：基准利率 + 9.50%"
    assert "用途：信贷定价（政策：信贷定价档位 A-D）" in lines
    assert "您的评分：512，评分范围为 0 至 1000（模型 m1）。" in lines
    assert "  缴费可靠性：120，范围为 0 至 400" in lines
    assert "  1. 过去 24 个月内有账单逾期 30 天或以上支付（PR03）" in lines
    assert lines[lines.index("您的权利：") + 1].startswith("  - 您有权免费获取您的档案副本")
    assert "POST /v1/disputes" in zh["text"]
    assert "（s1）" in zh["text"]
    # machine fields as they were; the English notice itself untouched
    for key in ("subject_id", "outcome", "purpose", "model_version", "score", "score_range"):
        assert zh[key] == english[key]
    assert english == _notice().to_dict()
    assert localize_notice(english, "en") == english


def test_a_notice_without_reasons_or_score_in_simplified_chinese() -> None:
    unscored = {**_notice(reasons=()).to_dict(), "score": None, "status": "NS"}
    zh = localize_notice(unscored, "zh-CN")
    assert "您没有评分：记录历史不足（无法评分并不代表信用不佳）。" in zh["text"]
    assert "  没有任何单一特征拉低您的评分；是评分整体低于临界值。" in zh["text"]
    assert "512" not in zh["text"]
    assert (zh["score"], zh["status"]) == (None, "NS")


def test_the_english_notice_reads_as_it_always_has() -> None:
    text = _notice(reasons=(), subscores=()).text()
    assert text.splitlines()[:8] == [
        "Notice of adverse action: Tier D: base rate + 9.50%",
        "",
        "Subject: s1",
        "Purpose: credit pricing (policy: credit pricing tiers A-D)",
        "Your score: 512 on a range of 0 to 1000 (model m1).",
        "",
        "The main reasons for this decision:",
        "  No single characteristic lowered your score; the score as a whole",
    ]
    assert text.splitlines()[8] == "  fell below the cut-off."


def test_band_labels_of_the_built_in_policies() -> None:
    assert band_label("Credit limit 5000", "zh-CN") == "信用额度 5,000"
    assert band_label("Deposit required", "zh-CN") == "需缴押金"
    assert band_label("A lender's own label", "zh-CN") == "A lender's own label"
    assert band_label("Credit limit 5000", "en") == "Credit limit 5000"
