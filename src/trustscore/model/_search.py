"""The search for a less discriminatory alternative: a family of cards, its frontier, a choice.

Supervisors expect a lender to consider "a range of less discriminatory models": among cards
about as accurate as the one it would deploy, one that treats a protected group less
adversely often exists (model multiplicity). :func:`search_less_discriminatory` fits a family
of alternatives to a default card on the same rows and measures each on the same held-out
rows, seeded so that the same seed gives the same frontier:

1. the **default**: :class:`~trustscore.model.Scorecard` with the caller's parameters;
2. **characteristic subsets**: the default without each of the strongest proxies of the
   protected attribute (by the proxy screen, :mod:`trustscore.model._proxy`, on the training
   rows), one and two at a time;
3. **binning constraints**: coarser bins (``max_n_bins`` 6 and 3) and, where a numeric
   characteristic has no declared direction, a monotone trend in the direction of its
   correlation with the outcome;
4. **penalties** on the strongest proxies: their points shrunk towards their mean by 0.75,
   0.5 and 0.25 (the strongest alone, then the strongest two);
5. **caps**: no characteristic spanning more than 30 %, 20 % or 15 % of the score range.

Refits (2, 3) use the default's method (no new cross-validation) and its scale pinned
(``score_to_odds.pin``), so a cut-off means the same odds in every card; edits (4, 5,
:mod:`trustscore.model._shrink`) keep the default's scale. Each alternative is measured on the
held-out rows for accuracy (AUC, KS) and disparity: the adverse impact ratio (AIR) of the
group searched for at each policy cut-off and at the median score (each card approving the
half of the rows its median approves, so cards on different scales compare), and its
standardised mean difference (SMD). The **frontier** is the Pareto set of AUC against AIR at
the median; the **least discriminatory alternative** is the one with the highest AIR at the
median among those whose AUC is at most ``max_auc_loss`` below the default's (ties: higher
AUC, then the family's order), provided its AIR beats the default's; otherwise none was found
in the family searched, and the result says so.

The protected attribute is used only to measure and to rank proxies: it is never an input
(a column of ``X`` under its name is refused).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from trustscore.exceptions import ModelError
from trustscore.model._card import discrimination, fairness_section, score_to_odds
from trustscore.model._data import as_frame, as_protected, as_target, check_columns
from trustscore.model._params import PARAMETER_CONSTRAINTS
from trustscore.model._proxy import PROXY_THRESHOLD, proxy_screen
from trustscore.model._rows import bad_probability, score_rows
from trustscore.model._scorecard import Scorecard
from trustscore.model._search_result import SearchResult
from trustscore.model._shrink import cap_factors, shrink_points
from trustscore.monitoring import (
    DEFAULT_CUTOFFS,
    adverse_impact_ratio,
    fairness_report,
    ks,
    roc_auc,
    standardised_mean_difference,
)
from trustscore.scoring._artifact import ScorecardArtifact, content_hash

__all__ = ["DEFAULT_MAX_AUC_LOSS", "search_less_discriminatory"]

#: The accuracy a less discriminatory alternative may give up, in AUC.
DEFAULT_MAX_AUC_LOSS: Final = 0.005
_COARSE_BINS: Final = (6, 3)
_SHRINK: Final = (0.75, 0.5, 0.25)
_CAPS: Final = (0.30, 0.20, 0.15)

Progress = Callable[[int, int], None]


def _quiet(_done: int, _total: int) -> None:
    return None


def _check_settings(
    base_params: Mapping[str, Any], max_auc_loss: float, holdout: float, n_proxies: int
) -> None:
    unknown = sorted(set(base_params) - set(PARAMETER_CONSTRAINTS))
    if unknown:
        msg = (
            f"base_params names {unknown}, which are not parameters of Scorecard; they are "
            f"{sorted(PARAMETER_CONSTRAINTS)}."
        )
        raise ModelError(msg, field="base_params", value=unknown[0])
    if not (isinstance(max_auc_loss, int | float) and 0.0 <= max_auc_loss < 0.5):
        msg = f"max_auc_loss must be a number in [0, 0.5); got {max_auc_loss!r}."
        raise ModelError(msg, field="max_auc_loss", value=max_auc_loss)
    if not (isinstance(holdout, int | float) and 0.05 <= holdout <= 0.9):
        msg = f"holdout must be a share of the rows in [0.05, 0.9]; got {holdout!r}."
        raise ModelError(msg, field="holdout", value=holdout)
    if not (isinstance(n_proxies, int) and 0 <= n_proxies <= 10):
        msg = f"n_proxies must be an int in [0, 10]; got {n_proxies!r}."
        raise ModelError(msg, field="n_proxies", value=n_proxies)


def _group_labels(group: Any, n: int, columns: list[str]) -> tuple[str, np.ndarray[Any, Any]]:
    """The attribute's name and each row's group as a string; refuse it among the inputs."""
    frame = as_protected(group, n, columns, where="group")
    if frame.shape[1] != 1:
        msg = f"group must be one protected attribute; got {frame.shape[1]}: {list(frame)}."
        raise ModelError(msg, field="group")
    name = str(frame.columns[0])
    col = frame.iloc[:, 0]
    missing = np.flatnonzero(col.isna().to_numpy())
    if missing.size:
        msg = (
            f"The protected attribute {name!r} is missing in row {int(missing[0])} "
            f"({missing.size} rows in all); the search measures every row's group, so give "
            "each row one (or leave those rows out)."
        )
        raise ModelError(msg, field=name, row=int(missing[0]))
    labels = np.array([str(v) for v in col.to_numpy(dtype=object)], dtype=object)
    if len(set(labels.tolist())) < 2:
        msg = (
            f"The protected attribute {name!r} has one group only ({labels[0]!r}): nothing "
            "to compare."
        )
        raise ModelError(msg, field=name)
    return name, labels


def _split(
    y: np.ndarray[Any, Any], holdout: float, max_rows: int | None, seed: int
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Training and held-out row indices: stratified by outcome, seeded, within max_rows."""
    rng = np.random.default_rng([seed, 0x736561726368])  # "search"
    n = y.size
    keep = n if max_rows is None else min(n, int(max_rows))
    train, hold = [], []
    for cls in (0.0, 1.0):
        idx = np.flatnonzero(y == cls)
        idx = rng.permutation(idx)[: round(idx.size * keep / n)]
        k = round(idx.size * holdout)
        hold.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(hold))


