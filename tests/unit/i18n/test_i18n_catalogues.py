"""Every message a person reads is in every catalogue, with the same placeholders."""

from __future__ import annotations

from pathlib import Path

import pytest

import trustscore
from trustscore.i18n import LOCALES, catalogue, extract_messages, placeholders, translate

SOURCE = Path(trustscore.__file__).parent
TRANSLATED = [loc for loc in LOCALES if loc != "en"]


@pytest.fixture(scope="module")
def messages() -> dict[str, list[str]]:
    return extract_messages([SOURCE])


def test_simplified_chinese_is_spoken() -> None:
    assert LOCALES[0] == "en"
    assert "zh-CN" in LOCALES


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_message_shown_is_in_the_catalogue(
    locale: str, messages: dict[str, list[str]]
) -> None:
    have = catalogue(locale)
    missing = {m: where[0] for m, where in messages.items() if m not in have}
    assert not missing, f"{len(missing)} messages missing from {locale}: {missing}"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_no_catalogue_holds_a_message_no_code_uses(
    locale: str, messages: dict[str, list[str]]
) -> None:
    stale = sorted(m for m in catalogue(locale) if m not in messages)
    assert not stale, f"{len(stale)} messages of {locale} no code uses any more: {stale}"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_translations_keep_the_placeholders(locale: str) -> None:
    wrong = {m: t for m, t in catalogue(locale).items() if placeholders(m) != placeholders(t)}
    assert not wrong


def test_a_missing_message_falls_back_to_english() -> None:
    assert translate("zh-CN", "No catalogue holds {this}", this="x") == "No catalogue holds x"


def test_an_unknown_locale_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown locale 'xx'"):
        catalogue("xx")


def test_extraction_finds_python_script_and_html_messages(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        'from trustscore.i18n import N_, translate\nA = N_("Marked")\n'
        'def f(loc):\n    return translate(loc, "Shown {n}", n=1)\n',
        encoding="utf-8",
    )
    (tmp_path / "p.js").write_text('el.textContent = t("From script");\n', encoding="utf-8")
    (tmp_path / "p.html").write_text(
        "<h2 data-i18n>Your  file</h2><p>not marked</p>"
        '<input data-i18n-attr="placeholder" placeholder="Subject id">',
        encoding="utf-8",
    )
    assert sorted(extract_messages([tmp_path])) == [
        "From script",
        "Marked",
        "Shown {n}",
        "Subject id",
        "Your file",
    ]
