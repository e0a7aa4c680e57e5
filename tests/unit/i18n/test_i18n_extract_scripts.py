"""The scripts' messages are found wherever ``t("...")`` is called, not only where Babel's
JavaScript lexer sees a call: inside a template literal, or inside another call's arguments."""

from __future__ import annotations

from pathlib import Path

from trustscore.i18n import extract_messages

SCRIPT = r"""
"use strict";
/* t("In a comment") is no message; nor is // t("this") */
const a = t("Plain");
const b = `${t("In a template {n}", { n: 1 })} and ${count} more`;
const c = t("Outer {inner}", { inner: t('Inner, single-quoted') });
el.append(h("p", {}, `${t("Deep in {x}", { x: `${t("a nested template")}` })}`));
const d = t("Escaped \"quotes\" and a \u00e9");  // t("a line comment")
const e = format(t, "not a message"); const f = t(name);
"""


def test_every_literal_t_call_in_a_script_is_found(tmp_path: Path) -> None:
    (tmp_path / "page.js").write_text(SCRIPT, encoding="utf-8")
    found = extract_messages([tmp_path])
    assert sorted(found) == sorted([
        "Plain",
        "In a template {n}",
        "Outer {inner}",
        "Inner, single-quoted",
        "Deep in {x}",
        "a nested template",
        'Escaped "quotes" and a é',
    ])  # fmt: skip
    # each message is found once per file, however many passes see it
    assert found["Plain"] == [str(tmp_path / "page.js")]


def test_literals_joined_by_plus_are_one_message(tmp_path: Path) -> None:
    (tmp_path / "page.js").write_text(
        "x = `${t(\"This model's scores run from {min} \"\n  + 'to {max}.', range)}`;\n",
        encoding="utf-8",
    )
    assert list(extract_messages([tmp_path])) == ["This model's scores run from {min} to {max}."]
