"""The benchmark's problems: two real credit datasets and a synthetic one with a known oracle.

Real data is read from ``../shared/data`` (relative to the repository root) and never copied
into the repository; a dataset that is absent is skipped with a message saying where it was
looked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import expit, ndtr

__all__ = ["DATA_ROOT", "Problem", "german", "synthetic", "taiwan"]

DATA_ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@dataclass
class Problem:
    """A binary problem: characteristics, target (1 = bad) and protected attributes apart."""

    name: str
    X: pd.DataFrame
    y: npt.NDArray[np.int64]
    categorical: list[str]
    protected: pd.DataFrame | None = None
    oracle_p: npt.NDArray[np.float64] | None = None
    source: str = ""
    notes: list[str] = field(default_factory=list)
    #: the direction of conduct of each column whose meaning makes one clear (+1: more is
    #: better, -1: more is worse), for the ``trustscore_directions`` row
    directions: dict[str, int] = field(default_factory=dict)
    #: values of a declared column that are codes, not amounts (each its own outcome)
    special_codes: dict[str, list[float]] = field(default_factory=dict)
    direction_notes: str = ""


def _age_band(age: pd.Series) -> pd.Series:
    bands = pd.cut(
        age, [0, 25, 35, 45, 55, 200], right=False, labels=["<25", "25-34", "35-44", "45-54", "55+"]
    )
    return bands.astype(str)


def taiwan(root: Path = DATA_ROOT) -> Problem | str:
    """Taiwan default of credit card clients (Yeh & Lien 2009); a message when absent."""
    path = root / "taiwan_default" / "UCI_Credit_Card_named.csv"
    if not path.exists():
        return f"skipped: {path} not found (the shared data sets live in ../shared/data)"
    df = pd.read_csv(path)
    target = "default.payment.next.month"
    protected_cols = ["SEX", "AGE", "MARRIAGE", "EDUCATION"]
    X = df.drop(columns=["ID", target, *protected_cols]).astype(np.float64)
    prot = df[protected_cols].astype(str)
    prot["AGE"] = _age_band(df["AGE"])
    pays = ["PAY_0", *(f"PAY_{i}" for i in range(2, 7))]
    directions = {"LIMIT_BAL": 1} | dict.fromkeys(pays, -1)
    directions |= {f"PAY_AMT{i}": 1 for i in range(1, 7)}
    return Problem(
        name="taiwan",
        X=X,
        y=df[target].to_numpy(np.int64),
        categorical=[],
        protected=prot,
        source=str(path),
        notes=[
            "ID dropped; SEX, AGE, MARRIAGE, EDUCATION held out (protected, not features); "
            "they are passed to trustscore as protected attributes (AGE in bands) for the "
            "model card's fairness section"
        ],
        directions=directions,
        special_codes={f"PAY_AMT{i}": [0.0] for i in range(1, 7)},
        direction_notes="LIMIT_BAL +1 (a larger limit granted); PAY_0, PAY_2-PAY_6 -1 (-2 no "
        "use, -1 paid in full, 0 revolving, then months of delay: no step up is better "
        "conduct); PAY_AMT1-6 +1 (more repaid), with 0 a special code: a payment of 0 is "
        "nothing due or nothing paid, the file does not say which, so it is no point on the "
        "scale of amounts repaid; BILL_AMT1-6 none (a larger bill is more use as much as more "
        "debt)",
    )


_GERMAN_NAMES = [
    "checking_status", "duration_months", "credit_history", "loan_purpose", "credit_amount",
    "savings", "employment_since", "installment_rate", "personal_status_sex", "other_debtors",
    "residence_since", "property", "age", "other_installment_plans", "housing",
    "existing_credits", "job", "people_liable", "telephone", "foreign_worker",
]  # fmt: skip
_GERMAN_NUMERIC = {2, 5, 8, 11, 13, 16, 18}
_GERMAN_PROTECTED = {9, 13, 20}


def german(root: Path = DATA_ROOT) -> Problem | str:
    """Statlog German credit (Hofmann 1994); a message when absent."""
    path = root / "german_credit" / "german.data"
    if not path.exists():
        return f"skipped: {path} not found (the shared data sets live in ../shared/data)"
    raw = pd.read_csv(path, sep=r"\s+", header=None, dtype=str)
    raw.columns = [*_GERMAN_NAMES, "class"]
    cols: dict[str, pd.Series] = {}
    prot: dict[str, pd.Series] = {}
    categorical = []
    for i, name in enumerate(_GERMAN_NAMES, start=1):
        s = raw[name]
        if i in _GERMAN_PROTECTED:
            prot[name] = _age_band(s.astype(float)) if name == "age" else s
            continue
        if i in _GERMAN_NUMERIC:
            cols[name] = s.astype(np.float64)
        else:
            cols[name] = s.astype(object)
            categorical.append(name)
    return Problem(
        name="german",
        X=pd.DataFrame(cols),
        y=(raw["class"].astype(int) == 2).to_numpy(np.int64),
        categorical=categorical,
        protected=pd.DataFrame(prot),
        source=str(path),
        notes=[
            "class 2 (bad) = 1; attributes 9 (personal status and sex), 13 (age) and 20 "
            "(foreign worker) held out as protected; the 13 qualitative attributes are strings"
        ],
        directions={"duration_months": -1, "installment_rate": -1},
        direction_notes="duration_months (longer to repay) and installment_rate (the "
        "instalment as a share of disposable income) -1; credit_amount none: the size of the "
        "loan asked for is no conduct, and its risk is U-shaped here (small loans are risky "
        "too; declared -1 it costs 0.0071 AUC, README); residence_since, existing_credits and "
        "people_liable none (no conduct in them); the others are categorical",
    )


def synthetic(n: int = 1_000_000, seed: int = 42) -> Problem:
    """A direct generator: 20 characteristics, additive smooth and step effects, exact oracle.

    Inputs are correlated through a shared latent factor (so a characteristic's marginal
    relation to the outcome is not its conditional effect), two carry missing values with an
    effect of their own, two are categorical, two are pure noise. The log-odds are a sum of
    one function per characteristic, so the oracle — the true probability — is a scorecard
    with infinitely many bins: the best any additive model can do.
    """
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)  # shared latent "financial strain"

    def corr(w: float) -> npt.NDArray[np.float64]:
        return w * z + np.sqrt(1.0 - w * w) * rng.normal(size=n)

    weights = {"a": 0.6, "b": 0.5, "c": 0.4, "d": 0.3, "e": 0.5, "f": 0.2, "g": 0.4}
    u = {k: corr(w) for k, w in weights.items()}
    X = pd.DataFrame()
    logit = np.full(n, -2.6)
    # smooth effects
    X["on_time_share"] = ndtr(-u["a"])  # in (0, 1)
    logit += -2.2 * X["on_time_share"].to_numpy()
    X["utilisation"] = np.clip(ndtr(u["b"]) * 1.2, 0.0, 1.1)
    logit += 1.4 * np.tanh(3.0 * (X["utilisation"].to_numpy() - 0.6))
    X["income"] = np.exp(10.5 - 0.4 * u["c"] + 0.3 * rng.normal(size=n))
    logit += -0.6 * (np.log(X["income"].to_numpy()) - 10.5)
    X["months_on_file"] = np.round(np.exp(3.5 - 0.3 * u["d"] + 0.6 * rng.normal(size=n)))
    logit += -0.5 * np.sqrt(X["months_on_file"].to_numpy() / 30.0)
    X["balance_trend"] = corr(0.3) * 1.5
    logit += 0.25 * X["balance_trend"].to_numpy() ** 2 - 0.3  # U-shaped (valley in WoE)
    X["tenure_years"] = rng.gamma(2.0, 3.0, size=n)
    logit += -0.8 * (1.0 - np.exp(-X["tenure_years"].to_numpy() / 4.0))
    X["payment_ratio"] = ndtr(-u["e"] + 0.3 * rng.normal(size=n))
    logit += -1.0 * X["payment_ratio"].to_numpy() ** 2
    X["debt_to_income"] = np.exp(-1.2 + 0.5 * u["f"])
    logit += 0.9 * np.log1p(X["debt_to_income"].to_numpy())
    # step effects
    X["late_12m"] = rng.poisson(np.exp(-1.0 + 0.6 * u["a"]))
    logit += 0.55 * np.minimum(X["late_12m"].to_numpy(), 4)
    X["worst_delay"] = np.clip(np.round(u["g"] * 1.5), -2, 6)
    wd = X["worst_delay"].to_numpy()
    logit += np.select([wd <= -2, wd == -1, wd == 0, wd == 1], [-0.1, 0.15, 0.0, 0.6], 1.2)
    X["inquiries_6m"] = rng.poisson(np.exp(0.2 + 0.3 * u["b"]))
    logit += 0.35 * (X["inquiries_6m"].to_numpy() >= 3)
    X["judgments"] = rng.binomial(1, expit(-3.0 + 0.8 * u["c"]))
    logit += 0.9 * X["judgments"].to_numpy()
    X["limit"] = np.round(np.exp(8.5 - 0.5 * u["d"] + 0.5 * rng.normal(size=n)), -2)
    logit += -0.45 * (X["limit"].to_numpy() > 8000) - 0.25 * (X["limit"].to_numpy() > 20000)
    X["accounts_open"] = rng.poisson(4.0, size=n)
    logit += 0.4 * (X["accounts_open"].to_numpy() == 0) - 0.05 * np.minimum(
        X["accounts_open"].to_numpy(), 6
    )
    # missing values with an effect of their own
    X["savings_rate"] = ndtr(-u["e"] + rng.normal(size=n))
    logit += -0.7 * np.nan_to_num(X["savings_rate"].to_numpy())
    miss = rng.random(n) < expit(-2.5 + 0.5 * u["e"])
    logit += np.where(miss, 0.35 + 0.7 * X["savings_rate"].to_numpy(), 0.0)  # missing: own effect
    X.loc[miss, "savings_rate"] = np.nan
    X["rent_on_time"] = ndtr(-0.5 * z + rng.normal(size=n))
    logit += -0.6 * X["rent_on_time"].to_numpy()
    miss2 = rng.random(n) < 0.3
    logit += np.where(miss2, 0.6 * X["rent_on_time"].to_numpy() - 0.1, 0.0)
    X.loc[miss2, "rent_on_time"] = np.nan
    # categorical
    kinds = np.array(["mortgage", "card", "loan", "bnpl", "telecom", "none"])
    kind_eff = np.array([-0.6, 0.0, 0.2, 0.5, 0.3, 0.4])
    kp = np.array([0.15, 0.35, 0.2, 0.1, 0.15, 0.05])
    k = rng.choice(kinds.size, size=n, p=kp)
    X["product_kind"] = kinds[k].astype(object)
    logit += kind_eff[k]
    regions = np.array([f"r{i:02d}" for i in range(12)])
    reg_eff = np.linspace(-0.4, 0.4, 12)
    r = rng.choice(12, size=n, p=np.r_[np.full(10, 0.095), 0.03, 0.02])
    X["region"] = regions[r].astype(object)
    logit += reg_eff[r]
    # noise
    X["noise_1"] = rng.normal(size=n)
    X["noise_2"] = rng.integers(0, 10, size=n).astype(np.float64)
    X = X.astype({c: np.float64 for c in X.columns if c not in ("product_kind", "region")})
    p = expit(logit)
    y = (rng.random(n) < p).astype(np.int64)
    return Problem(
        name="synthetic",
        X=X,
        y=y,
        categorical=["product_kind", "region"],
        oracle_p=p,
        source=f"benchmarks.accuracy._datasets.synthetic(n={n}, seed={seed})",
        notes=[
            "a direct generator (not trustscore.synth): 20 characteristics correlated through a "
            "shared latent factor, additive smooth, U-shaped and step effects, two with missing "
            "values that carry their own effect, two categorical, two pure noise; the oracle is "
            "the exact probability the outcome was drawn with"
        ],
        directions={
            "on_time_share": 1,
            "utilisation": -1,
            "income": 1,
            "months_on_file": 1,
            "tenure_years": 1,
            "payment_ratio": 1,
            "debt_to_income": -1,
            "late_12m": -1,
            "worst_delay": -1,
            "inquiries_6m": -1,
            "judgments": -1,
            "limit": 1,
            "savings_rate": 1,
            "rent_on_time": 1,
        },
        direction_notes="every column whose name says which way is better (worst_delay -1 on "
        "Taiwan's scale: -2 no use, -1 paid in full, 0 revolving, then months late); "
        "balance_trend, accounts_open and the noise columns none",
    )
