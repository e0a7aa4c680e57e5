"""The scorecard as a PMML 4.4 ``Scorecard``, for third-party scoring engines.

What the document carries:

- one ``Characteristic`` per characteristic, with ``baselineScore`` its baseline (its best
  bin's points) and ``reasonCode`` its reason code; ``useReasonCodes="true"``,
  ``reasonCodeAlgorithm="pointsBelow"`` (``baselineMethod="other"``: the baseline is the best
  bin's, not the best outcome's), so a consumer ranks reasons by points lost against the
  baseline, as trustscore does. The ``Attribute`` order encodes the artifact's precedence (the
  first matching ``Attribute`` wins): missing (``isMissing``; numeric fields also declare
  ``NaN`` a missing value), then the special values (the later special first, as a later one
  wins in the artifact), then the bins as ``x < upper`` in increasing order with a final
  ``True`` for the last bin; a categorical characteristic lists its groups with
  ``SimpleSetPredicate`` and ends with a ``True`` predicate carrying the ``other`` points for
  unseen levels;
- each ``Attribute`` that loses points names its reason where it differs from its
  Characteristic's: the missing and special ones carry ``reasonCode`` = the characteristic's
  ``missing_reason_code`` (PMML 4.4: an Attribute's ``reasonCode`` overrides its
  Characteristic's). Every ``Attribute`` that must never be a reason (one that loses nothing,
  or less than nothing, and an interaction's ``otherwise``) carries the *no-reason* code
  ``__no_reason__`` (made unique against the artifact's codes), and a last ``Characteristic``
  of that name adds 0 points under it against a baseline far below zero. Consumers sum the
  differences per reason code (PMML4S, behind ``pypmml``, and JPMML both do) and list only
  codes whose sum is positive (PMML4S) or not negative (JPMML): the no-reason code's sum is
  negative in every row, so neither lists it, while each real code keeps exactly the loss of
  the one Attribute that gave it;
- one more ``Characteristic`` per interaction (after the characteristics, as the artifact
  orders its elements), named ``<name>_points`` with its own ``reasonCode`` and
  ``baselineScore`` (its baseline: its best cell's points). Its first ``Attribute`` gives the
  ``otherwise`` points (under the no-reason code) where either input is missing, special or
  an unseen level (a ``CompoundPredicate`` ``or``); then one ``Attribute`` per cell,
  row-major, whose predicate is the ``and`` of each input's interval (``greaterOrEqual`` /
  ``lessThan`` on a numeric axis, ``isIn`` a group on a categorical one);
- ``Output`` fields ``score`` (the predicted value) and ``reason_1`` … ``reason_4``;
- a ``ModelVerification`` block: a few rows with the score and reasons trustscore's reference
  scorer (which every trustscore engine equals) computed for them.

What it does not carry, by choice: the minimum scoring criteria and the ``NS`` status (a PMML
scorecard always returns a number; rows that fail :attr:`ScorecardArtifact.criteria` must be
kept from a PMML consumer, or its score ignored), and the sub-scores per dimension (PMML has no
output for a subset of the partial scores). Use :func:`~trustscore.scoring.score` or the SQL form
for those.

Equal losses: PMML leaves their order to the consumer (PMML4S, behind ``pypmml``, sorts them
by reason code, descending), while trustscore lists them in artifact order. ``to_pmml(...,
tie_order="artifact")`` makes every consumer agree with trustscore by lowering each
``baselineScore`` by a different fraction of a point (see :func:`to_pmml`); by default the
baselines are the baselines exactly.

Examples
--------
>>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
>>> art = ScorecardArtifact.from_dict(example_artifact_dict())
>>> text = to_pmml(art)
>>> text.splitlines()[1]
'<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">'
>>> 'baselineScore="60"' in text and 'reasonCodeAlgorithm="pointsBelow"' in text
True
>>> '<Attribute partialScore="30" reasonCode="PR01N">' in text  # on_time_rate missing
True
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Final, Literal

import pyarrow as pa

from trustscore.scoring._artifact import (
    MAX_REASONS,
    Axis,
    Characteristic,
    Interaction,
    Outcome,
    ScorecardArtifact,
)
from trustscore.scoring._artifact import load_artifact as _load
from trustscore.scoring._reference_table import reference_table

__all__ = ["PMML_NAMESPACE", "to_pmml", "verification_rows"]

PMML_NAMESPACE: Final = "http://www.dmg.org/PMML-4_4"
_UNSEEN: Final = "__unseen__"
_NO_REASON: Final = "__no_reason__"


def _real(v: float) -> str:
    return repr(float(v))


class _Codes:
    """The ``reasonCode`` each ``Attribute`` carries (none: its Characteristic's)."""

    def __init__(self, art: ScorecardArtifact) -> None:
        code = _NO_REASON
        while code in art.reason_codes:
            code += "_"
        self.no_reason = code

    def of(self, baseline: int, o: Outcome, code: str | None = None) -> str | None:
        """``code`` where outcome ``o`` loses points against ``baseline`` (it is a reason), the
        no-reason code where it does not; ``None`` means its Characteristic's own code."""
        return code if baseline - o.points > 0 else self.no_reason


def _attribute(parent: ET.Element, points: int, code: str | None = None) -> ET.Element:
    attrs = {"partialScore": str(points)}
    if code is not None:
        attrs["reasonCode"] = code
    return ET.SubElement(parent, "Attribute", attrs)


def _characteristic(parent: ET.Element, c: Characteristic, baseline: str, codes: _Codes) -> None:
    el = ET.SubElement(
        parent,
        "Characteristic",
        name=f"{c.name}_points",
        reasonCode=c.reason_code,
        baselineScore=baseline,
    )
    top, no_info = c.baseline_points, c.missing_reason_code
    ET.SubElement(
        _attribute(el, c.missing.points, codes.of(top, c.missing, no_info)),
        "SimplePredicate",
        field=c.name,
        operator="isMissing",
    )
    if c.type == "numeric":
        latest: dict[float, Outcome] = {}
        for sp in c.special:  # a later special wins: list it first
            for v in sp.values:
                latest.pop(v, None)
                latest[v] = sp
        for v, o in reversed(latest.items()):
            ET.SubElement(
                _attribute(el, o.points, codes.of(top, o, no_info)),
                "SimplePredicate",
                field=c.name,
                operator="equal",
                value=_real(v),
            )
        for b in c.bins[:-1]:
            assert b.upper is not None  # guaranteed by the artifact's validation
            ET.SubElement(
                _attribute(el, b.points, codes.of(top, b)),
                "SimplePredicate",
                field=c.name,
                operator="lessThan",
                value=_real(b.upper),
            )
        ET.SubElement(_attribute(el, c.bins[-1].points, codes.of(top, c.bins[-1])), "True")
        return
    assert c.other is not None  # guaranteed by the artifact's validation
    for b in c.bins:
        if not b.categories:
            continue
        _attribute(el, b.points, codes.of(top, b)).append(
            _set_predicate(c.name, b.categories, "isIn")
        )
    ET.SubElement(_attribute(el, c.other.points, codes.of(top, c.other)), "True")


def _no_reason(parent: ET.Element, art: ScorecardArtifact, codes: _Codes) -> None:
    """The Characteristic that keeps the no-reason code below zero in every row.

    It gives 0 points under that code against a baseline of ``-(1 + the most that the
    no-reason Attributes can lose in one row)``, so the code's sum of differences is negative
    whatever the row, and no consumer lists it.
    """
    most = sum(max(0, e.baseline_points - e.worst_points) for e in art.elements)
    el = ET.SubElement(
        parent,
        "Characteristic",
        name=codes.no_reason,
        reasonCode=codes.no_reason,
        baselineScore=str(-(1 + most)),
    )
    ET.SubElement(_attribute(el, 0), "True")


def _quoted(values: tuple[str, ...]) -> str:
    return " ".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)


