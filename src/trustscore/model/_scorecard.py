"""The scorecard estimator: binning, WoE, logistic fit, scaling, artifact and model card."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from trustscore.exceptions import ModelError
from trustscore.features import check_feature_kind
from trustscore.model._card import interactions_card, model_card
from trustscore.model._data import (
    as_frame,
    as_protected,
    as_target,
    check_columns,
    check_model_lineage,
)
from trustscore.model._describe import char_dict, merge_equal_points, model_version, pair_code
from trustscore.model._directions import monotone_violations, repair_points
from trustscore.model._fitting import Fitter
from trustscore.model._interactions import FittedPair, pair_dict
from trustscore.model._params import validate_params
from trustscore.model._proxy import PROXY_THRESHOLD, input_card, screen_proxies
from trustscore.model._quality import check_bounds, quality_block
from trustscore.model._rows import bad_probability, reference_rows, score_rows
from trustscore.model._scaling import scale_points
from trustscore.safeguards import check_purpose_approvable
from trustscore.scoring._artifact import (
    ARTIFACT_FORMAT,
    SCHEMA_VERSION,
    ScorecardArtifact,
    content_hash,
    load_artifact,
)
from trustscore.scoring._reference import reference_reasons

__all__ = ["Scorecard"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


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

    With ``interactions``, the fused fit also gives points to up to that many pairs of
    characteristics (:mod:`trustscore.model._interactions`): a grid of at most 3 x 3 cells
    over two characteristics' bins, found by a screen on the additive model's residuals and
    fitted jointly with it under the same L1 penalty (most cells come out 0). Each pair is an
    element of the artifact of its own, with its own reason code; rows where either input is
    missing, special or other get its ``otherwise`` points.

    ``y == 1`` is the event (bad). The score grows with trustworthiness. The fitted model is a
    :class:`~trustscore.scoring._artifact.ScorecardArtifact` (``artifact_``); every prediction
    method scores through the reference scorer of :mod:`trustscore.scoring`, so what this
    estimator predicts is exactly what every compiled scorer predicts.

    Parameters
    ----------
    characteristics : mapping or None, default None
        Column name -> ``{"dimension", "reason_code", "reason", "improve",
        "missing_reason_code", "missing_reason", "missing_improve"}`` (each optional; the last
        three, the statement a subject reads when the value is missing, are copied to the
        artifact as given). Only these columns are characteristics. None: every column of
        ``X``, in dimension ``"overall"``, with generated codes (``OV01``, ...) and texts.
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
    directions : dict or None, default None
        Column -> the direction of conduct of a numeric characteristic: +1, more is better
        (its points never fall as the value rises), or -1, more is worse (they never rise).
        A direction is a declared trend of the event rate (+1: "descending", -1:
        "ascending") and holds as a hard constraint in every method, on edited bins and in
        every pair that uses the characteristic (the cells are monotone along it, so its bin
        points plus a pair's cell points move with conduct for every interval of the other
        input). It overrides a ``monotonic_trend`` given as one string; a ``monotonic_trend``
        entry for the same column must agree with it. A categorical characteristic cannot
        have one. Each characteristic's artifact entry records its ``direction`` (+1, -1 or
        null). A declared numeric characteristic whose two bins would come from one cut (a
        0/1 flag, or a count that is mostly 0) keeps that cut whenever each side has at least
        ``min_outcome`` rows, rather than ``min_bin_size``'s share (see the Notes).
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
    scaling : "spread" or dict, default "spread"
        How log-odds become points (:mod:`trustscore.model._scaling`). Either way every
        element's points are >= 0 (so every sub-score is), and the artifact's ``scaling``
        records ``score_factor`` and ``score_offset`` with ``ln(odds good:bad) = (score -
        score_offset) / score_factor``; the model card lists the odds of every 50th score.
        "spread": the worst attainable score is 0 and the best in [950, 1000]; the points to
        double the odds (``pdo``) and the odds at score 500 follow from the fit and are
        recorded. ``{"pdo": float > 0, "anchor_score": number in [0, 1000], "anchor_odds":
        float > 0}``: pins the scale, so that a score means the same odds (good:bad) in every
        model fitted with the same pin (pass a previous model's ``model_card["score_to_odds"]
        ["pin"]`` to keep its scale); if the pinned range would leave 0..1000 the points to
        double the odds shrink and the scale moves until it fits, with a
        :class:`~trustscore.exceptions.TrustScoreWarning`.
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
    interactions : int or "auto", default "auto"
        Pairs of characteristics to give points together (see above). 0: none, a purely
        additive scorecard. An int ``k`` (up to 32): fit up to ``k`` pairs, which needs the
        fused fit (``method="auto"`` then uses it; ``method="woe"`` is refused). "auto": let the
        cross-validation of ``method="auto"`` decide: it also tries the fused fit with up to
        8 pairs and takes them only if they win by more than the folds' standard error (and
        0.001 AUC); where that cross-validation does not run (another ``method``, fewer than
        1 000 or more than 200 000 rows) no pairs are fitted. A characteristic with edited
        bins or a declared peak or valley trend is never an input of a pair. The model card
        lists the pairs and how they were chosen.
    proxy_threshold : float, default 0.6
        The proxy screen's threshold, in [0.5, 1]: with ``protected`` given to ``fit``, a
        characteristic whose value predicts a protected group at this AUC or above (one group
        against the rest, ``max(AUC, 1 - AUC)``; :mod:`trustscore.model._proxy`) is flagged with
        a :class:`~trustscore.exceptions.ProxyWarning` and in the model card's
        ``proxy_screen``, which lists every characteristic's AUC. 1 flags only a perfect proxy.
    refuse_proxies : bool, default False
        Refuse a flagged characteristic
        (:class:`~trustscore.exceptions.ProhibitedInputError`) rather than warn.
    bounds : dict or None, default None
        Column -> the declared bounds of a numeric characteristic's values, ``(lower, upper)``
        or ``(lower, upper, text)`` (inclusive; either limit None; ``text`` says why in words
        a person reads, "a share lies between 0 and 1"). A scored value beyond them is flagged
        ``impossible`` (:mod:`trustscore.scoring._quality`); training data beyond them is
        refused. Every characteristic's artifact entry also records the range of values
        training saw, the levels it saw and whether it saw a missing value (its ``quality``
        block), against which values are flagged ``out_of_range``, ``unseen_level`` and
        ``unexpected_missing``.
    subject_kind : {"person", "organisation"}, default "person"
        Whose model this is, written to the model card (``subject_kind``): the registry keeps a
        champion per purpose and kind, and scoring uses a subject's own kind's. ``fit`` refuses
        a characteristic of the other kind's feature set
        (:func:`trustscore.features.check_feature_kind`).

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
    Directions. A declared characteristic never stays on the card unable to tell its values
    apart, which would cost nothing for a default while every subject read about one. Three
    rules keep it so. (1) Binning: if the search under ``min_bin_size`` leaves it in one bin,
    it is searched again with each bin needing only the rows a missing or special outcome
    needs for a level of its own (``max(30, min(rare_level_min, 0.005) * n)``), so a 0/1 flag
    or a mostly-zero count keeps its cut wherever the data moves its declared way. (2)
    Selection: one still left in one bin (its values do not move the event rate its declared
    way) is dropped. (3) Fit: one whose bins all end on the same integer points (given the
    other characteristics it adds nothing its declared way; the demo's ``any_default_36m``,
    whose step given the delinquency months is 0) is dropped and the rest refitted, unless a
    pair's cells tell its values apart. Each drop is noted in the model card's IV table.

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
        scaling: str | Mapping[str, float] = "spread",
        approved_purposes: Sequence[str] = ("credit_pricing", "credit_limit", "deposit_waiver"),
        criteria: Sequence[Mapping[str, Any]] = (),
        fixed_bins: ScorecardArtifact | Mapping[str, Any] | str | Path | None = None,
        random_state: int | None = None,
        interactions: int | str = "auto",
        directions: Mapping[str, int] | None = None,
        proxy_threshold: float = PROXY_THRESHOLD,
        refuse_proxies: bool = False,
        bounds: Mapping[str, Sequence[Any]] | None = None,
        subject_kind: str = "person",
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
        self.scaling = scaling
        self.approved_purposes = approved_purposes
        self.criteria = criteria
        self.fixed_bins = fixed_bins
        self.random_state = random_state
        self.interactions = interactions
        self.directions = directions
        self.proxy_threshold = proxy_threshold
        self.refuse_proxies = refuse_proxies
        self.bounds = bounds
        self.subject_kind = subject_kind

    # -- fitting -------------------------------------------------------------------------------
    def fit(
        self,
        X: Any,
        y: Any,
        *,
        protected: Any = None,
        eval_set: tuple[Any, ...] | None = None,
        data_window: Any = None,
        lineage: Mapping[str, str | Sequence[str]] | None = None,
    ) -> Scorecard:
        """Fit the scorecard.

        Parameters
        ----------
        X : DataFrame, pyarrow Table or 2-d array (columns ``x0``, ``x1``, ...)
        y : array-like of 0/1, 1 = bad (the event)
        protected : DataFrame, Series or array, optional
            Protected attributes, one row per row of ``X``, held apart from ``X`` and used
            only for the model card's fairness section and the proxy screen (see
            ``proxy_threshold``). A protected column in ``X`` raises
            :class:`~trustscore.exceptions.ProhibitedInputError`.
        eval_set : (X_holdout, y_holdout[, protected_holdout]), optional
            Data for the model card's metrics; without it they come from the training data.
        data_window : (start, end) or dict, optional
            The period the data covers, written to the model card.
        lineage : mapping of str to list of str, optional
            Column -> the record fields it was computed from, ``"kind.field"`` (e.g.
            ``{"x17": ["clickstream.url"]}``; :func:`trustscore.features.feature_lineage` for
            this project's features). A column whose lineage reaches a prohibited field
            (:func:`trustscore.safeguards.check_lineage`) raises
            :class:`~trustscore.exceptions.ProhibitedInputError` whatever its name; a field of
            one of trustscore's record kinds must exist. The model card records the lineage.

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
        # persons and organisations are never scored by one model: refuse the other kind's
        # features (trustscore.features.feature_set); the card says whose model this is
        check_feature_kind(list(df.columns), self.subject_kind)
        declared = None if lineage is None else check_model_lineage(lineage, list(df.columns))
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
        check_bounds(df, self.bounds or {}, self.special_codes or {})

        fitter = Fitter.of(params)
        if self.method == "woe" and fitter.pairs_asked:
            msg = (
                f"interactions={self.interactions} needs the fused fit (a pair's cells are "
                "fitted jointly with per-bin levels); with method='woe' set interactions=0, "
                "or use method='fused' or 'auto'."
            )
            raise ModelError(msg, field="interactions")
        specs = fitter.specs(df)
        kinds = {k: s["type"] for k, s in specs.items()}
        screen = None
        if prot is not None:
            screen = screen_proxies(
                df, kinds, prot, threshold=self.proxy_threshold, refuse=self.refuse_proxies,
                seed=seed,
            )  # fmt: skip
        edited = fitter.edited()
        method, strength, choice, n_pairs = fitter.choose_method(df, yy, specs, edited, seed)
        bins = fitter.bin_all(df, yy, specs, edited, fused=method == "fused")
        selected, notes = fitter.select(bins, n, seed, fused=method == "fused")
        candidates, kept_notes = list(selected), notes
        while True:
            notes = dict(kept_notes)  # a refit writes its own notes of what it dropped
            intercept, contribs, selected, coef = fitter.points_fit(
                bins, list(candidates), yy, notes, method, strength
            )
            pairs: list[FittedPair] = []
            if n_pairs and method == "fused":
                intercept, contribs, selected, coef, pairs = fitter.fit_pairs(
                    bins, selected, yy, notes, strength, intercept, contribs, n_pairs
                )
            all_pts, scaling = scale_points(
                contribs,
                intercept,
                cells=[fp.contrib for fp in pairs],
                pin=None if isinstance(self.scaling, str) else self.scaling,
            )
            # an input of a pair tells its values apart through the pair's cells
            paired = {
                x
                for fp, cp in zip(pairs, all_pts[len(selected) :], strict=True)
                if cp.any()
                for x in (fp.spec.a, fp.spec.b)
            }
            flat = [k for k in fitter.flat_declared(bins, selected, all_pts) if k not in paired]
            if not flat or len(flat) == len(selected):
                break
            # a declared characteristic that cannot tell its values apart would be told to
            # every subject without meaning anything: it leaves the card, and the rest refit
            for k in flat:
                kept_notes[k] = (
                    "dropped: its values do not move the event rate in its declared direction"
                    if bins[k].n_bins == 1
                    else "dropped: with its direction declared, every bin came out with the "
                    "same points (given the other characteristics it adds nothing in its "
                    "direction)"
                )
            candidates = [k for k in candidates if k not in flat]
        pts = all_pts[: len(selected)]
        # a pair whose cells all came out 0 points is no pair; the others are described on
        # the bins they were fitted on (before equal neighbours merge)
        used = {s["reason_code"] for s in specs.values()}
        pair_dicts, pair_rows, dropped = [], np.zeros(n, dtype=np.int64), []
        for fp, cp in zip(pairs, all_pts[len(selected) :], strict=True):
            if not cp.any():
                dropped.append(f"{fp.spec.a} x {fp.spec.b}")
                continue
            code = pair_code(specs[fp.spec.a]["dimension"], used)
            pair_dicts.append(pair_dict(fp, cp, yy, bins, specs, code))
            pair_rows += cp[fp.codes]
        pts = [
            repair_points(p, bins[k].n_event + bins[k].n_nonevent, sign, n_bins=bins[k].n_bins)
            if (sign := fitter.direction(k))
            else p
            for k, p in zip(selected, pts, strict=True)
        ]
        pts = merge_equal_points(bins, selected, pts, shape_from_points=method == "fused")
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
            char_dict(
                bins[s], specs[s], p, float(c) if method == "woe" else None, fitter.direction(s)
            )
            for s, p, c in zip(selected, pts, coef, strict=True)
        ]
        for c in chars:
            b = bins[c["name"]]
            c["quality"] = quality_block(
                df[c["name"]], b.type, b.special_values, (self.bounds or {}).get(c["name"])
            )
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
        if pair_dicts:  # each in the dimension of its first input, so among dims
            d["interactions"] = pair_dicts
        broken = monotone_violations(d)
        if broken:  # by construction never: a bug of ours, not the caller's
            msg = "The fitted points move against a declared direction: " + "; ".join(broken)
            raise ModelError(msg, field="directions")
        draft = ScorecardArtifact.from_dict(d)
        card = model_card(
            draft, df, yy, prot, eval_set, data_window, bins, selected, notes, seed,
            approved_purposes=self.approved_purposes, params=self._card_params(),
            extra_points=pair_rows if pair_dicts else None,
        )  # fmt: skip
        if self.interactions != 0:
            card["interactions"] = interactions_card(
                self.interactions, choice, n_pairs, method, pairs, pair_dicts, dropped
            )
        card.update(input_card(screen, declared, list(specs), selected))
        card["subject_kind"] = self.subject_kind
        d["model_card"] = card
        d["model_version"] = model_version(d, data_window)
        d["created_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        d["content_hash"] = content_hash(d)
        self.artifact_ = ScorecardArtifact.from_dict(d)
        for b in bins.values():
            b.codes = None
        return self

    def _card_params(self) -> dict[str, Any]:
        keep = ("max_n_bins", "min_bin_size", "rare_level_min", "min_iv", "max_corr", "C")
        out: dict[str, Any] = {k: getattr(self, k) for k in keep}
        out["method"] = self.method
        out["scaling"] = self.scaling if isinstance(self.scaling, str) else dict(self.scaling)
        out["method_used"] = self.method_
        out["method_choice"] = self._choice
        if self.interactions != 0:
            out["interactions"] = self.interactions
        if self.directions:
            out["directions"] = dict(self.directions)
        out["monotonic_trend"] = (
            dict(self.monotonic_trend)
            if isinstance(self.monotonic_trend, Mapping)
            else self.monotonic_trend
        )
        return out

    # -- scoring -------------------------------------------------------------------------------
    def score_points(self, X: Any) -> IntArray:
        """The score (sum of points, 0–1000) of every row, criteria ignored (see Notes)."""
        check_is_fitted(self, "artifact_")
        return score_rows(self.artifact_, X)[0]

    def predict_proba(self, X: Any) -> FloatArray:
        """``[p(good), p(bad)]`` per row, from the integer score: ranks as ``-score_points``."""
        check_is_fitted(self, "artifact_")
        p_bad = bad_probability(self.score_points(X), self.artifact_)
        return np.column_stack([1.0 - p_bad, p_bad])

    def predict(self, X: Any) -> IntArray:
        """1 (bad) where ``p(bad) >= 0.5``, else 0."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)

    def reasons(self, X: Any) -> list[list[str]]:
        """Up to four reason codes per row, most points lost first (the artifact's rule)."""
        check_is_fitted(self, "artifact_")
        return reference_reasons(self.artifact_, reference_rows(self.artifact_, X))

    def scorable(self, X: Any) -> npt.NDArray[np.bool_]:
        """Whether each row meets the artifact's minimum scoring criteria (else status NS)."""
        check_is_fitted(self, "artifact_")
        return np.asarray(score_rows(self.artifact_, X)[2], dtype=bool)

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
        pin = {k: s[k] for k in ("pdo", "anchor_score", "anchor_odds") if k in s}
        sc = cls(
            scaling=pin if s.get("method", "pinned") == "pinned" and len(pin) == 3 else "spread",
            approved_purposes=tuple(art.approved_purposes),
            criteria=tuple(c.to_dict() for c in art.criteria),
        )
        sc.artifact_ = art
        sc.classes_ = np.array([0, 1])
        sc.selected_ = [c.name for c in art.characteristics]
        sc.feature_names_in_ = np.asarray(list(art.input_columns), dtype=object)
        sc.n_features_in_ = len(art.input_columns)
        return sc
