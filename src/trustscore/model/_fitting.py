"""Fitting a scorecard: characteristic specs, binning, selection and the two point fits.

:class:`Fitter` holds the estimator's settings (the same names as
:class:`~trustscore.model.Scorecard`'s parameters) and does the work of ``Scorecard.fit`` up to
the points: what each characteristic is, its bins, which characteristics stay, and their
log-odds contributions from the WoE logistic fit or the fused per-bin fit, with
``method="auto"`` choosing between them by cross-validation.
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
from trustscore.model._fused import FusedLayout, fit_fused
from trustscore.scoring._artifact import Characteristic, ScorecardArtifact, load_artifact

__all__ = ["Fitter"]

FloatArray = npt.NDArray[np.float64]

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
            }
        return specs

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

    def choose_method(
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
                    bins = self.bin_all(dtr, ytr, specs, edited, fused=fused, quiet=True)
                    sel, notes = self.select(bins, tr.size, seed, fused=fused)
                    codes = {k: assign_codes(bins[k], self._raw(dva[k], bins[k])) for k in sel}
                    runs = [(f"fused:{c}", c * lam_n) for c in _FUSED_C] if fused else [("woe", 0)]
                    for name, lam in runs:
                        b0, con, kept, _ = self.points_fit(
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
            trend = "none" if b.edited or b.type == "categorical" else self.declared(k)
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
        min_outcome = self.min_outcome(y.size)
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
