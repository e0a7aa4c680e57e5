"""What training knew about each characteristic's inputs: the facts input-quality flags need.

Every characteristic of a schema-3 artifact carries a ``quality`` block (required)::

    numeric:     {"min": 0.0, "max": 1.0, "bounds": [0, 1],
                  "bounds_text": "a share lies between 0 and 1", "missing_seen": true}
    categorical: {"levels": ["card", "loan", "none"], "missing_seen": false}

``min`` and ``max`` are the least and greatest value training saw (special codes, null and NaN
left out; both null when it saw no value). ``bounds`` are the declared limits of what the value
can be at all, ``[lower, upper]``, inclusive, either null when not declared; ``bounds_text``
says why, in words a person reads. ``levels`` are the levels training saw, as text (the way
scorers read a level: a whole float ``2.0`` as ``"2"``). ``missing_seen`` says whether
training saw a missing value (null or NaN). The flags themselves are computed in
:mod:`trustscore.scoring._quality`.

Examples
--------
>>> q = QualityFacts.from_dict({"min": 0, "max": 0.9, "bounds": [0, 1], "missing_seen": True},
...                            "numeric", "characteristics[0]")
>>> q.lower, q.upper, q.bounds_text
(0.0, 1.0, 'it lies between 0 and 1')
>>> QualityFacts.from_dict(q.to_dict("numeric"), "numeric", "x") == q
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from trustscore.exceptions import ArtifactError
from trustscore.i18n import N_

__all__ = ["BOUNDS_TEXTS", "QualityFacts", "bounds_text"]


def _number(raw: Any, where: str, key: str) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        msg = f"{where}.quality.{key} must be a finite number or null, got {raw!r}."
        raise ArtifactError(msg, where=where, field=f"quality.{key}")
    return float(raw)


def _g(v: float) -> str:
    return f"{v:g}"


#: The plain statements of declared bounds (:func:`bounds_text`), for the catalogues.
BOUNDS_TEXTS: Final = (
    N_("it lies between {lower} and {upper}"),
    N_("it is never negative"),
    N_("it is never below {lower}"),
    N_("it is never above {upper}"),
)


def bounds_text(lower: float | None, upper: float | None) -> str:
    """The plain statement of declared bounds, where none was written."""
    if lower is not None and upper is not None:
        return BOUNDS_TEXTS[0].format(lower=_g(lower), upper=_g(upper))
    if lower is not None:
        return BOUNDS_TEXTS[1] if lower == 0 else BOUNDS_TEXTS[2].format(lower=_g(lower))
    if upper is not None:
        return BOUNDS_TEXTS[3].format(upper=_g(upper))
    return ""


@dataclass(frozen=True)
class QualityFacts:
    """One characteristic's quality block (see the module docstring)."""

    missing_seen: bool
    min: float | None = None
    max: float | None = None
    lower: float | None = None
    upper: float | None = None
    bounds_text: str = ""
    levels: tuple[str, ...] = ()

    @classmethod
    def from_dict(
        cls, d: Any, ctype: Literal["numeric", "categorical"], where: str
    ) -> QualityFacts:
        """Validate a ``quality`` block; a malformed one raises :class:`ArtifactError`."""
        if not isinstance(d, Mapping):
            msg = (
                f"{where} has no 'quality' object (schema version 3 needs one on every "
                f"characteristic), got {d!r}; refit the model or add the block."
            )
            raise ArtifactError(msg, where=where, field="quality")
        seen = d.get("missing_seen")
        if not isinstance(seen, bool):
            msg = f"{where}.quality.missing_seen must be true or false, got {seen!r}."
            raise ArtifactError(msg, where=where, field="quality.missing_seen")
        if ctype == "categorical":
            return cls._categorical(d, seen, where)
        return cls._numeric(d, seen, where)

    @classmethod
    def _categorical(cls, d: Mapping[str, Any], seen: bool, where: str) -> QualityFacts:
        extra = sorted(set(d) - {"levels", "missing_seen"})
        levels = d.get("levels")
        if extra or isinstance(levels, str) or not isinstance(levels, Sequence):
            msg = (
                f"{where}.quality of a categorical characteristic holds 'levels' (a list of "
                f"text) and 'missing_seen'; got levels {levels!r}"
                + (f" and unknown keys {extra}." if extra else ".")
            )
            raise ArtifactError(msg, where=where, field="quality.levels")
        if not all(isinstance(v, str) for v in levels) or len(set(levels)) != len(levels):
            msg = f"{where}.quality.levels must be distinct strings, got {list(levels)!r}."
            raise ArtifactError(msg, where=where, field="quality.levels")
        return cls(missing_seen=seen, levels=tuple(levels))

    @classmethod
    def _numeric(cls, d: Mapping[str, Any], seen: bool, where: str) -> QualityFacts:
        extra = sorted(set(d) - {"min", "max", "bounds", "bounds_text", "missing_seen"})
        lacking = [k for k in ("min", "max", "bounds") if k not in d]
        if extra or lacking:
            msg = (
                f"{where}.quality of a numeric characteristic holds 'min', 'max', 'bounds', "
                f"'missing_seen' and optionally 'bounds_text'; "
                + (f"it lacks {lacking}" if lacking else f"unknown keys {extra}")
                + "."
            )
            raise ArtifactError(msg, where=where, field="quality")
        lo_seen, hi_seen = _number(d["min"], where, "min"), _number(d["max"], where, "max")
        if (lo_seen is None) != (hi_seen is None) or (
            lo_seen is not None and hi_seen is not None and lo_seen > hi_seen
        ):
            msg = (
                f"{where}.quality: min {lo_seen!r} and max {hi_seen!r} must both be null or "
                "min <= max."
            )
            raise ArtifactError(msg, where=where, field="quality.min")
        raw = d["bounds"]
        if isinstance(raw, str) or not isinstance(raw, Sequence) or len(raw) != 2:
            msg = f"{where}.quality.bounds must be [lower, upper] (each null if none), got {raw!r}."
            raise ArtifactError(msg, where=where, field="quality.bounds")
        lower, upper = _number(raw[0], where, "bounds[0]"), _number(raw[1], where, "bounds[1]")
        if lower is not None and upper is not None and lower > upper:
            msg = f"{where}.quality.bounds {list(raw)!r}: the lower bound is above the upper."
            raise ArtifactError(msg, where=where, field="quality.bounds")
        if lo_seen is not None and (
            (lower is not None and lo_seen < lower) or (upper is not None and hi_seen > upper)  # type: ignore[operator]
        ):
            msg = (
                f"{where}.quality: training saw values {lo_seen:g}..{hi_seen:g}, outside the "
                f"declared bounds {list(raw)!r}; fix the bounds or the training data."
            )
            raise ArtifactError(msg, where=where, field="quality.bounds")
        text = d.get("bounds_text")
        if text is not None and not isinstance(text, str):
            msg = f"{where}.quality.bounds_text must be text, got {text!r}."
            raise ArtifactError(msg, where=where, field="quality.bounds_text")
        return cls(
            missing_seen=seen,
            min=lo_seen,
            max=hi_seen,
            lower=lower,
            upper=upper,
            bounds_text=text or bounds_text(lower, upper),
        )

    def to_dict(self, ctype: Literal["numeric", "categorical"]) -> dict[str, Any]:
        if ctype == "categorical":
            return {"levels": list(self.levels), "missing_seen": self.missing_seen}
        d: dict[str, Any] = {
            "min": self.min,
            "max": self.max,
            "bounds": [self.lower, self.upper],
            "missing_seen": self.missing_seen,
        }
        if self.bounds_text and self.bounds_text != bounds_text(self.lower, self.upper):
            d["bounds_text"] = self.bounds_text
        return d
