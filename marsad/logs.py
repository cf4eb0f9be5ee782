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


class Summary:
    """Per-message facts logged as one INFO line per flush instead of one line per message.

    ``add(article_id, stories=2)`` records a message; ``flush()`` (a worker timer calls it
    every second, and it runs by itself every ``max_ids`` messages) logs ``msg`` with
    ``count``, the summed counters and the space-separated ``article_ids``, so an article
    stays findable by its id. The per-message line is still logged at DEBUG.
    """

    def __init__(self, logger: logging.Logger, msg: str, max_ids: int = 200) -> None:
        self.logger, self.msg, self.max_ids = logger, msg, max_ids
        self._ids: list[str] = []
        self._totals: dict[str, int] = {}

    def add(self, article_id: str | None, **counters: int) -> None:
        if self.logger.isEnabledFor(logging.DEBUG):
            self.logger.debug(self.msg, extra={"article_id": article_id, **counters})
        self._ids.append(str(article_id))
        for key, value in counters.items():
            self._totals[key] = self._totals.get(key, 0) + value
        if len(self._ids) >= self.max_ids:
            self.flush()

    def flush(self) -> None:
        if not self._ids:
            return
        ids, totals = self._ids, self._totals
        self._ids, self._totals = [], {}
        self.logger.info(self.msg, extra={"count": len(ids), **totals,
                                          "article_ids": " ".join(ids)})


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
