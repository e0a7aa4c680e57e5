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
from trustscore.scoring._quality_kernel import PER_KEY, add_numeric_codes
from trustscore.scoring._quality_texts import MISSING, SENTENCES

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
    """The ``quality`` column of ``table`` (see the module docstring), one pass over it.

    Each row's codes are packed into int64 keys (:mod:`trustscore.scoring._quality_kernel`);
    each distinct key is written as text once, and the rows take theirs by index.
    """
    n = table.num_rows
    chars = [c for c in art.characteristics if c.quality is not None]
    n_keys = max(1, -(-len(chars) // PER_KEY))
    keys = np.zeros((n_keys, n), dtype=np.int64)
    flagged = False
    for j, c in enumerate(chars):
        q = c.quality
        assert q is not None
        key, weight = keys[j // PER_KEY], 5 ** (j % PER_KEY)
        missing_code = 0 if q.missing_seen else _CODE["unexpected_missing"]
        col = table.column(c.name)
        if c.type == "numeric":
            x = numeric_column(col, c.name).to_numpy(zero_copy_only=False)
            specials = [v for sp in c.special for v in sp.values]
            limits = (q.lower, q.upper, q.min, q.max)
            flagged |= add_numeric_codes(x, limits, specials, missing_code, weight, key)
        else:
            codes = _categorical_codes(c, col)
            if codes.any():
                key += codes.astype(np.int64) * weight
                flagged = True
    if not flagged:
        return pa.nulls(n, pa.string())
    if n_keys == 1:
        enc = pc.dictionary_encode(pa.array(keys[0]))
        combos, index = np.asarray(enc.dictionary)[:, None], enc.indices
    else:
        combos, inverse = np.unique(keys.T, axis=0, return_inverse=True)
        index = pa.array(inverse.reshape(-1))
    texts = []
    for combo in combos.tolist():
        words = []
        for j, c in enumerate(chars):
            code = (combo[j // PER_KEY] // 5 ** (j % PER_KEY)) % 5
            if code:
                words.append(f"{QUALITY_KINDS[code - 1]}:{c.name}")
        texts.append(";".join(words) or None)
    return pc.take(pa.array(texts, pa.string()), index)


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
        return MISSING
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}"
    return repr(str(value))


def _sentence(c: Characteristic, kind: QualityKind, value: Any) -> str:
    q = c.quality
    assert q is not None
    params: dict[str, Any] = {"name": c.name, "value": _shown(value)}
    if kind == "impossible":
        params["bounds"] = q.bounds_text
    elif kind == "out_of_range":
        params |= {"min": f"{q.min:g}", "max": f"{q.max:g}"}
    return SENTENCES[kind].format(**params)


def describe_flags(art: ScorecardArtifact, row: Mapping[str, Any]) -> list[QualityFlag]:
    """The flags of one row (characteristic name -> value), in artifact order, with sentences.

    The same flags the ``quality`` column holds for that row; what a service or a notice shows.
    The sentences are in English; :func:`translate_flag` gives one in a reader's language.
    """
    out: list[QualityFlag] = []
    for c in art.characteristics:
        value = row.get(c.name)
        kind = flag_kind(c, value)
        if kind is not None:
            out.append(QualityFlag(c.name, kind, value, _sentence(c, kind, value)))
    return out