def _measure(
    scores: np.ndarray[Any, Any],
    y: np.ndarray[Any, Any],
    group: np.ndarray[Any, Any],
    target: str | None,
    cutoffs: Sequence[float],
) -> dict[str, Any]:
    """Accuracy and disparity of one card's held-out scores (see the module docstring)."""
    risk = -scores.astype(np.float64)
    median = float(np.median(scores))
    air_median = adverse_impact_ratio(scores >= median, group)
    rep = fairness_report(scores, group, cutoffs=cutoffs)
    try:
        smd: dict[str, float] | None = standardised_mean_difference(scores, group)
    except ModelError:
        smd = None
    out: dict[str, Any] = {
        "auc": roc_auc(y, risk),
        "ks": ks(y, risk),
        "median_score": median,
        "air_median_by_group": air_median,
        "cutoffs": [
            {"cutoff": c["cutoff"], "air": c["air"], "approval_rate": c["approval_rate"]}
            for c in rep["cutoffs"]
        ],
        "smd_by_group": smd,
        "smd_reference": rep["smd_reference"],
    }
    if target is not None:
        _focus(out, target)
    return out


def _focus(m: dict[str, Any], target: str) -> None:
    """Add the searched-for group's own figures to a measurement."""
    m["air_median"] = m["air_median_by_group"][target]
    m["air_cutoffs"] = {str(c["cutoff"]): c["air"][target] for c in m["cutoffs"]}
    m["smd"] = None if m["smd_by_group"] is None else m["smd_by_group"][target]


