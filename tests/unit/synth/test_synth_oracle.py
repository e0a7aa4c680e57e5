"""The records carry the signal: a plain logistic regression on simple aggregates comes close to
the oracle, and ``oracle_p`` is the exact probability of the generator's own outcome model."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

from trustscore.synth import generate
from trustscore.synth._tradelines import log_survival

AS_OF = pd.Timestamp(dt.date(2025, 12, 31))


def aggregates(folder: Path) -> pd.DataFrame:
    """Per-subject late-payment, delinquency, utilisation, public-record and inquiry aggregates."""
    subjects = pd.read_parquet(folder / "subject.parquet", columns=["subject_id"])
    ob = pd.read_parquet(folder / "obligation.parquet")
    due = pd.to_datetime(ob["due_date"])
    age = (AS_OF - due).dt.days
    days_late = (pd.to_datetime(ob["paid_date"]) - due).dt.days
    # An unpaid bill more than 90 days old counts as 120 days late; a younger one is not late yet.
    days_late = days_late.where(ob["paid_date"].notna(), np.where(age > 90, 120.0, np.nan))
    ob = ob.assign(
        late=(days_late > 0).astype(float),
        late30=(days_late >= 30).astype(float),
        days=days_late.fillna(0.0).clip(lower=0.0),
        recent=age <= 365,
    )
    g = ob.groupby("subject_id")
    f = pd.DataFrame(
        {
            "late_rate": g["late"].mean(),
            "late30_rate": g["late30"].mean(),
            "max_days": np.log1p(g["days"].max()),
            "mean_days": np.log1p(g["days"].mean()),
        }
    )
    recent = ob[ob["recent"]].groupby("subject_id")
    f["late_rate_12m"] = recent["late"].mean()
    f["max_days_12m"] = np.log1p(recent["days"].max())

    tl = pd.read_parquet(folder / "tradeline.parquet")
    t = tl.groupby("subject_id")
    f["max_dpd"] = np.log1p(t["days_past_due"].max())
    f["delinquent_share"] = (tl["days_past_due"] > 0).groupby(tl["subject_id"]).mean()
    last = tl.sort_values("reported_date").groupby("account").tail(1)
    last = last[last["status"].isin(["current", "delinquent", "default"])]
    f["current_dpd"] = np.log1p(last.groupby("subject_id")["days_past_due"].max())
    cards = tl[tl["kind"] == "card"]
    f["utilisation"] = (
        (cards["balance"] / cards["credit_limit"]).groupby(cards["subject_id"]).mean()
    )

    pr = pd.read_parquet(folder / "public_record.parquet")
    f["n_public_records"] = pr.groupby("subject_id").size()
    iq = pd.read_parquet(folder / "inquiry.parquet")
    f["n_inquiries"] = iq.groupby("subject_id").size()

    f = f.reindex(subjects["subject_id"])
    for name in list(f.columns):
        missing = f[name].isna()
        f[name + "_missing"] = missing.astype(float)
        f[name] = f[name].fillna(0.0)
    return f


@pytest.mark.slow
def test_scorecard_on_aggregates_comes_close_to_the_oracle(tmp_path: Path) -> None:
    summary = generate(tmp_path, n_subjects=20_000, seed=2024)
    outcomes = pd.read_parquet(summary.paths["outcomes"]).set_index("subject_id")
    X = aggregates(tmp_path)
    train = (outcomes["split"] == "train").to_numpy()
    y = outcomes["target"].to_numpy()
    scaler = StandardScaler().fit(X[train])
    model = LogisticRegression(max_iter=2_000).fit(scaler.transform(X[train]), y[train])
    p = model.predict_proba(scaler.transform(X[~train]))[:, 1]
    auc = roc_auc_score(y[~train], p)
    oracle_auc = roc_auc_score(y[~train], outcomes["oracle_p"].to_numpy()[~train])
    assert 0.75 < oracle_auc < 0.97
    assert auc >= 0.93 * oracle_auc, (auc, oracle_auc)


def test_account_survival_matches_simulating_the_chain() -> None:
    # log_survival is the closed form the outcome uses; simulate the same chain and compare.
    rng = np.random.default_rng(0)
    n_paths, months = 40_000, 12
    buckets = np.array([0, 1, 2, 3, 5])
    risks = np.array([-1.0, 0.5, 2.0])
    for b0 in buckets:
        for r in risks:
            bucket = np.full((1, 1), b0)
            r_future = np.full((1, 1, months), r)
            exact = np.exp(log_survival(bucket, np.ones((1, 1), dtype=bool), r_future))[0]
            q, c = 1 / (1 + np.exp(5.0 - 1.2 * r)), 1 / (1 + np.exp(-0.4 + 0.7 * r))
            rho = (1 - c) / (1 + np.exp(0.3 - 0.8 * r))
            state = np.full(n_paths, b0)
            hit = np.zeros(n_paths, dtype=bool)
            for _ in range(months):
                u = rng.random(n_paths)
                rolled = np.where(u < c, 0, np.where(u < c + rho, state + 1, state))
                state = np.where(state == 0, (u < q).astype(int), rolled)
                hit |= state >= 3
            simulated = 1 - hit.mean()
            assert abs(simulated - exact) < 4 * np.sqrt(exact * (1 - exact) / n_paths) + 1e-3
