"""The scorecard artifact: the contract between training and every scorer.

An artifact is versioned JSON — readable, diffable and hashed — never a pickle. Training
(:mod:`trustscore.model`) writes it; every scorer (:mod:`trustscore.scoring`) reads it and
nothing else. The format, schema version 3::

    {
      "format": "trustscore.scorecard", "schema_version": 3,
      "model_version": "demo-20261126-1a2b3c", "created_at": "2026-11-26T17:00:00+00:00",
      "target": "bad_90dpd_12m",
      "scaling": {"pdo": 40, "anchor_score": 600, "anchor_odds": 20, ...},
      "dimensions": [{"name": "payment_reliability", "label": "Payment reliability"}, ...],
      "characteristics": [
        {"name": "on_time_rate_12m", "dimension": "payment_reliability", "type": "numeric",
         "direction": 1,
         "reason_code": "PR01", "reason": "Bills paid after their due date",
         "improve": "Pay each bill by its due date",
         "missing_reason_code": "PR01N", "missing_reason": "No bill fell due in the last year",
         "missing_improve": "",
         "bins": [{"upper": 0.8, "points": 12, ...}, {"upper": null, "points": 95, ...}],
         "missing": {"points": 40}, "special": [{"values": [-1], "points": 30}],
         "quality": {"min": 0.0, "max": 1.0, "bounds": [0, 1],
                     "bounds_text": "a share lies between 0 and 1", "missing_seen": true}},
        {"name": "region", "type": "categorical", "direction": null, ...,
         "bins": [{"categories": ["a", "b"], "points": 50}, ...],
         "missing": {"points": 40}, "other": {"points": 40},
         "quality": {"levels": ["a", "b", "c"], "missing_seen": false}}
      ],
      "interactions": [
        {"name": "on_time_rate x region", "inputs": ["on_time_rate", "region"],
         "dimension": "payment_reliability", "reason_code": "PR09",
         "reason": "...", "improve": "...",
         "axes": [{"edges": [0.8]}, {"groups": [["a"], ["b", "c"]]}],
         "cells": [{"points": 6, "n": 900, "n_event": 90}, {"points": 0}, {"points": 10},
                   {"points": 0}],
         "otherwise": {"points": 0}}
      ],
      "criteria": [{"column": "months_history", "op": ">=", "value": 6, "text": "..."}],
      "model_card": {"approved_purposes": ["credit_pricing"], ...},
      "content_hash": "sha256:..."
    }

Semantics every scorer must reproduce exactly:

- numeric bins are ordered by ``upper`` (exclusive); the last has ``"upper": null`` (+inf). A
  value goes to the first bin whose ``upper`` is greater than it, so a value exactly on an edge
  belongs to the bin above. ``+inf`` goes to the last bin, ``-inf`` to the first. NaN and null go
  to ``missing``. ``special`` values are matched (exactly) before the bins.
- categorical values are matched as strings; a level in no bin goes to ``other``; null to
  ``missing``.
- ``quality`` (required on every characteristic since schema version 3) holds what training
  knew of the inputs: the range of values it saw, declared bounds, the levels it saw and
  whether it saw a missing value (:mod:`trustscore.scoring._quality_facts`). It gives no
  points; scorers asked for ``quality`` flag inputs against it (:mod:`trustscore.scoring._quality`).
- ``interactions`` (optional; absent or empty in most artifacts) are scored elements of their
  own, each over a pair of characteristics (``inputs``, both among ``characteristics``). Each
  input has an axis: a numeric one cuts the values at ``edges`` with the bins' rule (``[lo, hi)``:
  a value on an edge goes above it, ``-inf`` to the first interval, ``+inf`` to the last); a
  categorical one lists ``groups`` of categories that together hold exactly the categories of
  the input's bins. ``cells`` has one entry per (first-axis interval, second-axis interval),
  row-major: cell ``i * n_second + j``. A row whose value of either input goes to that input's
  ``missing``, ``special`` or ``other`` outcome gets the ``otherwise`` points (as training
  writes them, the shift that brings the least cell to 0); every other row gets its cell's
  points.
- the score is the sum of the integer points of the characteristics and interactions (the
  *elements*); a dimension's sub-score is the sum over its elements, so sub-scores add up to
  the score exactly. The artifact guarantees every attainable sum lies in 0..1000 (it adds up
  each element's best and worst points, a bound that holds whatever the data).
- a row that fails any of ``criteria`` (a null counts as failing) gets status ``NS`` and no
  score, no sub-scores and no reasons; every other row gets status ``OK``.
- ``direction`` (numeric characteristics only; null on categorical ones) declares the
  direction of conduct: ``1``, more is better, so the bins' points never fall as the value rises;
  ``-1``, more is worse, so they never rise; null, none declared. An interaction's cells never
  fall (``1``) or rise (``-1``) along the axis of an input with a declared direction. The
  artifact refuses points that move against a declared direction.
- every outcome earns 0 or more points (each element's worst is usually exactly 0), so no
  sub-score is ever negative.
- reasons are true by construction. Each element has a *baseline*: the most points its regular
  outcomes give (a characteristic's bins; an interaction's cells). Where a row lands, it loses
  ``baseline - points`` (a loss of 0 or less is no reason), under a reason code that depends on
  the outcome:

  ========================================  ==============================================
  the row's value lands in                  reason code (if it lost points)
  ========================================  ==============================================
  a bin, or ``other`` (an unseen level)     ``reason_code``: the adverse statement
  ``missing`` or a ``special`` code         ``missing_reason_code``: the no-information one
  an interaction's cell                     the interaction's ``reason_code``
  an interaction's ``otherwise``            none, ever (the inputs' own reasons say it)
  ========================================  ==============================================

  With a declared direction the bins' points are monotone, so a bin that lost points lies on
  the adverse side of the best bin: the adverse statement ("Bills paid after their due date")
  is a fact about the subject. Without one, people read the statement in its relative form,
  naming the value and the range that scores better (see :func:`reason_statement`). A subject
  whose value earns the baseline gets no reason from that element, even where a missing value
  would earn more. The reasons of a row are the codes of the (up to four) largest losses,
  larger first, ties in artifact order (the characteristics, then the interactions). The
  reason codes of an artifact, in that order, are :attr:`ScorecardArtifact.reason_codes`.

Every engine evaluates interactions: the reference, the kernel, the Ibis/SQL forms and PMML.

Examples
--------
>>> art = ScorecardArtifact.from_dict(example_artifact_dict())
>>> art.characteristics[0].best_points
60
>>> art.score_range
(20, 150)
>>> ScorecardArtifact.from_json(art.to_json()) == art
True
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from trustscore.exceptions import ArtifactError
from trustscore.i18n import DEFAULT_LOCALE, translate
from trustscore.safeguards import check_purpose_approvable
from trustscore.scoring._quality_facts import QualityFacts
from trustscore.scoring._statements import interaction_statement, relative_statement

__all__ = [
    "ARTIFACT_FORMAT",
    "CRITERIA_OPS",
    "SCHEMA_VERSION",
    "Axis",
    "Characteristic",
    "Criterion",
    "Interaction",
    "Outcome",
    "ReasonKind",
    "ScorecardArtifact",
    "content_hash",
    "example_artifact_dict",
    "load_artifact",
]

ARTIFACT_FORMAT: Final = "trustscore.scorecard"
SCHEMA_VERSION: Final = 3
SCORE_MIN: Final = 0
SCORE_MAX: Final = 1000
MAX_REASONS: Final = 4
CRITERIA_OPS: Final = (">=", ">", "<=", "<", "==", "!=", "not_null")

#: Which of an element's reasons a code is: the adverse statement or the no-information one.
ReasonKind = Literal["adverse", "missing"]


def _err(msg: str, **ctx: Any) -> ArtifactError:
    return ArtifactError(msg, **ctx)


def _direction(raw: Any, where: str) -> Literal[1, -1] | None:
    if raw is None:
        return None
    if raw == 1 and not isinstance(raw, bool):
        return 1
    if raw == -1 and not isinstance(raw, bool):
        return -1
    raise _err(
        f"{where}.direction must be 1 (more is better), -1 (more is worse) or null, got {raw!r}.",
        where=where,
    )


@dataclass(frozen=True)
class Outcome:
    """One place a value can land: a numeric bin, a categorical group, missing, special or other.

    ``upper`` is set for numeric bins only (None on the last bin: +inf), ``categories`` for
    categorical groups, ``values`` for special codes. ``stats`` keeps what training knew (woe,
    n, n_event, event_rate, label, edited ...) for reports; scorers ignore it.
    """

    points: int
    upper: float | None = None
    categories: tuple[str, ...] = ()
    values: tuple[float, ...] = ()
    stats: Mapping[str, Any] = field(default_factory=dict, compare=True, hash=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str) -> Outcome:
        if not isinstance(d, Mapping):
            raise _err(f"{where} must be an object, got {d!r}.", where=where)
        pts = d.get("points")
        if isinstance(pts, bool) or not isinstance(pts, int):
            raise _err(f"{where}.points must be an integer, got {pts!r}.", where=where)
        upper = d.get("upper")
        if upper is not None and (
            isinstance(upper, bool) or not isinstance(upper, int | float) or math.isnan(upper)
        ):
            raise _err(f"{where}.upper must be a number or null, got {upper!r}.", where=where)
        cats = d.get("categories", ())
        vals = d.get("values", ())
        stats = {k: v for k, v in d.items() if k not in {"points", "upper", "categories", "values"}}
        return cls(
            points=pts,
            upper=None if upper is None else float(upper),
            categories=tuple(str(c) for c in cats),
            values=tuple(float(v) for v in vals),
            stats=stats,
        )

    def to_dict(
        self, *, kind: Literal["numeric", "categorical", "special", "plain"]
    ) -> dict[str, Any]:
        d: dict[str, Any] = {"points": self.points}
        if kind == "numeric":
            d["upper"] = self.upper
        elif kind == "categorical":
            d["categories"] = list(self.categories)
        elif kind == "special":
            d["values"] = list(self.values)
        d.update(self.stats)
        return d


@dataclass(frozen=True)
class Characteristic:
    """A scorecard characteristic: its bins and points, its dimension and its reason text."""

    name: str
    dimension: str
    type: Literal["numeric", "categorical"]
    bins: tuple[Outcome, ...]
    missing: Outcome
    reason_code: str
    reason: str
    improve: str = ""
    special: tuple[Outcome, ...] = ()
    other: Outcome | None = None
    direction: Literal[1, -1] | None = None
    missing_reason_code: str = ""
    missing_reason: str = ""
    missing_improve: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)
    #: what training knew of the inputs (always set on a loaded artifact; None: no flags)
    quality: QualityFacts | None = None

    @property
    def label(self) -> str:
        """The characteristic's name as people read it (``card_utilisation``: card utilisation)."""
        return str(self.extra.get("label") or self.name.replace("_", " "))

    @property
    def baseline_points(self) -> int:
        """The most points a bin gives: losses, hence reasons, are measured against it."""
        return max(b.points for b in self.bins)

    @property
    def edges(self) -> tuple[float, ...]:
        """Exclusive upper edges of the numeric bins, without the last (+inf)."""
        return tuple(b.upper for b in self.bins[:-1] if b.upper is not None)

    @property
    def outcomes(self) -> tuple[Outcome, ...]:
        rest = (self.other,) if self.other is not None else ()
        return (*self.bins, self.missing, *self.special, *rest)

    @property
    def best_points(self) -> int:
        return max(o.points for o in self.outcomes)

    @property
    def worst_points(self) -> int:
        return min(o.points for o in self.outcomes)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], i: int) -> Characteristic:
        where = f"characteristics[{i}]"
        if not isinstance(d, Mapping):
            raise _err(f"{where} must be an object.", where=where)
        for key in ("name", "dimension", "type", "bins", "missing", "reason_code", "reason"):
            if key not in d:
                raise _err(f"{where} has no {key!r}.", where=where)
        name = str(d["name"])
        where = f"characteristics[{i}] ({name!r})"
        ctype = d["type"]
        if ctype not in ("numeric", "categorical"):
            raise _err(f"{where}.type must be 'numeric' or 'categorical', got {ctype!r}.")
        raw_bins = d["bins"]
        if not isinstance(raw_bins, Sequence) or not raw_bins:
            raise _err(f"{where}.bins must be a non-empty list.", where=where)
        bins = tuple(Outcome.from_dict(b, f"{where}.bins[{j}]") for j, b in enumerate(raw_bins))
        if ctype == "numeric":
            uppers = [b.upper for b in bins]
            if uppers[-1] is not None:
                raise _err(f"{where}: the last numeric bin must have upper null (+inf).")
            inner = uppers[:-1]
            if any(u is None or math.isinf(u) for u in inner):
                raise _err(f"{where}: only the last numeric bin may have upper null or inf.")
            if any(a >= b for a, b in itertools.pairwise(inner)):  # type: ignore[operator]
                raise _err(f"{where}: bin edges must increase strictly, got {inner}.")
        else:
            seen: set[str] = set()
            for j, b in enumerate(bins):
                dup = seen.intersection(b.categories)
                if dup:
                    raise _err(f"{where}.bins[{j}]: categories {sorted(dup)} appear twice.")
                seen.update(b.categories)
        other = Outcome.from_dict(d["other"], f"{where}.other") if d.get("other") else None
        if ctype == "categorical" and other is None:
            raise _err(f"{where}: a categorical characteristic needs 'other' (unseen levels).")
        direction = _direction(d.get("direction"), where)
        if direction is not None and ctype != "numeric":
            raise _err(
                f"{where}: a categorical characteristic has no direction of conduct; set "
                f"'direction' to null, got {direction!r}.",
                where=where,
            )
        if direction is not None:
            pts = [b.points for b in bins]
            against = [
                j for j, (a, b) in enumerate(itertools.pairwise(pts)) if (b - a) * direction < 0
            ]
            if against:
                j = against[0]
                raise _err(
                    f"{where}: its direction is {direction:+d} (more is "
                    f"{'better' if direction > 0 else 'worse'}), but its points "
                    f"{'fall' if direction > 0 else 'rise'} from bin {j} to bin {j + 1} "
                    f"({pts[j]} to {pts[j + 1]}); points must follow the declared direction.",
                    where=where,
                )
        special = tuple(
            Outcome.from_dict(s, f"{where}.special[{j}]")
            for j, s in enumerate(d.get("special", ()))
        )
        known = {
            "name",
            "dimension",
            "type",
            "bins",
            "missing",
            "reason_code",
            "reason",
            "improve",
            "special",
            "other",
            "direction",
            "missing_reason_code",
            "missing_reason",
            "missing_improve",
            "quality",
        }
        code = str(d["reason_code"])
        return cls(
            name=name,
            dimension=str(d["dimension"]),
            type=ctype,
            bins=bins,
            missing=Outcome.from_dict(d["missing"], f"{where}.missing"),
            reason_code=code,
            reason=str(d["reason"]),
            improve=str(d.get("improve", "")),
            special=special,
            other=other,
            direction=direction,
            missing_reason_code=str(d.get("missing_reason_code") or f"{code}N"),
            missing_reason=str(d.get("missing_reason") or f"No {name.replace('_', ' ')} on file"),
            missing_improve=str(d.get("missing_improve", "")),
            extra={k: v for k, v in d.items() if k not in known},
            quality=QualityFacts.from_dict(d.get("quality"), ctype, where),
        )

    def to_dict(self) -> dict[str, Any]:
        kind: Literal["numeric", "categorical"] = self.type
        d: dict[str, Any] = {
            "name": self.name,
            "dimension": self.dimension,
            "type": self.type,
            "direction": self.direction,
            "reason_code": self.reason_code,
            "reason": self.reason,
            "improve": self.improve,
            "missing_reason_code": self.missing_reason_code,
            "missing_reason": self.missing_reason,
            "missing_improve": self.missing_improve,
            "bins": [b.to_dict(kind=kind) for b in self.bins],
            "missing": self.missing.to_dict(kind="plain"),
        }
        if self.special:
            d["special"] = [s.to_dict(kind="special") for s in self.special]
        if self.other is not None:
            d["other"] = self.other.to_dict(kind="plain")
        d.update(self.extra)
        if self.quality is not None:
            d["quality"] = self.quality.to_dict(self.type)
        return d


