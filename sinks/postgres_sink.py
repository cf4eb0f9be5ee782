"""The PostgreSQL sink used by the worker: one transaction per batch, poison rows set aside.

A failed write is classified by ``error_kind``:

- **transient** (connection lost or refused, server shutting down, serialization failure,
  deadlock, lock timeout, out of resources): back off (0.5 s doubling to 30 s) and retry the
  whole batch until it lands. Rows already written are written again harmlessly: every
  write is an idempotent upsert.
- **data** (psycopg ``DataError``/``IntegrityError``: a NUL byte in text, a number out of
  range, a value too long, a constraint violated; or a value the row builder cannot convert):
  the batch is bisected (``isolate_rejected``) until each refused row stands alone; every
  good row is written and the refused ones come back with their error, for the caller to
  dead-letter.
- **fault** (anything else: a missing table, SQL the server cannot parse, a driver bug): the
  cause is not in one row, so nothing is dead-lettered; the sink logs an error and retries
  with back-off until an operator fixes it. Offsets are not committed meanwhile: nothing is
  lost.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, DisconnectionError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from marsad.config import Settings
from processors import metrics
from sinks import postgres_writer
from sinks.database import make_engine

log = logging.getLogger("marsad.sink")
MAX_BACKOFF_SECONDS = 30.0
FIRST_BACKOFF_SECONDS = 0.5

TRANSIENT = "transient"
DATA = "data"
FAULT = "fault"

# SQLSTATE classes of errors that go away by themselves (psycopg maps all of them to
# OperationalError; listed for drivers or wrappers that only give the code).
_TRANSIENT_SQLSTATE_CLASSES = ("08", "40", "53", "57", "58")
_TRANSIENT_SQLSTATES = {"55P03", "25006"}  # lock not available; read-only (fail-over)
_ROW_CONVERSION_ERRORS = (ValueError, TypeError, OverflowError, UnicodeError)


def _root(exc: BaseException) -> BaseException:
    """The driver's exception under SQLAlchemy's wrapper (or ``exc`` itself)."""
    if isinstance(exc, StatementError) and exc.orig is not None:
        return exc.orig
    return exc


class DatabaseUnreachable(Exception):
    """Rows were refused while the database did not answer a ping: an outage, not bad data."""


def error_kind(exc: BaseException) -> str:
    """``TRANSIENT``, ``DATA`` or ``FAULT`` for an exception raised by a batch write."""
    if isinstance(exc, DatabaseUnreachable):
        return TRANSIENT
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return TRANSIENT
    if isinstance(exc, (DisconnectionError, PoolTimeout)):
        return TRANSIENT
    root = _root(exc)
    if isinstance(root, (psycopg.OperationalError, psycopg.InterfaceError)):
        return TRANSIENT
    sqlstate = getattr(root, "sqlstate", None) or ""
    if sqlstate[:2] in _TRANSIENT_SQLSTATE_CLASSES or sqlstate in _TRANSIENT_SQLSTATES:
        return TRANSIENT
    if isinstance(root, (psycopg.DataError, psycopg.IntegrityError)) or \
            sqlstate[:2] in {"22", "23"}:
        return DATA
    if isinstance(root, _ROW_CONVERSION_ERRORS) and not isinstance(root, psycopg.Error):
        return DATA
    return FAULT


def error_code(exc: BaseException) -> str:
    """Short machine-readable reason of a data error, for the dead letter."""
    root = _root(exc)
    if isinstance(root, psycopg.IntegrityError) or \
            (getattr(root, "sqlstate", None) or "").startswith("23"):
        return "db_integrity_error"
    if isinstance(root, psycopg.Error):
        return "db_data_error"
    return "row_invalid"


def describe(exc: BaseException) -> str:
    """One readable line: SQLSTATE, exception type and the server's message."""
    root = _root(exc)
    message = (str(root).strip().splitlines() or [""])[0][:500]
    sqlstate = getattr(root, "sqlstate", None)
    prefix = f"[{sqlstate}] " if sqlstate else ""
    return f"{prefix}{type(root).__name__}: {message}"


@dataclass(frozen=True)
class RejectedRow:
    """A value the database refused, by its index in the batch."""

    index: int
    code: str
    error: str


@dataclass
class WriteOutcome:
    """What a batch write did: rows touched, values refused, transactions spent."""

    touched: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    transactions: int = 0


