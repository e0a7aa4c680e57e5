"""``python -m benchmarks.scoring``: see :mod:`benchmarks.scoring._run`."""

from __future__ import annotations

import sys

from benchmarks.scoring._run import main

sys.exit(main())
