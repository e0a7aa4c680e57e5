"""Fitting a scorecard: characteristic specs, binning, selection and the two point fits.

:class:`Fitter` holds the estimator's settings (the same names as
:class:`~trustscore.model.Scorecard`'s parameters) and does the work of ``Scorecard.fit`` up to
the points: what each characteristic is, its bins, which characteristics stay, and their
log-odds contributions from the WoE logistic fit or the fused per-bin fit, with
``method="auto"`` choosing between them by cross-validation, and the pairwise interactions
(:mod:`trustscore.model._interactions`) fitted jointly with the fused fit where asked for or
where that cross-validation takes them.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from trustscore.exceptions import DataQualityWarning, ModelError
from trustscore.model._binning import (
    BinnedCharacteristic,
    assign_codes,
    bin_categorical,
    bin_numeric,
)
from trustscore.model._data import categorical_column, numeric_column
from trustscore.model._describe import MISSING_KEYS
from trustscore.model._fused import FusedLayout, fit_fused
from trustscore.model._interactions import (
    FittedPair,
    PairSpec,
    cell_basis,
    cell_codes,
    screen_pairs,
)
from trustscore.scoring._artifact import Characteristic, ScorecardArtifact, load_artifact

__all__ = ["DIRECTION_TRENDS", "Fitter"]

FloatArray = npt.NDArray[np.float64]

_DEFAULT_DIMENSION: Final = "overall"
#: The trend of the event rate a direction declares: more is better, fewer events.
DIRECTION_TRENDS: Final = {1: "descending", -1: "ascending"}
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
# interactions="auto": the cross-validation tries this many pairs on the fused fit at this c
_PAIRS_AUTO: Final = 8
_PAIRS_C: Final = 0.07


@dataclass(frozen=True)
class Fitter:
    """The settings of a fit and the steps that use them (see ``Scorecard``'s parameters)."""

    characteristics: Mapping[str, Mapping[str, str]] | None
    categorical_features: str | Sequence[str]
    max_n_bins: int | str
    min_bin_size: float | str
    monotonic_trend: str | Mapping[str, str]
    method: str
    special_codes: Mapping[str, Sequence[float]] | None
    rare_level_min: float
    min_iv: float | str
    max_corr: float
    C: float
    fixed_bins: ScorecardArtifact | Mapping[str, Any] | str | Path | None
    interactions: int | str = "auto"
    directions: Mapping[str, int] | None = None

    @classmethod
    def of(cls, params: Mapping[str, Any]) -> Fitter:
        """The fitter for an estimator's ``get_params()`` (other parameters are ignored)."""
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in params.items() if k in names})

    def specs(self, df: pd.DataFrame) -> dict[str, dict[str, str]]:
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
                **{k: str(spec[k]) for k in MISSING_KEYS if k in spec},
            }
        self._check_directions(specs)
        return specs

    def _check_directions(self, specs: Mapping[str, Mapping[str, str]]) -> None:
        """Refuse a direction for a column that is no characteristic, or a categorical one,
        or one whose ``monotonic_trend`` entry says otherwise."""
        trends = self.monotonic_trend if isinstance(self.monotonic_trend, Mapping) else {}
        for name, d in (self.directions or {}).items():
            if name not in specs:
                msg = (
                    f"directions names {name!r}, which is not a characteristic; the "
                    f"characteristics are {list(specs)}."
                )
                raise ModelError(msg, field="directions", value=name)
            if specs[name]["type"] == "categorical":
                msg = (
                    f"directions gives the categorical characteristic {name!r} a direction "
                    f"({d:+d}); categories have no order, so only a numeric characteristic "
                    "can have one. Remove it from directions (or encode it as a number)."
                )
                raise ModelError(msg, field="directions", value=name)
            given = trends.get(name, "auto")
            if given not in ("auto", DIRECTION_TRENDS[d]):
                msg = (
                    f"directions gives {name!r} the direction {d:+d} (event rate "
                    f"{DIRECTION_TRENDS[d]}) but monotonic_trend declares {given!r} for it; "
                    "declare one of them, or make them agree."
                )
                raise ModelError(msg, field="directions", value=name)

    def edited(self) -> dict[str, Characteristic]:
        if self.fixed_bins is None:
            return {}
        art = load_artifact(self.fixed_bins, verify_hash=False)
        return {c.name: c for c in art.characteristics if c.extra.get("edited") is True}

    def bin_all(
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

    def declared(self, name: str) -> str:
        """The trend of the event rate declared for ``name``: its direction's, if it has one
        (which overrides a ``monotonic_trend`` given as one string for every column)."""
        d = self.direction(name)
        if d:
            return DIRECTION_TRENDS[d]
        trend = self.monotonic_trend
        if isinstance(trend, Mapping):
            trend = trend.get(name, "auto")
        return str(trend)

    def direction(self, name: str) -> int:
        """+1 (more is better), -1 (more is worse) or 0 (none declared) for ``name``."""
        return int((self.directions or {}).get(name, 0))

    def axis_direction(self, name: str) -> int:
        """The direction a pair's cells keep along ``name``: its direction, or the one its
        declared ascending or descending trend implies (0 for none)."""
        trend = self.declared(name)
        return {v: k for k, v in DIRECTION_TRENDS.items()}.get(trend, 0)

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
        min_outcome = self.min_outcome(n)
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
        trend = self.declared(name)
        if fused and trend == "auto":
            trend = "none"  # nothing declared: the fused fit shapes the points
        if fixed is not None:
            specials = [v for sp in fixed.special for v in sp.values]
        x = numeric_column(s, name)

        def binned(size: float, edges: list[float] | None) -> BinnedCharacteristic:
            return bin_numeric(
                name,
                x,
                y,
                max_n_bins=self._max_bins(fused),
                min_size=size,
                trend=str(trend),
                special_values=specials,
                min_outcome=min_outcome,
                fixed_edges=edges,
            )

        b = binned(min_size, None if fixed is None else list(fixed.edges))
        if fixed is None and b.n_bins == 1 and self.direction(name) and min_outcome < min_size:
            # a declared 0/1 flag or mostly-zero count whose rarer side is under min_bin_size
            # would read the same for every value: keep its cut in the declared direction
            # wherever each side has the rows a missing or special outcome needs for a level
            b = binned(min_outcome, None)
        return b

    def min_outcome(self, n: int) -> float:
        return max(_MIN_OUTCOME_ROWS, min(float(self.rare_level_min), _MIN_OUTCOME_SHARE) * n)

    def _specs_type(self, name: str, s: pd.Series) -> str:
        if self.categorical_features == "auto":
            return "numeric" if pd.api.types.is_numeric_dtype(s.dtype) else "categorical"
        return "categorical" if name in self.categorical_features else "numeric"

    def select(
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
            elif not bins[k].edited and self.direction(k) and bins[k].n_bins == 1:
                # no cut of its values moves the event rate its declared way: on the card it
                # would read the same for every value, so it is not a characteristic
                notes[k] = (
                    "dropped: its values do not move the event rate in its declared direction"
                )
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

    @property
    def pairs_asked(self) -> int:
        """The number of pairs asked for explicitly (0 for "auto" or none)."""
        return 0 if isinstance(self.interactions, str) else int(self.interactions)

    def choose_method(
        self,
        df: pd.DataFrame,
        y: FloatArray,
        specs: Mapping[str, Mapping[str, str]],
        edited: Mapping[str, Characteristic],
        seed: int,
    ) -> tuple[str, float, dict[str, Any], int]:
        """The method, the fused strength and how many pairs to fit (and how it was chosen).

        ``method="auto"`` compares them by cross-validated AUC; with ``interactions="auto"``
        the same folds also try the fused fit with up to ``_PAIRS_AUTO`` pairs, taken only if
        it beats the chosen model by more than the folds' standard error (and 0.001).
        Explicit pairs (``interactions=k``) need the fused fit, so they make it the method.
        """
        n = y.size
        rule = _FUSED_C_LARGE * math.sqrt(n)
        asked = self.pairs_asked
        if self.method == "woe":
            return "woe", 0.0, {"how": "given"}, 0
        if self.method == "fused":
            return "fused", rule, {"how": "given", "lambda": rule}, asked
        if n > _CV_MAX_ROWS:
            return "fused", rule, {"how": f"more than {_CV_MAX_ROWS} rows", "lambda": rule}, asked
        n_event = float(y.sum())
        if n < _CV_MIN_ROWS or min(n_event, n - n_event) < _CV_FOLDS_SMALL * _CV_MIN_EVENTS:
            how = "too few rows or events to compare methods"
            if asked:
                return "fused", rule, {"how": f"{how}; interactions need the fused fit"}, asked
            return "woe", 0.0, {"how": how}, 0
        k_folds = _CV_FOLDS_SMALL if n <= _CV_SMALL_ROWS else _CV_FOLDS
        folds = StratifiedKFold(k_folds, shuffle=True, random_state=seed).split(df, y)
        cands = ["woe", *(f"fused:{c}" for c in _FUSED_C)]
        try_pairs = self.interactions == "auto"
        aucs: dict[str, list[float]] = {c: [] for c in [*cands, "pairs"]}
        try:
            for tr, va in folds:
                self._cv_fold(df, y, tr, va, specs, edited, seed, aucs, try_pairs=try_pairs)
        except ModelError as exc:  # a fold without a usable characteristic: keep it simple
            how = f"cross-validation failed: {exc.message}"
            if asked:
                return "fused", rule, {"how": f"{how}; interactions need the fused fit"}, asked
            return "woe", 0.0, {"how": how}, 0
        mean = {c: float(np.mean(v)) for c, v in aucs.items() if v}
        best = max(cands[1:], key=lambda c: mean[c])
        # the simpler WoE model stays unless the fused one wins by more than the noise:
        # the mean paired gain must exceed its standard error (and 0.001)
        choice: dict[str, Any] = {
            "how": f"{k_folds}-fold cross-validated AUC on the training rows; fused only if "
            "its mean paired gain over woe exceeds its standard error and 0.001",
            "cv_auc": mean,
        }
        lam = float(best.split(":")[1]) * math.sqrt(n)
        if asked:
            choice["how"] += f"; interactions={asked} need the fused fit, so it is used"
            choice["lambda"] = lam
            return "fused", lam, choice, asked
        chosen = best if _wins(aucs[best], aucs["woe"]) else "woe"
        if try_pairs:
            taken = _wins(aucs["pairs"], aucs[chosen])
            choice["interactions"] = (
                f"fused (c={_PAIRS_C}) with up to {_PAIRS_AUTO} pairs: "
                + ("taken" if taken else "not taken")
                + f", as its mean paired gain over {chosen} "
                + ("exceeds" if taken else "does not exceed")
                + " its standard error and 0.001"
            )
            if taken:
                lam = _PAIRS_C * math.sqrt(n)
                choice["lambda"] = lam
                return "fused", lam, choice, _PAIRS_AUTO
        if chosen == "woe":
            return "woe", 0.0, choice, 0
        choice["lambda"] = lam
        return "fused", lam, choice, 0

    def _cv_fold(
        self,
        df: pd.DataFrame,
        y: FloatArray,
        tr: npt.NDArray[np.int64],
        va: npt.NDArray[np.int64],
        specs: Mapping[str, Mapping[str, str]],
        edited: Mapping[str, Characteristic],
        seed: int,
        aucs: dict[str, list[float]],
        *,
        try_pairs: bool,
    ) -> None:
        """Fit every candidate on the rows ``tr`` and append its AUC on ``va`` to ``aucs``."""
        dtr, ytr = df.iloc[tr].reset_index(drop=True), y[tr]
        dva, yva = df.iloc[va].reset_index(drop=True), y[va]
        lam_n = math.sqrt(tr.size)
        for fused in (False, True):
            bins = self.bin_all(dtr, ytr, specs, edited, fused=fused, quiet=True)
            sel, notes = self.select(bins, tr.size, seed, fused=fused)
            codes = {k: assign_codes(bins[k], self._raw(dva[k], bins[k])) for k in sel}
            runs = [(f"fused:{c}", c * lam_n) for c in _FUSED_C] if fused else [("woe", 0)]
            for name, lam in runs:
                b0, con, kept, _ = self.points_fit(
                    bins, list(sel), ytr, dict(notes), "fused" if fused else "woe", lam
                )
                aucs[name].append(float(roc_auc_score(yva, _risk(b0, con, kept, codes, va.size))))
                if try_pairs and name == f"fused:{_PAIRS_C}":
                    b1, con1, kept1, _, pairs = self.fit_pairs(
                        bins, kept, ytr, dict(notes), lam, b0, con, _PAIRS_AUTO
                    )
                    risk = _risk(b1, con1, kept1, codes, va.size)
                    for fp in pairs:
                        a, b = fp.spec.a, fp.spec.b
                        cells = cell_codes(fp.spec, bins[a], bins[b], codes[a], codes[b])
                        risk += fp.contrib[cells]
                    aucs["pairs"].append(float(roc_auc_score(yva, risk)))

    def flat_declared(
        self,
        bins: Mapping[str, BinnedCharacteristic],
        selected: Sequence[str],
        points: Sequence[npt.NDArray[np.int64]],
    ) -> list[str]:
        """The characteristics of ``selected`` with a declared direction (not edited) whose
        regular bins all have the same integer ``points`` (aligned with ``selected``)."""
        return [
            k
            for k, p in zip(selected, points, strict=False)
            if self.direction(k) and not bins[k].edited and np.ptp(p[: bins[k].n_bins]) == 0
        ]

    def pair_inputs(
        self, bins: Mapping[str, BinnedCharacteristic], kept: Sequence[str]
    ) -> list[str]:
        """The characteristics a pair may use: kept, not edited, not declared peak or valley
        (a declared direction, or ascending or descending trend, holds its cells monotone)."""
        return [
            k for k in kept if not bins[k].edited and self.declared(k) not in ("peak", "valley")
        ]

    def fit_pairs(
        self,
        bins: dict[str, BinnedCharacteristic],
        kept: list[str],
        y: FloatArray,
        notes: dict[str, str],
        lam: float,
        intercept: float,
        contribs: list[FloatArray],
        k: int,
    ) -> tuple[float, list[FloatArray], list[str], FloatArray, list[FittedPair]]:
        """Screen pairs on the residuals of the additive fit given, then refit jointly.

        Returns the joint fit's intercept, main effects, kept characteristics, coefficients
        and pairs; the additive fit unchanged if the screen finds nothing.
        """
        risk = intercept + sum(
            (t[bins[c].codes] for c, t in zip(kept, contribs, strict=True)),
            start=np.zeros(y.size),
        )
        found = screen_pairs(bins, self.pair_inputs(bins, kept), risk, y, k=k)
        if not found:
            return intercept, contribs, kept, np.ones(len(kept)), []
        return self._fuse(bins, kept, y, notes, lam, found)

    @staticmethod
    def _raw(s: pd.Series, b: BinnedCharacteristic) -> Any:
        return categorical_column(s) if b.type == "categorical" else numeric_column(s, b.name)

    def points_fit(
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
        return self._fuse(bins, selected, y, notes, lam)[:4]

    def _fuse(
        self,
        bins: dict[str, BinnedCharacteristic],
        selected: list[str],
        y: FloatArray,
        notes: dict[str, str],
        lam: float,
        pairs: Sequence[PairSpec] = (),
    ) -> tuple[float, list[FloatArray], list[str], FloatArray, list[FittedPair]]:
        """The fused fit; thin and unseen outcomes neutral, flat characteristics dropped.

        With ``pairs``, their cells are fitted jointly (penalty ``lam`` on each cell's level);
        an input of a pair is kept even if its own points come out flat.
        """
        layouts = []
        for k in selected:
            b = bins[k]
            # a direction holds on edited bins too: it bounds the levels, not the edges
            edited = b.edited and not self.direction(k)
            trend = "none" if edited or b.type == "categorical" else self.declared(k)
            trend = "none" if trend == "auto" else trend
            woe = b.woe[: b.n_bins]
            turn = int(np.argmin(woe) if trend == "peak" else np.argmax(woe))
            layouts.append(FusedLayout(b.woe.size, b.n_bins, trend, turn))
        pair_codes = []
        for sp in pairs:
            ca, cb = bins[sp.a].codes, bins[sp.b].codes
            assert ca is not None
            assert cb is not None
            pair_codes.append(cell_codes(sp, bins[sp.a], bins[sp.b], ca, cb))
            basis, n_free = cell_basis(
                len(sp.rows), len(sp.cols), self.axis_direction(sp.a), self.axis_direction(sp.b)
            )
            layouts.append(FusedLayout(sp.n_cells + 1, 0, cells=True, basis=basis, n_free=n_free))
        m = len(selected)
        codes = np.empty((y.size, m + len(pairs)), dtype=np.int32)
        for j, k in enumerate(selected):
            c = bins[k].codes
            assert c is not None
            codes[:, j] = c
        for j, pc in enumerate(pair_codes):
            codes[:, m + j] = pc
        intercept, raw = fit_fused(codes, layouts, y, lam=lam)
        inputs = {x for sp in pairs for x in (sp.a, sp.b)}
        min_outcome = self.min_outcome(y.size)
        kept: list[str] = []
        contribs: list[FloatArray] = []
        for k, t in zip(selected, raw[:m], strict=True):
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
            if not b.edited and k not in inputs and float(np.ptp(t)) < 1e-9:
                notes[k] = "dropped: its points came out flat in the fused fit"
                continue
            kept.append(k)
            contribs.append(t)
        if not kept:  # nothing moves the odds: keep the strongest, flat
            k = max(selected, key=lambda k: bins[k].iv)
            notes.pop(k, None)
            kept, contribs = [k], [np.zeros(bins[k].woe.size)]
        fitted = [
            FittedPair(sp, raw[m + j], pc)
            for j, (sp, pc) in enumerate(zip(pairs, pair_codes, strict=True))
        ]
        return intercept, contribs, kept, np.ones(len(kept)), fitted


def _risk(
    b0: float,
    contribs: Sequence[FloatArray],
    kept: Sequence[str],
    codes: Mapping[str, npt.NDArray[np.int64]],
    n: int,
) -> FloatArray:
    """The additive log-odds of rows whose outcomes are ``codes``."""
    return b0 + sum((t[codes[k]] for k, t in zip(kept, contribs, strict=True)), start=np.zeros(n))


def _wins(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether ``a``'s mean paired AUC gain over ``b`` exceeds its standard error and 0.001."""
    gain = np.asarray(a) - np.asarray(b)
    se = float(gain.std(ddof=1) / math.sqrt(gain.size))
    return float(gain.mean()) > max(se, _CV_MIN_GAIN)