def isolate_rejected(write: Callable[[Sequence[Any]], int], values: Sequence[Any],
                     first_error: BaseException | None = None,
                     kind: Callable[[BaseException], str] = error_kind) -> WriteOutcome:
    """Write ``values`` in as few transactions as possible, setting refused rows aside.

    ``write`` writes a slice in one transaction (all or nothing). When it fails with a data
    error the slice is halved and each half written in turn, in order, down to single rows:
    a single row that still fails is rejected. ``first_error`` is the data error the whole
    batch already raised (so it is not tried again). Any other error propagates: the caller
    backs off and retries the whole batch (writes are idempotent). With k bad rows among n
    the cost is about 2·k·log2(n) extra transactions.
    """
    outcome = WriteOutcome()

    def attempt(lo: int, hi: int, known: BaseException | None) -> None:
        if known is None:
            outcome.transactions += 1
            try:
                outcome.touched += write(values[lo:hi])
                return
            except Exception as exc:
                if kind(exc) != DATA:
                    raise
                known = exc
        if hi - lo == 1:
            outcome.rejected.append(RejectedRow(lo, error_code(known), describe(known)))
            return
        mid = (lo + hi) // 2
        attempt(lo, mid, None)
        attempt(mid, hi, None)

    if values:
        attempt(0, len(values), first_error)
    return outcome


class PostgresSink:
    """Batched, idempotent writes; the engine is created on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: Engine | None = None
        self.backing_off = 0  # batches waiting to retry a failed write (messages queue up)

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
        return self._transaction(partial(postgres_writer.write_event_batches,
                                         merge_km=self.settings.event_merge_km,
                                         merge_days=self.settings.event_merge_days), values)

    def write_rejected(self, values: Sequence[Any]) -> int:
        return self._transaction(postgres_writer.write_rejected, values)

    async def write_batch(self, table: str, write: Callable[[Sequence[Any]], int],
                          values: Sequence[Any]) -> WriteOutcome:
        """Write a batch in a thread: retry transient errors, set refused rows aside.

        Returns the outcome; ``outcome.rejected`` lists the values (by index) the database
        refused, every other value is committed. Only returns once that is true. Rows count
        as refused only while the database answers: an error that looked like bad data
        during an outage is retried like the outage itself.
        """
        loop = asyncio.get_running_loop()
        delay = FIRST_BACKOFF_SECONDS
        first_error: BaseException | None = None
        while True:
            started = time.perf_counter()
            try:
                if first_error is None:
                    touched = await loop.run_in_executor(None, write, values)
                    outcome = WriteOutcome(touched, [], 1)
                else:
                    outcome = await loop.run_in_executor(None, isolate_rejected, write,
                                                         values, first_error)
                    if outcome.rejected and not await loop.run_in_executor(None, self.ping):
                        raise DatabaseUnreachable(outcome.rejected[0].error)
            except Exception as exc:
                kind = error_kind(exc)
                if kind == DATA and first_error is None:
                    log.warning("database refused a row; isolating it",
                                extra={"table": table, "rows": len(values),
                                       "error": describe(exc)[:300]})
                    first_error = exc
                    continue
                first_error = None
                await self._back_off(table, len(values), kind, exc, delay)
                delay = min(delay * 2, MAX_BACKOFF_SECONDS)
                continue
            metrics.DATABASE_UP.set(1)
            metrics.SINK_BATCH.labels(table).observe(len(values))
            metrics.SINK_SECONDS.labels(table).observe(time.perf_counter() - started)
            if outcome.transactions > 1:
                metrics.SINK_BISECT_WRITES.labels(table).inc(outcome.transactions - 1)
            for row in outcome.rejected:
                metrics.SINK_REJECTED.labels(table, row.code).inc()
            return outcome

    async def _back_off(self, table: str, rows: int, kind: str, exc: BaseException,
                        delay: float) -> None:
        """Log a failed write and wait ``delay`` seconds before it is tried again."""
        metrics.SINK_RETRIES.labels(table).inc()
        if kind == TRANSIENT:
            metrics.DATABASE_UP.set(0)
            log.warning("database write failed; retrying",
                        extra={"table": table, "rows": rows, "retry_in_s": delay,
                               "error": describe(exc)[:300]})
        else:
            metrics.ERRORS.labels(f"sink_{table}", "db_fault").inc()
            log.error("database write failed (not a connection or data error: "
                      "schema or code fault?); retrying",
                      extra={"table": table, "rows": rows, "retry_in_s": delay,
                             "error": describe(exc)[:300]})
        self.backing_off += 1
        try:
            await asyncio.sleep(delay)
        finally:
            self.backing_off -= 1

    async def write_with_retry(self, table: str, write: Callable[[Sequence[Any]], int],
                               values: Sequence[Any]) -> int:
        """Rows touched by ``write_batch`` (refused rows are only logged here)."""
        outcome = await self.write_batch(table, write, values)
        for row in outcome.rejected:
            log.error("row refused by the database",
                      extra={"table": table, "index": row.index, "code": row.code,
                             "error": row.error})
        return outcome.touched
