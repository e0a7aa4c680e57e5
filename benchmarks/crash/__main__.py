"""``python -m benchmarks.crash``: see :mod:`benchmarks.crash._run`."""

from __future__ import annotations

import sys

from benchmarks.crash._run import main

sys.exit(main())
