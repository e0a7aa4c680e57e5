"""The synthetic population used by the demo, the tests and the benchmarks.

:func:`generate` writes furnisher files for every record kind, plus each subject's outcome
(with the generator's exact probability, ``oracle_p``), a synthetic protected-group label kept
apart from the records for fairness tests, and the subjects' consent to the use of their bills
(``consent.parquet``: see :mod:`trustscore.synth._consents`). :func:`split_deliveries` then
makes those files a first delivery and writes a later one in which the furnishers update records
(payments that arrived, judgments satisfied, balances revised, accounts closed) and delete
records sent in error.
:func:`add_identities` writes the records as furnishers without trustscore's ``subject_id`` would
send them: with noisy identity fields, the true subjects kept apart for measuring linkage.

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     summary = generate(tmp, n_subjects=100, seed=3)
>>> sorted(summary.paths)  # doctest: +NORMALIZE_WHITESPACE
['consent', 'inquiry', 'obligation', 'outcomes', 'protected', 'public_record', 'subject',
 'supplier_payment', 'tradeline']
"""

from __future__ import annotations

from trustscore.synth._generate import SynthSummary, generate
from trustscore.synth._identities import IDENTIFIED_KINDS, add_identities
from trustscore.synth._updates import UPDATE_KINDS, UpdateSummary, split_deliveries

__all__ = [
    "IDENTIFIED_KINDS",
    "UPDATE_KINDS",
    "SynthSummary",
    "UpdateSummary",
    "add_identities",
    "generate",
    "split_deliveries",
]