def _set_predicate(field: str, values: tuple[str, ...], op: str) -> ET.Element:
    pred = ET.Element("SimpleSetPredicate", field=field, booleanOperator=op)
    arr = ET.SubElement(pred, "Array", n=str(len(values)), type="string")
    arr.text = _quoted(values)
    return pred


def _combine(parent: ET.Element, preds: list[ET.Element], op: str) -> None:
    """``preds`` joined by ``op`` under ``parent`` (one alone as it is; none is ``True``)."""
    if not preds:
        ET.SubElement(parent, "True")
    elif len(preds) == 1:
        parent.append(preds[0])
    else:
        ET.SubElement(parent, "CompoundPredicate", booleanOperator=op).extend(preds)


def _off_predicates(c: Characteristic) -> list[ET.Element]:
    """Predicates true where ``c`` sends a value to missing, special or other."""
    preds = [ET.Element("SimplePredicate", field=c.name, operator="isMissing")]
    if c.type == "numeric":
        values = dict.fromkeys(v for sp in c.special for v in sp.values)
        preds += [
            ET.Element("SimplePredicate", field=c.name, operator="equal", value=_real(v))
            for v in values
        ]
    else:
        known = tuple(x for b in c.bins for x in b.categories)
        preds.append(_set_predicate(c.name, known, "isNotIn"))
    return preds


