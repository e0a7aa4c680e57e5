"""The browser tests' shared parts: Debian's chromium under Playwright, a tab, and a served app.

No browser is ever downloaded: the tests use ``/usr/bin/chromium`` (``apt-get install chromium``)
and skip when it or the ``playwright`` package is missing, unless ``TRUSTSCORE_REQUIRE_BROWSER=1``
(then they fail). One browser serves the whole session (``browser`` in ``tests/e2e/conftest.py``);
each module serves its app once, with :func:`serve`.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")


@contextmanager
def launch_browser() -> Iterator[Any]:
    """Debian's chromium under Playwright; skips (or fails, if required) when either is absent."""
    required = os.environ.get("TRUSTSCORE_REQUIRE_BROWSER") == "1"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            pytest.fail("TRUSTSCORE_REQUIRE_BROWSER=1 but the playwright package is not installed.")
        pytest.skip("Browser tests need the playwright package: pip install 'trustscore[dev]'.")
    if not CHROMIUM.is_file():
        msg = f"Browser tests need Debian's chromium at {CHROMIUM}: apt-get install -y chromium"
        if required:
            pytest.fail(f"TRUSTSCORE_REQUIRE_BROWSER=1 but there is no {CHROMIUM}. {msg}")
        pytest.skip(f"{msg} (no browser is ever downloaded).")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield chromium
        finally:
            chromium.close()


class Tab:
    """One browser tab with its own storage; collects the page's script errors.

    ``options`` go to Playwright's ``new_context``: ``locale`` (the browser's language),
    ``viewport``, ``bypass_csp`` (for axe-core, whose script the test injects).
    """

    def __init__(self, browser: Any, base_url: str, **options: Any) -> None:
        self.context = browser.new_context(base_url=base_url, **options)
        self.page = self.context.new_page()
        self.page.set_default_timeout(45_000)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        # shown by pytest beside a failing test: what the page logged and where it went
        self.page.on("console", lambda m: print(f"console {m.type}: {m.text}", file=sys.stderr))
        self.page.on("framenavigated", lambda f: print(f"navigated: {f.url}", file=sys.stderr))

    def ready(self) -> None:
        """Wait until the page has started: its language loaded, its handlers attached."""
        self.page.locator("html[data-ready]").wait_for(state="attached")

    def use_token(self, token: str) -> None:
        """Paste the token and press Enter, as a keyboard user would."""
        self.ready()
        field = self.page.locator("#token")
        field.fill(token)
        # the page's script handles the submission: there is no navigation to wait for
        field.press("Enter", no_wait_after=True)

    def open_file(self, subject_id: str) -> None:
        """An operator types the subject's id (a subject's token opens their own file)."""
        field = self.page.locator("#subject-id")
        field.fill(subject_id)
        field.press("Enter")

    def row(self, container: str, text: str) -> Any:
        return self.page.locator(f"#{container} tr").filter(has_text=text)

    def cells(self, container: str, text: str) -> list[str]:
        """The cells of the one row of ``#container`` holding ``text`` (folded rows too)."""
        row = self.row(container, text)
        assert row.count() == 1, f"{row.count()} rows in #{container} with {text!r}"
        texts: list[str] = row.locator("th, td").evaluate_all(
            "cells => cells.map(c => c.textContent.trim())"
        )
        return texts


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port, for as long as the block runs."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start serving the app.")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
