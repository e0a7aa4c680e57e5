"""``python -m benchmarks.service``: see :mod:`benchmarks.service._run`."""

from __future__ import annotations

import sys

from benchmarks.service._run import main

sys.exit(main())
