"""Organisations' invoices from suppliers and utilities, against payment terms.

Each organisation buys from up to six slots (four suppliers, two utilities), each present with
its own probability, invoicing monthly with fixed terms (net 14 to net 60). Per invoice, with
the organisation's risk ``r`` in its month:

- paid beyond terms with probability ``sigmoid(LATE_A + LATE_B * r)``, then
  ``1 + floor(Exp(mean = DAYS_MEAN * exp(DAYS_B * r)))`` days after the terms end;
- otherwise within terms, and at least 10 days early ("anticipates") with probability
  ``sigmoid(EARLY_A - EARLY_B * r)``;
- never paid with probability ``sigmoid(NEVER_A + NEVER_B * r)``.

An invoice is 90+ days beyond terms when it is never paid or paid 90 or more days beyond;
:func:`p90` is its probability, which the outcome (for organisations: an invoice 90+ days
beyond terms or a credit account 90+ days past due in the year after ``as_of``) uses. A payment
after ``as_of`` is not yet known: such an invoice is written unpaid.
"""

from __future__ import annotations

import numpy as np

from trustscore.synth._arrow import (
    RecordRows,
    date_array,
    fixed_strings,
    float_array,
    int_array,
    literal,
    take_strings,
)
from trustscore.synth._population import FUTURE_MONTHS, Calendar, Population
from trustscore.synth._random import F64, p_90_days_late, row_uniform2, sigmoid

__all__ = ["generate_supplier_payments", "p90"]

SLOT_CODES = np.frombuffer(b"S1S2S3S4U1U2", dtype=np.uint8).reshape(-1, 2)
FURNISHERS = (
    "STEEL-SUPPLY", "OFFICE-DIRECT", "FREIGHT-LINK", "PACKAGING-CO", "NORTHGRID-POWER",
    "CITYWATER",
)  # fmt: skip
CATEGORY = np.array([0, 0, 0, 0, 1, 1])  # supplier, utility
P_PRESENT = np.array([0.9, 0.7, 0.5, 0.4, 0.95, 0.9])
TERMS = np.array([30, 30, 60, 45, 14, 14])
BASE_AMOUNT = np.array([4000.0, 600.0, 2500.0, 1200.0, 700.0, 150.0])
SLOT_OFFSET = np.array([0.0, -0.2, 0.1, 0.0, -0.3, -0.3])

LATE_A, LATE_B = -2.0, 1.2
DAYS_MEAN, DAYS_B = 12.0, 0.6
EARLY_A, EARLY_B = -0.5, 0.8
NEVER_A, NEVER_B = -7.0, 1.6


def p90(r: F64) -> F64:
    """Probability that an invoice with risk ``r`` goes 90+ days beyond its terms."""
    return p_90_days_late(r, (LATE_A, LATE_B), (DAYS_MEAN, DAYS_B), (NEVER_A, NEVER_B))


def generate_supplier_payments(pop: Population, cal: Calendar) -> tuple[RecordRows, F64]:
    """The invoices of a chunk's organisations, and per subject the log-probability that none
    goes 90+ days beyond terms next year (0 for persons, who have none)."""
    keys, n_months = pop.keys, cal.n_past
    slots = np.arange(len(SLOT_CODES))
    present = (keys.uniform("sp_present", slots) < P_PRESENT) & pop.is_org[:, None]
    day = 1 + np.floor(keys.uniform("sp_day", slots) * 28).astype(np.int64)
    base = BASE_AMOUNT * np.exp(0.5 * keys.normal("sp_amount", slots))

    month = np.arange(n_months)
    day3 = cal.month_start[:n_months][None, None, :] + day[:, :, None] - 1
    active = (
        present[:, :, None] & (day3 >= pop.created_day[:, None, None]) & (day3 <= cal.as_of_day)
    )
    del month
    pos, slot, k = (a.astype(np.int64) for a in np.nonzero(active))
    invoiced = day3[pos, slot, k]
    terms = TERMS[slot]
    counter = slot * 1000 + k
    t = cal.offsets()[k]
    r = pop.z[pos] + pop.drift[pos] * t / 12.0 + SLOT_OFFSET[slot]

    u_late, u_never = row_uniform2(keys, "sp_pay", pos, counter)
    u_days, u_amount = row_uniform2(keys, "sp_more", pos, counter)
    p_late = sigmoid(LATE_A + LATE_B * r)
    late = u_late < p_late
    never = u_never < sigmoid(NEVER_A + NEVER_B * r)
    beyond = np.minimum(1 + np.floor(-DAYS_MEAN * np.exp(DAYS_B * r) * np.log(u_days)), 3650)
    # within terms: the rescaled uniform says how early; anticipators pay 10+ days early
    within = (u_late - p_late) / (1.0 - p_late)
    anticipates = within < sigmoid(EARLY_A - EARLY_B * r)
    early = np.where(anticipates, 10 + np.floor(within * 5), np.floor(within * 9)).astype(np.int64)
    due = invoiced + terms
    paid = np.where(late, due + beyond.astype(np.int64), np.maximum(due - early, invoiced))
    unpaid = never | (paid > cal.as_of_day)
    amount = np.round(base[pos, slot] * np.exp(0.3 * (u_amount - 0.5)), 2)

    sid, code, dash = pop.sid_bytes[pos], SLOT_CODES[slot], literal(b"-", len(pos))
    columns = {
        "record_id": fixed_strings(
            literal(b"SP-", len(pos)), sid, dash, code, dash, cal.label_bytes(k)
        ),
        "subject_id": fixed_strings(sid),
        "furnisher": take_strings(FURNISHERS, slot),
        "category": take_strings(("supplier", "utility"), CATEGORY[slot]),
        "invoice": fixed_strings(code, dash, cal.label_bytes(k)),
        "invoice_date": date_array(invoiced),
        "terms_days": int_array(terms),
        "amount": float_array(amount),
        "paid_date": date_array(paid, null=unpaid),
    }

    future_t = np.arange(1, FUTURE_MONTHS + 1)
    r_future = pop.risk(future_t)[:, None, :] + SLOT_OFFSET[None, :, None]
    log_survival_3d = np.log1p(-p90(r_future))
    log_survival: F64 = (log_survival_3d * present[:, :, None]).sum(axis=(1, 2))
    return RecordRows(columns, pos, counter), log_survival
