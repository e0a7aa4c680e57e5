"""Reproducible benchmarks of trustscore, each with its results.

Run one with ``python -m benchmarks.<name>`` from the repository root.
"""
