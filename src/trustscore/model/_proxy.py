"""The proxy screen: how well each characteristic, on its own, tells a protected group apart.

A name screen cannot see what a column carries: a postcode, a browsing history or a list of
"interests" under a neutral name (``x1``) passes it. When protected attributes are given apart
(``protected`` in :meth:`~trustscore.model.Scorecard.fit`), the screen asks of every
characteristic how well its value predicts each of them, whatever the column is called:

1. The characteristic's value is cut into levels: a numeric one at its deciles (ties merged),
   a categorical one by its values; a missing value is a level of its own.
2. The protected attribute's groups are its values; a numeric attribute with more than
   :data:`MAX_GROUPS` distinct values is cut at its quartiles. Rows where it is missing are
   left out. Groups with fewer than :data:`MIN_GROUP_ROWS` rows in them or outside them are
   not screened (their AUC would be noise).
3. Each row is scored by the share of the group among the rows of its level, estimated on the
   other of two random halves of the rows (and shrunk towards the overall share by
   :data:`SHRINK_ROWS` rows), so that a level never grades its own rows and a column with a
   level per row (an identifier) does not look like a perfect proxy.
4. The AUC of that score for membership of the group, taken as ``max(AUC, 1 - AUC)``, is the
   characteristic's AUC for the group (one group against the rest); its AUC for an attribute
   is the largest over the attribute's groups.

A characteristic at or above the threshold (:data:`PROXY_THRESHOLD`, the ``proxy_threshold``
parameter) is flagged: a :class:`~trustscore.exceptions.ProxyWarning`, and the model card's
``proxy_screen`` section, which lists every characteristic's AUC. With ``refuse_proxies=True``
the fit refuses it (:class:`~trustscore.exceptions.ProhibitedInputError`). At most
:data:`MAX_ROWS` rows, drawn at random with the fit's seed, are screened.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> group = pd.Series(rng.choice(["a", "b"], size=2000))
>>> X = pd.DataFrame({"x1": np.where(group == "b", 1.0, 0.0) + rng.normal(0, 0.5, 2000),
...                   "x2": rng.normal(size=2000)})
>>> s = proxy_screen(X, {"x1": "numeric", "x2": "numeric"}, group.to_frame("sex"),
...                  threshold=0.6, seed=0)
>>> [(c["name"], round(c["auc"], 2), c["flagged"]) for c in s["characteristics"]]
[('x1', 0.92, True), ('x2', 0.51, False)]
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from trustscore.exceptions import ProhibitedInputError, ProxyWarning
from trustscore.monitoring import roc_auc

__all__ = [
    "MAX_GROUPS",
    "MIN_GROUP_ROWS",
    "PROXY_THRESHOLD",
    "input_card",
    "proxy_screen",
    "screen_proxies",
]

#: The default AUC at or above which a characteristic is flagged as a proxy.
PROXY_THRESHOLD: Final = 0.6
#: A group is screened only with at least this many rows in it and outside it: with fewer, an
#: AUC's sampling error (about 0.04 at 100 rows a side, 0.08 at 30) is as large as the gap
#: between no association (0.5) and the threshold.
MIN_GROUP_ROWS: Final = 100
#: A numeric protected attribute with more distinct values is cut at its quartiles.
MAX_GROUPS: Final = 10
#: The shrinkage of a level's share towards the overall share, in rows.
SHRINK_ROWS: Final = 10.0
#: The most rows screened (a random sample beyond).
MAX_ROWS: Final = 200_000

_STREAM: Final = 0x70726F78  # "prox"

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def _levels(s: pd.Series, kind: str) -> IntArray:
    """A level code per row: deciles of a numeric value, values of a categorical; missing apart."""
    if kind == "numeric":
        x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        finite = np.isfinite(x)
        edges = (
            np.unique(np.quantile(x[finite], np.linspace(0.1, 0.9, 9)))
            if finite.any()
            else np.zeros(0)
        )
        codes = np.searchsorted(edges, np.where(finite, x, 0.0), side="right").astype(np.int64)
        return np.where(finite, codes, edges.size + 1)
    raw, _ = pd.factorize(s.astype(object), use_na_sentinel=True)
    raw = np.asarray(raw, dtype=np.int64)
    return np.where(raw >= 0, raw, raw.max(initial=-1) + 1)


def _groups(s: pd.Series) -> tuple[npt.NDArray[np.object_], str]:
    """Each row's group label (None where missing) and how the groups were formed."""
    if pd.api.types.is_numeric_dtype(s.dtype) and s.nunique(dropna=True) > MAX_GROUPS:
        q = pd.qcut(s, 4, duplicates="drop")
        labels = np.array([None if pd.isna(v) else str(v) for v in q], dtype=object)
        return labels, "numeric attribute cut at its quartiles"
    labels = np.array([None if pd.isna(v) else str(v) for v in s.to_numpy(dtype=object)])
    return labels.astype(object), "each value a group"


