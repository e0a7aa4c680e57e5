"""The search for a less discriminatory alternative on files: ``trustscore fairness search``.

``trustscore fairness search --features F [--labels L] [--groups G] --out DIR`` reads the
characteristics, the outcomes and the protected groups (one file, or three joined on a key
such as ``subject_id``), runs :func:`trustscore.model.search_less_discriminatory`, and writes
``DIR/search.json`` (the frontier, every card's figures, the choice and why),
``DIR/search.html`` (the report) and ``DIR/model.json`` (the chosen card, or the default where
none was found, with the evidence in its model card for the validator).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from trustscore.exceptions import SchemaError
from trustscore.model import DEFAULT_MAX_AUC_LOSS, SearchResult, search_less_discriminatory
from trustscore.monitoring import DEFAULT_CUTOFFS
from trustscore.pipeline._flat import _binary_target, read_table
from trustscore.reports import search_report

__all__ = ["SEARCH_FILES", "fairness_search", "write_search"]

#: The files a search writes into its folder.
SEARCH_FILES = ("search.json", "search.html", "model.json")


def _frame(path: str | Path, key: str | None, needed: Sequence[str]) -> pd.DataFrame:
    """A file as a frame, checked for its key (unique) and the columns asked of it."""
    file = Path(path).name
    table = read_table(path)
    for col in [*([key] if key else []), *needed]:
        if col not in table.column_names:
            msg = (
                f"{file}: there is no column {col!r}; columns are {', '.join(table.column_names)}."
            )
            raise SchemaError(msg, file=file, field=col)
    frame: pd.DataFrame = table.to_pandas()
    if key is not None:
        dup = frame[key].duplicated()
        if dup.any():
            row = int(dup.to_numpy().argmax()) + 1
            msg = (
                f"{file}: the key {key!r} must name one row each, but "
                f"{frame[key].iloc[row - 1]!r} appears again in data row {row}."
            )
            raise SchemaError(msg, file=file, field=key, line=row)
    return frame


def _joined(
    features: str | Path,
    labels: str | Path | None,
    groups: str | Path | None,
    *,
    key: str,
    target: str,
    protected: str,
) -> pd.DataFrame:
    """One frame with the characteristics, ``target`` and ``protected``; a row per key."""
    joined = labels is not None or groups is not None
    needed = [c for c, src in ((target, labels), (protected, groups)) if src is None]
    frame = _frame(features, key if joined else None, needed)
    for path, col in ((labels, target), (groups, protected)):
        if path is None:
            continue
        if col in frame.columns:
            msg = (
                f"{Path(features).name} already has a column {col!r}; it is read from "
                f"{Path(path).name}, so drop it from the features (or give no separate file)."
            )
            raise SchemaError(msg, file=Path(features).name, field=col)
        other = _frame(path, key, [col])[[key, col]]
        frame = frame.merge(other, on=key, how="left")
        absent = frame[col].isna().to_numpy()
        if absent.any():
            row = int(absent.argmax())
            msg = (
                f"{Path(path).name}: no {col!r} for {key} {frame[key].iloc[row]!r} of "
                f"{Path(features).name} (data row {row + 1}; {int(absent.sum())} rows in all). "
                "Every row searched needs its outcome and its group."
            )
            raise SchemaError(msg, file=Path(path).name, field=col)
    return frame


def fairness_search(
    features: str | Path,
    *,
    labels: str | Path | None = None,
    groups: str | Path | None = None,
    target: str = "target",
    protected: str = "group",
    key: str = "subject_id",
    exclude: Sequence[str] = (),
    cutoffs: Sequence[float] = DEFAULT_CUTOFFS,
    max_auc_loss: float = DEFAULT_MAX_AUC_LOSS,
    target_group: str | None = None,
    max_rows: int | None = None,
    seed: int = 0,
    params: Mapping[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SearchResult:
    """Read the files, search, and return the result (see the module docstring).

    The characteristics are every column of ``features`` but the key (where files are
    joined), ``target``, ``protected`` and ``exclude``. ``params`` are the default card's
    :class:`~trustscore.model.Scorecard` parameters.
    """
    frame = _joined(features, labels, groups, key=key, target=target, protected=protected)
    file = Path(labels or features).name
    missing = [c for c in exclude if c not in frame.columns]
    if missing:
        msg = f"{Path(features).name}: there is no column {missing[0]!r} to leave out."
        raise SchemaError(msg, file=Path(features).name, field=missing[0])
    y = _binary_target(pa.Table.from_pandas(frame[[target]], preserve_index=False), target, file)
    drop = {target, protected, *exclude}
    if labels is not None or groups is not None:
        drop.add(key)
    X = frame[[c for c in frame.columns if c not in drop]]
    return search_less_discriminatory(
        X,
        y,
        frame[protected].rename(protected),
        base_params=params,
        cutoffs=cutoffs,
        max_auc_loss=max_auc_loss,
        target_group=target_group,
        max_rows=max_rows,
        seed=seed,
        progress=progress or (lambda _d, _t: None),
    )


def write_search(result: SearchResult, out: str | Path, *, title: str | None = None) -> Path:
    """Write ``search.json``, ``search.html`` and ``model.json`` into ``out``; return it.

    Each file is written beside its place and renamed into it, so a crash leaves the old
    file or the new one, never half of one.
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    doc = result.to_dict()
    texts = {
        "search.json": json.dumps(doc, indent=2, allow_nan=False) + "\n",
        "search.html": search_report(doc, title=title),
        "model.json": result.chosen_artifact().to_json(),
    }
    for name, text in texts.items():
        tmp = folder / f".{name}.{os.getpid()}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, folder / name)
    return folder
