"""One :class:`Settings` object for the service and the CLI, read from ``TRUSTSCORE_*``.

Only the CLI and the service read settings; library code takes explicit arguments. Nothing is
read or created at import time: :func:`get_settings` builds the object on first use and caches
it, and tests pass their own ``Settings(...)`` (or call ``get_settings.cache_clear()``).

Examples
--------
>>> s = Settings(workspace="/tmp/ts-demo", _env_file=None)
>>> s.database_url.get_secret_value()
'sqlite:////tmp/ts-demo/ledger.sqlite'
>>> s.port
8000
>>> "postgres" in repr(Settings(database_url="postgresql+psycopg://u:pw@db/x", _env_file=None))
False
"""

from __future__ import annotations

import functools
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """Settings of the service and the CLI; each field is read from ``TRUSTSCORE_<NAME>``.

    Attributes
    ----------
    workspace : Path
        Where the demo, the record store and the default ledger live (``./trustscore-demo``).
    database_url : SecretStr
        The ledger's SQLAlchemy URL; by default the SQLite file ``<workspace>/ledger.sqlite``.
        Secret because a PostgreSQL URL may hold a password: use ``.get_secret_value()``.
    host, port : str, int
        Where ``trustscore serve`` listens.
    workers : int
        uvicorn worker processes for ``trustscore serve``.
    rate_limit_per_s, rate_limit_burst : float, int
        Each API client's token bucket: requests per second sustained, and how many may come at
        once; past it the service answers 429 with ``Retry-After``. Per worker process (with
        ``workers`` > 1 a client may get up to that many times the rate). 0 disables the limit.
    deadline_interval_s : float
        How often the service runs the dispute deadline job (one worker at a time, under a
        lease in the ledger); 0 leaves it to ``trustscore disputes run-deadlines``.
    log_level : str
        The level of the JSON log lines ``trustscore serve`` writes to stderr.
    """

    model_config = SettingsConfigDict(
        env_prefix="TRUSTSCORE_", env_file=None, extra="ignore", frozen=True
    )

    workspace: Path = Path("trustscore-demo")
    database_url: SecretStr = Field(default=SecretStr(""))
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1)
    rate_limit_per_s: float = Field(default=1000.0, ge=0)
    rate_limit_burst: int = Field(default=2000, ge=1)
    deadline_interval_s: float = Field(default=600.0, ge=0)
    log_level: str = Field(default="info", pattern="^(debug|info|warning|error|critical)$")

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url.get_secret_value():
            url = f"sqlite:///{self.workspace.as_posix()}/ledger.sqlite"
            object.__setattr__(self, "database_url", SecretStr(url))
        return self


@functools.cache
def get_settings() -> Settings:
    """The process's settings, built from the environment on first call and then cached."""
    return Settings()
