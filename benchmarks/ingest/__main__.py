"""``python -m benchmarks.ingest``: see :mod:`benchmarks.ingest._run`."""

from __future__ import annotations

import sys

from benchmarks.ingest._run import main

sys.exit(main())
