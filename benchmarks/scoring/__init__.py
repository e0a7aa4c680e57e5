"""The scoring benchmark: every scorer of one artifact side by side, against memory bandwidth.

Run ``python -m benchmarks.scoring`` from the repository root; it writes ``results.md`` and
``results.json`` here. ``--help`` lists the sizes and what can be skipped.
"""
