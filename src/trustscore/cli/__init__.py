"""The ``trustscore`` command line: one door into the system (the REST service is the other).

Every command turns bad input into one line saying what and where, and a non-zero exit code;
no traceback reaches a person.
"""

from __future__ import annotations

from trustscore.cli._app import app, main

__all__ = ["app", "main"]
