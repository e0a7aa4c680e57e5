"""Checking that every reason given to a subject is true, from the artifact and their features.

A scorer's reasons are codes; what a person reads for a code is a claim about them (a fact where
a direction is declared, a comparison otherwise: see
:meth:`~trustscore.scoring.ScorecardArtifact.reason_text`). :func:`untrue_reasons` checks each
claim against the subject's own features, one row at a time in plain Python, apart from every
scorer (it shares no code with them), so a scorer that names a debt the subject never had is
caught whatever engine it ran on:

- an adverse code of a characteristic: the value is present, is no special code, lands in a bin
  (or, categorical, in ``other``) that earns less than the baseline, and, where a direction is
  declared, lies on the adverse side of every bin that earns the baseline;
- a no-information code: the value is missing or a special code, and that outcome earns less
  than the baseline;
- an interaction's code: both values land on its grid, in a cell that earns less than its best;
- and the reasons are the principal ones: their losses never grow down the list, no reason
  repeats, and fewer than four are given only when no other element lost points.

Examples
--------
>>> import pyarrow as pa
>>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
>>> art = ScorecardArtifact.from_dict(example_artifact_dict())
>>> features = pa.table({"on_time_rate": [0.95, 0.95], "card_kind": ["none", "card"],
...                      "months_history": [12.0, 12.0]})
>>> scores = pa.table({"status": ["OK", "OK"], "reason_1": ["CH01", "PR01"],
...                    "reason_2": [None, None], "reason_3": [None, None],
...                    "reason_4": [None, None]})
>>> [(v.row, v.code, v.why) for v in untrue_reasons(art, features, scores)]
[(1, 'PR01', 'on_time_rate is 0.95, in a bin that earns its best (60 points)')]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from trustscore.exceptions import SchemaError
from trustscore.scoring._artifact import (
    MAX_REASONS,
    Axis,
    Characteristic,
    Interaction,
    Outcome,
    ScorecardArtifact,
)

__all__ = ["UntrueReason", "axis_index", "landing", "untrue_reasons"]


@dataclass(frozen=True)
class UntrueReason:
    """One reason that the subject's features do not bear out: the row, the code and why."""

    row: int
    subject_id: str | None
    code: str
    why: str


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _level(v: Any) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def landing(c: Characteristic, v: Any) -> tuple[str, Outcome, int | None]:
    """Where a value lands: ``("missing" | "special" | "bin" | "other", outcome, bin index)``,
    the artifact's rule read literally (the what-if's search reads values through it too)."""
    if _missing(v):
        return "missing", c.missing, None
    if c.type == "numeric":
        x = float(v)
        for sp in reversed(c.special):  # a value in two special outcomes takes the later one
            if x in sp.values:
                return "special", sp, None
        for j, b in enumerate(c.bins):
            if b.upper is None or x < b.upper:
                return "bin", b, j
        return "bin", c.bins[-1], len(c.bins) - 1  # NaN is handled above; +inf: the last bin
    level = _level(v)
    for j, b in enumerate(c.bins):
        if level in b.categories:
            return "bin", b, j
    assert c.other is not None  # the artifact guarantees it
    return "other", c.other, None


def _cell(
    p: Interaction, chars: Mapping[str, Characteristic], row: Mapping[str, Any]
) -> int | None:
    """The cell a row lands in, or None where either input is off the grid (``otherwise``)."""
    at: list[int] = []
    for name, axis in zip(p.inputs, p.axes, strict=True):
        v = row.get(name)
        where, _, _ = landing(chars[name], v)
        if where != "bin" or v is None:
            return None
        at.append(axis_index(axis, v))
    return at[0] * p.shape[1] + at[1]


def axis_index(axis: Axis, v: Any) -> int:
    """The interval (numeric) or group (categorical) of an interaction's axis a value is in,
    for a value that lands in one of its input's bins."""
    if axis.type == "numeric":
        x = float(v)
        return sum(1 for e in axis.edges if x >= e)
    return next(g for g, cats in enumerate(axis.groups) if _level(v) in cats)


def _loss(
    e: Characteristic | Interaction, chars: Mapping[str, Characteristic], row: Mapping[str, Any]
) -> tuple[int, str | None]:
    """The points an element lost against its baseline for a row, and the code of that loss."""
    if isinstance(e, Characteristic):
        where, outcome, _ = landing(e, row.get(e.name))
        code = e.missing_reason_code if where in ("missing", "special") else e.reason_code
        return e.baseline_points - outcome.points, code
    cell = _cell(e, chars, row)
    if cell is None:
        return 0, None
    return e.baseline_points - e.cells[cell].points, e.reason_code


