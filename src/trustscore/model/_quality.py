"""The quality block of each characteristic: what the training data looked like.

Written into the artifact by :meth:`~trustscore.model.Scorecard.fit` (the schema of the block
and the flags scorers derive from it are in :mod:`trustscore.scoring._quality_facts` and
:mod:`trustscore.scoring._quality`).

Examples
--------
>>> import pandas as pd
>>> quality_block(pd.Series([0.2, None, 0.9, -1.0]), "numeric", (-1.0,), (0, 1, "a share"))
{'min': 0.2, 'max': 0.9, 'bounds': [0.0, 1.0], 'missing_seen': True, 'bounds_text': 'a share'}
>>> quality_block(pd.Series(["b", "a", 2.0]), "categorical", (), None)
{'levels': ['2', 'a', 'b'], 'missing_seen': False}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from trustscore.exceptions import ModelError
from trustscore.scoring._inputs import level_text

__all__ = ["Bound", "check_bounds", "quality_block"]

#: A declared bound: ``(lower, upper)`` or ``(lower, upper, text)``, either limit None.
Bound = Sequence[Any]


def _limit(v: Any) -> float | None:
    return None if v is None else float(v)


def quality_block(
    values: pd.Series, ctype: str, special: Sequence[float], bound: Bound | None
) -> dict[str, Any]:
    """The ``quality`` block of one characteristic from its training column."""
    if ctype == "categorical":
        texts = {level_text(v) for v in values.tolist()}
        missing = None in texts
        texts.discard(None)
        return {"levels": sorted(t for t in texts if t is not None), "missing_seen": missing}
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    missing = bool(np.isnan(x).any())
    seen = x[~np.isnan(x) & ~np.isin(x, list(special))]
    lower, upper = (None, None) if bound is None else (_limit(bound[0]), _limit(bound[1]))
    d: dict[str, Any] = {
        "min": float(seen.min()) if len(seen) else None,
        "max": float(seen.max()) if len(seen) else None,
        "bounds": [lower, upper],
        "missing_seen": missing,
    }
    if bound is not None and len(bound) > 2 and bound[2]:
        d["bounds_text"] = str(bound[2])
    return d


def check_bounds(
    frame: pd.DataFrame, bounds: Mapping[str, Bound], special: Mapping[str, Any]
) -> None:
    """Refuse training data that holds a value its declared bounds call impossible."""
    for name, bound in bounds.items():
        if name not in frame.columns:
            msg = (
                f"bounds names {name!r}, which is not a column of X; the columns are "
                f"{list(frame.columns)}."
            )
            raise ModelError(msg, field="bounds", value=name)
        x = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        x = x[~np.isnan(x) & ~np.isin(x, list(special.get(name, ())))]
        lower, upper = _limit(bound[0]), _limit(bound[1])
        bad = x[
            ((x < lower) if lower is not None else False)
            | ((x > upper) if upper is not None else False)
        ]
        if len(bad):
            msg = (
                f"The training data holds {name} = {bad[0]:g} ({len(bad)} row(s)), outside its "
                f"declared bounds [{lower}, {upper}]: fix the data or the bounds."
            )
            raise ModelError(msg, field=name, value=float(bad[0]))
