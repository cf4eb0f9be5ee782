"""Structured logging: one JSON object per line (or readable console lines)."""

from __future__ import annotations

import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """Format a record as JSON with time, level, logger, message and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                payload[key] = value if isinstance(value, (str, int, float, bool)) or \
                    value is None else str(value)
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def logging_config(level: str, fmt: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dict for the given level and format."""
    formatter = ({"()": JsonFormatter} if fmt == "json" else
                 {"format": "%(asctime)s %(levelname)-7s %(name)s: %(message)s"})
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "main",
                                "stream": "ext://sys.stderr"}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "kafka": {"level": "WARNING"},
            "aiokafka": {"level": "WARNING"},
            "faust": {"level": "WARNING" if level == "INFO" else level},
            "mode": {"level": "WARNING" if level == "INFO" else level},
            "alembic": {"level": "WARNING"},
        },
    }


def setup(level: str = "INFO", fmt: str = "json") -> None:
    """Configure the root logger."""
    logging.config.dictConfig(logging_config(level, fmt))
