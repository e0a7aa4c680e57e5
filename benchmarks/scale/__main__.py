"""``python -m benchmarks.scale``: see ``_run.py``."""

from __future__ import annotations

import sys

from benchmarks.scale._run import main

sys.exit(main())