def _interval_predicates(name: str, axis: Axis, i: int) -> list[ET.Element]:
    """Predicates (to be and-ed) true where a regular value lies in interval ``i`` of ``axis``."""
    if axis.type == "categorical":
        return [_set_predicate(name, axis.groups[i], "isIn")]
    preds = []
    if i > 0:
        preds.append(
            ET.Element(
                "SimplePredicate",
                field=name,
                operator="greaterOrEqual",
                value=_real(axis.edges[i - 1]),
            )
        )
    if i < len(axis.edges):
        preds.append(
            ET.Element(
                "SimplePredicate", field=name, operator="lessThan", value=_real(axis.edges[i])
            )
        )
    return preds


def _interaction(
    parent: ET.Element,
    p: Interaction,
    chars: dict[str, Characteristic],
    baseline: str,
    codes: _Codes,
) -> None:
    el = ET.SubElement(
        parent,
        "Characteristic",
        name=f"{p.name}_points",
        reasonCode=p.reason_code,
        baselineScore=baseline,
    )
    (a, b), (ax_a, ax_b) = p.inputs, p.axes
    _combine(  # otherwise is never a reason
        _attribute(el, p.otherwise.points, codes.no_reason),
        _off_predicates(chars[a]) + _off_predicates(chars[b]),
        "or",
    )
    top = p.baseline_points
    for i in range(ax_a.size):
        for j in range(ax_b.size):
            cell = p.cell(i, j)
            preds = _interval_predicates(a, ax_a, i) + _interval_predicates(b, ax_b, j)
            _combine(_attribute(el, cell.points, codes.of(top, cell)), preds, "and")


def verification_rows(art: ScorecardArtifact) -> pa.Table:
    """A few input rows touching every bin, missing, special and unseen level of ``art``."""
    n_rows = max(4, *(len(c.bins) + 2 for c in art.characteristics))
    cols: dict[str, Any] = {}
    for j, c in enumerate(art.characteristics):
        values: list[Any] = []
        for r in range(n_rows):
            slot = (r + j) % (len(c.bins) + 2)
            if slot == len(c.bins):
                values.append(None)
            elif c.type == "numeric":
                edges = c.edges
                if slot == len(c.bins) + 1:
                    values.append(
                        c.special[0].values[0] if c.special else (edges[-1] + 1.0 if edges else 1.0)
                    )
                elif slot == 0:
                    values.append(edges[0] - 1.0 if edges else 0.0)
                else:
                    values.append(edges[slot - 1])  # exactly on the edge: the bin above
            elif slot == len(c.bins) + 1 or not c.bins[slot].categories:
                values.append(_UNSEEN)
            else:
                values.append(c.bins[slot].categories[0])
        cols[c.name] = pa.array(values, type=pa.float64() if c.type == "numeric" else pa.string())
    return pa.table(cols)


def _verification(parent: ET.Element, art: ScorecardArtifact) -> None:
    rows = verification_rows(art)
    # PMML does not carry the criteria: verify the score every row gets without them
    scored = reference_table(dataclasses.replace(art, criteria=()), rows)
    outputs = ["score", *(f"reason_{r}" for r in range(1, MAX_REASONS + 1))]
    fields = [c.name for c in art.characteristics] + outputs
    data = {
        **{c: rows[c].to_pylist() for c in rows.column_names},
        **{o: scored[o].to_pylist() for o in outputs},
    }
    # an absent cell is a missing value; the schema wants at least two cells in a row, so a row
    # with fewer (one characteristic, missing, and no reason) is left out of the block
    cells = [
        [(i, data[name][r]) for i, name in enumerate(fields) if data[name][r] is not None]
        for r in range(rows.num_rows)
    ]
    cells = [row for row in cells if len(row) >= 2]
    ver = ET.SubElement(
        parent, "ModelVerification", recordCount=str(len(cells)), fieldCount=str(len(fields))
    )
    vf = ET.SubElement(ver, "VerificationFields")
    for i, name in enumerate(fields):
        attrs = {"field": name, "column": f"c{i}"}
        if name == "score":
            attrs.update(precision="0", zeroThreshold="0")
        ET.SubElement(vf, "VerificationField", attrs)
    table = ET.SubElement(ver, "InlineTable")
    for row_cells in cells:
        row = ET.SubElement(table, "row")
        for i, v in row_cells:
            cell = ET.SubElement(row, f"c{i}")
            cell.text = _real(v) if isinstance(v, float) else str(v)