def _family(
    default: Scorecard,
    proxies: Sequence[str],
    kinds: Mapping[str, str],
    corr_sign: Mapping[str, int],
) -> list[dict[str, Any]]:
    """The alternatives to try: name, family, description and the refit's params or edit."""
    art = default.artifact_
    directions = dict(default.directions or {})
    fam: list[dict[str, Any]] = []
    for i, p in enumerate(proxies):
        fam.append({"name": f"drop:{p}", "family": "subset", "drop": [p],
                    "description": f"without {p} (proxy #{i + 1})"})  # fmt: skip
    for a, b in ((0, 1), (0, 2), (1, 2)):
        if b < len(proxies):
            pair = [proxies[a], proxies[b]]
            fam.append({"name": "drop:" + "+".join(pair), "family": "subset", "drop": pair,
                        "description": f"without {pair[0]} and {pair[1]}"})  # fmt: skip
    for k in _COARSE_BINS:
        fam.append({"name": f"bins:{k}", "family": "binning", "params": {"max_n_bins": k},
                    "description": f"at most {k} bins per characteristic"})  # fmt: skip
    trends = {
        c.name: ("ascending" if corr_sign.get(c.name, 1) > 0 else "descending")
        for c in art.characteristics
        if kinds[c.name] == "numeric" and c.name not in directions and corr_sign.get(c.name)
    }
    if trends:
        given = default.monotonic_trend
        merged = {**(dict(given) if isinstance(given, Mapping) else {}), **trends}
        fam.append({"name": "monotone", "family": "binning",
                    "params": {"monotonic_trend": merged},
                    "description": "every numeric characteristic without a direction held "
                    f"monotone ({len(trends)}: {', '.join(sorted(trends))})"})  # fmt: skip
    for k in (1, 2):
        if len(proxies) >= k:
            names = list(proxies[:k])
            for alpha in _SHRINK:
                fam.append({"name": f"shrink:{'+'.join(names)}:{alpha:g}", "family": "penalty",
                            "shrink": dict.fromkeys(names, alpha),
                            "description": f"points of {' and '.join(names)} shrunk by "
                            f"{alpha:g} towards their mean"})  # fmt: skip
    for share in _CAPS:
        factors = cap_factors(art.to_dict(), share)
        if factors:
            fam.append({"name": f"cap:{share:g}", "family": "cap", "shrink": factors,
                        "description": f"no characteristic over {share:.0%} of the score range "
                        f"({len(factors)} capped)"})  # fmt: skip
    return fam


def _refit_params(
    default: Scorecard, base: Mapping[str, Any], alt: Mapping[str, Any], X: pd.DataFrame
) -> dict[str, Any]:
    """The Scorecard parameters of a refitted alternative."""
    art = default.artifact_
    params = dict(base)
    params["method"] = default.method_
    params["interactions"] = len(art.interactions)
    params["scaling"] = dict(art.model_card["score_to_odds"]["pin"])
    params.update(alt.get("params", {}))
    drop = set(alt.get("drop", ()))
    if drop:
        chars = base.get("characteristics")
        chosen = {c: {} for c in X.columns} if chars is None else dict(chars)
        params["characteristics"] = {k: v for k, v in chosen.items() if k not in drop}
        if params.get("directions"):
            params["directions"] = {k: v for k, v in params["directions"].items() if k not in drop}
    return params


