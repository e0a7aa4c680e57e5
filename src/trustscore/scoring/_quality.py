"""Input-quality flags: values a scorecard scores, but that training never vouched for.

Each characteristic's value gets at most one flag, judged against the artifact's ``quality``
facts (:mod:`trustscore.scoring._quality_facts`):

==========================  ===============================================================
kind                        the value
==========================  ===============================================================
``impossible``              a number outside the declared ``bounds`` (a share outside 0–1,
                            a negative count); ``inf`` beyond a declared bound too
``out_of_range``            a number within the bounds but outside ``min``..``max``, the
                            range training saw (so ``impossible`` outranks it)
``unseen_level``            a categorical level that is not among training's ``levels``
``unexpected_missing``      null or NaN where training saw no missing value
==========================  ===============================================================

A numeric value equal to one of the characteristic's ``special`` codes is a declared code and
is never flagged; missing values are only ever ``unexpected_missing``. Numbers compare as
doubles (a float32 value is widened exactly), bounds and range inclusive.

**The ``quality`` column** (every engine, when asked with ``quality=True``): the flags of a row
as text, ``kind:characteristic`` joined by ``;`` in the artifact's characteristic order, NULL
when the row has none, e.g. ``"impossible:card_utilisation;unseen_level:region"``. Flags
describe the inputs and are given on ``NS`` rows too. :func:`describe_flags` gives the same
flags of one row as records with the value and a sentence a person reads.

Examples
--------
>>> import pyarrow as pa
>>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
>>> art = ScorecardArtifact.from_dict(example_artifact_dict())
>>> rows = pa.table({"on_time_rate": [3.5, 0.5, None], "card_kind": ["card", "gold", "none"]})
>>> quality_column(art, rows).to_pylist()
['impossible:on_time_rate', 'unseen_level:card_kind', None]
>>> describe_flags(art, {"on_time_rate": 3.5, "card_kind": "card"})[0].text
'on_time_rate = 3.5 is impossible: a share lies between 0 and 1'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from trustscore.scoring._artifact import Characteristic, ScorecardArtifact
from trustscore.scoring._inputs import level_text, numeric_column

__all__ = [
    "QUALITY_COLUMN",
    "QUALITY_KINDS",
    "QualityFlag",
    "QualityKind",
    "describe_flags",
    "flag_kind",
    "parse_quality",
    "quality_column",
]

QualityKind = Literal["out_of_range", "impossible", "unseen_level", "unexpected_missing"]
QUALITY_KINDS: Final[tuple[QualityKind, ...]] = (
    "out_of_range",
    "impossible",
    "unseen_level",
    "unexpected_missing",
)
QUALITY_COLUMN: Final = "quality"
_CODE: Final = {k: i + 1 for i, k in enumerate(QUALITY_KINDS)}  # 0: no flag


def flag_kind(c: Characteristic, value: Any) -> QualityKind | None:
    """The flag (if any) of one value of characteristic ``c``: the rule every engine follows.

    Examples
    --------
    >>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
    >>> c = ScorecardArtifact.from_dict(example_artifact_dict()).characteristics[0]
    >>> [flag_kind(c, v) for v in (-1.0, 1.0, 1.5, None)]
    [None, None, 'impossible', None]
    """
    q = c.quality
    if q is None:
        return None
    if c.type == "categorical":
        text = level_text(value)
        if text is None:
            return None if q.missing_seen else "unexpected_missing"
        return None if text in q.levels else "unseen_level"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None if q.missing_seen else "unexpected_missing"
    x = float(value)
    if any(x == v for sp in c.special for v in sp.values):
        return None
    if (q.lower is not None and x < q.lower) or (q.upper is not None and x > q.upper):
        return "impossible"
    if q.min is not None and q.max is not None and (x < q.min or x > q.max):
        return "out_of_range"
    return None


def _numeric_codes(c: Characteristic, col: pa.Array | pa.ChunkedArray) -> npt.NDArray[np.int8]:
    q = c.quality
    assert q is not None  # only called for characteristics with facts
    x = np.asarray(
        pc.cast(numeric_column(col, c.name), pa.float64()).to_numpy(zero_copy_only=False),
        dtype=np.float64,
    )
    missing = np.isnan(x)  # nulls come out of Arrow as NaN
    bad = np.zeros(len(x), dtype=np.bool_)
    if q.lower is not None:
        bad |= x < q.lower
    if q.upper is not None:
        bad |= x > q.upper
    wide = np.zeros(len(x), dtype=np.bool_)
    if q.min is not None and q.max is not None:
        wide = (x < q.min) | (x > q.max)
    codes = np.where(bad, _CODE["impossible"], np.where(wide, _CODE["out_of_range"], 0))
    specials = [v for sp in c.special for v in sp.values]
    if specials:
        codes[np.isin(x, specials)] = 0
    codes[missing] = 0 if q.missing_seen else _CODE["unexpected_missing"]
    return codes.astype(np.int8)


def _categorical_codes(c: Characteristic, col: pa.Array | pa.ChunkedArray) -> npt.NDArray[np.int8]:
    q = c.quality
    assert q is not None
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    enc = col if pa.types.is_dictionary(col.type) else pc.dictionary_encode(col)
    levels = set(q.levels)
    missing_code = 0 if q.missing_seen else _CODE["unexpected_missing"]
    table = np.empty(len(enc.dictionary) + 1, dtype=np.int8)
    table[0] = missing_code  # index -1: null
    for i, v in enumerate(enc.dictionary.to_pylist()):
        text = level_text(v)
        table[i + 1] = (
            missing_code if text is None else (0 if text in levels else _CODE["unseen_level"])
        )
    idx = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    codes: npt.NDArray[np.int8] = table[idx + 1]
    return codes


def quality_column(art: ScorecardArtifact, table: pa.Table) -> pa.Array:
    """The ``quality`` column of ``table`` (see the module docstring), one vectorised pass."""
    n = table.num_rows
    flagged: list[tuple[str, npt.NDArray[np.int8]]] = []
    for c in art.characteristics:
        if c.quality is None:
            continue
        col = table.column(c.name)
        codes = _numeric_codes(c, col) if c.type == "numeric" else _categorical_codes(c, col)
        if codes.any():
            flagged.append((c.name, codes))
    if not flagged:
        return pa.nulls(n, pa.string())
    # each distinct combination of flags is written once, and the rows take theirs by index
    combos, inverse = np.unique(
        np.stack([codes for _, codes in flagged], axis=1), axis=0, return_inverse=True
    )
    texts = [
        ";".join(
            f"{QUALITY_KINDS[k - 1]}:{name}"
            for (name, _), k in zip(flagged, combo, strict=True)
            if k
        )
        or None
        for combo in combos.tolist()
    ]
    return pc.take(pa.array(texts, pa.string()), pa.array(inverse.reshape(-1)))


def parse_quality(text: str | None) -> list[tuple[QualityKind, str]]:
    """A ``quality`` value as ``(kind, characteristic)`` pairs, in order.

    Examples
    --------
    >>> parse_quality("impossible:card_utilisation;unseen_level:region")
    [('impossible', 'card_utilisation'), ('unseen_level', 'region')]
    >>> parse_quality(None)
    []
    """
    if not text:
        return []
    out: list[tuple[QualityKind, str]] = []
    for item in text.split(";"):
        kind, _, name = item.partition(":")
        if kind not in QUALITY_KINDS or not name:
            msg = f"{item!r} is not a quality flag (kind:characteristic, kinds {QUALITY_KINDS})."
            raise ValueError(msg)
        out.append((kind, name))  # type: ignore[arg-type]
    return out


@dataclass(frozen=True)
class QualityFlag:
    """One flag of one row: which characteristic, what kind, the value and a sentence."""

    characteristic: str
    kind: QualityKind
    value: Any
    text: str


def _shown(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "missing"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}"
    return repr(str(value))


def _sentence(c: Characteristic, kind: QualityKind, value: Any) -> str:
    q = c.quality
    assert q is not None
    if kind == "unexpected_missing":
        return f"{c.name} is missing, and training saw no missing value"
    shown = f"{c.name} = {_shown(value)}"
    if kind == "impossible":
        return f"{shown} is impossible: {q.bounds_text}"
    if kind == "out_of_range":
        return f"{shown} is outside the range seen in training ({q.min:g} to {q.max:g})"
    return f"{shown} is a level not seen in training"


def describe_flags(art: ScorecardArtifact, row: Mapping[str, Any]) -> list[QualityFlag]:
    """The flags of one row (characteristic name -> value), in artifact order, with sentences.

    The same flags the ``quality`` column holds for that row; what a service or a notice shows.
    """
    out: list[QualityFlag] = []
    for c in art.characteristics:
        value = row.get(c.name)
        kind = flag_kind(c, value)
        if kind is not None:
            out.append(QualityFlag(c.name, kind, value, _sentence(c, kind, value)))
    return out
