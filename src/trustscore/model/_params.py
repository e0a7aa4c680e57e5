"""The declared constraints of :class:`~trustscore.model.Scorecard`'s parameters.

Every parameter is checked in ``fit`` against one row of :data:`PARAMETER_CONSTRAINTS`, and a
failure always reads the same way: "The 'C' parameter of Scorecard must be a float > 0.
Got -1 instead."

Examples
--------
>>> validate_params("Scorecard", {"C": 0.5, "max_n_bins": 8, "scaling": "spread"})
>>> validate_params("Scorecard", {"C": -1})
Traceback (most recent call last):
...
trustscore.exceptions.ModelError: The 'C' parameter of Scorecard must be a float > 0. Got -1...
>>> validate_params("Scorecard", {"scaling": {"pdo": -20, "anchor_score": 600, "anchor_odds": 20}})
Traceback (most recent call last):
...
trustscore.exceptions.ModelError: The 'scaling' parameter of Scorecard must be 'spread' or a dict...
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from trustscore.exceptions import ModelError
from trustscore.model._binning import TRENDS
from trustscore.model._scaling import SPREAD
from trustscore.scoring._artifact import ScorecardArtifact

__all__ = ["PARAMETER_CONSTRAINTS", "validate_params"]

_CHAR_KEYS: Final = frozenset(
    {
        "dimension",
        "reason_code",
        "reason",
        "improve",
        "missing_reason_code",
        "missing_reason",
        "missing_improve",
        "change",
        "label",
    }
)
MAX_INTERACTIONS: Final = 32


def _is_real(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _real(
    lo: float | None, hi: float | None, lo_open: bool, hi_open: bool
) -> Callable[[Any], bool]:
    def check(v: Any) -> bool:
        if not _is_real(v):
            return False
        if lo is not None and (v <= lo if lo_open else v < lo):
            return False
        return not (hi is not None and (v >= hi if hi_open else v > hi))

    return check


def _characteristics(v: Any) -> bool:
    if v is None:
        return True
    if not isinstance(v, Mapping) or not v:
        return False
    return all(
        isinstance(k, str)
        and isinstance(spec, Mapping)
        and set(spec) <= _CHAR_KEYS
        and all(isinstance(x, str) for x in spec.values())
        for k, spec in v.items()
    )


def _categorical(v: Any) -> bool:
    return v == "auto" or (isinstance(v, list | tuple) and all(isinstance(x, str) for x in v))


def _trend(v: Any) -> bool:
    if isinstance(v, str):
        return v in TRENDS
    return isinstance(v, Mapping) and all(
        isinstance(k, str) and isinstance(t, str) and t in TRENDS for k, t in v.items()
    )


def _directions(v: Any) -> bool:
    return v is None or (
        isinstance(v, Mapping)
        and all(isinstance(k, str) and _is_int(d) and d in (1, -1) for k, d in v.items())
    )


def _special(v: Any) -> bool:
    return v is None or (
        isinstance(v, Mapping)
        and all(
            isinstance(k, str) and isinstance(vals, list | tuple) and all(_is_real(x) for x in vals)
            for k, vals in v.items()
        )
    )


def _purposes(v: Any) -> bool:
    return isinstance(v, list | tuple) and all(isinstance(x, str) for x in v)


def _criteria(v: Any) -> bool:
    return isinstance(v, list | tuple) and all(isinstance(c, Mapping) for c in v)


def _fixed_bins(v: Any) -> bool:
    return v is None or isinstance(v, ScorecardArtifact | Mapping | str | Path)


_PIN: Final = {
    "pdo": _real(0.0, None, True, False),
    "anchor_score": _real(0.0, 1000.0, False, False),
    "anchor_odds": _real(0.0, None, True, False),
}


def _scaling(v: Any) -> bool:
    if isinstance(v, str):
        return v == SPREAD
    return isinstance(v, Mapping) and set(v) == set(_PIN) and all(_PIN[k](v[k]) for k in _PIN)


def _bounds(v: Any) -> bool:
    def limit(x: Any) -> bool:
        return x is None or _is_real(x)

    return v is None or (
        isinstance(v, Mapping)
        and all(
            isinstance(k, str)
            and isinstance(b, list | tuple)
            and len(b) in (2, 3)
            and limit(b[0])
            and limit(b[1])
            and (b[0] is None or b[1] is None or b[0] <= b[1])
            and (len(b) == 2 or isinstance(b[2], str))
            for k, b in v.items()
        )
    )


def _random_state(v: Any) -> bool:
    return v is None or (_is_int(v) and v >= 0)


PARAMETER_CONSTRAINTS: Final[dict[str, tuple[Callable[[Any], bool], str]]] = {
    "characteristics": (
        _characteristics,
        "None or a non-empty mapping of column name to a dict with (some of) the keys "
        "'dimension', 'reason_code', 'reason', 'improve', 'missing_reason_code', "
        "'missing_reason', 'missing_improve', 'change', 'label' (strings)",
    ),
    "categorical_features": (_categorical, "'auto' or a list of column names"),
    "max_n_bins": (
        lambda v: v == "auto" or (_is_int(v) and 2 <= v <= 64),
        "'auto' or an int in [2, 64]",
    ),
    "min_bin_size": (
        lambda v: v == "auto" or _real(0.0, 0.5, True, False)(v),
        "'auto' or a float in (0, 0.5]",
    ),
    "method": (lambda v: v in ("auto", "fused", "woe"), "one of 'auto', 'fused', 'woe'"),
    "monotonic_trend": (
        _trend,
        f"one of {', '.join(repr(t) for t in TRENDS)} or a dict of column name to one of them",
    ),
    "directions": (
        _directions,
        "None or a dict of column name to +1 (more is better) or -1 (more is worse)",
    ),
    "special_codes": (_special, "None or a dict of column name to a list of numbers"),
    "rare_level_min": (_real(0.0, 0.5, False, True), "a float in [0, 0.5)"),
    "min_iv": (
        lambda v: v == "auto" or _real(0.0, None, False, False)(v),
        "'auto' or a float >= 0 (0 keeps every characteristic)",
    ),
    "max_corr": (_real(0.0, 1.0, True, False), "a float in (0, 1] (1 disables the check)"),
    "C": (_real(0.0, None, True, False), "a float > 0"),
    "scaling": (
        _scaling,
        "'spread' or a dict {'pdo': a float > 0, 'anchor_score': a number in [0, 1000], "
        "'anchor_odds': a float > 0}",
    ),
    "approved_purposes": (_purposes, "a list of purpose names"),
    "criteria": (_criteria, "a list of criterion dicts (column, op, value, text)"),
    "fixed_bins": (
        _fixed_bins,
        "None, a ScorecardArtifact, an artifact dict or the path of an artifact",
    ),
    "random_state": (_random_state, "None or an int >= 0"),
    "bounds": (
        _bounds,
        "None or a dict of column name to (lower, upper) or (lower, upper, text), each limit "
        "a number or None and lower <= upper",
    ),
    "interactions": (
        lambda v: v == "auto" or (_is_int(v) and 0 <= v <= MAX_INTERACTIONS),
        f"'auto' or an int in [0, {MAX_INTERACTIONS}] (0: no interactions)",
    ),
    "proxy_threshold": (_real(0.5, 1.0, False, False), "a float in [0.5, 1]"),
    "refuse_proxies": (lambda v: isinstance(v, bool), "True or False"),
    "subject_kind": (
        lambda v: v in ("person", "organisation"),
        "'person' or 'organisation' (whose model: persons and organisations are never scored "
        "by one model)",
    ),
}


def validate_params(owner: str, params: Mapping[str, Any]) -> None:
    """Raise :class:`ModelError` for the first parameter that breaks its declared constraint."""
    for name, value in params.items():
        if name not in PARAMETER_CONSTRAINTS:
            continue
        check, description = PARAMETER_CONSTRAINTS[name]
        if not check(value):
            msg = f"The {name!r} parameter of {owner} must be {description}. Got {value!r} instead."
            raise ModelError(msg, field=name, value=repr(value))
