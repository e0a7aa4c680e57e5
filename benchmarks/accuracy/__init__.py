"""Accuracy benchmark: trustscore's Scorecard against optbinning, LightGBM and logistic regression.

Run ``python -m benchmarks.accuracy`` from the repository root; results go to ``results.md`` and
``results.json`` in this folder.
"""
