"""The synthetic population's consent to use their bills (alternative data needs opt-in).

Per subject, seeded like every other draw (one stream per name, see :mod:`._random`):

- most subjects (:data:`GRANT_ALL`) grant consent for every bill category when they join;
- some (:data:`GRANT_SOME`) grant it for some categories only (each with probability 1/2);
- the rest never grant it, so their bills never count;
- a few of those who granted (:data:`WITHDRAW`) withdraw one category later: between half a
  year before the as-of date and a quarter after it (so some withdrawals are news to a score
  given after the as-of date).

Events take effect, and are recorded, at midnight UTC of their day.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from trustscore.records._consents import CONSENT_SCHEMA
from trustscore.records._schemas import OBLIGATION_CATEGORIES
from trustscore.synth._population import Calendar, Population

__all__ = ["GRANT_ALL", "GRANT_SOME", "WITHDRAW", "generate_consents"]

GRANT_ALL = 0.80
GRANT_SOME = 0.12
WITHDRAW = 0.04

_DAY_US = 86_400 * 1_000_000


def generate_consents(pop: Population, cal: Calendar) -> pa.Table:
    """The consent events of ``pop``, ordered by subject, then time, with the file's schema."""
    u = pop.keys.uniform("consent")
    grants_all = u < GRANT_ALL
    grants_some = (u >= GRANT_ALL) & (u < GRANT_ALL + GRANT_SOME)
    withdraws = (u < GRANT_ALL + GRANT_SOME) & (pop.keys.uniform("consent_withdraw") < WITHDRAW)
    when = pop.keys.uniform("consent_withdraw_when")
    withdraw_day = cal.as_of_day - 182 + np.floor(when * 273).astype(np.int64)
    withdraw_day = np.maximum(withdraw_day, pop.created_day + 1)
    idx: list[np.ndarray] = []
    scope: list[np.ndarray] = []
    action: list[np.ndarray] = []
    day: list[np.ndarray] = []
    withdrawn = np.zeros(pop.n, dtype=bool)
    rows = np.arange(pop.n)
    for k, category in enumerate(OBLIGATION_CATEGORIES):
        granted = grants_all | (grants_some & (pop.keys.uniform(f"consent_{category}") < 0.5))
        idx.append(rows[granted])
        scope.append(np.full(int(granted.sum()), k))
        action.append(np.zeros(int(granted.sum()), dtype=np.int64))
        day.append(pop.created_day[granted])
        # the first category a subject granted is the one they withdraw
        out = granted & withdraws & ~withdrawn
        withdrawn |= out
        idx.append(rows[out])
        scope.append(np.full(int(out.sum()), k))
        action.append(np.ones(int(out.sum()), dtype=np.int64))
        day.append(withdraw_day[out])
    i, s, a, d = (np.concatenate(x) for x in (idx, scope, action, day))
    order = np.lexsort((s, d, i))
    i, s, a, d = i[order], s[order], a[order], d[order]
    sid = pop.subject_id.take(pa.array(i))
    seq = np.arange(len(i))
    first = np.searchsorted(i, i)  # index of each subject's first event (i is sorted)
    n_in_subject = seq - first + 1
    ids = pc.binary_join_element_wise(
        pa.array(["syn"] * len(i), pa.string()),
        sid,
        pa.array(n_in_subject.astype(str), pa.string()),
        "-",
    )
    at = pa.array(d.astype(np.int64) * _DAY_US, pa.timestamp("us", tz="UTC"))
    cats = np.array(OBLIGATION_CATEGORIES, dtype=object)
    return pa.Table.from_arrays(
        [
            ids,
            sid,
            pa.array(["category"] * len(i), pa.string()),
            pa.array(cats[s].tolist(), pa.string()),
            pa.array(np.where(a == 1, "withdraw", "grant").tolist(), pa.string()),
            at,
            at,
        ],
        schema=CONSENT_SCHEMA,
    )
