"""The PostgreSQL sink used by the worker: one transaction per batch, retried until it lands."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from marsad.config import Settings
from processors import metrics
from sinks import postgres_writer
from sinks.database import make_engine

log = logging.getLogger("marsad.sink")
MAX_BACKOFF_SECONDS = 30.0


class PostgresSink:
    """Batched, idempotent writes; the engine is created on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings)
        return self._engine

    def ping(self) -> bool:
        """True if the database answers."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except DBAPIError:
            return False

    def _transaction(self, write: Callable[[Connection, Sequence[Any]], int],
                     values: Sequence[Any]) -> int:
        with self.engine.begin() as conn:
            return write(conn, values)

    def write_articles(self, values: Sequence[Any]) -> int:
        return self._transaction(postgres_writer.write_articles, values)

    def write_events(self, values: Sequence[Any]) -> int:
        return self._transaction(postgres_writer.write_event_batches, values)

    def write_rejected(self, values: Sequence[Any]) -> int:
        return self._transaction(postgres_writer.write_rejected, values)

    async def write_with_retry(self, table: str, write: Callable[[Sequence[Any]], int],
                               values: Sequence[Any]) -> int:
        """Run ``write`` in a thread; on connection errors back off and retry until it lands."""
        loop = asyncio.get_running_loop()
        delay = 0.5
        while True:
            started = time.perf_counter()
            try:
                touched = await loop.run_in_executor(None, write, values)
            except (OperationalError, DBAPIError) as exc:
                if isinstance(exc, DBAPIError) and not exc.connection_invalidated and \
                        not isinstance(exc, OperationalError):
                    raise
                metrics.DATABASE_UP.set(0)
                metrics.SINK_RETRIES.labels(table).inc()
                log.warning("database write failed; retrying",
                            extra={"table": table, "rows": len(values), "retry_in_s": delay,
                                   "error": str(exc.orig or exc).splitlines()[0][:300]})
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_SECONDS)
                continue
            metrics.DATABASE_UP.set(1)
            metrics.SINK_BATCH.labels(table).observe(len(values))
            metrics.SINK_SECONDS.labels(table).observe(time.perf_counter() - started)
            return touched