@dataclass(frozen=True)
class Axis:
    """One input's axis of an interaction: numeric ``edges`` or categorical ``groups``.

    A numeric axis has ``len(edges) + 1`` intervals, ``[-inf, e0), [e0, e1), ..., [e_last, inf]``
    (the bins' rule); a categorical axis has one interval per group.
    """

    type: Literal["numeric", "categorical"]
    edges: tuple[float, ...] = ()
    groups: tuple[tuple[str, ...], ...] = ()

    @property
    def size(self) -> int:
        """The number of intervals (numeric) or groups (categorical)."""
        return len(self.groups) if self.type == "categorical" else len(self.edges) + 1

    @classmethod
    def from_dict(cls, d: Any, c: Characteristic, where: str) -> Axis:
        if not isinstance(d, Mapping):
            raise _err(f"{where} must be an object, got {d!r}.", where=where)
        if c.type == "numeric":
            if "groups" in d or not isinstance(d.get("edges"), Sequence):
                raise _err(
                    f"{where}: the input {c.name!r} is numeric, so its axis needs 'edges' "
                    f"(a list of numbers), got {dict(d)!r}.",
                    where=where,
                )
            raw = list(d["edges"])
            if any(
                isinstance(e, bool) or not isinstance(e, int | float) or not math.isfinite(e)
                for e in raw
            ):
                raise _err(f"{where}.edges must be finite numbers, got {raw!r}.", where=where)
            edges = tuple(float(e) for e in raw)
            if any(a >= b for a, b in itertools.pairwise(edges)):
                raise _err(f"{where}: edges must increase strictly, got {list(edges)}.")
            return cls(type="numeric", edges=edges)
        raw_groups = d.get("groups")
        if "edges" in d or not isinstance(raw_groups, Sequence) or not raw_groups:
            raise _err(
                f"{where}: the input {c.name!r} is categorical, so its axis needs 'groups' "
                f"(a non-empty list of lists of categories), got {dict(d)!r}.",
                where=where,
            )
        groups: list[tuple[str, ...]] = []
        for g in raw_groups:
            if isinstance(g, str) or not isinstance(g, Sequence) or not g:
                raise _err(f"{where}: each group must be a non-empty list, got {g!r}.")
            groups.append(tuple(str(x) for x in g))
        flat = [x for g in groups for x in g]
        if len(set(flat)) != len(flat):
            dup = sorted({x for x in flat if flat.count(x) > 1})
            raise _err(f"{where}: categories {dup} appear in more than one group.")
        known = {x for b in c.bins for x in b.categories}
        if set(flat) != known:
            extra, absent = sorted(set(flat) - known), sorted(known - set(flat))
            raise _err(
                f"{where}: the groups must hold exactly the categories of {c.name!r}'s bins; "
                f"not in its bins: {extra}, in no group: {absent}.",
                where=where,
            )
        return cls(type="categorical", groups=tuple(groups))

    def to_dict(self) -> dict[str, Any]:
        if self.type == "numeric":
            return {"edges": list(self.edges)}
        return {"groups": [list(g) for g in self.groups]}

    def labels(self) -> list[str]:
        """A short label per interval or group (``< 1``, ``[1, 2)``, ``>= 2``; ``a, b``)."""
        if self.type == "categorical":
            return [", ".join(g) for g in self.groups]
        if not self.edges:
            return ["all values"]
        e = [f"{v:g}" for v in self.edges]
        mid = [f"[{a}, {b})" for a, b in itertools.pairwise(e)]
        return [f"< {e[0]}", *mid, f">= {e[-1]}"]