def search_less_discriminatory(
    X: Any,
    y: Any,
    group: Any,
    *,
    base_params: Mapping[str, Any] | None = None,
    cutoffs: Sequence[float] = DEFAULT_CUTOFFS,
    max_auc_loss: float = DEFAULT_MAX_AUC_LOSS,
    target_group: str | None = None,
    holdout: float = 0.3,
    max_rows: int | None = None,
    n_proxies: int = 3,
    seed: int = 0,
    fit_kwargs: Mapping[str, Any] | None = None,
    progress: Progress = _quiet,
) -> SearchResult:
    """Search a family of alternative cards for a less discriminatory one of similar accuracy.

    Parameters
    ----------
    X : DataFrame
        The characteristics (as :meth:`Scorecard.fit` takes them).
    y : array-like of 0/1
        1 = bad.
    group : Series, one-column DataFrame or array
        The protected attribute, one value per row, held apart from ``X``; never an input.
    base_params : mapping, optional
        The default card's :class:`Scorecard` parameters.
    cutoffs : sequence of float
        The policy's cut-offs, at which the AIR is also reported.
    max_auc_loss : float, default 0.005
        How much held-out AUC an alternative may lose against the default and be chosen.
    target_group : str, optional
        The group searched for; by default the one with the lowest AIR at the default's
        median score.
    holdout : float, default 0.3
        Share of the rows held out (stratified by outcome) to measure every card.
    max_rows : int, optional
        Search on a seeded sample of at most this many rows (a fast search of a large file).
    n_proxies : int, default 3
        How many of the strongest proxies the subsets and penalties work on.
    seed : int
        Seed of the split, the sample, the proxy screen and every fit.
    fit_kwargs : mapping, optional
        Further keyword arguments of every :meth:`Scorecard.fit` (``data_window``,
        ``lineage``).
    progress : callable, optional
        ``progress(done, total)`` after each alternative.

    Returns
    -------
    SearchResult
        Every alternative's figures, the frontier, the choice and why
        (:class:`~trustscore.model._search_result.SearchResult`).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> g = rng.choice(["A", "B"], 2000)
    >>> X = pd.DataFrame({"a": rng.normal(size=2000), "b": rng.normal(size=2000) + (g == "B")})
    >>> y = (rng.random(2000) < 1 / (1 + np.exp(2 + X["a"] - 0.3 * X["b"]))).astype(int)
    >>> r = search_less_discriminatory(X, y, pd.Series(g, name="group"),
    ...                                base_params={"method": "woe"}, seed=1)
    >>> r.target_group, r.proxies[0]["name"]
    ('B', 'b')
    >>> r.chosen is None or r.alternative(r.chosen)["auc_loss"] <= 0.005
    True
    """
    base = dict(base_params or {})
    _check_settings(base, max_auc_loss, holdout, n_proxies)
    df = as_frame(X)
    check_columns(list(df.columns))
    yy = as_target(y, len(df))
    attr, labels = _group_labels(group, len(df), list(df.columns))
    tr, ho = _split(yy, holdout, max_rows, seed)
    Xtr, Xho = df.iloc[tr].reset_index(drop=True), df.iloc[ho].reset_index(drop=True)
    ytr, yho = yy[tr], yy[ho]
    gho = labels[ho]
    g_frame = pd.DataFrame({attr: gho})
    kwargs = dict(fit_kwargs or {})
    caught: list[str] = []

    def fit(params: Mapping[str, Any]) -> Scorecard:
        sc = Scorecard(**{**params, "random_state": seed})
        with warnings.catch_warnings(record=True) as ws:
            warnings.simplefilter("always")
            sc.fit(Xtr, ytr, eval_set=(Xho, yho, g_frame), **kwargs)
        caught.extend(dict.fromkeys(str(w.message) for w in ws))
        return sc

    default = fit(base)
    art = default.artifact_
    kinds = {c.name: c.type for c in art.characteristics}
    d_scores = default.score_points(Xho)
    d_meas = _measure(d_scores, yho, gho, None, cutoffs)
    if target_group is None:
        target = min(
            d_meas["air_median_by_group"], key=lambda k: (d_meas["air_median_by_group"][k], k)
        )
    elif target_group not in d_meas["air_median_by_group"]:
        msg = f"target_group {target_group!r} is not a group of {attr!r}: {sorted(set(labels))}."
        raise ModelError(msg, field="target_group", value=target_group)
    else:
        target = target_group
    _focus(d_meas, target)
    screen = proxy_screen(
        Xtr, kinds, pd.DataFrame({attr: labels[tr]}),
        threshold=float(base.get("proxy_threshold", PROXY_THRESHOLD)), seed=seed,
    )  # fmt: skip
    ranked = sorted(
        (c for c in screen["characteristics"] if c["auc"] is not None),
        key=lambda c: (-c["auc"], c["name"]),
    )
    proxies = [c["name"] for c in ranked[:n_proxies]]
    corr_sign = _corr_signs(Xtr, ytr, kinds)
    family = _family(default, proxies, kinds, corr_sign)
    total = len(family) + 1
    progress(1, total)
    rows = [{"name": "default", "family": "default", "description": "the default card",
             **d_meas, "n_characteristics": len(art.characteristics)}]  # fmt: skip
    artifacts: dict[str, ScorecardArtifact] = {"default": art}
    for i, alt in enumerate(family):
        if "shrink" in alt:
            a = _edited(art, alt["shrink"], Xho, yho, g_frame, seed)
            scores = score_rows(a, Xho)[0]
        else:
            try:
                sc = fit(_refit_params(default, base, alt, df))
            except ModelError as exc:
                rows.append({**_meta(alt), "failed": exc.message})
                progress(i + 2, total)
                continue
            a = sc.artifact_
            scores = sc.score_points(Xho)
        artifacts[alt["name"]] = a
        rows.append({**_meta(alt), **_measure(scores, yho, gho, target, cutoffs),
                     "n_characteristics": len(a.characteristics)})  # fmt: skip
        progress(i + 2, total)
    return SearchResult.build(
        rows,
        artifacts,
        attribute=attr,
        target_group=target,
        max_auc_loss=float(max_auc_loss),
        settings={
            "seed": seed,
            "holdout": holdout,
            "n_train": int(tr.size),
            "n_holdout": int(ho.size),
            "n_rows_given": len(df),
            "max_rows": max_rows,
            "cutoffs": [float(c) for c in cutoffs],
            "method": default.method_,
            "pin": dict(art.model_card["score_to_odds"]["pin"]),
        },
        proxies=[
            {k: c[k] for k in ("name", "auc", "group", "flagged")} for c in ranked[:n_proxies]
        ],
        warnings=list(dict.fromkeys(caught)),
    )


