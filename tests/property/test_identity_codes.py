"""Check characters of GB 11643 resident identity numbers and GB 32100 credit codes."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from trustscore.records._identity_codes import (
    USCC_ALPHABET,
    resident_id_check_char,
    resident_id_problem,
    uscc_check_char,
    uscc_problem,
)

_DIGITS = "0123456789"


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    region = draw(st.text(_DIGITS, min_size=6, max_size=6))
    born = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)))
    seq = draw(st.text(_DIGITS, min_size=3, max_size=3))
    body = f"{region}{born:%Y%m%d}{seq}"
    return body + resident_id_check_char(body)


@st.composite
def usccs(draw: st.DrawFn) -> str:
    body = draw(st.text(USCC_ALPHABET, min_size=17, max_size=17))
    return body + uscc_check_char(body)


def test_known_codes() -> None:
    # the standard's own example and two published codes
    assert resident_id_problem("11010519491231002X") is None
    assert resident_id_problem("11010519491231002x") is None  # lower-case x is accepted
    assert uscc_problem("91350100M000100Y43") is None
    assert uscc_problem("91110000600037341L") is None
    assert uscc_problem("91110000600037341l") is None


@given(resident_ids())
def test_valid_resident_ids_pass(code: str) -> None:
    assert resident_id_problem(code) is None
    assert resident_id_problem(code.lower()) is None


@given(resident_ids(), st.integers(0, 17), st.sampled_from(_DIGITS + "X"))
def test_any_single_change_of_a_resident_id_is_caught(code: str, pos: int, char: str) -> None:
    changed = code[:pos] + char + code[pos + 1 :]
    if changed != code:
        assert resident_id_problem(changed) is not None


@given(resident_ids(), st.integers(0, 16))
def test_transposition_of_a_resident_id_is_caught(code: str, pos: int) -> None:
    swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2 :]
    if swapped != code:
        assert resident_id_problem(swapped) is not None


@given(resident_ids(), st.integers(1, 3))
def test_wrong_length_resident_id_is_refused(code: str, cut: int) -> None:
    assert resident_id_problem(code[:-cut]) == f"has {18 - cut} characters, expected 18"
    assert resident_id_problem(code + "1" * cut) == f"has {18 + cut} characters, expected 18"


def test_resident_id_with_an_impossible_birth_date() -> None:
    body = "11010519490231002"  # 31 February
    assert resident_id_problem(body + resident_id_check_char(body)) == (
        "embedded birth date 19490231 is not a real date"
    )


@given(usccs())
def test_valid_usccs_pass(code: str) -> None:
    assert uscc_problem(code) is None


@given(usccs(), st.integers(0, 17), st.sampled_from(USCC_ALPHABET))
def test_any_single_change_of_a_uscc_is_caught(code: str, pos: int, char: str) -> None:
    changed = code[:pos] + char + code[pos + 1 :]
    if changed != code:
        assert uscc_problem(changed) is not None


@given(usccs(), st.sampled_from("IOZSV"))
def test_letters_outside_the_alphabet_are_refused(code: str, letter: str) -> None:
    assert "not in the code's alphabet" in str(uscc_problem(letter + code[1:]))


@given(usccs(), st.integers(1, 3))
def test_wrong_length_uscc_is_refused(code: str, cut: int) -> None:
    assert uscc_problem(code[:-cut]) == f"has {18 - cut} characters, expected 18"
