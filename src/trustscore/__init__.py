"""trustscore: an accountable trust score.

The public names are loaded on first use, so ``import trustscore`` (and the CLI's start) stays
fast and does not pull in numba, Ibis or scikit-learn until they are needed.

Examples
--------
>>> import trustscore
>>> trustscore.check_purpose_approvable("deposit_waiver")
'deposit_waiver'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trustscore.exceptions import (
        ArtifactError,
        BlacklistError,
        NeverApprovablePurposeError,
        ProhibitedInputError,
        PurposeError,
        SchemaError,
        TrustScoreError,
        TrustScoreWarning,
    )
    from trustscore.model import Scorecard
    from trustscore.safeguards import check_purpose_approvable
    from trustscore.scoring import ScorecardArtifact, load_artifact, score, to_pmml, to_sql

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "ArtifactError": "trustscore.exceptions",
    "BlacklistError": "trustscore.exceptions",
    "NeverApprovablePurposeError": "trustscore.exceptions",
    "ProhibitedInputError": "trustscore.exceptions",
    "PurposeError": "trustscore.exceptions",
    "SchemaError": "trustscore.exceptions",
    "Scorecard": "trustscore.model",
    "ScorecardArtifact": "trustscore.scoring",
    "TrustScoreError": "trustscore.exceptions",
    "TrustScoreWarning": "trustscore.exceptions",
    "check_purpose_approvable": "trustscore.safeguards",
    "load_artifact": "trustscore.scoring",
    "score": "trustscore.scoring",
    "to_pmml": "trustscore.scoring",
    "to_sql": "trustscore.scoring",
}

__all__ = [
    "ArtifactError",
    "BlacklistError",
    "NeverApprovablePurposeError",
    "ProhibitedInputError",
    "PurposeError",
    "SchemaError",
    "Scorecard",
    "ScorecardArtifact",
    "TrustScoreError",
    "TrustScoreWarning",
    "check_purpose_approvable",
    "load_artifact",
    "score",
    "to_pmml",
    "to_sql",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        msg = f"module 'trustscore' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
