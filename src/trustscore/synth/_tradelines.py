"""Credit accounts (cards, instalment loans, mortgages) and their monthly reports.

Each account's days past due follow a monthly Markov chain on buckets ``b`` (``dpd = 30 b``),
driven by the subject's risk ``r`` in that month plus an offset for the account's kind:

- from ``b = 0`` it goes to 1 with probability ``q = sigmoid(Q_A + Q_B r)``;
- from ``1 <= b <= 5`` it is cured (to 0) with probability ``c = sigmoid(C_A + C_B r)``, rolls to
  ``b + 1`` with probability ``rho = (1 - c) sigmoid(R_A + R_B r)`` and otherwise stays;
- at ``b = 6`` (180 days) it is charged off and stops reporting.

Statuses follow the bucket: current (0), delinquent (1-2), default (3-5), charged_off (6); an
account that closes (a card cancelled, a loan repaid) does so only when current, with status
``closed`` and its ``closed_date`` on that last report. :func:`log_survival` gives, per subject, the
log-probability that none of its open accounts is 90+ days past due in the 12 outcome months.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

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
from trustscore.synth._random import F64, I64, sigmoid

__all__ = ["generate_tradelines"]

N_SLOTS = 4
KINDS = ("card", "instalment", "mortgage")
STATUSES = ("current", "delinquent", "default", "closed", "charged_off")
SLOT_CODES = np.frombuffer(b"A1A2A3A4", dtype=np.uint8).reshape(-1, 2)
LENDERS = ("FIRSTBANK", "CITYCARD", "HOMELOAN-CO", "ALLIED-CREDIT", "SAVINGS-COOP")
P_COUNT_PERSON = np.array([0.22, 0.30, 0.26, 0.14, 0.08])
P_COUNT_ORG = np.array([0.15, 0.30, 0.30, 0.15, 0.10])
KIND_OFFSET = np.array([0.0, 0.2, -0.8])
LOOKBACK_DAYS = np.array([12 * 365, 0, 20 * 365])  # instalments: within their term
P_CLOSE = 0.25
CHARGE_OFF_BUCKET = 6

Q_A, Q_B = -5.0, 1.2
C_A, C_B = 0.4, -0.7
R_A, R_B = -0.3, 0.8
U_A, U_B = -1.0, 0.9


def _chain(r: F64) -> tuple[F64, F64, F64]:
    """Onset ``q``, cure ``c`` and roll ``rho`` probabilities at risk ``r``."""
    c = sigmoid(C_A + C_B * r)
    return sigmoid(Q_A + Q_B * r), c, (1.0 - c) * sigmoid(R_A + R_B * r)


def _status(bucket: npt.NDArray[np.int64]) -> npt.NDArray[np.int8]:
    status = np.where(bucket == 0, 0, np.where(bucket < 3, 1, 2))
    return status.astype(np.int8)


def log_survival(bucket: I64, open_at_as_of: npt.NDArray[np.bool_], r_future: F64) -> F64:
    """Per subject, log P(no open account reaches 90+ days past due in the outcome year).

    ``bucket`` and ``open_at_as_of`` are (subjects, slots); ``r_future`` is (subjects, slots,
    months) with the kind offsets included.
    """
    s0 = (bucket == 0).astype(np.float64)
    s1 = (bucket == 1).astype(np.float64)
    s2 = (bucket == 2).astype(np.float64)
    s3 = (bucket >= 3).astype(np.float64)
    for m in range(r_future.shape[2]):
        q, c, rho = _chain(r_future[:, :, m])
        stay = 1.0 - c - rho
        s0, s1, s2, s3 = (
            s0 * (1.0 - q) + (s1 + s2 + s3) * c,
            s0 * q + s1 * stay,
            s1 * rho + s2 * stay,
            np.zeros_like(s3),
        )
    survival = np.where(open_at_as_of, s0 + s1 + s2, 1.0)
    out: F64 = np.log(survival).sum(axis=1)
    return out


def generate_tradelines(pop: Population, cal: Calendar) -> tuple[RecordRows, F64]:
    """The monthly tradeline reports of a chunk, and per subject its outcome log-survival."""
    keys, n, n_months = pop.keys, pop.n, cal.n_past
    slots = np.arange(N_SLOTS)
    p_count = np.where(pop.is_org[:, None], P_COUNT_ORG, P_COUNT_PERSON)
    count = (keys.uniform("tl_count")[:, None] > np.cumsum(p_count, axis=1)[:, :-1]).sum(axis=1)
    count = np.where(pop.thin, np.minimum(count, 1), count)
    present = slots[None, :] < count[:, None]

    u_kind = keys.uniform("tl_kind", slots)
    kind = np.where(u_kind < 0.6, 0, np.where(u_kind < 0.9, 1, 2))
    kind = np.where(pop.is_org[:, None], np.where(u_kind < 0.5, 0, 1), kind).astype(np.int64)
    term = np.where(
        kind == 1,
        36 + np.floor(keys.uniform("tl_term", slots) * 49),
        240 + 60 * np.floor(keys.uniform("tl_term", slots) * 3),
    ).astype(np.int64)
    lookback = np.where(kind == 1, term * 30, LOOKBACK_DAYS[kind])
    history = (cal.as_of_day - pop.created_day)[:, None]
    opened = cal.as_of_day - np.floor(
        keys.uniform("tl_opened", slots) * np.minimum(lookback, history)
    ).astype(np.int64)
    close_k = np.where(
        keys.uniform("tl_closes", slots) < P_CLOSE,
        np.floor(keys.uniform("tl_close_month", slots) * (n_months + 24)).astype(np.int64),
        n_months + 1000,
    )
    noise = keys.normal("tl_limit", slots)
    card_limit = np.maximum(np.round(4000 * np.exp(-0.25 * pop.z[:, None] + 0.4 * noise), -2), 300)
    loan_amount = np.round(12000 * np.exp(0.5 * noise), -2)
    mortgage_amount = np.round(220000 * np.exp(0.4 * noise), -3)
    limit = np.select([kind == 0, kind == 1], [card_limit, loan_amount], mortgage_amount)
    limit = limit * np.where(pop.is_org[:, None], 4.0, 1.0)
    account_util = 0.5 * keys.normal("tl_account_util", slots)
    lender = np.floor(keys.uniform("tl_lender", slots) * len(LENDERS)).astype(np.int64)
    offset = KIND_OFFSET[kind]

    shape = (n, N_SLOTS, n_months)
    emit = np.zeros(shape, dtype=np.bool_)
    bucket_out = np.zeros(shape, dtype=np.int64)
    status_out = np.zeros(shape, dtype=np.int8)
    balance_out = np.zeros(shape, dtype=np.float64)
    bucket = np.zeros((n, N_SLOTS), dtype=np.int64)
    was_open = np.zeros((n, N_SLOTS), dtype=np.bool_)
    ended = np.zeros((n, N_SLOTS), dtype=np.bool_)
    risk = pop.risk(cal.offsets())
    for k in range(n_months):
        reported = min(int(cal.month_end[k]), cal.as_of_day)
        open_now = present & ~ended & (opened <= reported)
        r = risk[:, k : k + 1] + offset
        q, c, rho = _chain(r)
        u, u_util = keys.uniform2("tl_month", slots, k)
        rolled = np.where(u < c, 0, np.where(u < c + rho, bucket + 1, bucket))
        moved = np.where(bucket == 0, (u < q).astype(np.int64), rolled)
        bucket = np.where(open_now & was_open, moved, 0)
        age = (reported - opened) // 30
        closes = open_now & (bucket == 0) & ((close_k == k) | ((kind > 0) & (age >= term)))
        charged_off = open_now & (bucket >= CHARGE_OFF_BUCKET)

        # Card utilisation: risk, a per-account level and monthly noise (uniform, sd 0.3).
        util = sigmoid(U_A + U_B * r + account_util + 0.3 * (u_util - 0.5) * 3.46)
        util = np.minimum(util + 0.08 * bucket, 1.1)
        remaining = np.clip(1.0 - age / np.maximum(term, 1), 0.0, 1.0)
        balance = np.round(limit * np.where(kind == 0, util, remaining), 2)
        status = _status(bucket)
        status = np.where(closes, 3, np.where(charged_off, 4, status)).astype(np.int8)

        emit[:, :, k] = open_now
        bucket_out[:, :, k] = np.where(closes, 0, bucket)
        status_out[:, :, k] = status
        balance_out[:, :, k] = np.where(closes, 0.0, balance)
        ended |= closes | charged_off
        was_open = open_now & ~ended

    pos, slot, k_row = (a.astype(np.int64) for a in np.nonzero(emit))
    reported_day = np.minimum(cal.month_end[k_row], cal.as_of_day)
    status_row = status_out[pos, slot, k_row]
    sid, code, dash = pop.sid_bytes[pos], SLOT_CODES[slot], literal(b"-", len(pos))
    columns = {
        "record_id": fixed_strings(
            literal(b"TL-", len(pos)), sid, dash, code, dash, cal.label_bytes(k_row)
        ),
        "subject_id": fixed_strings(sid),
        "furnisher": take_strings(LENDERS, lender[pos, slot]),
        "account": fixed_strings(sid, dash, code),
        "kind": take_strings(KINDS, kind[pos, slot]),
        "opened_date": date_array(opened[pos, slot]),
        "closed_date": date_array(reported_day, null=status_row < 3),
        "credit_limit": float_array(limit[pos, slot]),
        "balance": float_array(balance_out[pos, slot, k_row]),
        "reported_date": date_array(reported_day),
        "days_past_due": int_array(30 * bucket_out[pos, slot, k_row]),
        "status": take_strings(STATUSES, status_row),
    }

    future_t = np.arange(1, FUTURE_MONTHS + 1)
    r_future = pop.risk(future_t)[:, None, :] + offset[:, :, None]
    survival = log_survival(bucket, was_open, r_future)
    return RecordRows(columns, pos, slot * 1000 + k_row), survival
