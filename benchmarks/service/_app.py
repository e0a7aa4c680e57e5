"""The app the load test serves: ``create_app`` with the ledger's SQLite sync mode chosen.

``uvicorn --factory benchmarks.service._app:app_factory`` with ``TRUSTSCORE_WORKSPACE``,
``TRUSTSCORE_DATABASE_URL`` and ``BENCH_SQLITE_SYNCHRONOUS`` (``FULL`` or ``NORMAL``) set; the
service's own settings have no knob for the sync mode, so the benchmark builds the ledger itself.
"""

from __future__ import annotations

import os
from typing import Literal, cast

from fastapi import FastAPI

from trustscore.ledger import Ledger
from trustscore.service import create_app, workspace_provider
from trustscore.settings import Settings

__all__ = ["app_factory"]


def app_factory() -> FastAPI:
    """The service over the workspace and ledger the environment names."""
    settings = Settings()
    mode = cast(Literal["FULL", "NORMAL"], os.environ.get("BENCH_SQLITE_SYNCHRONOUS", "FULL"))
    ledger = Ledger(settings.database_url.get_secret_value(), sqlite_synchronous=mode)
    return create_app(settings, ledger=ledger, provider=workspace_provider(settings.workspace))