@dataclass(frozen=True)
class Interaction:
    """A pair of characteristics scored together: points per cell of their two axes.

    ``cells`` is row-major over ``axes[0]`` x ``axes[1]``; ``otherwise`` is given where either
    input's value goes to its missing, special or other outcome.
    """

    name: str
    inputs: tuple[str, str]
    dimension: str
    axes: tuple[Axis, Axis]
    cells: tuple[Outcome, ...]
    otherwise: Outcome
    reason_code: str
    reason: str
    improve: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @property
    def shape(self) -> tuple[int, int]:
        return self.axes[0].size, self.axes[1].size

    @property
    def outcomes(self) -> tuple[Outcome, ...]:
        return (*self.cells, self.otherwise)

    @property
    def baseline_points(self) -> int:
        """The most points a cell gives: losses, hence reasons, are measured against it."""
        return max(c.points for c in self.cells)

    @property
    def best_points(self) -> int:
        return max(o.points for o in self.outcomes)

    @property
    def worst_points(self) -> int:
        return min(o.points for o in self.outcomes)

    def cell(self, i: int, j: int) -> Outcome:
        """The cell of interval ``i`` of the first axis and ``j`` of the second."""
        return self.cells[i * self.shape[1] + j]

    @classmethod
    def from_dict(
        cls, d: Mapping[str, Any], i: int, chars: Mapping[str, Characteristic]
    ) -> Interaction:
        where = f"interactions[{i}]"
        if not isinstance(d, Mapping):
            raise _err(f"{where} must be an object.", where=where)
        for key in ("inputs", "dimension", "axes", "cells", "reason_code", "reason"):
            if key not in d:
                raise _err(f"{where} has no {key!r}.", where=where)
        raw_inputs = d["inputs"]
        if (
            isinstance(raw_inputs, str)
            or not isinstance(raw_inputs, Sequence)
            or len(raw_inputs) != 2
            or not all(isinstance(x, str) for x in raw_inputs)
        ):
            raise _err(f"{where}.inputs must be two characteristic names, got {raw_inputs!r}.")
        a, b = raw_inputs
        name = str(d.get("name", f"{a} x {b}"))
        where = f"interactions[{i}] ({name!r})"
        if a == b:
            raise _err(f"{where}: its two inputs are both {a!r}; a pair needs two.", where=where)
        for x in (a, b):
            if x not in chars:
                raise _err(
                    f"{where}: the input {x!r} is not a characteristic of the artifact "
                    f"({sorted(chars)}).",
                    where=where,
                )
        raw_axes = d["axes"]
        if isinstance(raw_axes, str | Mapping) or not isinstance(raw_axes, Sequence):
            raise _err(f"{where}.axes must be a list of two axes, got {raw_axes!r}.")
        if len(raw_axes) != 2:
            raise _err(f"{where}.axes must hold one axis per input (2), got {len(raw_axes)}.")
        axes = (
            Axis.from_dict(raw_axes[0], chars[a], f"{where}.axes[0]"),
            Axis.from_dict(raw_axes[1], chars[b], f"{where}.axes[1]"),
        )
        raw_cells = d["cells"]
        if isinstance(raw_cells, str | Mapping) or not isinstance(raw_cells, Sequence):
            raise _err(f"{where}.cells must be a list, got {raw_cells!r}.", where=where)
        n0, n1 = axes[0].size, axes[1].size
        if len(raw_cells) != n0 * n1:
            raise _err(
                f"{where}: cell count mismatch: its axes have {n0} x {n1} = {n0 * n1} cells, "
                f"the artifact lists {len(raw_cells)}.",
                where=where,
            )
        cells = tuple(Outcome.from_dict(x, f"{where}.cells[{k}]") for k, x in enumerate(raw_cells))
        otherwise = Outcome.from_dict(d.get("otherwise", {"points": 0}), f"{where}.otherwise")
        grid = [[cells[r * n1 + q].points for q in range(n1)] for r in range(n0)]
        for ax, put in enumerate((a, b)):
            direction = chars[put].direction
            if direction is None:
                continue
            lines = grid if ax == 1 else [list(col) for col in zip(*grid, strict=True)]
            for line in lines:
                if any((y - x) * direction < 0 for x, y in itertools.pairwise(line)):
                    raise _err(
                        f"{where}: the input {put!r} has direction {direction:+d}, but the "
                        f"cells' points move against it along axis {ax} ({line}); cells must "
                        "follow each input's declared direction.",
                        where=where,
                    )
        known = {
            "name",
            "inputs",
            "dimension",
            "axes",
            "cells",
            "otherwise",
            "reason_code",
            "reason",
            "improve",
        }
        return cls(
            name=name,
            inputs=(a, b),
            dimension=str(d["dimension"]),
            axes=axes,
            cells=cells,
            otherwise=otherwise,
            reason_code=str(d["reason_code"]),
            reason=str(d["reason"]),
            improve=str(d.get("improve", "")),
            extra={k: v for k, v in d.items() if k not in known},
        )

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "name": self.name,
            "inputs": list(self.inputs),
            "dimension": self.dimension,
            "reason_code": self.reason_code,
            "reason": self.reason,
            "improve": self.improve,
            "axes": [ax.to_dict() for ax in self.axes],
            "cells": [c.to_dict(kind="plain") for c in self.cells],
            "otherwise": self.otherwise.to_dict(kind="plain"),
        }
        d.update(self.extra)
        return d


