"""JSON log lines for ``trustscore serve``: one object per line, with the request id.

Configured only by :func:`trustscore.service.serve` (through uvicorn's ``log_config``, so each
worker process applies it); the library adds no handlers.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any, Final

from trustscore.service._metrics import REQUEST_ID

__all__ = ["JsonFormatter", "log_config"]

#: Attributes every LogRecord has: the rest were passed as ``extra`` and go into the line.
_STANDARD: Final = frozenset(
    vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None)).keys()
    | {"message", "asctime", "taskName", "color_message"}
)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id and extras.

    Examples
    --------
    >>> record = logging.LogRecord("trustscore.x", logging.INFO, "f.py", 1, "hi %s", ("you",), None)
    >>> record.status = 403
    >>> line = json.loads(JsonFormatter().format(record))
    >>> (line["level"], line["logger"], line["message"], line["status"], line["request_id"])
    ('info', 'trustscore.x', 'hi you', 403, None)
    """

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": REQUEST_ID.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in out:
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def log_config(level: str) -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` that writes JSON lines to stderr at ``level``.

    uvicorn's own loggers (``uvicorn.error``; its access log is off, the service writes its own
    line per request as ``trustscore.service.access``) go the same way.

    Examples
    --------
    >>> log_config("info")["root"]
    {'handlers': ['json'], 'level': 'INFO'}
    """
    upper = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "trustscore.service._logging.JsonFormatter"}},
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": [], "level": upper, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": upper, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": True},
            # migrations at startup say what they set up, at INFO, in every worker
            "alembic": {"handlers": [], "level": "WARNING", "propagate": True},
        },
        "root": {"handlers": ["json"], "level": upper},
    }
