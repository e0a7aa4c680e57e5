"""The numeric half of the kernel's quality pass, compiled: one loop per characteristic.

Each row's flags are packed into int64 keys, base 5 (a code per characteristic: 0 none, then
the kinds in :data:`~trustscore.scoring._quality.QUALITY_KINDS` order), up to
:data:`PER_KEY` characteristics a key, so that the distinct combinations can be found by hashing
keys rather than by sorting rows. A float32 value is compared as the double it widens to
exactly; a bound that is not declared is passed as an infinity, which no comparison passes.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt
from numba import njit  # type: ignore[attr-defined]

__all__ = ["PER_KEY", "add_numeric_codes"]

PER_KEY: Final = 27  # 5**27 < 2**63


@njit(cache=True)  # type: ignore[misc]
def _add(
    x: Any,
    bounds: npt.NDArray[np.float64],
    specials: npt.NDArray[np.float64],
    missing_code: int,
    weight: int,
    key: npt.NDArray[np.int64],
) -> bool:
    lower, upper, lo_seen, hi_seen = bounds[0], bounds[1], bounds[2], bounds[3]
    flagged = False
    for i in range(x.shape[0]):
        v = np.float64(x[i])
        code = 0
        if v != v:  # NaN, and null (read as NaN)
            code = missing_code
        else:
            special = False
            for s in specials:
                if v == s:
                    special = True
                    break
            if not special:
                if v < lower or v > upper:
                    code = 2  # impossible
                elif v < lo_seen or v > hi_seen:
                    code = 1  # out_of_range
        if code:
            key[i] += code * weight
            flagged = True
    return flagged


def add_numeric_codes(
    x: npt.NDArray[Any],
    limits: tuple[float | None, float | None, float | None, float | None],
    specials: list[float],
    missing_code: int,
    weight: int,
    key: npt.NDArray[np.int64],
) -> bool:
    """Add ``code * weight`` to ``key`` for each flagged value of ``x``; whether any was.

    ``limits`` are ``(lower, upper, min, max)``, None where absent.
    """
    lower, upper, lo_seen, hi_seen = limits
    bounds = np.array(
        [
            -np.inf if lower is None else lower,
            np.inf if upper is None else upper,
            -np.inf if lo_seen is None else lo_seen,
            np.inf if hi_seen is None else hi_seen,
        ],
        dtype=np.float64,
    )
    return bool(_add(x, bounds, np.asarray(specials, dtype=np.float64), missing_code, weight, key))