def _out_of_fold_share(codes: IntArray, member: BoolArray, fold: BoolArray) -> npt.NDArray[Any]:
    """Each row's score: the group's share in its level, from the other fold, shrunk."""
    score = np.empty(codes.size, dtype=np.float64)
    n_levels = int(codes.max(initial=0)) + 1
    for this in (fold, ~fold):
        other = ~this
        prior = float(member[other].mean()) if other.any() else 0.5
        n = np.bincount(codes[other], minlength=n_levels).astype(np.float64)
        k = np.bincount(codes[other], weights=member[other], minlength=n_levels)
        share = (k + prior * SHRINK_ROWS) / (n + SHRINK_ROWS)
        score[this] = share[codes[this]]
    return score


def _screened_groups(labels: npt.NDArray[np.object_]) -> list[str]:
    """The groups with at least :data:`MIN_GROUP_ROWS` rows in them and outside them."""
    known = [str(v) for v in labels if v is not None]
    counts = pd.Series(known, dtype=object).value_counts()
    return sorted(
        str(g) for g, k in counts.items() if min(int(k), len(known) - int(k)) >= MIN_GROUP_ROWS
    )


def _screen_one(
    codes: IntArray, labels: npt.NDArray[np.object_], fold: BoolArray, screened: list[str]
) -> tuple[float | None, str | None]:
    """The largest one-against-the-rest AUC over the screened groups, and its group."""
    known = np.array([v is not None for v in labels], dtype=bool)
    c, lab, f = codes[known], labels[known], fold[known]
    best: tuple[float | None, str | None] = (None, None)
    for level in screened:
        member = lab == level
        auc = roc_auc(member.astype(np.float64), _out_of_fold_share(c, member, f))
        auc = max(auc, 1.0 - auc)
        if best[0] is None or auc > best[0]:
            best = (auc, level)
    return best


