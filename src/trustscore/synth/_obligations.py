"""Monthly bills of persons: utility, telecom, rent and platform accounts, and how they are paid.

Per bill, with risk ``r`` in its month and a category offset ``c``:

- late with probability ``sigmoid(LATE_A + LATE_B * (r + c))``, then paid
  ``1 + floor(Exp(mean = DAYS_MEAN * exp(DAYS_B * r)))`` days after the due date, else paid up
  to a week early;
- never paid with probability ``sigmoid(NEVER_A + NEVER_B * (r + c))``;
- partly paid with probability ``sigmoid(PARTIAL_A + PARTIAL_B * r)``.

A bill is 90+ days past due when it is never paid or paid 90 or more days late; its probability
(:func:`p90`) is what the outcome model uses for the bills of the year after ``as_of``. A payment
after ``as_of`` is not yet known, so such a bill is written unpaid (``paid_date`` NULL).
"""

from __future__ import annotations

import numpy as np

from trustscore.synth._arrow import (
    RecordRows,
    date_array,
    fixed_strings,
    float_array,
    literal,
    take_strings,
)
from trustscore.synth._population import FUTURE_MONTHS, Calendar, Population
from trustscore.synth._random import F64, p_90_days_late, row_normal, row_uniform2, sigmoid

__all__ = ["generate_obligations", "p90"]

CATEGORIES = ("utility", "telecom", "rent", "platform")
SLOT_CODES = np.frombuffer(b"U1T1R1P1", dtype=np.uint8).reshape(-1, 2)
FURNISHERS = (
    ("NORTHGRID-POWER", "CITYWATER", "SOUTHGAS"),
    ("TELCO-ONE", "MOBILINK", "FIBERNET"),
    ("HOMES-LETTINGS", "CITY-HOUSING-ASSOC", "PRIVATE-LANDLORD"),
    ("RIDESHARE-CO", "SCOOTER-RENT", "CAR-SHARE"),
)
P_PRESENT_PERSON = np.array([0.88, 0.92, 0.45, 0.35])
P_STARTS_IN_WINDOW = 0.15
BASE_AMOUNT = np.array([85.0, 45.0, 900.0, 35.0])
MONTHLY_SD = np.array([0.08, 0.05, 0.0, 0.6])
SEASONAL = np.array([0.25, 0.0, 0.0, 0.0])
CATEGORY_OFFSET = np.array([0.0, 0.2, -0.3, 0.3])

LATE_A, LATE_B = -2.6, 1.1
DAYS_MEAN, DAYS_B = 7.0, 0.55
NEVER_A, NEVER_B = -7.6, 1.7
PARTIAL_A, PARTIAL_B = -4.5, 0.9


def p90(r: F64) -> F64:
    """Probability that a bill with risk ``r`` (category offset included) goes 90+ days late."""
    return p_90_days_late(r, (LATE_A, LATE_B), (DAYS_MEAN, DAYS_B), (NEVER_A, NEVER_B))


def generate_obligations(pop: Population, cal: Calendar) -> tuple[RecordRows, F64]:
    """The bills of a chunk, and per subject the log-probability of no 90+ bill next year."""
    keys, n_months = pop.keys, cal.n_past
    slots = np.arange(len(CATEGORIES))
    # persons' bills only: an organisation's suppliers and utilities invoice it against terms
    # (trustscore.synth._supplier), and its records never reach a person's features
    present = (keys.uniform("ob_present", slots) < P_PRESENT_PERSON) & ~pop.is_org[:, None]
    due_day = 1 + np.floor(keys.uniform("ob_due_day", slots) * 28).astype(np.int64)
    start_k = np.where(
        keys.uniform("ob_starts_late", slots) < P_STARTS_IN_WINDOW,
        np.floor(keys.uniform("ob_start_month", slots) * n_months).astype(np.int64),
        0,
    )
    furnisher = np.floor(keys.uniform("ob_furnisher", slots) * 3).astype(np.int64)
    base = BASE_AMOUNT * np.exp(0.35 * keys.normal("ob_amount", slots))

    month = np.arange(n_months)
    due3 = cal.month_start[:n_months][None, None, :] + due_day[:, :, None] - 1
    active = (
        present[:, :, None]
        & (month[None, None, :] >= start_k[:, :, None])
        & (due3 >= pop.created_day[:, None, None])
        & (due3 <= cal.as_of_day)
    )
    pos, slot, k = (a.astype(np.int64) for a in np.nonzero(active))
    due = due3[pos, slot, k]
    counter = slot * 1000 + k
    t = cal.offsets()[k]
    r = pop.z[pos] + pop.drift[pos] * t / 12.0
    rc = r + CATEGORY_OFFSET[slot]

    # Three hashes per bill; a uniform is reused, rescaled, for what its outcome conditions on.
    u_late, u_never = row_uniform2(keys, "ob_pay", pos, counter)
    u_partial, u_days = row_uniform2(keys, "ob_more", pos, counter)
    p_late = sigmoid(LATE_A + LATE_B * rc)
    late = u_late < p_late
    never = u_never < sigmoid(NEVER_A + NEVER_B * rc)
    mean_days = DAYS_MEAN * np.exp(DAYS_B * r)
    days_late = np.minimum(1 + np.floor(-mean_days * np.log(u_days)), 3650).astype(np.int64)
    early = np.floor((u_late - p_late) / (1.0 - p_late) * 7).astype(np.int64)
    paid = np.where(late, due + days_late, due - np.clip(early, 0, 6))
    unpaid = never | (paid > cal.as_of_day)
    p_partial = sigmoid(PARTIAL_A + PARTIAL_B * r)
    partial = ~unpaid & (u_partial < p_partial)

    moy = cal.month_of_year[k]
    season = 1.0 + SEASONAL[slot] * np.cos(2.0 * np.pi * (moy - 1) / 12.0)
    sd = MONTHLY_SD[slot]
    noise = np.ones(len(pos))
    varies = np.flatnonzero(sd > 0)
    z = row_normal(keys, "ob_monthly", pos[varies], counter[varies])
    noise[varies] = np.exp(sd[varies] * z - sd[varies] ** 2 / 2.0)
    amount_due = np.maximum(np.round(base[pos, slot] * season * noise, 2), 1.0)
    fraction = 0.2 + 0.75 * u_partial / p_partial
    amount_paid = np.where(partial, np.round(amount_due * fraction, 2), amount_due)

    sid, code, dash = pop.sid_bytes[pos], SLOT_CODES[slot], literal(b"-", len(pos))
    furnishers = tuple(name for names in FURNISHERS for name in names)
    columns = {
        "record_id": fixed_strings(
            literal(b"OB-", len(pos)), sid, dash, code, dash, cal.label_bytes(k)
        ),
        "subject_id": fixed_strings(sid),
        "furnisher": take_strings(furnishers, slot * 3 + furnisher[pos, slot]),
        "category": take_strings(CATEGORIES, slot),
        "account": fixed_strings(sid, dash, code),
        "due_date": date_array(due),
        "amount_due": float_array(amount_due),
        "paid_date": date_array(paid, null=unpaid),
        "amount_paid": float_array(amount_paid, null=unpaid),
    }

    # Outcome year: every account present at as_of keeps billing monthly.
    future_t = np.arange(1, FUTURE_MONTHS + 1)
    r_future = pop.risk(future_t)[:, None, :] + CATEGORY_OFFSET[None, :, None]
    log_survival_3d = np.log1p(-p90(r_future))
    log_survival: F64 = (log_survival_3d * present[:, :, None]).sum(axis=(1, 2))
    return RecordRows(columns, pos, counter), log_survival
