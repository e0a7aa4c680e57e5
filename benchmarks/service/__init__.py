"""Load test of the REST service: ``POST /v1/scores`` at a fixed arrival rate over loopback.

Run ``python -m benchmarks.service`` from the repository root; results go to ``results.md`` and
``results.json`` in this folder. See README.md for what is measured.
"""
