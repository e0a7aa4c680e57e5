"""Each kind of input-quality flag's sentence, in English as before and in Simplified Chinese."""

from __future__ import annotations

from typing import Any

import pytest

from trustscore.features import BOUNDS
from trustscore.i18n import LOCALES, catalogue
from trustscore.scoring import ScorecardArtifact, describe_flags, translate_flag
from trustscore.scoring._artifact import example_artifact_dict


@pytest.fixture(scope="module")
def art() -> ScorecardArtifact:
    d = example_artifact_dict()
    # seen 0.25..0.75 of a declared 0..1 (no reason written), never missing
    d["characteristics"][0]["quality"] = {
        "min": 0.25, "max": 0.75, "bounds": [0, 1], "missing_seen": False,
    }  # fmt: skip
    return ScorecardArtifact.from_dict(d, verify_hash=False)


@pytest.mark.parametrize(
    ("row", "english", "chinese"),
    [
        (
            {"on_time_rate": 1.5, "card_kind": "card"},
            "on_time_rate = 1.5 is impossible: it lies between 0 and 1",
            "on_time_rate = 1.5 不可能出现：该值介于 0 与 1 之间",
        ),
        (
            {"on_time_rate": 0.1, "card_kind": "card"},
            "on_time_rate = 0.1 is outside the range seen in training (0.25 to 0.75)",
            "on_time_rate = 0.1 超出了训练数据中出现过的范围（0.25 至 0.75）",
        ),
        (
            {"on_time_rate": None, "card_kind": "card"},
            "on_time_rate is missing, and training saw no missing value",
            "on_time_rate 缺失，而训练数据中没有缺失值",
        ),
        (
            {"on_time_rate": 0.5, "card_kind": "gold"},
            "card_kind = 'gold' is a level not seen in training",
            "card_kind = 'gold' 是训练数据中未出现过的取值",
        ),
    ],
)
def test_every_kind_of_flag_reads_in_each_language(
    art: ScorecardArtifact, row: dict[str, Any], english: str, chinese: str
) -> None:
    [flag] = describe_flags(art, row)
    assert flag.text == english
    assert translate_flag(flag.text, "en") == english
    assert translate_flag(flag.text, "zh-CN") == chinese


def test_the_features_bounds_read_in_every_language() -> None:
    for locale in LOCALES[1:]:
        assert {why for _, _, why in BOUNDS.values()} <= set(catalogue(locale))


def test_a_sentence_of_no_flag_is_left_as_it_is() -> None:
    assert translate_flag("A lender's own words", "zh-CN") == "A lender's own words"
