"""The synthetic population used by the demo, the tests and the benchmarks.

:func:`generate` writes furnisher files for every record kind, plus each subject's outcome
(with the generator's exact probability, ``oracle_p``) and a synthetic protected-group label kept
apart from the records for fairness tests.

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     summary = generate(tmp, n_subjects=100, seed=3)
>>> sorted(summary.paths)
['inquiry', 'obligation', 'outcomes', 'protected', 'public_record', 'subject', 'tradeline']
"""

from __future__ import annotations

from trustscore.synth._generate import SynthSummary, generate

__all__ = ["SynthSummary", "generate"]
