"""The demo's monitoring: three synthetic monthly runs against the development sample.

Each month scores a random half of the demo's population, seeded; in the third month 40 % of
the subjects' :data:`DRIFT_FEATURE` values are replaced by development values from the model's
worst bin of it (as if a furnisher began reporting late payments), which monitoring must flag.
The first month's outcomes are known (back-testing); the later months' are not yet (an
estimate, CBPE).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pyarrow as pa

from trustscore.decisions import Policy
from trustscore.pipeline._monitor import monitor_run
from trustscore.pipeline._monitor_runs import record_run
from trustscore.scoring import Characteristic, ScorecardArtifact, outcome_index

__all__ = ["DRIFT_FEATURE", "MonitoringDemo", "demo_monitoring", "demo_months"]

#: How many monthly runs the demo keeps; the last has the drift.
N_MONTHS: Final = 3
#: The characteristic shifted in the last month (the first numeric one, if the model lacks it).
DRIFT_FEATURE: Final = "on_time_share_12m"
#: Share of the population each month scores.
MONTH_SHARE: Final = 0.5
#: Share of the drifted month's values of :data:`DRIFT_FEATURE` moved into its worst bin.
DRIFT_SHARE: Final = 0.4


@dataclass(frozen=True)
class MonitoringDemo:
    """What the demo's monitoring produced: the runs' ids, the drifted characteristic and the
    flags each run raised."""

    run_ids: tuple[str, ...]
    drifted: str
    flags: dict[str, list[dict[str, Any]]]


def demo_months(as_of: dt.date) -> tuple[str, ...]:
    """The ids of the demo's monthly runs: the months after ``as_of``.

    Examples
    --------
    >>> demo_months(dt.date(2025, 12, 31))
    ('2026-01', '2026-02', '2026-03')
    """
    first = as_of.year * 12 + as_of.month  # the month after as_of, counted from 0
    return tuple(f"{(first + k) // 12}-{(first + k) % 12 + 1:02d}" for k in range(N_MONTHS))


def _month_end(month: str) -> dt.datetime:
    """The first moment after ``month`` (``2026-01``): when its run is monitored."""
    year, m = (int(x) for x in month.split("-"))
    return dt.datetime(year + m // 12, m % 12 + 1, 1, tzinfo=dt.UTC)


def _drifted(art: ScorecardArtifact) -> Characteristic:
    numeric = [c for c in art.characteristics if c.type == "numeric"]
    return next((c for c in numeric if c.name == DRIFT_FEATURE), numeric[0])


def inject_drift(
    c: Characteristic,
    values: pa.ChunkedArray | pa.Array,
    development: pa.ChunkedArray | pa.Array,
    rng: np.random.Generator,
    *,
    share: float = DRIFT_SHARE,
) -> pa.Array:
    """``share`` of the present values replaced by development values from ``c``'s worst bin
    (the fewest points among the bins the development sample reaches); missing stays missing.

    Examples
    --------
    >>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
    >>> c = ScorecardArtifact.from_dict(example_artifact_dict()).characteristics[0]
    >>> out = inject_drift(c, pa.array([0.95] * 4 + [None]), pa.array([0.3, 0.95]),
    ...                    np.random.default_rng(0), share=0.5)
    >>> sorted(out.to_pylist(), key=str)  # two of four moved to the worst bin (< 0.5)
    [0.3, 0.3, 0.95, 0.95, None]
    """
    dev = np.asarray(development.to_numpy(zero_copy_only=False), dtype=np.float64)
    where = outcome_index(c, dev)
    reached = [j for j in range(len(c.bins)) if (where == j).any()]
    worst = min(reached, key=lambda j: c.bins[j].points)
    pool = dev[where == worst]
    x = np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64).copy()
    present = np.flatnonzero(~np.isnan(x))
    moved = rng.choice(present, size=round(present.size * share), replace=False)
    x[moved] = rng.choice(pool, size=moved.size)
    return pa.array(x, type=pa.float64(), mask=np.isnan(x))


def demo_monitoring(
    folder: Any,
    art: ScorecardArtifact,
    features: pa.Table,
    outcomes: pa.Table,
    protected: pa.Table,
    policy: Policy,
    *,
    seed: int,
    as_of: dt.date,
) -> MonitoringDemo:
    """Run and keep the demo's monthly monitoring runs in ``folder`` (see the module)."""
    drifted = _drifted(art)
    name = drifted.name
    targets = dict(zip(outcomes.column("subject_id").to_pylist(),
                       outcomes.column("target").to_pylist(), strict=True))  # fmt: skip
    groups = dict(zip(protected.column("subject_id").to_pylist(),
                      protected.column("group").to_pylist(), strict=True))  # fmt: skip
    rng = np.random.default_rng([seed, 14])
    n = features.num_rows
    flags: dict[str, list[dict[str, Any]]] = {}
    months = demo_months(as_of)
    for k, month in enumerate(months):
        rows = np.sort(rng.choice(n, size=max(int(n * MONTH_SHARE), 1), replace=False))
        current = features.take(pa.array(rows))
        if k == len(months) - 1:
            i = current.column_names.index(name)
            shifted = inject_drift(drifted, current.column(name), features.column(name), rng)
            current = current.set_column(i, name, shifted)
        ids = current.column("subject_id").to_pylist()
        run = monitor_run(
            art, features, current, policy=policy, run_id=month,
            group=[groups.get(s) for s in ids],
            outcomes=[targets.get(s) for s in ids] if k == 0 else None,
            sources=("development sample (features.parquet)", f"synthetic month {month}"),
            created_at=_month_end(month),
        )  # fmt: skip
        record_run(folder, run, title="trustscore demo: monitoring by month")
        flags[month] = run["flags"]
    return MonitoringDemo(run_ids=months, drifted=name, flags=flags)
