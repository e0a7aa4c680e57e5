"""Argument checks shared by the ledger's functions: one message shape for every refusal."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any, Final

from trustscore.exceptions import SchemaError

__all__ = ["check_choice", "check_json", "check_text", "moment"]


def moment(now: dt.datetime | None, *, name: str = "now") -> dt.datetime:
    """``now`` in UTC (the current time when None); a naive datetime is refused."""
    if now is None:
        return dt.datetime.now(dt.UTC)
    if now.tzinfo is None or now.utcoffset() is None:
        msg = (
            f"The {name!r} argument must be a timezone-aware datetime; got the naive {now!r}. "
            "Pass e.g. datetime.now(datetime.UTC)."
        )
        raise SchemaError(msg, field=name, value=str(now))
    return now.astimezone(dt.UTC)


def check_text(value: object, name: str, *, max_length: int = 256) -> str:
    """``value`` if it is a non-empty string of at most ``max_length`` characters."""
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        msg = (
            f"The {name!r} field must be a non-empty string of at most {max_length} characters; "
            f"got {value!r}."
        )
        raise SchemaError(msg, field=name, value=repr(value)[:80])
    return value


def check_choice(value: object, name: str, choices: Iterable[str]) -> str:
    """``value`` if it is one of ``choices``."""
    options = tuple(choices)
    if value not in options:
        msg = f"The {name!r} field must be one of {', '.join(options)}; got {value!r}."
        raise SchemaError(msg, field=name, value=repr(value)[:80])
    return str(value)


#: built once: json.dumps with an option builds an encoder on every call
_STRICT: Final = json.JSONEncoder(allow_nan=False)


def check_json(value: Any, name: str) -> Any:
    """``value`` if it is plain JSON that every backend stores alike (no NaN, no infinity)."""
    try:
        _STRICT.encode(value)
    except (TypeError, ValueError) as exc:
        msg = (
            f"The {name!r} field must be plain JSON (str, int, float, bool, None, lists and "
            f"dicts with string keys; no NaN or infinity): {exc}. Convert it before writing."
        )
        raise SchemaError(msg, field=name) from exc
    return value
