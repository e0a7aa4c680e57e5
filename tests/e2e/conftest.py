"""One small demo workspace for the end-to-end modules, built once per run (about 10 s).

Modules that change a workspace (suppressions, disputes, a ledger) copy it first
(``shutil.copytree``); the built one is never changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trustscore.pipeline import run_demo

#: Subjects in the shared demo: enough for scored, unscored and disputable subjects.
SMALL_DEMO_SUBJECTS = 300


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo workspace of 300 subjects: read it, or copy it before changing anything."""
    root = tmp_path_factory.mktemp("small-demo") / "ws"
    run_demo(str(root), n_subjects=SMALL_DEMO_SUBJECTS)
    return root


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One chromium for the browser tests of a module (see ``tests/web_browser.py``).

    Not for the session: Playwright's sync API runs an asyncio loop in the main thread while it
    lives, and every later test that calls ``asyncio.run`` (the service's) would fail under it.
    """
    from web_browser import launch_browser

    with launch_browser() as chromium:
        yield chromium
