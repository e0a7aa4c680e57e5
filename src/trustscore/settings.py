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
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings import SettingsError as _SourceError

from trustscore.exceptions import SettingsError

__all__ = ["SPARK_MASTER_PATTERN", "Settings", "get_settings", "load_settings"]

#: The Spark master URLs trustscore accepts: local mode, a standalone master, Kubernetes, YARN,
#: or a Spark Connect server.
SPARK_MASTER_PATTERN = (
    r"local(\[(\*|[1-9][0-9]*)(,[1-9][0-9]*)?\])?|spark://\S+|k8s://\S+|yarn|sc://\S+"
)


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
    audit_key_file : Path
        The Ed25519 key that signs audit checkpoints (``trustscore audit keygen``); by default
        ``<workspace>/audit-signing-key.pem``. Keep it where the database's writers cannot
        reach it: whoever holds it can sign a rewritten log.
    audit_checkpoint_interval_s : float
        How often ``trustscore serve`` signs a checkpoint of the audit tree while entries are
        added (0, the default: never; sign them with ``trustscore audit checkpoint``).
    hold_above : float or None
        ``trustscore ingest`` holds a furnisher's rows of a batch for review when more than this
        share of them is quarantined (0.2: 20%); None (the default) holds nothing.
    consent_categories : tuple of str
        Bill categories that count towards a score only with the subject's consent (opt-in).
        Default: every bill category (utility, telecom, rent, platform); tradelines, public
        records and inquiries never need it. ``TRUSTSCORE_CONSENT_CATEGORIES='["rent"]'``
        (JSON) sets it; ``'[]'`` counts every bill without consent.
    rate_limit_per_s, rate_limit_burst : float, int
        Each API client's token bucket: requests per second sustained, and how many may come at
        once; past it the service answers 429 with ``Retry-After``. Per worker process (with
        ``workers`` > 1 a client may get up to that many times the rate). 0 disables the limit.
    deadline_interval_s : float
        How often the service runs the dispute deadline job (one worker at a time, under a
        lease in the ledger); 0 leaves it to ``trustscore disputes run-deadlines``.
    log_level : str
        The level of the JSON log lines ``trustscore serve`` writes to stderr.
    shadow_challengers : bool
        Whether the service also scores each score or decision request with the purpose's
        challenger, if it has one, in shadow: the pair goes to ``<workspace>/shadow/<purpose>
        .jsonl``, never into the answer or a decision. Off by default (it doubles the work of a
        request where a challenger is named).
    spark_master : str
        Where ``--engine spark`` runs: a Spark master URL (``local[*]``, the default, ``local[4]``,
        ``spark://host:7077``, ``k8s://https://host:443``, ``yarn``) or a Spark Connect URL
        (``sc://host:15002``). docs/spark.md says which settings apply where.
    duckdb_memory_limit : str or None
        The most memory DuckDB may use in a batch stage or a request (``"4GB"``, the default;
        ``"512MB"``, ``"16GiB"``); past it DuckDB spills sorts, hash tables and windows to
        ``duckdb_temp_directory``, so ``ingest`` and ``features`` keep to about this much
        whatever the population. None: DuckDB's own default, 80 % of the machine's memory.
    duckdb_threads : int or None
        DuckDB's worker threads (None: one per core).
    duckdb_temp_directory : Path
        Where DuckDB spills; by default ``<workspace>/.duckdb-tmp`` (the system's temporary
        folder when the workspace does not exist: a command on another store creates none).
    spark_conf : dict of str to str
        More Spark configuration for ``--engine spark`` (executor memory and cores, the driver's
        host on a cluster, storage credentials), as JSON:
        ``TRUSTSCORE_SPARK_CONF='{"spark.executor.memory": "8g"}'``. It is applied after the
        project's own settings, so it can override them.
    """

    model_config = SettingsConfigDict(
        env_prefix="TRUSTSCORE_", env_file=None, extra="ignore", frozen=True
    )

    workspace: Path = Path("trustscore-demo")
    database_url: SecretStr = Field(default=SecretStr(""))
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1)
    audit_key_file: Path = Path()
    audit_checkpoint_interval_s: float = Field(default=0.0, ge=0.0)
    hold_above: float | None = Field(default=None, ge=0.0, lt=1.0)
    # the same as trustscore.features.DEFAULT_CONSENT_CATEGORIES (a test keeps them equal);
    # not imported from there, so reading the settings does not load the feature engine
    consent_categories: tuple[Literal["platform", "rent", "telecom", "utility"], ...] = (
        "platform",
        "rent",
        "telecom",
        "utility",
    )
    rate_limit_per_s: float = Field(default=1000.0, ge=0)
    rate_limit_burst: int = Field(default=2000, ge=1)
    deadline_interval_s: float = Field(default=600.0, ge=0)
    log_level: str = Field(default="info", pattern="^(debug|info|warning|error|critical)$")
    shadow_challengers: bool = False
    spark_master: str = "local[*]"
    spark_conf: dict[str, str] = Field(default_factory=dict)
    duckdb_memory_limit: str | None = Field(
        default="4GB", pattern=r"^[0-9]+(\.[0-9]+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$"
    )
    duckdb_threads: int | None = Field(default=None, ge=1)
    duckdb_temp_directory: Path = Path()

    @field_validator("spark_master")
    @classmethod
    def _spark_master(cls, value: str) -> str:
        if re.fullmatch(SPARK_MASTER_PATTERN, value) is None:
            msg = (
                "TRUSTSCORE_SPARK_MASTER must be a Spark master URL (local[*], local[N], "
                "spark://HOST:PORT, k8s://URL, yarn) or a Spark Connect URL (sc://HOST:PORT); "
                f"got {value!r}."
            )
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url.get_secret_value():
            url = f"sqlite:///{self.workspace.as_posix()}/ledger.sqlite"
            object.__setattr__(self, "database_url", SecretStr(url))
        if self.duckdb_temp_directory == Path():
            object.__setattr__(self, "duckdb_temp_directory", self.workspace / ".duckdb-tmp")
        if self.audit_key_file == Path():
            object.__setattr__(self, "audit_key_file", self.workspace / "audit-signing-key.pem")
        return self


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with ``overrides`` (keyword: field) taking precedence.

    A ``TRUSTSCORE_*`` value that does not parse or is out of range is a :class:`SettingsError`
    naming the variable, never pydantic's report.

    Examples
    --------
    >>> import os
    >>> os.environ["TRUSTSCORE_PORT"] = "0"
    >>> try:
    ...     load_settings()
    ... except SettingsError as e:
    ...     print(e)
    TRUSTSCORE_PORT='0' is not valid: Input should be greater than or equal to 1.
    >>> del os.environ["TRUSTSCORE_PORT"]
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        text = str(first["msg"]).removeprefix("Value error, ")
        if not text.startswith("TRUSTSCORE_"):
            name = "TRUSTSCORE_" + "_".join(str(p) for p in first["loc"][:1]).upper()
            text = f"{name}={first.get('input')!r} is not valid: {text}."
        raise SettingsError(text) from None
    except _SourceError as exc:
        # pydantic-settings: 'error parsing value for field "x" from source "EnvSettingsSource"'
        found = re.search(r'field "(\w+)"', str(exc))
        name = f"TRUSTSCORE_{found.group(1).upper()}" if found else "a TRUSTSCORE_* setting"
        msg = f"{name} is not valid JSON (a list or an object is written as JSON)."
        raise SettingsError(msg) from None


@functools.cache
def get_settings() -> Settings:
    """The process's settings, built from the environment on first call and then cached.

    Raises :class:`~trustscore.exceptions.SettingsError` for a value that does not parse.
    """
    return load_settings()
