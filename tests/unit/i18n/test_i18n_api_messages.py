"""Every error the service raises for a person carries a marked catalogue message.

An f-string or a computed message cannot be in a catalogue, so it would reach a zh-CN reader in
English: the service's source is scanned for them, and a new one fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import trustscore.service

SERVICE = Path(trustscore.service.__file__).parent

#: The calls that answer a person, and where their message is: (position, keyword).
_MESSAGE_ARG = {
    "ApiError": (2, "message"),
    "HTTPException": (1, "detail"),
    "of_domain": (3, "fallback"),
}


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _marked(arg: ast.expr) -> bool:
    return (
        isinstance(arg, ast.Call)
        and _name(arg.func) == "N_"
        and len(arg.args) == 1
        and isinstance(arg.args[0], ast.Constant)
        and isinstance(arg.args[0].value, str)
    )


def unmarked(source: str, filename: str = "<source>") -> list[str]:
    """``file:line call`` of each call whose message is not a literal ``N_("...")``."""
    out = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        if name not in _MESSAGE_ARG:
            continue
        position, keyword = _MESSAGE_ARG[name]
        arg = next((k.value for k in node.keywords if k.arg == keyword), None)
        if arg is None and len(node.args) > position:
            arg = node.args[position]
        if arg is None or not _marked(arg):
            out.append(f"{filename}:{node.lineno} {name}")
    return out


def test_every_service_error_message_is_a_marked_literal() -> None:
    found = [
        hit
        for path in sorted(SERVICE.rglob("*.py"))
        for hit in unmarked(path.read_text(encoding="utf-8"), str(path.relative_to(SERVICE)))
    ]
    assert not found, f"messages not marked with a literal N_(...): {found}"


def test_the_scan_sees_every_way_to_slip_by() -> None:
    source = """
raise ApiError(404, "not_found", f"No {x}.")
raise ApiError(404, "not_found", message="No " + x)
raise ApiError(404, "not_found", N_(f"No {x}."))
raise ApiError(404, "not_found", msg)
raise HTTPException(status_code=400, detail="Bad.")
raise HTTPException(400, "Bad.")
raise ApiError.of_domain(422, "invalid", exc, exc.message)
raise ApiError(404, "not_found")
raise ApiError(404, "not_found", N_("No {x}."), params={"x": x})
raise ApiError.of_domain(422, "invalid", exc, fallback=N_("Not valid."))
raise HTTPException(400, detail=N_("Bad."))
"""
    assert unmarked(source) == [f"<source>:{n} {c}" for n, c in [
        (2, "ApiError"), (3, "ApiError"), (4, "ApiError"), (5, "ApiError"),
        (6, "HTTPException"), (7, "HTTPException"), (8, "of_domain"), (9, "ApiError"),
    ]]  # fmt: skip