def _untrue(
    art: ScorecardArtifact, code: str, chars: Mapping[str, Characteristic], row: Mapping[str, Any]
) -> str | None:
    """Why the claim of ``code`` is false for ``row``, or None where it is true."""
    try:
        e, kind = art.reason_of(code)
    except KeyError:
        return f"model {art.model_version} has no reason code {code!r}"
    if isinstance(e, Interaction):
        cell = _cell(e, chars, row)
        if cell is None:
            return f"an input of {e.name} is missing, special or unseen: the pair gave no points"
        if e.cells[cell].points >= e.baseline_points:
            return f"{e.name} lands in a cell that earns its best ({e.baseline_points} points)"
        return None
    v = row.get(e.name)
    where, outcome, j = landing(e, v)
    shown = "missing" if _missing(v) else repr(v) if isinstance(v, str) else f"{v:g}"
    if kind == "missing":
        if where not in ("missing", "special"):
            return f"{e.name} is {shown}: the file holds a value, the no-information claim is false"
    elif where in ("missing", "special"):
        return f"{e.name} is {shown}: no value to make the adverse claim about"
    if outcome.points >= e.baseline_points:
        return f"{e.name} is {shown}, in a bin that earns its best ({e.baseline_points} points)"
    if kind == "adverse" and e.direction is not None and j is not None:
        best = [i for i, b in enumerate(e.bins) if b.points == e.baseline_points]
        adverse_side = j < best[0] if e.direction > 0 else j > best[-1]
        if not adverse_side:
            return (
                f"{e.name} is {shown}, bin {j}, not on the adverse side (direction "
                f"{e.direction:+d}) of its best bins {best}"
            )
    return None


def untrue_reasons(
    art: ScorecardArtifact,
    features: pa.Table,
    scores: pa.Table,
    *,
    subject_column: str = "subject_id",
) -> list[UntrueReason]:
    """Every reason in ``scores`` that the features of its row do not bear out.

    Parameters
    ----------
    art : ScorecardArtifact
        The model the scores were made with.
    features : pyarrow.Table
        The rows that were scored (every input column of ``art``), in the order of ``scores``.
    scores : pyarrow.Table
        ``status`` and ``reason_1`` … ``reason_4``, one row per row of ``features``.
    subject_column : str
        A column of ``features`` or ``scores`` that names each row's subject, if present.

    Returns
    -------
    list of UntrueReason
        Empty when every reason is true and the reasons given are the principal ones.
    """
    if features.num_rows != scores.num_rows:
        msg = (
            f"The features hold {features.num_rows} rows and the scores {scores.num_rows}; "
            "check the reasons of the rows that were scored, in the same order."
        )
        raise SchemaError(msg)
    lacking = [c for c in art.input_columns if c not in features.column_names]
    if lacking:
        msg = f"The features lack the column(s) {lacking} that model {art.model_version} reads."
        raise SchemaError(msg, field=lacking[0])
    reason_cols = [f"reason_{r}" for r in range(1, MAX_REASONS + 1)]
    rows = features.select(list(art.input_columns)).to_pylist()
    given: list[Sequence[Any]] = [scores.column(c).to_pylist() for c in reason_cols]
    status = scores.column("status").to_pylist()
    who = (
        features.column(subject_column).to_pylist()
        if subject_column in features.column_names
        else scores.column(subject_column).to_pylist()
        if subject_column in scores.column_names
        else [None] * len(rows)
    )
    chars = {c.name: c for c in art.characteristics}
    out: list[UntrueReason] = []
    for i, row in enumerate(rows):
        codes = [g[i] for g in given if g[i]]
        subject = None if who[i] is None else str(who[i])
        if status[i] != "OK":
            out += [UntrueReason(i, subject, c, "an unscorable row has no reasons") for c in codes]
            continue
        for code in codes:
            why = _untrue(art, code, chars, row)
            if why is not None:
                out.append(UntrueReason(i, subject, code, why))
        losses = {}
        for e in art.elements:
            lost, code = _loss(e, chars, row)
            if code is not None and lost > 0:
                losses[code] = lost
        said = [losses.get(c, 0) for c in codes]
        if len(set(codes)) != len(codes):
            out.append(UntrueReason(i, subject, codes[0], f"a reason repeats: {codes}"))
        if any(a < b for a, b in itertools.pairwise(said)):
            out.append(UntrueReason(i, subject, codes[0], f"losses grow down the list: {said}"))
        left = sorted((c for c in losses if c not in codes), key=lambda c: -losses[c])
        if len(codes) < MAX_REASONS and left:
            out.append(
                UntrueReason(i, subject, left[0], f"lost {losses[left[0]]} points but is not given")
            )
        elif left and said and losses[left[0]] > min(said):
            out.append(
                UntrueReason(
                    i,
                    subject,
                    left[0],
                    f"lost {losses[left[0]]} points, more than a reason given ({min(said)})",
                )
            )
    return out
