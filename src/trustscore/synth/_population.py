"""The calendar of the window and the hidden state of each subject.

Every subject has a hidden propensity ``z ~ N(0, 1)`` and a slow drift (per year); its risk in
month offset ``t`` from the as-of month (``t = 0`` is the month containing ``as_of``, negative
in the past, 1..12 in the outcome year) is ``r(t) = z + drift * t / 12``. Everything a subject
does is drawn from ``r``. The outcome, 90+ days past due on any bill or credit account in the
12 months after ``as_of``, has a probability computed exactly from ``r`` over those months, the
bills each subject has and the days past due of its open accounts at ``as_of``
(:func:`trustscore.synth._obligations.p90`, :func:`trustscore.synth._tradelines.log_survival`).

Examples
--------
>>> import datetime
>>> cal = Calendar.create(datetime.date(2025, 12, 31), months=3)
>>> cal.labels[:4], cal.labels[-1], len(cal.labels)
(('202510', '202511', '202512', '202601'), '202612', 15)
>>> cal.n_past, int(cal.month_end[2] - cal.as_of_day)
(3, 0)
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from trustscore.synth._arrow import Bytes, digits, fixed_strings
from trustscore.synth._random import F64, I64, SubjectKeys, sigmoid

__all__ = ["FUTURE_MONTHS", "Calendar", "Population"]

FUTURE_MONTHS = 12
_EPOCH = datetime.date(1970, 1, 1)

# Shares of the population.
ORGANISATION_SHARE = 0.10
THIN_SHARE = 0.04  # created within the last ~5 months: unscorable downstream
NEW_IN_WINDOW_SHARE = 0.08  # created inside the window, at least 7 months before as_of
DRIFT_SD = 0.15  # per year


def _add_months(year: int, month: int, k: int) -> tuple[int, int]:
    total = year * 12 + (month - 1) + k
    return total // 12, total % 12 + 1


@dataclass(frozen=True)
class Calendar:
    """Months of the observation window (``n_past``) followed by the 12 outcome months.

    Days are integers counted from 1970-01-01 (Arrow's ``date32``).
    """

    as_of: datetime.date
    as_of_day: int
    n_past: int
    month_start: I64
    month_end: I64
    labels: tuple[str, ...]
    month_of_year: I64

    @classmethod
    def create(cls, as_of: datetime.date, months: int) -> Calendar:
        starts, ends, labels, moy = [], [], [], []
        for k in range(-(months - 1), FUTURE_MONTHS + 1):
            year, month = _add_months(as_of.year, as_of.month, k)
            first = datetime.date(year, month, 1)
            ny, nm = _add_months(year, month, 1)
            last = datetime.date(ny, nm, 1) - datetime.timedelta(days=1)
            starts.append((first - _EPOCH).days)
            ends.append((last - _EPOCH).days)
            labels.append(f"{year:04d}{month:02d}")
            moy.append(month)
        return cls(
            as_of=as_of,
            as_of_day=(as_of - _EPOCH).days,
            n_past=months,
            month_start=np.array(starts, dtype=np.int64),
            month_end=np.array(ends, dtype=np.int64),
            labels=tuple(labels),
            month_of_year=np.array(moy, dtype=np.int64),
        )

    def label_bytes(self, k: I64) -> Bytes:
        """The ``YYYYMM`` labels of months ``k`` as a byte matrix."""
        table = np.frombuffer("".join(self.labels).encode(), dtype=np.uint8).reshape(-1, 6)
        out: Bytes = table[k]
        return out

    @property
    def window_start(self) -> int:
        return int(self.month_start[0])

    def offsets(self) -> I64:
        """Month offset ``t`` of each past month relative to the as-of month (``<= 0``)."""
        return np.arange(self.n_past, dtype=np.int64) - (self.n_past - 1)


@dataclass(frozen=True)
class Population:
    """The subjects ``[start, stop)`` of the population and their hidden state."""

    keys: SubjectKeys
    start: int
    subject_id: pa.StringArray
    sid_bytes: Bytes
    is_org: npt.NDArray[np.bool_]
    z: F64
    drift: F64
    created_day: I64
    thin: npt.NDArray[np.bool_]

    @classmethod
    def create(cls, *, seed: int, start: int, stop: int, cal: Calendar) -> Population:
        keys = SubjectKeys.create(seed=seed, start=start, stop=stop)
        sid_bytes = digits(np.arange(start + 1, stop + 1), 9, prefix=b"S")
        subject_id = fixed_strings(sid_bytes)
        is_org = keys.uniform("kind") < ORGANISATION_SHARE
        z = keys.normal("z")
        drift = DRIFT_SD * keys.normal("drift")

        u = keys.uniform("created")
        v = keys.uniform("created_when")
        thin = u < THIN_SHARE
        in_window = (u >= THIN_SHARE) & (u < THIN_SHARE + NEW_IN_WINDOW_SHARE)
        window_days = cal.as_of_day - cal.window_start
        created = cal.window_start - 1 - np.floor(v * 15 * 365.25).astype(np.int64)
        recent = cal.as_of_day - 20 - np.floor(v * 130).astype(np.int64)
        mid_span = max(window_days - 215, 1)
        mid = cal.as_of_day - 215 - np.floor(v * mid_span).astype(np.int64)
        created = np.where(thin, recent, np.where(in_window, mid, created))
        created = np.minimum(created, cal.as_of_day)
        return cls(keys, start, subject_id, sid_bytes, is_org, z, drift, created, thin)

    def slice(self, a: int, b: int) -> Population:
        """The subjects at positions ``[a, b)`` of this population."""
        return Population(
            keys=SubjectKeys(self.keys.base[a:b]),
            start=self.start + a,
            subject_id=self.subject_id.slice(a, b - a),
            sid_bytes=self.sid_bytes[a:b],
            is_org=self.is_org[a:b],
            z=self.z[a:b],
            drift=self.drift[a:b],
            created_day=self.created_day[a:b],
            thin=self.thin[a:b],
        )

    @property
    def n(self) -> int:
        return len(self.z)

    def risk(self, t: I64 | npt.NDArray[np.float64]) -> F64:
        """Risk ``r(t)`` per subject (rows) and month offset (columns)."""
        out: F64 = self.z[:, None] + self.drift[:, None] * (np.asarray(t)[None, :] / 12.0)
        return out

    def group(self) -> npt.NDArray[np.str_]:
        """The synthetic protected-group label, mildly correlated with ``z``."""
        p_b = sigmoid(-0.3 + 0.35 * self.z)
        return np.where(self.keys.uniform("group") < p_b, "B", "A")