def _meta(alt: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: alt[k] for k in ("name", "family", "description")}
    for k in ("drop", "params", "shrink"):
        if k in alt:
            out[k] = alt[k]
    return out


def _corr_signs(
    X: pd.DataFrame, y: np.ndarray[Any, Any], kinds: Mapping[str, str]
) -> dict[str, int]:
    """+1 where a numeric characteristic's value rises with the event rate, -1 where it falls."""
    out = {}
    for name, kind in kinds.items():
        if kind != "numeric":
            continue
        x = pd.to_numeric(X[name], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        ok = np.isfinite(x)
        if ok.sum() < 3 or np.ptp(x[ok]) == 0:
            continue
        r = float(np.corrcoef(x[ok], y[ok])[0, 1])
        if math.isfinite(r) and r != 0:
            out[name] = 1 if r > 0 else -1
    return out


def _edited(
    art: ScorecardArtifact,
    factors: Mapping[str, float],
    Xho: pd.DataFrame,
    yho: np.ndarray[Any, Any],
    g_frame: pd.DataFrame,
    seed: int,
) -> ScorecardArtifact:
    """The default card with points shrunk, its card's held-out figures measured again."""
    d = shrink_points(art.to_dict(), factors)
    draft = ScorecardArtifact.from_dict(d)
    total, _, ok = score_rows(draft, Xho)
    ok = np.asarray(ok, dtype=bool)
    scores = total[ok]
    card = dict(d["model_card"])
    card["metrics"] = discrimination(
        yho[ok], scores, bad_probability(scores, draft), source="holdout", random_state=seed
    )
    card["fairness"] = fairness_section(
        scores, yho[ok], g_frame.loc[ok].reset_index(drop=True), source="holdout"
    )
    card["score_to_odds"] = score_to_odds(draft.scaling, draft.score_range)
    card["points_edit"] = {
        "shrunk": {k: float(v) for k, v in factors.items()},
        "how": "points shrunk towards their mean over the training rows, "
        "round(m + alpha * (p - m)); the other characteristics not refitted",
        "from_model_version": art.model_version,
    }
    d["model_card"] = card
    d["model_version"] = f"{art.model_version}-edit-{_short(d)}"
    d.pop("content_hash", None)
    d["content_hash"] = content_hash(d)
    return ScorecardArtifact.from_dict(d)


def _short(d: Mapping[str, Any]) -> str:
    # the edit's version follows from its content, not from when it was made
    body = {k: v for k, v in d.items() if k not in ("model_version", "content_hash", "created_at")}
    return content_hash(body).split(":", 1)[1][:8]
