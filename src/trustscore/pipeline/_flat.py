"""Training and scoring on any flat table, so a risk team can use trustscore on its own data.

``trustscore train --data FILE --target COL [--protected COL ...] [--lineage FILE]
--out model.json`` and
``trustscore score --model model.json --data FILE --out scores.parquet``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from trustscore.exceptions import IngestError, SchemaError
from trustscore.model import Scorecard
from trustscore.scoring import ScorecardArtifact, load_artifact, score, score_parquet

__all__ = ["read_lineage", "read_table", "score_file", "train_flat"]


def read_table(path: str | Path) -> pa.Table:
    """Read a CSV or Parquet file, or a folder of Parquet part files (what Spark writes), with an
    error naming the file (and line) when it cannot."""
    p = Path(path)
    if p.is_dir():
        try:
            # Arrow reads the part files in name order and skips _SUCCESS and .crc files
            return pq.read_table(p)
        except (pa.ArrowInvalid, OSError) as exc:
            text = str(exc).splitlines()[0]
            msg = f"Cannot read the Parquet folder {p.name}: {text}"
            raise IngestError(msg, file=str(p)) from None
    if not p.is_file():
        msg = f"No such file: {str(p)!r}."
        raise IngestError(msg, file=str(p))
    suffix = p.suffix.lower()
    try:
        if suffix == ".parquet":
            return pq.read_table(p)
        if suffix in {".csv", ".txt"}:
            return pacsv.read_csv(p)
    except (pa.ArrowInvalid, OSError) as exc:
        text = str(exc).splitlines()[0]
        msg = f"Cannot read {p.name}: {text}"
        raise IngestError(msg, file=str(p)) from None
    msg = f"Cannot read {p.name}: expected a .csv or .parquet file."
    raise IngestError(msg, file=str(p))


def read_lineage(path: str | Path) -> dict[str, list[str]]:
    """A lineage file: a JSON object of column -> the record fields it is computed from.

    For example ``{"x17": ["clickstream.url"], "balance_ratio": ["tradeline.balance",
    "tradeline.credit_limit"]}`` (see :func:`trustscore.safeguards.check_lineage`).
    """
    p = Path(path)
    if not p.is_file():
        msg = f"No such lineage file: {str(p)!r}."
        raise IngestError(msg, file=str(p))
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        msg = f"Cannot read the lineage file {p.name}: {exc}."
        raise SchemaError(msg, file=str(p)) from None
    if not isinstance(data, dict) or not all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in data.values()
    ):
        msg = (
            f"The lineage file {p.name} must hold a JSON object of column name to a list of "
            'record fields, e.g. {"x17": ["clickstream.url"]}.'
        )
        raise SchemaError(msg, file=str(p))
    return {str(k): list(v) for k, v in data.items()}


def _binary_target(table: pa.Table, target: str, file: str) -> np.ndarray[Any, np.dtype[np.int8]]:
    if target not in table.column_names:
        msg = (
            f"{file}: there is no target column {target!r}; columns are "
            f"{', '.join(table.column_names)}."
        )
        raise SchemaError(msg, file=file, field=target)
    col = table.column(target).to_pandas()
    if col.isna().any():
        row = int(np.flatnonzero(col.isna().to_numpy())[0]) + 1
        msg = f"{file}: the target {target!r} is missing in data row {row}."
        raise SchemaError(msg, file=file, field=target, line=row)
    values = sorted(set(col.tolist()))
    if len(values) != 2:
        msg = (
            f"{file}: the target {target!r} must have exactly two values (1 = bad), "
            f"got {values[:10]}."
        )
        raise SchemaError(msg, file=file, field=target)
    bad = 1 if 1 in values else values[1]
    return np.asarray(col.to_numpy() == bad, dtype=np.int8)


def train_flat(
    data: str | Path,
    target: str,
    *,
    protected: Sequence[str] = (),
    exclude: Sequence[str] = (),
    holdout: float = 0.25,
    seed: int = 0,
    params: dict[str, Any] | None = None,
    lineage: Mapping[str, Sequence[str]] | None = None,
) -> ScorecardArtifact:
    """Fit a scorecard on a flat table and return its artifact (model card from a holdout).

    ``lineage`` (column -> record fields) is checked by :meth:`Scorecard.fit`: a column
    computed from a prohibited field is refused whatever its name.
    """
    table = read_table(data)
    file = Path(data).name
    y = _binary_target(table, target, file)
    for col in (*protected, *exclude):
        if col not in table.column_names:
            msg = f"{file}: there is no column {col!r} to hold out."
            raise SchemaError(msg, file=file, field=col)
    features = [c for c in table.column_names if c not in {target, *protected, *exclude}]
    frame = table.to_pandas()
    rng = np.random.default_rng(seed)
    # Stratified holdout so the model card's metrics come from rows the fit never saw.
    is_hold = np.zeros(len(y), dtype=bool)
    for cls in (0, 1):
        idx = np.flatnonzero(y == cls)
        rng.shuffle(idx)
        is_hold[idx[: round(len(idx) * holdout)]] = True
    fit_rows, hold_rows = ~is_hold, is_hold
    prot = frame[list(protected)] if protected else None
    model = Scorecard(**(params or {}), random_state=seed)
    eval_set: tuple[Any, ...] | None = None
    if hold_rows.any():
        eval_set = (
            frame.loc[hold_rows, features],
            y[hold_rows],
            None if prot is None else prot.loc[hold_rows],
        )
    model.fit(
        frame.loc[fit_rows, features],
        y[fit_rows],
        protected=None if prot is None else prot.loc[fit_rows],
        eval_set=eval_set,
        data_window={"source": file, "trained_at": dt.date.today().isoformat()},
        lineage=None if lineage is None else {k: list(v) for k, v in lineage.items()},
    )
    return model.to_artifact()


def score_file(
    model: str | Path,
    data: str | Path,
    out: str | Path,
    *,
    engine: str = "kernel",
    carry: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Score a CSV or Parquet file into a Parquet file; return the number of rows.

    A Parquet file (or a folder of them) streams through :func:`score_parquet` in bounded
    memory, calling ``progress(rows_done, rows_total)`` as it goes; a CSV file is read whole.
    """
    art = load_artifact(model)
    src = Path(data)
    if src.suffix.lower() == ".parquet" or src.is_dir():
        n = score_parquet(
            art, src, out, engine=cast(Any, engine), carry=tuple(carry), progress=progress
        )
        return int(n)
    table = read_table(src)
    scored = score(art, table, engine=cast(Any, engine))
    for i, col in enumerate(carry):
        if col not in table.column_names:
            msg = f"{src.name}: there is no column {col!r} to carry into the scores."
            raise SchemaError(msg, file=src.name, field=col)
        scored = scored.add_column(i, col, table.column(col))
    pq.write_table(scored, out)
    return int(scored.num_rows)