@dataclass(frozen=True)
class Criterion:
    """A minimum scoring criterion over one input column; failing it gives status ``NS``."""

    column: str
    op: str
    value: float | None = None
    text: str = ""

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], i: int) -> Criterion:
        where = f"criteria[{i}]"
        op = d.get("op")
        if op not in CRITERIA_OPS:
            raise _err(f"{where}.op must be one of {CRITERIA_OPS}, got {op!r}.", where=where)
        value = d.get("value")
        if op != "not_null" and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise _err(f"{where}.value must be a number, got {value!r}.", where=where)
        return cls(
            column=str(d["column"]),
            op=str(op),
            value=None if value is None else float(value),
            text=str(d.get("text", "")),
        )

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"column": self.column, "op": self.op}
        if self.op != "not_null":
            d["value"] = self.value
        d["text"] = self.text
        return d


def _canonical(d: Mapping[str, Any]) -> bytes:
    body = {k: v for k, v in d.items() if k != "content_hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def content_hash(d: Mapping[str, Any]) -> str:
    """The sha256 of an artifact's canonical JSON, ``content_hash`` itself left out."""
    return "sha256:" + hashlib.sha256(_canonical(d)).hexdigest()


def _shown(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "none"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return f"{value:g}"
    return repr(str(value))


def _slot_code(e: Characteristic | Interaction, kind: ReasonKind) -> str:
    if kind == "missing" and isinstance(e, Characteristic):
        return e.missing_reason_code
    return e.reason_code


@dataclass(frozen=True)
class ScorecardArtifact:
    """A loaded, validated scorecard artifact: build one with :func:`load_artifact`."""

    model_version: str
    characteristics: tuple[Characteristic, ...]
    dimensions: tuple[tuple[str, str], ...]
    scaling: Mapping[str, Any]
    criteria: tuple[Criterion, ...]
    model_card: Mapping[str, Any]
    target: str = ""
    created_at: str = ""
    content_hash: str = ""
    interactions: tuple[Interaction, ...] = ()

    # -- derived ------------------------------------------------------------------------------
    @property
    def dimension_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.dimensions)

    @property
    def approved_purposes(self) -> tuple[str, ...]:
        return tuple(self.model_card.get("approved_purposes", ()))

    @property
    def input_columns(self) -> tuple[str, ...]:
        """The columns a scorer reads: characteristics, then criteria columns not among them."""
        names = [c.name for c in self.characteristics]
        for crit in self.criteria:
            if crit.column not in names:
                names.append(crit.column)
        return tuple(names)

    @property
    def elements(self) -> tuple[Characteristic | Interaction, ...]:
        """Everything that gives points: the characteristics, then the interactions.

        Scorers give points, sub-scores and reasons over these, in this order.
        """
        return (*self.characteristics, *self.interactions)

    @property
    def score_range(self) -> tuple[int, int]:
        lo = sum(e.worst_points for e in self.elements)
        hi = sum(e.best_points for e in self.elements)
        return lo, hi

    def dimension_range(self, name: str) -> tuple[int, int]:
        """The least and most points the elements of dimension ``name`` can give together."""
        members = [e for e in self.elements if e.dimension == name]
        return sum(e.worst_points for e in members), sum(e.best_points for e in members)

    def interaction(self, name: str) -> Interaction:
        for it in self.interactions:
            if it.name == name:
                return it
        msg = f"Model {self.model_version} has no interaction {name!r}."
        raise KeyError(msg)

    def characteristic(self, name: str) -> Characteristic:
        for c in self.characteristics:
            if c.name == name:
                return c
        msg = f"Model {self.model_version} has no characteristic {name!r}."
        raise KeyError(msg)

    @property
    def reason_slots(self) -> tuple[tuple[int, ReasonKind], ...]:
        """Every reason an artifact can give, in tie order: ``(element index, kind)``.

        Each characteristic has an ``"adverse"`` and a ``"missing"`` slot, each interaction an
        ``"adverse"`` one; :attr:`reason_codes` holds their codes in the same order.
        """
        slots: list[tuple[int, ReasonKind]] = []
        for j, e in enumerate(self.elements):
            slots.append((j, "adverse"))
            if isinstance(e, Characteristic):
                slots.append((j, "missing"))
        return tuple(slots)

    @property
    def reason_codes(self) -> tuple[str, ...]:
        """The code of each of :attr:`reason_slots`."""
        elements = self.elements
        return tuple(_slot_code(elements[j], kind) for j, kind in self.reason_slots)

    def reason_of(self, code: str) -> tuple[Characteristic | Interaction, ReasonKind]:
        """The element a reason code belongs to, and which of its reasons it is."""
        elements = self.elements
        for j, kind in self.reason_slots:
            if _slot_code(elements[j], kind) == code:
                return elements[j], kind
        msg = f"Model {self.model_version} has no reason code {code!r}."
        raise KeyError(msg)

    def reason_text(
        self, code: str, row: Mapping[str, Any] | None = None, *, locale: str = DEFAULT_LOCALE
    ) -> tuple[str, str]:
        """The statement a person reads for a reason code, and how it clears.

        The statement is true by the artifact's rule: a characteristic's no-information
        statement for its missing code; for its adverse code, its ``reason`` where a direction
        is declared (a fact: the value is on the adverse side of the best bin), else a relative
        statement naming the range that scores better, and the subject's value where ``row``
        (the subject's features by name) is given. An interaction's statement is relative too.

        In a ``locale`` other than English, the artifact's (English) texts are looked up in the
        catalogue by their English text, falling back to it (:mod:`trustscore.scoring._statements`).

        Examples
        --------
        >>> art = ScorecardArtifact.from_dict(example_artifact_dict())
        >>> art.reason_text("PR01")[0]
        'Bills paid after their due date'
        >>> art.reason_text("CH01", {"card_kind": "none"})[0]
        "Your card kind, 'none', is outside the range that scores best (card, loan)"
        >>> art.reason_text("PR01N")[0]
        'No bill on file to measure payments by'
        """
        element, kind = self.reason_of(code)
        improve = translate(locale, element.improve) if element.improve else ""
        if isinstance(element, Characteristic):
            if kind == "missing":
                text = element.missing_improve
                return (
                    translate(locale, element.missing_reason) if element.missing_reason else "",
                    translate(locale, text) if text else "",
                )
            if element.direction is not None:
                return translate(locale, element.reason) if element.reason else "", improve
            return relative_statement(element, row, locale), improve
        a, b = (self.characteristic(x) for x in element.inputs)
        return interaction_statement(element, a, b, row, locale), improve

    # -- (de)serialisation ----------------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, verify_hash: bool = True) -> ScorecardArtifact:
        """Validate and load an artifact dict; with ``verify_hash`` a present hash must match."""
        if not isinstance(d, Mapping):
            raise _err("A scorecard artifact must be a JSON object.")
        if d.get("format") != ARTIFACT_FORMAT:
            raise _err(
                f"Not a trustscore scorecard: format is {d.get('format')!r}, "
                f"expected {ARTIFACT_FORMAT!r}."
            )
        if d.get("schema_version") != SCHEMA_VERSION:
            raise _err(
                f"Unsupported artifact schema_version {d.get('schema_version')!r}; "
                f"this trustscore reads version {SCHEMA_VERSION} only (version 3 added the "
                "input-quality facts of each characteristic). Refit the model to write it "
                "again."
            )
        stored_hash = str(d.get("content_hash", ""))
        if verify_hash and stored_hash and stored_hash != content_hash(d):
            raise _err(
                f"Artifact {d.get('model_version')!r} fails its content hash: it was edited "
                "after it was written. Re-save it with ScorecardArtifact.to_json() (or refit) "
                "to accept the edits.",
                model_version=d.get("model_version"),
            )
        for key in ("model_version", "characteristics", "dimensions", "scaling", "model_card"):
            if key not in d:
                raise _err(f"The artifact has no {key!r}.")
        chars = tuple(Characteristic.from_dict(c, i) for i, c in enumerate(d["characteristics"]))
        if not chars:
            raise _err("The artifact has no characteristics.")
        names = [c.name for c in chars]
        if len(set(names)) != len(names):
            raise _err(f"Characteristic names repeat: {names}.")
        raw_pairs = d.get("interactions", ())
        if isinstance(raw_pairs, str | Mapping) or not isinstance(raw_pairs, Sequence):
            raise _err(f"The artifact's 'interactions' must be a list, got {raw_pairs!r}.")
        by_name = {c.name: c for c in chars}
        pairs = tuple(Interaction.from_dict(x, i, by_name) for i, x in enumerate(raw_pairs))
        pair_names = [p.name for p in pairs]
        if len(set(names + pair_names)) != len(names) + len(pair_names):
            raise _err(
                f"Interaction names must differ from each other and from the characteristics' "
                f"names: {pair_names}."
            )
        seen_inputs: dict[frozenset[str], str] = {}
        for p in pairs:
            pair_key = frozenset(p.inputs)
            if pair_key in seen_inputs:
                raise _err(
                    f"Interactions {seen_inputs[pair_key]!r} and {p.name!r} pair the same "
                    f"inputs {sorted(pair_key)}; merge them into one."
                )
            seen_inputs[pair_key] = p.name
        elements: tuple[Characteristic | Interaction, ...] = (*chars, *pairs)
        codes = [
            code
            for e in elements
            for code in (
                (e.reason_code, e.missing_reason_code)
                if isinstance(e, Characteristic)
                else (e.reason_code,)
            )
        ]
        if len(set(codes)) != len(codes):
            twice = sorted({c for c in codes if codes.count(c) > 1})
            raise _err(f"Reason codes repeat: {twice} (among {codes}).")
        dims = tuple((str(x["name"]), str(x.get("label", x["name"]))) for x in d["dimensions"])
        dim_names = {n for n, _ in dims}
        for e in elements:
            if e.dimension not in dim_names:
                kind = "Characteristic" if isinstance(e, Characteristic) else "Interaction"
                raise _err(
                    f"{kind} {e.name!r} names dimension {e.dimension!r}, "
                    f"which is not among {sorted(dim_names)}."
                )
        all_names = set(names) | set(pair_names)
        if all_names & dim_names or {"score", "status"} & (all_names | dim_names):
            raise _err(
                "Dimension names must differ from characteristic and interaction names and "
                "from 'score' and 'status'."
            )
        card = dict(d["model_card"])
        for purpose in card.get("approved_purposes", ()):
            check_purpose_approvable(purpose)
        art = cls(
            model_version=str(d["model_version"]),
            characteristics=chars,
            dimensions=dims,
            scaling=dict(d["scaling"]),
            criteria=tuple(Criterion.from_dict(c, i) for i, c in enumerate(d.get("criteria", ()))),
            model_card=card,
            target=str(d.get("target", "")),
            created_at=str(d.get("created_at", "")),
            content_hash=stored_hash,
            interactions=pairs,
        )
        for e in art.elements:
            if e.worst_points < 0:
                kind = "Characteristic" if isinstance(e, Characteristic) else "Interaction"
                raise _err(
                    f"{kind} {e.name!r} gives {e.worst_points} points at worst; every outcome "
                    "must earn 0 or more, so that no sub-score is negative. Shift its points "
                    "(and the scaling's score_offset) up by as much.",
                    model_version=art.model_version,
                )
        lo, hi = art.score_range
        if lo < SCORE_MIN or hi > SCORE_MAX:
            raise _err(
                f"Attainable scores {lo}..{hi} leave {SCORE_MIN}..{SCORE_MAX}; rescale the points.",
                model_version=art.model_version,
            )
        return art

    def to_dict(self) -> dict[str, Any]:
        """The artifact as a JSON-ready dict, with a fresh content hash."""
        d: dict[str, Any] = {
            "format": ARTIFACT_FORMAT,
            "schema_version": SCHEMA_VERSION,
            "model_version": self.model_version,
            "created_at": self.created_at,
            "target": self.target,
            "scaling": dict(self.scaling),
            "dimensions": [{"name": n, "label": lab} for n, lab in self.dimensions],
            "characteristics": [c.to_dict() for c in self.characteristics],
            "criteria": [c.to_dict() for c in self.criteria],
            "model_card": dict(self.model_card),
        }
        if self.interactions:  # absent when empty: artifacts without pairs keep their hash
            d["interactions"] = [p.to_dict() for p in self.interactions]
        d["content_hash"] = content_hash(d)
        return d

    def to_json(self, path: str | Path | None = None) -> str:
        """Serialise (and write to ``path`` if given); the text is stable for diffs."""
        text = json.dumps(self.to_dict(), indent=2, sort_keys=False, allow_nan=False) + "\n"
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_json(cls, text: str, *, verify_hash: bool = True) -> ScorecardArtifact:
        try:
            d = json.loads(text)
        except json.JSONDecodeError as exc:
            msg = f"The artifact is not valid JSON: {exc.msg} at line {exc.lineno}."
            raise ArtifactError(msg, line=exc.lineno) from None
        art = cls.from_dict(d, verify_hash=verify_hash)
        if not art.content_hash:
            object.__setattr__(art, "content_hash", content_hash(d))
        return art

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ScorecardArtifact):
            return NotImplemented
        return _canonical(self.to_dict()) == _canonical(other.to_dict())

    def __hash__(self) -> int:
        return hash(_canonical(self.to_dict()))


