"""Training: optimal monotone binning, weight of evidence, logistic fit, scaling, model card.

:class:`Scorecard` is a scikit-learn classifier whose fitted state is a scorecard artifact
(:mod:`trustscore.scoring._artifact`): versioned JSON that every scorer reads.
:func:`bin_numeric` and :func:`bin_categorical` are its binning, usable on their own.
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

__all__ = [
    "PARAMETER_CONSTRAINTS",
    "TRENDS",
    "BinnedCharacteristic",
    "Scorecard",
    "bin_categorical",
    "bin_numeric",
]
