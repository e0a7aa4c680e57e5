"""Compiled scorers: one artifact, identical scores from every engine."""

from __future__ import annotations

from trustscore.scoring._artifact import (
    Characteristic,
    Criterion,
    Outcome,
    ScorecardArtifact,
    load_artifact,
)
from trustscore.scoring._ibis import to_ibis, to_sql
from trustscore.scoring._score import score

__all__ = [
    "Characteristic",
    "Criterion",
    "Outcome",
    "ScorecardArtifact",
    "load_artifact",
    "score",
    "to_ibis",
    "to_sql",
]
