"""``python -m benchmarks.accuracy``: see :mod:`benchmarks.accuracy._run`."""

from __future__ import annotations

import sys

from benchmarks.accuracy._run import main

sys.exit(main())