def load_artifact(
    source: str | Path | Mapping[str, Any] | ScorecardArtifact, *, verify_hash: bool = True
) -> ScorecardArtifact:
    """Load an artifact from a path, a JSON dict, or pass a loaded one through."""
    if isinstance(source, ScorecardArtifact):
        return source
    if isinstance(source, Mapping):
        return ScorecardArtifact.from_dict(source, verify_hash=verify_hash)
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        msg = f"Cannot read the model artifact {str(path)!r}: {exc.strerror}."
        raise ArtifactError(msg, file=str(path)) from None
    try:
        return ScorecardArtifact.from_json(text, verify_hash=verify_hash)
    except ArtifactError as exc:
        msg = f"{path}: {exc.message}"
        raise ArtifactError(msg, file=str(path), **exc.context) from None


def example_artifact_dict(*, interaction: bool = False) -> dict[str, Any]:
    """A small valid artifact (two dimensions, a numeric and a categorical characteristic).

    With ``interaction``, it also holds one interaction of the two (2 x 2 cells). Used in docs
    and tests; the points are made up.

    Examples
    --------
    >>> art = ScorecardArtifact.from_dict(example_artifact_dict(interaction=True))
    >>> p = art.interactions[0]
    >>> p.inputs, p.shape, p.cell(1, 0).points, art.score_range
    (('on_time_rate', 'card_kind'), (2, 2), 15, (20, 175))
    """
    d = _example()
    if interaction:
        d["interactions"] = [
            {
                "name": "on_time_rate x card_kind",
                "inputs": ["on_time_rate", "card_kind"],
                "dimension": "payment_reliability",
                "reason_code": "PR02",
                "reason": "Bills paid late while holding credit (on_time_rate with card_kind)",
                "improve": "Pay each bill by its due date",
                "axes": [{"edges": [0.9]}, {"groups": [["none"], ["card", "loan"]]}],
                "cells": [{"points": 0}, {"points": 10}, {"points": 15}, {"points": 25}],
                "otherwise": {"points": 0},
            }
        ]
    return d


