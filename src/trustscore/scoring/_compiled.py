"""An artifact compiled into the flat arrays the kernel reads, built once per content hash.

Numeric characteristic ``j`` becomes ``first[j]`` (the first bin's points) plus, for each inner
edge ``k`` in ``edges64[edge_off[j]:edge_off[j + 1]]``, a step ``steps[k]`` (the next bin's points
minus this one's) so that ``points = first + sum_k [x >= edge_k] * step_k``: a value exactly on an
edge lands in the bin above, ``+inf`` in the last bin and ``-inf`` in the first, as the artifact
says. The edges are padded to a multiple of four with NaN edges (``x >= NaN`` is false) and zero
steps, so the kernel can take them four at a time. ``edges32`` holds, for float32 input, the
smallest float32 not below each float64 edge, so that ``float32 x >= edges32[k]`` is exactly
``float64(x) >= edges64[k]`` and the comparison can stay in float32. Specials and missing
points override the bins afterwards.

Examples
--------
>>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
>>> c = compile_artifact(ScorecardArtifact.from_dict(example_artifact_dict()))
>>> c.first.tolist(), c.steps.tolist(), c.best.tolist()
([10, 10], [25, 25, 0, 0], [60, 90])
>>> compile_artifact(ScorecardArtifact.from_dict(example_artifact_dict())) is c
True
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from trustscore.exceptions import ArtifactError
from trustscore.scoring._artifact import ScorecardArtifact, content_hash

__all__ = ["CRITERIA_OP_CODES", "MAX_ABS_POINTS", "CompiledScorecard", "compile_artifact"]

# The kernel accumulates int32; points this large would let a partial sum overflow.
MAX_ABS_POINTS: Final = 1 << 24
CRITERIA_OP_CODES: Final = {">=": 0, ">": 1, "<=": 2, "<": 3, "==": 4, "!=": 5, "not_null": 6}
_CACHE_SIZE: Final = 64
_EDGE_GROUP: Final = 4


@dataclass(frozen=True, eq=False)
class CompiledScorecard:
    """The flat, kernel-ready form of a :class:`ScorecardArtifact` (see the module docstring)."""

    artifact: ScorecardArtifact
    is_categorical: npt.NDArray[np.bool_]
    first: npt.NDArray[np.int32]
    edge_off: npt.NDArray[np.int64]
    edges64: npt.NDArray[np.float64]
    edges32: npt.NDArray[np.float32]
    steps: npt.NDArray[np.int32]
    missing: npt.NDArray[np.int32]
    special_off: npt.NDArray[np.int64]
    special_values: npt.NDArray[np.float64]
    special_points: npt.NDArray[np.int32]
    dimension: npt.NDArray[np.int64]
    best: npt.NDArray[np.int32]
    criteria_column: tuple[str, ...]
    criteria_op: npt.NDArray[np.int64]
    criteria_value: npt.NDArray[np.float64]
    category_points: tuple[dict[str, int], ...]
    other_points: npt.NDArray[np.int32]

    @property
    def n_characteristics(self) -> int:
        return int(self.first.shape[0])

    @property
    def n_dimensions(self) -> int:
        return len(self.artifact.dimensions)


def _float32_at_or_above(edges: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    """For each edge the smallest float32 ``f`` with ``float64(f) >= edge`` (inf past the range)."""
    with np.errstate(over="ignore"):
        e32 = edges.astype(np.float32)
    below = e32.astype(np.float64) < edges  # False for the NaN padding
    e32[below] = np.nextafter(e32[below], np.float32(np.inf))
    return e32


def _build(art: ScorecardArtifact) -> CompiledScorecard:
    dims = {name: i for i, name in enumerate(art.dimension_names)}
    first: list[int] = []
    missing: list[int] = []
    best: list[int] = []
    other: list[int] = []
    dim: list[int] = []
    edge_off: list[int] = [0]
    edges: list[float] = []
    steps: list[int] = []
    special_off: list[int] = [0]
    special_values: list[float] = []
    special_points: list[int] = []
    cat_points: list[dict[str, int]] = []
    for c in art.characteristics:
        for o in c.outcomes:
            if abs(o.points) > MAX_ABS_POINTS:
                msg = (
                    f"Characteristic {c.name!r} of model {art.model_version} gives "
                    f"{o.points} points; the compiled scorers take at most "
                    f"±{MAX_ABS_POINTS}. Rescale the points."
                )
                raise ArtifactError(msg, model_version=art.model_version, field=c.name)
        first.append(c.bins[0].points)
        missing.append(c.missing.points)
        best.append(c.best_points)
        dim.append(dims[c.dimension])
        other.append(c.other.points if c.other is not None else 0)
        if c.type == "numeric":
            edges.extend(c.edges)
            steps.extend(b.points - a.points for a, b in zip(c.bins, c.bins[1:], strict=False))
            pad = -len(c.edges) % _EDGE_GROUP  # x >= NaN is false: a padded edge adds nothing
            edges.extend([math.nan] * pad)
            steps.extend([0] * pad)
            for sp in c.special:
                special_values.extend(sp.values)
                special_points.extend([sp.points] * len(sp.values))
            cat_points.append({})
        else:
            cat_points.append({cat: b.points for b in c.bins for cat in b.categories})
        edge_off.append(len(edges))
        special_off.append(len(special_values))
    edges64 = np.array(edges, dtype=np.float64)
    return CompiledScorecard(
        artifact=art,
        is_categorical=np.array([c.type == "categorical" for c in art.characteristics]),
        first=np.array(first, dtype=np.int32),
        edge_off=np.array(edge_off, dtype=np.int64),
        edges64=edges64,
        edges32=_float32_at_or_above(edges64),
        steps=np.array(steps, dtype=np.int32),
        missing=np.array(missing, dtype=np.int32),
        special_off=np.array(special_off, dtype=np.int64),
        special_values=np.array(special_values, dtype=np.float64),
        special_points=np.array(special_points, dtype=np.int32),
        dimension=np.array(dim, dtype=np.int64),
        best=np.array(best, dtype=np.int32),
        criteria_column=tuple(cr.column for cr in art.criteria),
        criteria_op=np.array([CRITERIA_OP_CODES[cr.op] for cr in art.criteria], dtype=np.int64),
        criteria_value=np.array(
            [np.nan if cr.value is None else cr.value for cr in art.criteria], dtype=np.float64
        ),
        category_points=tuple(cat_points),
        other_points=np.array(other, dtype=np.int32),
    )


_cache: dict[str, CompiledScorecard] = {}
_lock = threading.Lock()


def artifact_key(art: ScorecardArtifact) -> str:
    """The artifact's content hash, recomputed (a stored one may be stale: verify_hash=False)."""
    return content_hash(art.to_dict())


def compile_artifact(art: ScorecardArtifact) -> CompiledScorecard:
    """The compiled form of ``art``, cached by its content hash."""
    key = artifact_key(art)
    with _lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    compiled = _build(art)
    with _lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = compiled
    return compiled
