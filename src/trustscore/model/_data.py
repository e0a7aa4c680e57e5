"""Turning what callers pass (pandas, pyarrow, numpy) into frames and checked targets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from trustscore.exceptions import ModelError, ProhibitedInputError
from trustscore.records._schemas import RECORD_KINDS
from trustscore.safeguards import check_input_names, check_lineage

__all__ = [
    "as_frame",
    "as_protected",
    "as_target",
    "categorical_column",
    "check_columns",
    "check_model_lineage",
    "numeric_column",
]


def as_frame(X: Any, *, where: str = "X") -> pd.DataFrame:
    """A DataFrame with string column names from a frame, a pyarrow table, a dict of columns or
    a 2-d array (columns ``x0``, ``x1``, ...)."""
    if isinstance(X, pd.DataFrame):
        df = X
    elif hasattr(X, "to_pandas") and hasattr(X, "schema"):  # pyarrow.Table / RecordBatch
        df = X.to_pandas()
    elif isinstance(X, Mapping):  # column name -> values
        df = pd.DataFrame({str(k): list(v) for k, v in X.items()})
    else:
        arr = np.asarray(X)
        if arr.ndim != 2:
            msg = f"{where} must be a DataFrame, a pyarrow Table or a 2-d array; got {arr.ndim}-d."
            raise ModelError(msg, field=where)
        df = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
    if not all(isinstance(c, str) for c in df.columns):
        df = df.rename(columns=str)
    return df


def as_target(y: Any, n: int, *, where: str = "y") -> npt.NDArray[np.float64]:
    """``y`` as float 0/1 of length ``n``; raise ModelError otherwise."""
    arr = np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y)
    if arr.ndim != 1 or arr.shape[0] != n:
        msg = (
            f"{where} must be one-dimensional with {n} values (one per row); got shape {arr.shape}."
        )
        raise ModelError(msg, field=where)
    try:
        yy = arr.astype(np.float64)
    except (TypeError, ValueError):
        msg = f"{where} must hold 0 (good) and 1 (bad, the event); got dtype {arr.dtype}."
        raise ModelError(msg, field=where) from None
    bad = ~np.isin(yy, (0.0, 1.0))
    if bad.any():
        pos = int(np.argmax(bad))
        msg = (
            f"{where} must hold 0 (good) and 1 (bad, the event); row {pos} holds "
            f"{arr[pos].item()!r}. Encode the target as 0/1 before fitting."
        )
        raise ModelError(msg, field=where, row=pos)
    return yy


def as_protected(protected: Any, n: int, x_columns: list[str], *, where: str) -> pd.DataFrame:
    """Protected attributes as a frame of ``n`` rows, none of them among the characteristics."""
    if isinstance(protected, pd.DataFrame):
        df = protected.reset_index(drop=True)
    elif isinstance(protected, pd.Series):
        df = protected.reset_index(drop=True).to_frame(name=str(protected.name or "protected"))
    elif hasattr(protected, "to_pandas") and hasattr(protected, "schema"):
        df = protected.to_pandas()
    else:
        arr = np.asarray(protected, dtype=object)
        df = pd.DataFrame(arr if arr.ndim == 2 else {"protected": arr})
    df = df.rename(columns=str)
    if len(df) != n:
        msg = f"{where} has {len(df)} rows but X has {n}; give one row of attributes per row of X."
        raise ModelError(msg, field=where)
    clash = sorted(set(df.columns) & set(x_columns))
    if clash:
        msg = (
            f"The protected attribute(s) {clash} also appear as column(s) of X. Protected "
            "attributes are held apart, for fairness testing only, and may never be "
            "characteristics: drop them from X."
        )
        raise ProhibitedInputError(msg, field=clash[0], where=where)
    return df


def check_columns(columns: list[str]) -> None:
    """Refuse prohibited inputs by name (:func:`trustscore.safeguards.check_input_names`)."""
    check_input_names(columns, where="model input")


def check_model_lineage(lineage: Any, columns: list[str]) -> dict[str, list[str]]:
    """Refuse a column whose declared lineage reaches a prohibited field
    (:func:`trustscore.safeguards.check_lineage`); fields of trustscore's own record kinds
    must exist in their schemas."""
    if not isinstance(lineage, Mapping):
        msg = (
            "lineage must be a mapping of column name to the record fields it is computed "
            f"from, e.g. {{'x17': ['tradeline.balance']}}. Got {type(lineage).__name__}."
        )
        raise ModelError(msg, field="lineage")
    known = {kind: spec.field_names for kind, spec in RECORD_KINDS.items()}
    return check_lineage(lineage, columns, known_fields=known, where="model input")


def numeric_column(s: pd.Series, name: str) -> npt.NDArray[np.float64]:
    """A column as float64 with NaN for missing values."""
    try:
        return s.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        msg = (
            f"Column {name!r} is declared numeric but holds values that are not numbers "
            f"(dtype {s.dtype}). List it in 'categorical_features' or fix the data."
        )
        raise ModelError(msg, field=name) from None


def categorical_column(s: pd.Series) -> npt.NDArray[np.object_]:
    """A column as objects with None for missing values (pd.NA and NaN included)."""
    arr = np.array(s.astype(object), dtype=object, copy=True)
    arr[np.asarray(s.isna())] = None
    return arr
