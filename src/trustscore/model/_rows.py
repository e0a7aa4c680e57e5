"""Scoring rows with a fitted artifact, through the reference scorer of trustscore.scoring."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from trustscore.model._data import as_frame, categorical_column
from trustscore.model._scaling import odds_from_scores
from trustscore.scoring._artifact import ScorecardArtifact
from trustscore.scoring._reference import ReferenceResult, reference_points

__all__ = ["artifact_columns", "bad_probability", "reference_rows", "score_rows"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def artifact_columns(df: pd.DataFrame, art: ScorecardArtifact) -> dict[str, Any]:
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


def reference_rows(art: ScorecardArtifact, X: Any) -> ReferenceResult:
    """The reference scorer's answer for the rows of ``X``."""
    return reference_points(art, artifact_columns(as_frame(X), art))


def score_rows(art: ScorecardArtifact, X: Any) -> tuple[IntArray, IntArray, Any]:
    r = reference_rows(art, X)
    return r.points.sum(axis=1), r.points, r.ok


def bad_probability(scores: IntArray, art: ScorecardArtifact) -> FloatArray:
    ln_odds = odds_from_scores(scores, art.scaling)
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(ln_odds))
