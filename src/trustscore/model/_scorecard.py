"""The scorecard estimator: binning, WoE, logistic fit, scaling, artifact and model card."""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted

from trustscore.exceptions import DataQualityWarning, ModelError
from trustscore.model._binning import (
    BinnedCharacteristic,
    assign_codes,
    bin_categorical,
    bin_numeric,
    merge_bins,
)
from trustscore.model._card import discrimination, fairness_section, iv_table
from trustscore.model._data import (
    as_frame,
    as_protected,
    as_target,
    categorical_column,
    check_columns,
    numeric_column,
)
from trustscore.model._fused import FusedLayout, fit_fused
from trustscore.model._params import validate_params
from trustscore.model._scaling import odds_from_scores, scale_points
from trustscore.safeguards import check_purpose_approvable
from trustscore.scoring._artifact import (
    ARTIFACT_FORMAT,
    SCHEMA_VERSION,
    Characteristic,
    ScorecardArtifact,
    content_hash,
    load_artifact,
)
from trustscore.scoring._reference import reference_points, reference_reasons

__all__ = ["Scorecard"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_DEFAULT_DIMENSION: Final = "overall"
_MIN_OUTCOME_ROWS: Final = 30
_MIN_OUTCOME_SHARE: Final = 0.005
_CORR_SAMPLE: Final = 200_000
_AUTO_MAX_BINS: Final = (8, 32)  # woe, fused
_AUTO_MIN_ROWS: Final = 40
_AUTO_MIN_IV: Final = 0.02
_AUTO_MIN_SHARE: Final = (0.001, 0.05)
# method="auto": cross-validate up to this many rows; fused strength lam = c * sqrt(n)
_CV_MAX_ROWS: Final = 200_000
_CV_FOLDS: Final = 3
_CV_FOLDS_SMALL: Final = 5
_CV_SMALL_ROWS: Final = 20_000
_CV_MIN_GAIN: Final = 0.001
_CV_MIN_EVENTS: Final = 30
_CV_MIN_ROWS: Final = 1000  # below this, per-bin levels are too noisy to be worth a look
_FUSED_C: Final = (0.03, 0.07, 0.2)
_FUSED_C_LARGE: Final = 0.07


def _json_num(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


class Scorecard(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """A points scorecard: optimal bins, per-bin or WoE logistic fit, 0–1000 integer points.

    Two ways to give the bins their points (``method``): ``"woe"``, the classic scorecard (one
    L2 logistic coefficient per characteristic on its WoE), and ``"fused"``, a level per bin
    from an L1-fused logistic fit (:mod:`trustscore.model._fused`): neighbouring bins share
    their points unless the data says otherwise, so each characteristic's shape is its
    conditional effect rather than a rescaled marginal one. ``"auto"`` picks by AUC
    cross-validated on the training rows (5 folds up to 20 000 rows, else 3; "fused" only if
    it wins by more than the folds' standard error; under 1 000 rows "woe" without asking,
    above 200 000 rows "fused" without asking, as it then loses nothing to the WoE model's
    single coefficient). Either way the result is a scorecard: integer points per bin, one
    characteristic's points independent of the others, monotone wherever a trend is declared.

    ``y == 1`` is the event (bad). The score grows with trustworthiness. The fitted model is a
    :class:`~trustscore.scoring._artifact.ScorecardArtifact` (``artifact_``); every prediction
    method scores through the reference scorer of :mod:`trustscore.scoring`, so what this
    estimator predicts is exactly what every compiled scorer predicts.

    Parameters
    ----------
    characteristics : mapping or None, default None
        Column name -> ``{"dimension", "reason_code", "reason", "improve"}`` (each optional).
        Only these columns are characteristics. None: every column of ``X``, in dimension
        ``"overall"``, with generated codes (``OV01``, ...) and texts.
    categorical_features : "auto" or list of str, default "auto"
        Columns binned as categories; "auto" takes the non-numeric dtypes.
    max_n_bins : int or "auto", default "auto"
        Most bins per characteristic (missing, special and other outcomes not counted), in
        [2, 64]; "auto": 8 for "woe", 32 for "fused" (whose fit merges neighbouring bins with
        equal points, so its scorecards usually have far fewer).
    min_bin_size : float or "auto", default "auto"
        Smallest bin, as a fraction of the training rows; "auto": 0.05 for "woe", 40 rows'
        share within [0.001, 0.05] for "fused".
    monotonic_trend : str or dict, default "auto"
        Trend of the event rate across a numeric characteristic's bins: "auto", "ascending",
        "descending", "peak", "valley" or "none", or a dict column -> trend ("auto" for the
        others). A declared trend always holds in the points. "auto" declares nothing: the
        WoE method takes the better monotone trend by IV (peak/valley only if it adds 10 % IV
        and 0.005), the fused method lets the data shape the points, and the artifact's
        ``trend`` says the shape the points have. Categorical bins are ordered by event rate.
    method : {"auto", "fused", "woe"}, default "auto"
        How bins get their points (see above).
    special_codes : dict or None, default None
        Column -> values with their own outcome each (matched exactly, before the bins).
    rare_level_min : float, default 0.01
        Categorical levels in fewer than this fraction of the rows are pooled before binning.
    min_iv, max_corr : float or "auto", float; default "auto" and 0.9
        Selection before the regression: characteristics under ``min_iv`` are dropped (0 keeps
        all; "auto": 0.02 for "woe", 0 for "fused", whose L1 penalty selects by itself),
        then, in decreasing IV, any whose WoE correlates above ``max_corr`` (absolute) with a
        kept one (1 disables). With "woe", characteristics whose coefficient has the
        wrong sign are dropped and the model refitted; with "fused", those whose points came
        out flat. Edited characteristics (``fixed_bins``) are always kept.
    C : float, default 1.0
        Inverse L2 strength of the logistic regression (lbfgs) on the WoE matrix.
    pdo, anchor_score, anchor_odds : float, default 40, 600, 20
        Points to double the odds (good:bad) and the score that has ``anchor_odds``.
    approved_purposes : sequence of str
        Written to the model card; each must be approvable.
    criteria : sequence of dict, default ()
        Minimum scoring criteria copied into the artifact (see the artifact's docs).
    fixed_bins : ScorecardArtifact, dict, path or None, default None
        An artifact whose characteristics marked ``"edited": true`` keep their edges
        (numeric), groups (categorical) and special values on refit; WoE and points are
        re-estimated on them and the refit artifact marks them edited again. Its content
        hash is not checked: hand edits are the point.
    random_state : int or None, default None
        Seed of the subsamples used for the correlation check and the bootstrap intervals
        (None: 0, so fits are deterministic).

    Attributes
    ----------
    artifact_ : ScorecardArtifact
    bins_ : dict of str to BinnedCharacteristic
        Every characteristic that was binned (selected or not).
    selected_ : list of str
    coef_, intercept_ : ndarray, float
        WoE coefficients (all 1 with "fused": the bins' levels are the points) and intercept.
    method_ : str
        The method used ("woe" or "fused"); the model card records how it was chosen.
    classes_ : ndarray, ``[0, 1]``

    Notes
    -----
    ``score_points``, ``predict_proba``, ``predict`` and ``reasons`` give the model's answer for
    every row and ignore ``criteria``; :meth:`scorable` says which rows meet them. A scorer
    (:mod:`trustscore.scoring`) gives those rows status ``NS`` and no score.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"on_time_rate": rng.random(2000), "utilisation": rng.random(2000)})
    >>> logit = -1.0 - 3.0 * X["on_time_rate"] + 2.0 * X["utilisation"]
    >>> y = (rng.random(2000) < 1 / (1 + np.exp(-logit))).astype(int)
    >>> sc = Scorecard(max_n_bins=5).fit(X, y)
    >>> pts = sc.score_points(X.head(3))
    >>> bool(((pts >= 0) & (pts <= 1000)).all())
    True
    >>> sc.artifact_.characteristic("on_time_rate").extra["trend"]
    'descending'
    """

    def __init__(
        self,
        *,
        characteristics: Mapping[str, Mapping[str, str]] | None = None,
        categorical_features: str | Sequence[str] = "auto",
        max_n_bins: int | str = "auto",
        min_bin_size: float | str = "auto",
        monotonic_trend: str | Mapping[str, str] = "auto",
        method: str = "auto",
        special_codes: Mapping[str, Sequence[float]] | None = None,
        rare_level_min: float = 0.01,
        min_iv: float | str = "auto",
        max_corr: float = 0.9,
        C: float = 1.0,
        pdo: float = 40.0,
        anchor_score: float = 600,
        anchor_odds: float = 20.0,
        approved_purposes: Sequence[str] = ("credit_pricing", "credit_limit", "deposit_waiver"),
        criteria: Sequence[Mapping[str, Any]] = (),
        fixed_bins: ScorecardArtifact | Mapping[str, Any] | str | Path | None = None,
        random_state: int | None = None,
    ) -> None:
        self.characteristics = characteristics
        self.categorical_features = categorical_features
        self.max_n_bins = max_n_bins
        self.min_bin_size = min_bin_size
        self.monotonic_trend = monotonic_trend
        self.method = method
        self.special_codes = special_codes
        self.rare_level_min = rare_level_min
        self.min_iv = min_iv
        self.max_corr = max_corr
        self.C = C
        self.pdo = pdo
        self.anchor_score = anchor_score
        self.anchor_odds = anchor_odds
        self.approved_purposes = approved_purposes
        self.criteria = criteria
        self.fixed_bins = fixed_bins
        self.random_state = random_state

    # -- fitting -------------------------------------------------------------------------------
    def fit(
        self,
        X: Any,
        y: Any,
        *,
        protected: Any = None,
        eval_set: tuple[Any, ...] | None = None,
        data_window: Any = None,
    ) -> Scorecard:
        """Fit the scorecard.

        Parameters
        ----------
        X : DataFrame, pyarrow Table or 2-d array (columns ``x0``, ``x1``, ...)
        y : array-like of 0/1, 1 = bad (the event)
        protected : DataFrame, Series or array, optional
            Protected attributes, one row per row of ``X``, held apart from ``X`` and used
            only for the model card's fairness section. A protected column in ``X`` raises
            :class:`~trustscore.exceptions.ProhibitedInputError`.
        eval_set : (X_holdout, y_holdout[, protected_holdout]), optional
            Data for the model card's metrics; without it they come from the training data.
        data_window : (start, end) or dict, optional
            The period the data covers, written to the model card.

        Returns
        -------
        self
        """
        params = self.get_params(deep=False)
        validate_params(type(self).__name__, params)
        for purpose in self.approved_purposes:
            check_purpose_approvable(purpose)
        df = as_frame(X)
        check_columns(list(df.columns))
        n = len(df)
        yy = as_target(y, n)
        prot = (
            None
            if protected is None
            else as_protected(protected, n, list(df.columns), where="protected")
        )
        if n < 2:
            msg = f"A scorecard needs at least 2 rows to fit; got {n}."
            raise ModelError(msg, n=n)
        n_event = int(yy.sum())
        if n_event in (0, n):
            only = "bad (1)" if n_event else "good (0)"
            msg = (
                f"y holds only one class: all {n} rows are {only}. A scorecard needs both good "
                "and bad outcomes to fit."
            )
            raise ModelError(msg, n=n, n_event=n_event)
        seed = 0 if self.random_state is None else int(self.random_state)

        specs = self._specs(df)
        edited = self._edited()
        method, strength, choice = self._choose_method(df, yy, specs, edited, seed)
        bins = self._bin_all(df, yy, specs, edited, fused=method == "fused")
        selected, notes = self._select(bins, n, seed, fused=method == "fused")
        intercept, contribs, selected, coef = self._points_fit(
            bins, selected, yy, notes, method, strength
        )
        pts, scaling = scale_points(
            contribs,
            np.ones(len(selected)),
            intercept,
            pdo=float(self.pdo),
            anchor_score=self.anchor_score,
            anchor_odds=float(self.anchor_odds),
        )
        pts = self._merge_equal_points(bins, selected, pts, shape_from_points=method == "fused")
        self.bins_ = bins
        self.selected_ = selected
        self.coef_ = coef
        self.intercept_ = intercept
        self.method_ = method
        self._choice = choice
        self.iv_ = {k: b.iv for k, b in bins.items()}
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = df.shape[1]
        self.feature_names_in_ = np.asarray(list(df.columns), dtype=object)
        chars = [
            self._char_dict(bins[s], specs[s], p, float(c) if method == "woe" else None)
            for s, p, c in zip(selected, pts, coef, strict=True)
        ]
        dims = list(dict.fromkeys(c["dimension"] for c in chars))
        target = str(y.name) if isinstance(y, pd.Series) and y.name is not None else "target"
        d: dict[str, Any] = {
            "format": ARTIFACT_FORMAT,
            "schema_version": SCHEMA_VERSION,
            "model_version": "",
            "created_at": "",
            "target": target,
            "scaling": scaling,
            "dimensions": [{"name": m, "label": m.replace("_", " ").capitalize()} for m in dims],
            "characteristics": chars,
            "criteria": [dict(c) for c in self.criteria],
            "model_card": {},
        }
        draft = ScorecardArtifact.from_dict(d)
        d["model_card"] = self._card(
            draft, df, yy, prot, eval_set, data_window, bins, selected, notes, seed
        )
        d["model_version"] = self._version(d, data_window)
        d["created_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        d["content_hash"] = content_hash(d)
        self.artifact_ = ScorecardArtifact.from_dict(d)
        for b in bins.values():
            b.codes = None
        return self

    def _specs(self, df: pd.DataFrame) -> dict[str, dict[str, str]]:
        """Name -> {type, dimension, reason_code, reason, improve}, in column order."""
        if self.characteristics is None:
            given: Mapping[str, Mapping[str, str]] = {c: {} for c in df.columns}
        else:
            given = self.characteristics
            absent = [c for c in given if c not in df.columns]
            if absent:
                msg = f"The characteristics {absent} are not columns of X: {list(df.columns)}."
                raise ModelError(msg, field=absent[0])
        if self.categorical_features == "auto":
            cats = {c for c in given if not pd.api.types.is_numeric_dtype(df[c].dtype)}
        else:
            cats = set(self.categorical_features)
        used_codes = {s["reason_code"] for s in given.values() if "reason_code" in s}
        counters: dict[str, int] = {}
        specs: dict[str, dict[str, str]] = {}
        for name, spec in given.items():
            dim = spec.get("dimension", _DEFAULT_DIMENSION)
            code = spec.get("reason_code")
            if code is None:
                prefix = (dim[:2] or "CH").upper()
                while True:
                    counters[prefix] = counters.get(prefix, 0) + 1
                    code = f"{prefix}{counters[prefix]:02d}"
                    if code not in used_codes:
                        break
                used_codes.add(code)
            specs[name] = {
                "type": "categorical" if name in cats else "numeric",
                "dimension": dim,
                "reason_code": code,
                "reason": spec.get("reason", f"Value of {name.replace('_', ' ')}"),
                "improve": spec.get("improve", ""),
            }
        return specs

    def _edited(self) -> dict[str, Characteristic]:
        if self.fixed_bins is None:
            return {}
        art = load_artifact(self.fixed_bins, verify_hash=False)
        return {c.name: c for c in art.characteristics if c.extra.get("edited") is True}

    def _bin_all(
        self,
        df: pd.DataFrame,
        y: FloatArray,
        specs: Mapping[str, Mapping[str, str]],
        edited: Mapping[str, Characteristic],
        *,
        fused: bool,
        quiet: bool = False,
    ) -> dict[str, BinnedCharacteristic]:
        bins: dict[str, BinnedCharacteristic] = {}
        with warnings.catch_warnings():
            if quiet:
                warnings.simplefilter("ignore", DataQualityWarning)
            for name in specs:
                b = self._bin_one(name, df[name], y, len(df), edited.get(name), fused=fused)
                if b is not None:
                    bins[name] = b
        if not bins:
            msg = "No usable characteristic: every column is constant or entirely missing."
            raise ModelError(msg)
        return bins

    def _min_bin_share(self, n: int, fused: bool) -> float:
        if self.min_bin_size != "auto":
            return float(self.min_bin_size)
        if not fused:
            return _AUTO_MIN_SHARE[1]
        return min(_AUTO_MIN_SHARE[1], max(_AUTO_MIN_SHARE[0], _AUTO_MIN_ROWS / max(n, 1)))

    def _max_bins(self, fused: bool) -> int:
        if self.max_n_bins != "auto":
            return int(self.max_n_bins)
        return _AUTO_MAX_BINS[1] if fused else _AUTO_MAX_BINS[0]

    def _declared(self, name: str) -> str:
        trend = self.monotonic_trend
        if isinstance(trend, Mapping):
            trend = trend.get(name, "auto")
        return str(trend)

    def _bin_one(
        self,
        name: str,
        s: pd.Series,
        y: FloatArray,
        n: int,
        fixed: Characteristic | None,
        *,
        fused: bool = False,
    ) -> BinnedCharacteristic | None:
        n_missing = int(s.isna().sum())
        if fixed is None and n_missing == n:
            warnings.warn(
                f"Column {name!r} is missing in all {n} rows; it is not used as a characteristic.",
                DataQualityWarning,
                stacklevel=3,
            )
            return None
        if fixed is None and n_missing == 0 and s.nunique(dropna=True) <= 1:
            warnings.warn(
                f"Column {name!r} is constant ({s.iloc[0]!r} in every row); it is not used as "
                "a characteristic.",
                DataQualityWarning,
                stacklevel=3,
            )
            return None
        min_size = self._min_bin_share(n, fused) * n
        min_outcome = self._min_outcome(n)
        ctype = fixed.type if fixed is not None else self._specs_type(name, s)
        specials = list((self.special_codes or {}).get(name, ()))
        if ctype == "categorical":
            if specials:
                msg = (
                    f"special_codes names {name!r}, a categorical characteristic; special codes "
                    "apply to numeric characteristics only (a categorical level is its own bin)."
                )
                raise ModelError(msg, field=name)
            return bin_categorical(
                name,
                categorical_column(s),
                y,
                max_n_bins=self._max_bins(fused),
                min_size=min_size,
                rare_min=float(self.rare_level_min) * n,
                min_outcome=min_outcome,
                fixed_groups=None if fixed is None else [b.categories for b in fixed.bins],
            )
        trend = self._declared(name)
        if fused and trend == "auto":
            trend = "none"  # nothing declared: the fused fit shapes the points
        if fixed is not None:
            specials = [v for sp in fixed.special for v in sp.values]
        return bin_numeric(
            name,
            numeric_column(s, name),
            y,
            max_n_bins=self._max_bins(fused),
            min_size=min_size,
            trend=str(trend),
            special_values=specials,
            min_outcome=min_outcome,
            fixed_edges=None if fixed is None else list(fixed.edges),
        )

    def _min_outcome(self, n: int) -> float:
        return max(_MIN_OUTCOME_ROWS, min(float(self.rare_level_min), _MIN_OUTCOME_SHARE) * n)

    def _specs_type(self, name: str, s: pd.Series) -> str:
        if self.categorical_features == "auto":
            return "numeric" if pd.api.types.is_numeric_dtype(s.dtype) else "categorical"
        return "categorical" if name in self.categorical_features else "numeric"

    def _select(
        self, bins: dict[str, BinnedCharacteristic], n: int, seed: int, *, fused: bool = False
    ) -> tuple[list[str], dict[str, str]]:
        """Selection by IV, then by correlation of the WoE columns; edited ones always stay."""
        notes: dict[str, str] = {}
        min_iv = (0.0 if fused else _AUTO_MIN_IV) if self.min_iv == "auto" else float(self.min_iv)
        order = sorted(bins, key=lambda k: (not bins[k].edited, -bins[k].iv, k))
        candidates = []
        for k in order:
            if not bins[k].edited and bins[k].iv < min_iv:
                notes[k] = f"dropped: IV {bins[k].iv:.4f} < min_iv {min_iv}"
            else:
                candidates.append(k)
        if not candidates:
            best = max(bins, key=lambda k: bins[k].iv)
            msg = (
                f"No characteristic reaches min_iv={min_iv}; the strongest is {best!r} "
                f"with IV {bins[best].iv:.4f}. Lower min_iv (0 keeps every characteristic)."
            )
            raise ModelError(msg, field="min_iv")
        if float(self.max_corr) >= 1.0 or len(candidates) == 1:
            return candidates, notes
        rng = np.random.default_rng(seed)
        rows = rng.choice(n, size=_CORR_SAMPLE, replace=False) if n > _CORR_SAMPLE else None
        sample = np.empty((n if rows is None else rows.size, len(candidates)))
        for j, k in enumerate(candidates):
            codes = bins[k].codes
            assert codes is not None
            sample[:, j] = bins[k].woe[codes if rows is None else codes[rows]]
        sd = sample.std(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = np.abs(np.nan_to_num(np.corrcoef(sample, rowvar=False), nan=0.0))
        corr[sd == 0, :] = 0.0
        corr[:, sd == 0] = 0.0
        kept_idx: list[int] = []
        for j, k in enumerate(candidates):
            if kept_idx and not bins[k].edited:
                worst = int(np.argmax(corr[j, kept_idx]))
                r = float(corr[j, kept_idx][worst])
                if r > float(self.max_corr):
                    with_ = candidates[kept_idx[worst]]
                    notes[k] = f"dropped: WoE correlation {r:.3f} with {with_!r} > max_corr"
                    continue
            kept_idx.append(j)
        kept = [candidates[j] for j in kept_idx]
        return kept, notes

    def _regress(
        self,
        bins: dict[str, BinnedCharacteristic],
        selected: list[str],
        y: FloatArray,
        notes: dict[str, str],
    ) -> tuple[FloatArray, float, list[str]]:
        """L2 logistic regression on WoE; wrong-signed characteristics are dropped, then refit.

        With ``woe = ln(%good / %bad)`` every coefficient should be negative (more WoE, fewer
        bads); a positive one means the characteristic's points would run against its bins.
        """
        selected = list(selected)
        while True:
            # float32 halves the memory and time of lbfgs; WoE needs no more precision
            W = np.empty((y.size, len(selected)), dtype=np.float32)
            for j, k in enumerate(selected):
                codes = bins[k].codes
                assert codes is not None
                W[:, j] = bins[k].woe[codes]
            lr = LogisticRegression(C=float(self.C), solver="lbfgs", max_iter=1000)
            lr.fit(W, y)
            coef = lr.coef_[0].astype(np.float64)
            wrong = [
                j for j, k in enumerate(selected) if coef[j] > 0 and not bins[selected[j]].edited
            ]
            if not wrong or len(selected) == 1:
                return coef, float(lr.intercept_[0]), selected
            drop = min(wrong, key=lambda j: bins[selected[j]].iv)
            notes[selected[drop]] = "dropped: its coefficient had the wrong sign"
            del selected[drop]

    def _choose_method(
        self,
        df: pd.DataFrame,
        y: FloatArray,
        specs: Mapping[str, Mapping[str, str]],
        edited: Mapping[str, Characteristic],
        seed: int,
    ) -> tuple[str, float, dict[str, Any]]:
        """The method and fused strength; "auto" compares them by cross-validated AUC."""
        n = y.size
        rule = _FUSED_C_LARGE * math.sqrt(n)
        if self.method == "woe":
            return "woe", 0.0, {"how": "given"}
        if self.method == "fused":
            return "fused", rule, {"how": "given", "lambda": rule}
        if n > _CV_MAX_ROWS:
            return "fused", rule, {"how": f"more than {_CV_MAX_ROWS} rows", "lambda": rule}
        n_event = float(y.sum())
        if n < _CV_MIN_ROWS or min(n_event, n - n_event) < _CV_FOLDS_SMALL * _CV_MIN_EVENTS:
            return "woe", 0.0, {"how": "too few rows or events to compare methods"}
        k_folds = _CV_FOLDS_SMALL if n <= _CV_SMALL_ROWS else _CV_FOLDS
        folds = StratifiedKFold(k_folds, shuffle=True, random_state=seed).split(df, y)
        cands = ["woe", *(f"fused:{c}" for c in _FUSED_C)]
        aucs: dict[str, list[float]] = {c: [] for c in cands}
        try:
            for tr, va in folds:
                dtr, ytr = df.iloc[tr].reset_index(drop=True), y[tr]
                dva, yva = df.iloc[va].reset_index(drop=True), y[va]
                lam_n = math.sqrt(tr.size)
                for fused in (False, True):
                    bins = self._bin_all(dtr, ytr, specs, edited, fused=fused, quiet=True)
                    sel, notes = self._select(bins, tr.size, seed, fused=fused)
                    codes = {k: assign_codes(bins[k], self._raw(dva[k], bins[k])) for k in sel}
                    runs = [(f"fused:{c}", c * lam_n) for c in _FUSED_C] if fused else [("woe", 0)]
                    for name, lam in runs:
                        b0, con, kept, _ = self._points_fit(
                            bins, list(sel), ytr, dict(notes), "fused" if fused else "woe", lam
                        )
                        risk = b0 + sum(
                            (t[codes[k]] for k, t in zip(kept, con, strict=True)),
                            start=np.zeros(va.size),
                        )
                        aucs[name].append(float(roc_auc_score(yva, risk)))
        except ModelError as exc:  # a fold without a usable characteristic: keep it simple
            return "woe", 0.0, {"how": f"cross-validation failed: {exc.message}"}
        mean = {c: float(np.mean(v)) for c, v in aucs.items()}
        best = max(cands[1:], key=lambda c: mean[c])
        # the simpler WoE model stays unless the fused one wins by more than the noise:
        # the mean paired gain must exceed its standard error (and 0.001)
        gain = np.asarray(aucs[best]) - np.asarray(aucs["woe"])
        se = float(gain.std(ddof=1) / math.sqrt(gain.size))
        choice: dict[str, Any] = {
            "how": f"{k_folds}-fold cross-validated AUC on the training rows; fused only if "
            "its mean paired gain over woe exceeds its standard error and 0.001",
            "cv_auc": mean,
        }
        if float(gain.mean()) <= max(se, _CV_MIN_GAIN):
            return "woe", 0.0, choice
        lam = float(best.split(":")[1]) * math.sqrt(n)
        choice["lambda"] = lam
        return "fused", lam, choice

    @staticmethod
    def _raw(s: pd.Series, b: BinnedCharacteristic) -> Any:
        return categorical_column(s) if b.type == "categorical" else numeric_column(s, b.name)

    def _points_fit(
        self,
        bins: dict[str, BinnedCharacteristic],
        selected: list[str],
        y: FloatArray,
        notes: dict[str, str],
        method: str,
        lam: float,
    ) -> tuple[float, list[FloatArray], list[str], FloatArray]:
        """Intercept, per-outcome log-odds contributions (bad), kept characteristics, coefs."""
        if method == "woe":
            coef, intercept, kept = self._regress(bins, selected, y, notes)
            return intercept, [c * bins[k].woe for k, c in zip(kept, coef, strict=True)], kept, coef
        return self._fuse(bins, selected, y, notes, lam)

    def _fuse(
        self,
        bins: dict[str, BinnedCharacteristic],
        selected: list[str],
        y: FloatArray,
        notes: dict[str, str],
        lam: float,
    ) -> tuple[float, list[FloatArray], list[str], FloatArray]:
        """The fused fit; thin and unseen outcomes neutral, flat characteristics dropped."""
        layouts = []
        for k in selected:
            b = bins[k]
            trend = "none" if b.edited or b.type == "categorical" else self._declared(k)
            trend = "none" if trend == "auto" else trend
            woe = b.woe[: b.n_bins]
            turn = int(np.argmin(woe) if trend == "peak" else np.argmax(woe))
            layouts.append(FusedLayout(b.woe.size, b.n_bins, trend, turn))
        codes = np.empty((y.size, len(selected)), dtype=np.int32)
        for j, k in enumerate(selected):
            c = bins[k].codes
            assert c is not None
            codes[:, j] = c
        intercept, raw = fit_fused(codes, layouts, y, lam=lam)
        min_outcome = self._min_outcome(y.size)
        kept: list[str] = []
        contribs: list[FloatArray] = []
        for k, t in zip(selected, raw, strict=True):
            b = bins[k]
            counts = b.n_event + b.n_nonevent
            neutral = np.zeros(t.size, dtype=bool)
            neutral[b.n_bins :] = counts[b.n_bins :] < min_outcome
            if b.other_index is not None:
                neutral[b.other_index] = True
            w = np.where(neutral, 0.0, counts)
            centre = float(w @ t / w.sum()) if w.sum() > 0 else 0.0
            t = np.where(neutral, 0.0, t - centre)
            intercept += centre
            if not b.edited and float(np.ptp(t)) < 1e-9:
                notes[k] = "dropped: its points came out flat in the fused fit"
                continue
            kept.append(k)
            contribs.append(t)
        if not kept:  # nothing moves the odds: keep the strongest, flat
            k = max(selected, key=lambda k: bins[k].iv)
            notes.pop(k, None)
            kept, contribs = [k], [np.zeros(bins[k].woe.size)]
        return intercept, contribs, kept, np.ones(len(kept))

    def _merge_equal_points(
        self,
        bins: dict[str, BinnedCharacteristic],
        selected: list[str],
        pts: list[IntArray],
        *,
        shape_from_points: bool,
    ) -> list[IntArray]:
        """Merge neighbouring bins with equal points (edited bins stay as they are).

        With ``shape_from_points`` a characteristic's ``trend`` becomes the shape its points
        have (an ascending event rate is descending points).
        """
        out = []
        for k, p in zip(selected, pts, strict=True):
            b = bins[k]
            nb = b.n_bins
            if not b.edited:
                group = np.concatenate(([0], np.cumsum(np.diff(p[:nb]) != 0)))
                first = np.concatenate(([True], np.diff(p[:nb]) != 0))
                b = merge_bins(b, group.tolist())
                p = np.concatenate((p[:nb][first], p[nb:]))
                if shape_from_points:
                    b.trend = _shape(p[: b.n_bins])
                bins[k] = b
            out.append(p)
        return out

    def _char_dict(
        self,
        b: BinnedCharacteristic,
        spec: Mapping[str, str],
        pts: IntArray,
        coef: float | None,
    ) -> dict[str, Any]:
        def stats(i: int) -> dict[str, Any]:
            n_i = float(b.n_event[i] + b.n_nonevent[i])
            return {
                "points": int(pts[i]),
                "woe": float(b.woe[i]),
                "n": int(n_i),
                "n_event": int(b.n_event[i]),
                "event_rate": _json_num(b.n_event[i] / n_i) if n_i else None,
            }

        nb = b.n_bins
        if b.type == "numeric":
            uppers: list[float | None] = [*b.edges, None]
            lowers: list[float | None] = [None, *b.edges]
            bins_out = []
            for i in range(nb):
                lo, hi = lowers[i], uppers[i]
                label = (
                    f"[{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'})"
                )
                bins_out.append({"upper": hi, **stats(i), "label": label})
        else:
            bins_out = [{"categories": list(g), **stats(i)} for i, g in enumerate(b.groups)]
        d: dict[str, Any] = {
            "name": b.name,
            "dimension": spec["dimension"],
            "type": b.type,
            "reason_code": spec["reason_code"],
            "reason": spec["reason"],
            "improve": spec["improve"],
            "bins": bins_out,
            "missing": stats(b.missing_index),
        }
        if b.special_values:
            d["special"] = [
                {"values": [v], **stats(nb + 1 + k)} for k, v in enumerate(b.special_values)
            ]
        if b.other_index is not None:
            d["other"] = {"points": int(pts[b.other_index]), "woe": 0.0}
        d["iv"] = b.iv
        if coef is not None:
            d["coefficient"] = coef
        d["trend"] = b.trend
        if b.edited:
            d["edited"] = True
        return d

    def _card(
        self,
        art: ScorecardArtifact,
        df: pd.DataFrame,
        y: FloatArray,
        prot: pd.DataFrame | None,
        eval_set: tuple[Any, ...] | None,
        data_window: Any,
        bins: Mapping[str, BinnedCharacteristic],
        selected: list[str],
        notes: Mapping[str, str],
        seed: int,
    ) -> dict[str, Any]:
        if eval_set is not None:
            if not isinstance(eval_set, tuple | list) or len(eval_set) not in (2, 3):
                msg = (
                    "eval_set must be (X_holdout, y_holdout) or (X_holdout, y_holdout, protected)."
                )
                raise ModelError(msg, field="eval_set")
            ex = as_frame(eval_set[0], where="eval_set X")
            ey = as_target(eval_set[1], len(ex), where="eval_set y")
            ep = None
            if len(eval_set) == 3 and eval_set[2] is not None:
                ep = as_protected(
                    eval_set[2], len(ex), list(ex.columns), where="eval_set protected"
                )
            source = "holdout"
        else:
            ex, ey, ep, source = df, y, prot, "training"
        if source == "training" and not art.criteria:
            # the training rows' outcomes are known: look their points up (same artifact)
            total = np.zeros(ey.size, dtype=np.int64)
            for c in art.characteristics:
                codes = bins[c.name].codes
                assert codes is not None
                total += np.array([o.points for o in c.outcomes], dtype=np.int64)[codes]
            ok = np.ones(ey.size, dtype=bool)
        else:
            r = reference_points(art, self._columns(ex, art))
            total, ok = r.points.sum(axis=1), r.ok
        scores = total[ok]
        p_bad = self._p_bad(total, art)[ok]
        metrics = discrimination(ey[ok], scores, p_bad, source=source, random_state=seed)
        if source == "training":
            metrics["note"] = (
                "Measured on the training data (no eval_set was given): optimistic. "
                + metrics.get("note", "")
            ).strip()
        metrics["n_not_scorable"] = int((~ok).sum())
        card: dict[str, Any] = {
            "approved_purposes": list(self.approved_purposes),
            "data_window": _window(data_window),
            "n": int(y.size),
            "n_event": int(y.sum()),
            "event_rate": float(y.mean()),
            "event": "y == 1 (bad)",
            "metrics": metrics,
            "iv_table": iv_table(
                [
                    {
                        "name": k,
                        "iv": b.iv,
                        "n_bins": b.n_bins,
                        "trend": b.trend,
                        "selected": k in selected,
                        "note": notes.get(k, "edited bins kept" if b.edited else ""),
                    }
                    for k, b in bins.items()
                ]
            ),
            "estimator": {"name": "trustscore.model.Scorecard", "params": self._card_params()},
        }
        if ep is not None:
            card["fairness"] = fairness_section(
                scores, ey[ok], ep.loc[ok].reset_index(drop=True), source=source
            )
        elif prot is not None:
            card["fairness"] = fairness_section(
                self._scores_of(art, df)[0], y, prot, source="training"
            )
        return card

    def _card_params(self) -> dict[str, Any]:
        keep = ("max_n_bins", "min_bin_size", "rare_level_min", "min_iv", "max_corr", "C")
        out: dict[str, Any] = {k: getattr(self, k) for k in keep}
        out["method"] = self.method
        out["method_used"] = self.method_
        out["method_choice"] = self._choice
        out["monotonic_trend"] = (
            dict(self.monotonic_trend)
            if isinstance(self.monotonic_trend, Mapping)
            else self.monotonic_trend
        )
        return out

    def _version(self, d: Mapping[str, Any], data_window: Any) -> str:
        body = {k: v for k, v in d.items() if k not in ("model_version", "created_at")}
        digest = content_hash(body).split(":", 1)[1][:8]
        win = _window(data_window)
        if win is not None and win.get("end"):
            day = str(win["end"])[:10].replace("-", "")
        else:
            day = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
        return f"scorecard-{day}-{digest}"

    # -- scoring -------------------------------------------------------------------------------
    @staticmethod
    def _columns(df: pd.DataFrame, art: ScorecardArtifact) -> dict[str, Any]:
        kinds = {c.name: c.type for c in art.characteristics}
        cols: dict[str, Any] = {}
        for name in art.input_columns:
            if name not in df.columns:
                continue  # the reference scorer names what is missing
            s = df[name]
            if kinds.get(name) == "categorical":
                cols[name] = categorical_column(s)
            else:
                try:
                    cols[name] = s.to_numpy(dtype=np.float64, na_value=np.nan)
                except (TypeError, ValueError):
                    cols[name] = categorical_column(s)  # the scorer says which row is wrong
        return cols

    def _scores_of(self, art: ScorecardArtifact, X: Any) -> tuple[IntArray, IntArray, Any]:
        df = as_frame(X)
        r = reference_points(art, self._columns(df, art))
        return r.points.sum(axis=1), r.points, r.ok

    @staticmethod
    def _p_bad(scores: IntArray, art: ScorecardArtifact) -> FloatArray:
        ln_odds = odds_from_scores(scores, art.scaling)
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(ln_odds))

    def score_points(self, X: Any) -> IntArray:
        """The score (sum of points, 0–1000) of every row, criteria ignored (see Notes)."""
        check_is_fitted(self, "artifact_")
        return self._scores_of(self.artifact_, X)[0]

    def predict_proba(self, X: Any) -> FloatArray:
        """``[p(good), p(bad)]`` per row, from the integer score: ranks as ``-score_points``."""
        check_is_fitted(self, "artifact_")
        p_bad = self._p_bad(self.score_points(X), self.artifact_)
        return np.column_stack([1.0 - p_bad, p_bad])

    def predict(self, X: Any) -> IntArray:
        """1 (bad) where ``p(bad) >= 0.5``, else 0."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)

    def reasons(self, X: Any) -> list[list[str]]:
        """Up to four reason codes per row, most points lost first (the artifact's rule)."""
        check_is_fitted(self, "artifact_")
        return reference_reasons(self.artifact_, self._scores_of(self.artifact_, X)[1])

    def scorable(self, X: Any) -> npt.NDArray[np.bool_]:
        """Whether each row meets the artifact's minimum scoring criteria (else status NS)."""
        check_is_fitted(self, "artifact_")
        return np.asarray(self._scores_of(self.artifact_, X)[2], dtype=bool)

    # -- artifacts -----------------------------------------------------------------------------
    def to_artifact(self, model_version: str | None = None) -> ScorecardArtifact:
        """The fitted artifact, optionally under another model version (hash renewed)."""
        check_is_fitted(self, "artifact_")
        if model_version is None:
            return self.artifact_
        d = self.artifact_.to_dict()
        d["model_version"] = str(model_version)
        d["content_hash"] = content_hash(d)
        return ScorecardArtifact.from_dict(d)

    @classmethod
    def from_artifact(
        cls, artifact: ScorecardArtifact | Mapping[str, Any] | str | Path
    ) -> Scorecard:
        """A fitted Scorecard that scores from the artifact alone (no training data needed).

        Examples
        --------
        >>> from trustscore.scoring._artifact import example_artifact_dict
        >>> sc = Scorecard.from_artifact(example_artifact_dict())
        >>> sc.score_points({"on_time_rate": [0.95], "card_kind": ["card"],
        ...                  "months_history": [12]}).tolist()
        [150]
        """
        art = load_artifact(artifact)
        s = art.scaling
        sc = cls(
            pdo=float(s.get("pdo", 40.0)),
            anchor_score=s.get("anchor_score", 600),
            anchor_odds=float(s.get("anchor_odds", 20.0)),
            approved_purposes=tuple(art.approved_purposes),
            criteria=tuple(c.to_dict() for c in art.criteria),
        )
        sc.artifact_ = art
        sc.classes_ = np.array([0, 1])
        sc.selected_ = [c.name for c in art.characteristics]
        sc.feature_names_in_ = np.asarray(list(art.input_columns), dtype=object)
        sc.n_features_in_ = len(art.input_columns)
        return sc


def _shape(points: IntArray) -> str:
    """The trend of the event rate that integer points imply (points fall as risk rises)."""
    d = np.sign(np.diff(points))
    d = d[d != 0]
    if d.size == 0 or (d < 0).all():
        return "ascending" if d.size else "none"
    if (d > 0).all():
        return "descending"
    turns = int((np.diff(d) != 0).sum())
    if turns == 1:
        return "peak" if d[0] < 0 else "valley"
    return "none"


def _window(data_window: Any) -> dict[str, Any] | None:
    if data_window is None:
        return None
    if isinstance(data_window, Mapping):
        return {str(k): str(v) for k, v in data_window.items()}
    if isinstance(data_window, tuple | list) and len(data_window) == 2:
        return {"start": str(data_window[0]), "end": str(data_window[1])}
    msg = f"data_window must be (start, end) or a dict; got {data_window!r}."
    raise ModelError(msg, field="data_window")