def to_pmml(
    artifact: str | Path | ScorecardArtifact,
    *,
    verification: bool = True,
    tie_order: Literal["consumer", "artifact"] = "consumer",
) -> str:
    """The scorecard as a PMML 4.4 document (see the module docstring for what it carries).

    Parameters
    ----------
    artifact : str, Path or ScorecardArtifact
        The scorecard.
    verification : bool
        Whether to add a ``ModelVerification`` block scored by the reference scorer.
    tie_order : {"consumer", "artifact"}
        ``"consumer"``: each ``baselineScore`` is its element's baseline, and reasons with
        equal losses come in whatever order the consumer uses (pypmml: by reason code,
        descending). ``"artifact"``: each ``baselineScore`` is lowered by a fraction of
        a point, ``(j + 1) / (k + 1)`` for the ``j``-th of ``k`` elements (characteristics,
        then interactions), so that every
        ``pointsBelow`` consumer orders equal losses as trustscore does (artifact order) while
        the ranking of unequal losses and the score are unchanged.

    Returns
    -------
    str
        The PMML document, UTF-8 XML text.

    Examples
    --------
    >>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
    >>> art = ScorecardArtifact.from_dict(example_artifact_dict())
    >>> "<Scorecard" in to_pmml(art, verification=False)
    True
    """
    art = _load(artifact)
    root = ET.Element("PMML", xmlns=PMML_NAMESPACE, version="4.4")
    header = ET.SubElement(
        root,
        "Header",
        description=(
            f"trustscore scorecard {art.model_version} ({art.content_hash or 'unhashed'})"
        ),
    )
    ET.SubElement(header, "Application", name="trustscore", version="0.1.0")
    dd = ET.SubElement(root, "DataDictionary", numberOfFields=str(len(art.characteristics) + 1))
    for c in art.characteristics:
        if c.type == "numeric":
            f = ET.SubElement(dd, "DataField", name=c.name, optype="continuous", dataType="double")
            ET.SubElement(f, "Value", value="NaN", property="missing")
        else:
            ET.SubElement(dd, "DataField", name=c.name, optype="categorical", dataType="string")
    ET.SubElement(dd, "DataField", name="points", optype="continuous", dataType="double")
    sc = ET.SubElement(
        root,
        "Scorecard",
        modelName=art.model_version,
        functionName="regression",
        useReasonCodes="true",
        reasonCodeAlgorithm="pointsBelow",
        initialScore="0",
        baselineMethod="other",
    )
    ms = ET.SubElement(sc, "MiningSchema")
    for c in art.characteristics:
        ET.SubElement(
            ms, "MiningField", name=c.name, usageType="active", invalidValueTreatment="asIs"
        )
    ET.SubElement(ms, "MiningField", name="points", usageType="target")
    out = ET.SubElement(sc, "Output")
    ET.SubElement(
        out,
        "OutputField",
        name="score",
        optype="continuous",
        dataType="integer",
        feature="predictedValue",
    )
    for r in range(1, MAX_REASONS + 1):
        ET.SubElement(
            out,
            "OutputField",
            name=f"reason_{r}",
            optype="categorical",
            dataType="string",
            feature="reasonCode",
            rank=str(r),
        )
    chars = ET.SubElement(sc, "Characteristics")
    k = len(art.elements)
    by_name = {c.name: c for c in art.characteristics}
    codes = _Codes(art)
    for j, e in enumerate(art.elements):
        # a lower baseline by (j + 1) / (k + 1) < 1 point keeps every ranking of unequal losses
        # and orders equal ones by position: the earlier element loses (a bit) more
        baseline = (
            _real(e.baseline_points - (j + 1) / (k + 1))
            if tie_order == "artifact"
            else str(e.baseline_points)
        )
        if isinstance(e, Characteristic):
            _characteristic(chars, e, baseline, codes)
        else:
            _interaction(chars, e, by_name, baseline, codes)
    _no_reason(chars, art, codes)
    if verification:
        _verification(sc, art)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
