"""``python -m benchmarks.identity``: see :mod:`benchmarks.identity._run`."""

from __future__ import annotations

import sys

from benchmarks.identity._run import main

sys.exit(main())
