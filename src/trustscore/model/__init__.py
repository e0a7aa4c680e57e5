"""Training: optimal monotone binning, weight of evidence, logistic fit, scaling, model card.

:class:`Scorecard` is a scikit-learn classifier whose fitted state is a scorecard artifact
(:mod:`trustscore.scoring._artifact`): versioned JSON that every scorer reads.
:func:`bin_numeric` and :func:`bin_categorical` are its binning, usable on their own.
:func:`search_less_discriminatory` searches a family of alternative cards for one that treats
a protected group less adversely at about the same accuracy.
"""

from __future__ import annotations

from trustscore.model._binning import (
    TRENDS,
    BinnedCharacteristic,
    bin_categorical,
    bin_numeric,
)
from trustscore.model._params import PARAMETER_CONSTRAINTS
from trustscore.model._scorecard import Scorecard
from trustscore.model._search import DEFAULT_MAX_AUC_LOSS, search_less_discriminatory
from trustscore.model._search_result import EVIDENCE_KEY, SearchResult, pareto_front

__all__ = [
    "DEFAULT_MAX_AUC_LOSS",
    "EVIDENCE_KEY",
    "PARAMETER_CONSTRAINTS",
    "TRENDS",
    "BinnedCharacteristic",
    "Scorecard",
    "SearchResult",
    "bin_categorical",
    "bin_numeric",
    "pareto_front",
    "search_less_discriminatory",
]
