"""A request that does not validate, told to a person: one sentence per error, naming the field.

Each error keeps pydantic's own ``msg`` and ``type`` (precise, in English, for programs) and gets
a ``message``: a catalogue sentence of its kind, with the field and the limit it broke, in the
request's language. The sentence names the field by its path in the body or query
(``records.0.record_kind``), or says the body itself is missing or not JSON.

Examples
--------
>>> e = {"loc": ("body", "purpose"), "msg": "Field required", "type": "missing"}
>>> validation_message(e, "en"), validation_message(e, "zh-CN")
('The field purpose is required.', '必须提供字段 purpose。')
>>> e = {"loc": ("query", "limit"), "msg": "...", "type": "less_than_equal", "ctx": {"le": 100}}
>>> validation_message(e, "zh-CN")
'字段 limit 不得大于 100。'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from trustscore.i18n import DEFAULT_LOCALE, N_, translate

__all__ = ["validation_message"]

#: Where a field is, as FastAPI's ``loc`` starts: not part of the field's name.
_PLACES: Final = frozenset({"body", "query", "path", "header", "cookie"})

#: The sentence of each kind of error (pydantic's ``type``), with its ``ctx`` as parameters.
_SENTENCES: Final = {
    "missing": N_("The field {field} is required."),
    "extra_forbidden": N_("The field {field} is not expected here; leave it out."),
    "string_too_short": N_("The field {field} must be at least {min_length} characters long."),
    "string_too_long": N_("The field {field} must be at most {max_length} characters long."),
    "too_short": N_("The field {field} must have at least {min_length} items."),
    "too_long": N_("The field {field} must have at most {max_length} items."),
    "greater_than": N_("The field {field} must be greater than {gt}."),
    "greater_than_equal": N_("The field {field} must be at least {ge}."),
    "less_than": N_("The field {field} must be less than {lt}."),
    "less_than_equal": N_("The field {field} must be at most {le}."),
    "literal_error": N_("The field {field} must be one of {expected}."),
    "enum": N_("The field {field} must be one of {expected}."),
    "string_pattern_mismatch": N_("The field {field} does not have the expected form."),
}

#: What a field of the wrong type must be, by the error's type.
_TYPES: Final = {
    "string_type": N_("text"),
    "int_type": N_("a whole number"),
    "int_parsing": N_("a whole number"),
    "int_from_float": N_("a whole number"),
    "float_type": N_("a number"),
    "float_parsing": N_("a number"),
    "bool_type": N_("true or false"),
    "bool_parsing": N_("true or false"),
    "list_type": N_("a list"),
    "dict_type": N_("an object"),
    "model_type": N_("an object"),
    "model_attributes_type": N_("an object"),
    "date_type": N_("a date (YYYY-MM-DD)"),
    "date_parsing": N_("a date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": N_("a date (YYYY-MM-DD)"),
    "datetime_type": N_("a date and time (ISO 8601)"),
    "datetime_parsing": N_("a date and time (ISO 8601)"),
    "datetime_from_date_parsing": N_("a date and time (ISO 8601)"),
}


def _field(loc: Any) -> str:
    parts = [str(p) for p in loc or ()]
    if parts and parts[0] in _PLACES:
        parts = parts[1:]
    return ".".join(parts)


def validation_message(error: Mapping[str, Any], locale: str) -> str:
    """One validation error (as pydantic reports it) as a sentence in ``locale``."""
    kind = str(error.get("type", ""))
    field = _field(error.get("loc"))
    if kind == "json_invalid":
        return translate(locale, "The request body is not valid JSON.")
    if not field:
        if kind == "missing":
            return translate(locale, "The request needs a JSON body.")
        return translate(locale, "The request body is not valid.")
    ctx = {str(k): v for k, v in (error.get("ctx") or {}).items()}
    if kind in _TYPES:
        return translate(
            locale, "The field {field} must be {kind}.",
            field=field, kind=translate(locale, _TYPES[kind]),
        )  # fmt: skip
    sentence = _SENTENCES.get(kind)
    if kind in {"string_too_short", "too_short"} and ctx.get("min_length") == 1:
        sentence = N_("The field {field} must not be empty.")
    if sentence is not None:
        if "expected" in ctx and locale != DEFAULT_LOCALE:
            # pydantic lists the choices as "'a', 'b' or 'c'"
            ctx["expected"] = str(ctx["expected"]).replace(" or ", translate(locale, ", "))
        try:
            return translate(locale, sentence, field=field, **ctx)
        except (KeyError, IndexError):  # a ctx without the limit this pydantic names otherwise
            pass
    return translate(locale, "The field {field} is not valid.", field=field)
