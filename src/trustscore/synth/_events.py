"""Public records (judgments, bankruptcies, tax arrears, penalties) and score inquiries.

Both are counts per subject over the window, Poisson with a log-rate linear in the subject's
propensity ``z``: public records are rare and strongly risk-driven (organisations get more tax
arrears and regulatory penalties), inquiries are a few per subject and mildly risk-driven.
"""

from __future__ import annotations

import numpy as np

from trustscore.synth._arrow import (
    RecordRows,
    date_array,
    digits,
    fixed_strings,
    float_array,
    literal,
    take_strings,
)
from trustscore.synth._population import Calendar, Population
from trustscore.synth._random import poisson_from_uniform, row_uniform, sigmoid

__all__ = ["generate_inquiries", "generate_public_records"]

PR_KINDS = ("court_judgment", "bankruptcy", "tax_arrears", "regulatory_penalty")
PR_AUTHORITIES = ("DISTRICT-COURT", "INSOLVENCY-SERVICE", "TAX-AUTHORITY", "FINANCIAL-REGULATOR")
PR_WEIGHTS_PERSON = np.array([0.55, 0.10, 0.27, 0.08])
PR_WEIGHTS_ORG = np.array([0.30, 0.05, 0.35, 0.30])
PR_AMOUNT = np.array([2500.0, 20000.0, 1800.0, 5000.0])
PR_RATE_PERSON, PR_RATE_ORG, PR_RATE_B = -3.4, -2.4, 1.0
PR_MAX = 3

PURPOSES = ("credit_pricing", "credit_limit", "deposit_waiver")
PURPOSE_CUMULATIVE = np.array([0.5, 0.8])
REQUESTERS = ("FIRSTBANK", "CITYCARD", "HOMES-LETTINGS", "TELCO-ONE", "CAR-SHARE", "ALLIED-CREDIT")
INQ_RATE_A, INQ_RATE_B = 0.6, 0.35
INQ_MAX = 6
INQ_LOOKBACK_DAYS = 730


def _expand(count: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
    """(subject position, slot) of each of ``count[i]`` rows per subject, subject-major."""
    present = np.arange(cap)[None, :] < count[:, None]
    pos, slot = np.nonzero(present)
    return pos.astype(np.int64), slot.astype(np.int64)


def generate_public_records(pop: Population, cal: Calendar) -> tuple[RecordRows, None]:
    """The public records of a chunk, filed inside the window and after the subject's creation."""
    keys = pop.keys
    log_rate = np.where(pop.is_org, PR_RATE_ORG, PR_RATE_PERSON) + PR_RATE_B * pop.z
    count = poisson_from_uniform(keys.uniform("pr_count"), np.exp(log_rate), PR_MAX)
    pos, j = _expand(count, PR_MAX)
    weights = np.where(pop.is_org[pos, None], PR_WEIGHTS_ORG, PR_WEIGHTS_PERSON)
    u_kind = row_uniform(keys, "pr_kind", pos, j)
    kind = (u_kind[:, None] > np.cumsum(weights, axis=1)[:, :-1]).sum(axis=1)
    first = np.maximum(pop.created_day[pos], cal.window_start)
    span = cal.as_of_day - first + 1
    filed = first + np.floor(row_uniform(keys, "pr_filed", pos, j) * span).astype(np.int64)
    amount = np.round(
        PR_AMOUNT[kind]
        * np.where(pop.is_org[pos], 3.0, 1.0)
        * np.exp(0.7 * (row_uniform(keys, "pr_amount", pos, j) - 0.5) * 2.0),
        2,
    )
    satisfied = filed + 30 + np.floor(row_uniform(keys, "pr_satisfied_days", pos, j) * 700)
    satisfied = satisfied.astype(np.int64)
    p_satisfied = sigmoid(0.8 - 0.9 * pop.z[pos])
    not_satisfied = (
        (kind == 1)
        | (row_uniform(keys, "pr_satisfied", pos, j) >= p_satisfied)
        | (satisfied > cal.as_of_day)
    )
    sid = pop.sid_bytes[pos]
    columns = {
        "record_id": fixed_strings(literal(b"PR-", len(pos)), sid, digits(j + 1, 1, prefix=b"-")),
        "subject_id": fixed_strings(sid),
        "furnisher": take_strings(PR_AUTHORITIES, kind),
        "kind": take_strings(PR_KINDS, kind),
        "filed_date": date_array(filed),
        "amount": float_array(amount),
        "satisfied_date": date_array(satisfied, null=not_satisfied),
    }
    return RecordRows(columns, pos, j), None


def generate_inquiries(pop: Population, cal: Calendar) -> tuple[RecordRows, None]:
    """The score inquiries of a chunk, in the two years before ``as_of``."""
    keys = pop.keys
    lam = np.exp(INQ_RATE_A + INQ_RATE_B * pop.z)
    count = poisson_from_uniform(keys.uniform("iq_count"), lam, INQ_MAX)
    pos, j = _expand(count, INQ_MAX)
    span = np.minimum(cal.as_of_day - pop.created_day[pos], INQ_LOOKBACK_DAYS) + 1
    day = cal.as_of_day - np.floor(row_uniform(keys, "iq_date", pos, j) * span).astype(np.int64)
    purpose = (row_uniform(keys, "iq_purpose", pos, j)[:, None] > PURPOSE_CUMULATIVE).sum(axis=1)
    requester = np.floor(row_uniform(keys, "iq_requester", pos, j) * len(REQUESTERS))
    sid = pop.sid_bytes[pos]
    columns = {
        "record_id": fixed_strings(literal(b"IQ-", len(pos)), sid, digits(j + 1, 1, prefix=b"-")),
        "subject_id": fixed_strings(sid),
        "furnisher": take_strings(REQUESTERS, requester.astype(np.int64)),
        "purpose": take_strings(PURPOSES, purpose),
        "inquiry_date": date_array(day),
    }
    return RecordRows(columns, pos, j), None
