"""The app the load test serves: ``create_app`` with the ledger's SQLite sync mode chosen.

``uvicorn --factory benchmarks.service._app:app_factory`` with ``TRUSTSCORE_WORKSPACE``,
``TRUSTSCORE_DATABASE_URL`` and ``BENCH_SQLITE_SYNCHRONOUS`` (``FULL`` or ``NORMAL``) set; the
service's own settings have no knob for the sync mode, so the benchmark builds the ledger itself.
With ``BENCH_TRACE=<file>`` the app records a timeline of the server (see ``_trace.py``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, cast

from sqlalchemy.engine import make_url

from trustscore import service
from trustscore.ledger import Ledger
from trustscore.service import create_app, workspace_provider
from trustscore.settings import Settings

__all__ = ["app_factory"]


def app_factory() -> Any:
    """The service over the workspace and ledger the environment names."""
    settings = Settings()
    mode = cast(Literal["FULL", "NORMAL"], os.environ.get("BENCH_SQLITE_SYNCHRONOUS", "FULL"))
    url = settings.database_url.get_secret_value()
    # as `trustscore serve` opens it; a server run from an older checkout (``--src``) has no
    # service_ledger and opened a plain Ledger
    open_ledger = getattr(service, "service_ledger", Ledger)
    ledger = open_ledger(url, sqlite_synchronous=mode)
    app = create_app(settings, ledger=ledger, provider=workspace_provider(settings.workspace))
    trace = os.environ.get("BENCH_TRACE")
    if not trace:
        return app
    from benchmarks.service._trace import traced

    database = make_url(url).database
    return traced(app, Path(trace), Path(database) if database else None)
