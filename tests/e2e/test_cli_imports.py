"""CLI commands import only what they use: ``--help`` loads no pipeline, no scikit-learn.

Issue 15: progress reporting imported the pipeline at start, so every command, ``--help``
included, paid for scikit-learn, numba and Ibis (about 7.5 s of CPU). Checked by which modules
a fresh interpreter holds afterwards, not by a clock.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: Modules a command that does not score, fit or read records has no use for.
HEAVY = ("sklearn", "scipy", "numba", "ibis", "duckdb", "pandas", "pyarrow", "sqlalchemy",
         "fastapi", "trustscore.pipeline")  # fmt: skip

# argv: the command (JSON), the modules to look for (JSON); the result goes to stderr last
_PROBE = """
import json, sys
command, wanted = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.argv = ["trustscore", *command, "--help"]
from trustscore.cli import main
try:
    main()
except SystemExit as done:
    code = done.code
heavy = [m for m in wanted if m in sys.modules]
print(json.dumps({"code": code, "heavy": heavy}), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["score"],
        ["ingest"],
        ["disputes"],
        ["disputes", "run-deadlines"],
        ["serve"],
        ["reviews"],
        ["reviews", "run-deadlines"],
    ],
)
def test_help_imports_no_heavy_module(command: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(command), json.dumps(HEAVY)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert "Usage" in done.stdout, done.stderr
    result = json.loads(done.stderr.strip().splitlines()[-1])
    assert result == {"code": 0, "heavy": []}


def test_importing_the_cli_loads_no_heavy_module() -> None:
    code = (
        "import json, sys, trustscore.cli; "
        "print([m for m in json.loads(sys.argv[1]) if m in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(HEAVY)],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    assert done.stdout.strip() == "[]"
