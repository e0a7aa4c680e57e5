"""Compiled scorers: one artifact, identical scores from every engine.

A scorecard artifact (:mod:`trustscore.scoring._artifact`, versioned JSON) compiles to

- a fused numba kernel, :func:`score` with ``engine="kernel"`` (the default), and
  :func:`score_parquet` for datasets larger than memory;
- an Ibis expression, :func:`to_ibis`, run on DuckDB or Spark by :func:`score` with
  ``engine="duckdb"`` / ``"spark"``, and its SQL text for DuckDB, PostgreSQL, Spark, Trino and
  Snowflake, :func:`to_sql`;
- a PMML 4.4 scorecard, :func:`to_pmml`.

Every scorer can also flag its inputs (``quality=True``): a value outside the range training
saw, an impossible one, an unseen level, a missing value where training saw none, in a
``quality`` column identical on every engine (:mod:`trustscore.scoring._quality`).

All give the reference scorer's (:mod:`trustscore.scoring._reference`) points, score, sub-scores,
status and reasons on every row; the tests hold them to it. :func:`untrue_reasons` checks, apart
from every scorer, that each reason given is true of the row it is given to.

Examples
--------
>>> import pyarrow as pa
>>> from trustscore.scoring._artifact import example_artifact_dict
>>> art = load_artifact(example_artifact_dict())
>>> rows = pa.table({"on_time_rate": [0.95], "card_kind": ["none"], "months_history": [12]})
>>> score(art, rows).equals(score(art, rows, engine="duckdb"))
True
"""

from __future__ import annotations

from trustscore.scoring._artifact import (
    Characteristic,
    Criterion,
    Outcome,
    ScorecardArtifact,
    load_artifact,
)
from trustscore.scoring._batch import score_parquet
from trustscore.scoring._changes import Change, ChangeSet, apply_changes, find_changes
from trustscore.scoring._ibis import input_schema, to_ibis, to_sql
from trustscore.scoring._pmml import to_pmml
from trustscore.scoring._quality import (
    QUALITY_KINDS,
    QualityFlag,
    describe_flags,
    parse_quality,
    quality_column,
)
from trustscore.scoring._quality_counts import flagged_rows, quality_counts
from trustscore.scoring._quality_texts import translate_flag
from trustscore.scoring._reference import outcome_index, outcome_labels
from trustscore.scoring._score import output_schema, score
from trustscore.scoring._truth import UntrueReason, untrue_reasons

__all__ = [
    "QUALITY_KINDS",
    "Change",
    "ChangeSet",
    "Characteristic",
    "Criterion",
    "Outcome",
    "QualityFlag",
    "ScorecardArtifact",
    "UntrueReason",
    "apply_changes",
    "describe_flags",
    "find_changes",
    "flagged_rows",
    "input_schema",
    "load_artifact",
    "outcome_index",
    "outcome_labels",
    "output_schema",
    "parse_quality",
    "quality_column",
    "quality_counts",
    "score",
    "score_parquet",
    "to_ibis",
    "to_pmml",
    "to_sql",
    "translate_flag",
    "untrue_reasons",
]