def proxy_screen(
    X: pd.DataFrame,
    kinds: Mapping[str, str],
    protected: pd.DataFrame,
    *,
    threshold: float,
    seed: int,
) -> dict[str, Any]:
    """The model card's ``proxy_screen`` section (see the module docstring).

    Parameters
    ----------
    X : DataFrame
        The training rows.
    kinds : mapping of str to str
        Characteristic -> ``"numeric"`` or ``"categorical"``.
    protected : DataFrame
        The protected attributes given apart, one row per row of ``X``.
    threshold : float
        The AUC at or above which a characteristic is flagged.
    seed : int
        Seed of the halves (and of the sample beyond :data:`MAX_ROWS` rows).

    Returns
    -------
    dict
        ``threshold``, ``method``, ``n``, ``attributes`` (name -> how its groups were formed
        and which were large enough to screen),
        ``characteristics`` (per characteristic: ``name``, ``auc``, ``attribute``, ``group``,
        ``by_attribute`` and ``flagged``; ``auc`` is None where no group was large enough) and
        ``flagged`` (names).
    """
    # a stream of its own: the halves must not follow data drawn with the fit's plain seed
    rng = np.random.default_rng([seed, _STREAM])
    n = len(X)
    rows = np.sort(rng.choice(n, size=MAX_ROWS, replace=False)) if n > MAX_ROWS else None
    Xs = X if rows is None else X.iloc[rows]
    ps = protected if rows is None else protected.iloc[rows]
    fold = np.zeros(len(Xs), dtype=bool)
    fold[rng.permutation(len(Xs))[: len(Xs) // 2]] = True
    groups = {str(col): _groups(ps[col].reset_index(drop=True)) for col in ps.columns}
    screened = {attr: _screened_groups(labels) for attr, (labels, _) in groups.items()}
    chars: list[dict[str, Any]] = []
    for name, kind in kinds.items():
        codes = _levels(Xs[name].reset_index(drop=True), kind)
        by_attribute: dict[str, dict[str, Any]] = {}
        for attr, (labels, _) in groups.items():
            attr_auc, group = _screen_one(codes, labels, fold, screened[attr])
            by_attribute[attr] = {"auc": attr_auc, "group": group}
        scored = [(v["auc"], a) for a, v in by_attribute.items() if v["auc"] is not None]
        auc, top = max(scored) if scored else (None, None)
        chars.append(
            {
                "name": name,
                "auc": auc,
                "attribute": top,
                "group": None if top is None else by_attribute[top]["group"],
                "by_attribute": by_attribute,
                "flagged": auc is not None and auc >= threshold,
            }
        )
    return {
        "threshold": float(threshold),
        "method": (
            "AUC of each characteristic's levels (deciles of a numeric value, values of a "
            "categorical one, missing apart) as a score for each protected group against the "
            "rest, the group's share in a level estimated on the other half of the rows; "
            "max(AUC, 1 - AUC), the largest over the groups"
        ),
        "n": len(Xs),
        "attributes": {
            a: {"groups": how, "screened": screened[a], "min_group_rows": MIN_GROUP_ROWS}
            for a, (_, how) in groups.items()
        },
        "characteristics": chars,
        "flagged": [c["name"] for c in chars if c["flagged"]],
    }


def screen_proxies(
    X: pd.DataFrame,
    kinds: Mapping[str, str],
    protected: pd.DataFrame,
    *,
    threshold: float,
    refuse: bool,
    seed: int,
) -> dict[str, Any]:
    """Run :func:`proxy_screen`; warn of each flagged characteristic, or refuse the first."""
    screen = proxy_screen(X, kinds, protected, threshold=threshold, seed=seed)
    for c in screen["characteristics"]:
        if not c["flagged"]:
            continue
        what = (
            f"The characteristic {c['name']!r} predicts the protected attribute "
            f"{c['attribute']!r} (group {c['group']!r} against the rest) with AUC "
            f"{c['auc']:.3f}, at or above the proxy screen's threshold {threshold:g}: it may "
            "stand in for the attribute, whatever it is called."
        )
        if refuse:
            msg = f"{what} Remove it (refuse_proxies=True refuses such characteristics)."
            raise ProhibitedInputError(
                msg,
                field=c["name"],
                category="proxy for a protected attribute",
                attribute=c["attribute"],
                auc=c["auc"],
                where="model input",
            )
        msg = (
            f"{what} Check what it carries; the model card's proxy_screen lists every "
            "characteristic's AUC (refuse_proxies=True refuses such characteristics)."
        )
        warnings.warn(ProxyWarning(msg), stacklevel=3)  # at the caller of fit
    return screen


def input_card(
    screen: dict[str, Any] | None,
    declared: Mapping[str, list[str]] | None,
    characteristics: list[str],
    selected: list[str],
) -> dict[str, Any]:
    """The model card's ``proxy_screen`` and ``lineage`` sections, where there is one."""
    out: dict[str, Any] = {}
    if screen is not None:
        for c in screen["characteristics"]:
            c["selected"] = c["name"] in selected
        out["proxy_screen"] = screen
    if declared is not None:
        out["lineage"] = {
            "declared": dict(declared),
            "undeclared": [k for k in characteristics if k not in declared],
        }
    return out
