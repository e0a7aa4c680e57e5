"""Monitoring: discrimination, stability, calibration, fairness and estimated performance.

Pure numpy/scipy, used by training (the model card) and by reports. Convention: ``y == 1`` is
the event (bad) and ``risk`` is higher for riskier subjects; pass ``-score`` for trust scores.
Every JSON-ready output holds only plain Python values, with None where a number is undefined.

Examples
--------
>>> from trustscore.monitoring import roc_auc, gini, ks
>>> y, score = [0, 0, 1, 1], [700, 560, 640, 420]
>>> risk = [-s for s in score]
>>> roc_auc(y, risk), gini(y, risk), ks(y, risk)
(0.75, 0.5, 0.5)
"""

from __future__ import annotations

from trustscore.monitoring._calibration import calibration_by_band
from trustscore.monitoring._discrimination import bootstrap_ci, gini, ks, roc_auc
from trustscore.monitoring._estimation import expected_auc
from trustscore.monitoring._fairness import (
    DEFAULT_CUTOFFS,
    FOUR_FIFTHS,
    adverse_impact_ratio,
    fairness_report,
    standardised_mean_difference,
)
from trustscore.monitoring._stability import (
    PSI_ACT,
    PSI_WATCH,
    StabilityLevel,
    csi,
    psi,
    psi_from_counts,
    stability_flag,
    stability_table,
)

__all__ = [
    "DEFAULT_CUTOFFS",
    "FOUR_FIFTHS",
    "PSI_ACT",
    "PSI_WATCH",
    "StabilityLevel",
    "adverse_impact_ratio",
    "bootstrap_ci",
    "calibration_by_band",
    "csi",
    "expected_auc",
    "fairness_report",
    "gini",
    "ks",
    "psi",
    "psi_from_counts",
    "roc_auc",
    "stability_flag",
    "stability_table",
    "standardised_mean_difference",
]