def _example() -> dict[str, Any]:
    return {
        "format": ARTIFACT_FORMAT,
        "schema_version": SCHEMA_VERSION,
        "model_version": "example-1",
        "created_at": "2026-01-01T00:00:00+00:00",
        "target": "bad",
        "scaling": {"pdo": 40.0, "anchor_score": 600, "anchor_odds": 20.0},
        "dimensions": [
            {"name": "payment_reliability", "label": "Payment reliability"},
            {"name": "credit_history", "label": "Credit history"},
        ],
        "characteristics": [
            {
                "name": "on_time_rate",
                "dimension": "payment_reliability",
                "type": "numeric",
                "direction": 1,
                "reason_code": "PR01",
                "reason": "Bills paid after their due date",
                "improve": "Pay each bill by its due date",
                "missing_reason_code": "PR01N",
                "missing_reason": "No bill on file to measure payments by",
                "missing_improve": "Bills paid on time will count once they are reported",
                "bins": [
                    {"upper": 0.5, "points": 10},
                    {"upper": 0.9, "points": 35},
                    {"upper": None, "points": 60},
                ],
                "missing": {"points": 30},
                "special": [{"values": [-1.0], "points": 20}],
                "quality": {
                    "min": 0.0,
                    "max": 1.0,
                    "bounds": [0.0, 1.0],
                    "bounds_text": "a share lies between 0 and 1",
                    "missing_seen": True,
                },
            },
            {
                "name": "card_kind",
                "dimension": "credit_history",
                "type": "categorical",
                "direction": None,
                "reason_code": "CH01",
                "reason": "Kind of credit held",
                "improve": "",
                "missing_reason_code": "CH01N",
                "missing_reason": "No credit reported",
                "missing_improve": "",
                "bins": [
                    {"categories": ["none"], "points": 10},
                    {"categories": ["card", "loan"], "points": 90},
                ],
                "missing": {"points": 40},
                "other": {"points": 40},
                "quality": {"levels": ["card", "loan", "none"], "missing_seen": True},
            },
        ],
        "criteria": [
            {
                "column": "months_history",
                "op": ">=",
                "value": 6,
                "text": "at least 6 months of history",
            }
        ],
        "model_card": {"approved_purposes": ["credit_pricing"]},
    }
