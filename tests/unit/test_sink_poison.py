"""Poison rows at the PostgreSQL sink: error classification and batch bisection, no database."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import psycopg
import pytest
from psycopg import errors as pg
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, ProgrammingError

from marsad.config import load_settings
from sinks import postgres_sink
from sinks.postgres_sink import (
    DATA,
    FAULT,
    TRANSIENT,
    PostgresSink,
    error_code,
    error_kind,
    isolate_rejected,
)


def _wrapped(cls: type, orig: BaseException) -> BaseException:
    return cls("INSERT INTO articles ...", {}, orig)


class FakeTable:
    """A table whose transactions are all or nothing and refuse some values."""

    def __init__(self, bad: dict[int, BaseException], transient_on: int | None = None) -> None:
        self.bad = bad
        self.rows: list[int] = []
        self.calls: list[list[int]] = []
        self.transient_on = transient_on

    def write(self, values: Sequence[int]) -> int:
        self.calls.append(list(values))
        if self.transient_on is not None and len(self.calls) == self.transient_on:
            raise _wrapped(OperationalError, pg.AdminShutdown("terminating connection"))
        for value in values:
            if value in self.bad:
                raise self.bad[value]
        self.rows.extend(values)
        return len(values)


NUL = _wrapped(DataError, psycopg.DataError(
    "PostgreSQL text fields cannot contain NUL (0x00) bytes"))
RANGE = _wrapped(DataError, pg.NumericValueOutOfRange("smallint out of range"))
TOO_LONG = _wrapped(DataError, pg.StringDataRightTruncation("value too long"))
UNIQUE = _wrapped(IntegrityError, pg.UniqueViolation("duplicate key"))


@pytest.mark.parametrize(("exc", "kind"), [
    (_wrapped(OperationalError, psycopg.OperationalError("connection refused")), TRANSIENT),
    (_wrapped(OperationalError, pg.AdminShutdown("terminating connection")), TRANSIENT),
    (_wrapped(OperationalError, pg.SerializationFailure("could not serialize")), TRANSIENT),
    (_wrapped(OperationalError, pg.DeadlockDetected("deadlock detected")), TRANSIENT),
    (_wrapped(OperationalError, pg.LockNotAvailable("lock timeout")), TRANSIENT),
    (_wrapped(OperationalError, pg.TooManyConnections("too many clients")), TRANSIENT),
    (NUL, DATA), (RANGE, DATA), (TOO_LONG, DATA), (UNIQUE, DATA),
    (_wrapped(IntegrityError, pg.ForeignKeyViolation("fk")), DATA),
    (ValueError("Invalid isoformat string: 'yesterday'"), DATA),
    (_wrapped(ProgrammingError, pg.UndefinedTable('relation "articles" does not exist')),
     FAULT),
    (RuntimeError("bug"), FAULT),
])
def test_errors_are_classified(exc: BaseException, kind: str) -> None:
    assert error_kind(exc) == kind


def test_error_codes() -> None:
    assert error_code(NUL) == "db_data_error"
    assert error_code(RANGE) == "db_data_error"
    assert error_code(UNIQUE) == "db_integrity_error"
    assert error_code(ValueError("x")) == "row_invalid"


def test_clean_batch_is_one_transaction() -> None:
    table = FakeTable({})
    outcome = isolate_rejected(table.write, list(range(50)))
    assert table.rows == list(range(50))
    assert outcome.touched == 50 and outcome.rejected == [] and outcome.transactions == 1


@pytest.mark.parametrize("bad", [[0], [49], [17], [3, 4], [0, 25, 49], list(range(0, 50, 7)),
                                 list(range(50))])
def test_bisection_stores_every_good_row_and_rejects_only_bad_ones(bad: list[int]) -> None:
    errors = [NUL, RANGE, TOO_LONG, UNIQUE, ValueError("bad date")]
    table = FakeTable({v: errors[i % len(errors)] for i, v in enumerate(bad)})
    outcome = isolate_rejected(table.write, list(range(50)))
    assert sorted(table.rows) == [v for v in range(50) if v not in bad]
    assert table.rows == sorted(table.rows), "rows must be written in batch order"
    assert [r.index for r in outcome.rejected] == bad
    assert outcome.touched == 50 - len(bad)
    for row in outcome.rejected:
        assert row.code in {"db_data_error", "db_integrity_error", "row_invalid"}
        assert row.error
    # a few bad rows cost O(k log n) transactions, not one per row
    if len(bad) <= 3:
        assert outcome.transactions <= 1 + 2 * len(bad) * 6


def test_first_error_skips_the_whole_batch_attempt() -> None:
    table = FakeTable({5: RANGE})
    outcome = isolate_rejected(table.write, list(range(8)), first_error=RANGE)
    assert table.calls[0] == [0, 1, 2, 3]  # went straight to the halves
    assert [r.index for r in outcome.rejected] == [5]
    assert "NumericValueOutOfRange" in outcome.rejected[0].error


def test_transient_error_during_bisection_propagates() -> None:
    table = FakeTable({6: NUL}, transient_on=3)
    with pytest.raises(OperationalError):
        isolate_rejected(table.write, list(range(8)))


def test_fault_error_propagates() -> None:
    fault = _wrapped(ProgrammingError, pg.UndefinedTable("no table"))
    with pytest.raises(ProgrammingError):
        isolate_rejected(lambda values: (_ for _ in ()).throw(fault), [1, 2])


def test_empty_batch() -> None:
    outcome = isolate_rejected(lambda values: 1 / 0, [])
    assert outcome.transactions == 0 and outcome.rejected == []


def test_write_batch_retries_transient_then_isolates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postgres_sink, "FIRST_BACKOFF_SECONDS", 0.001)
    table = FakeTable({2: NUL, 9: UNIQUE}, transient_on=1)
    sink = PostgresSink(load_settings({}))
    sink.ping = lambda: True  # type: ignore[method-assign]
    outcome = asyncio.run(sink.write_batch("articles", table.write, list(range(12))))
    assert sorted(table.rows) == [v for v in range(12) if v not in (2, 9)]
    assert [(r.index, r.code) for r in outcome.rejected] == [(2, "db_data_error"),
                                                            (9, "db_integrity_error")]


def test_write_batch_retries_a_fault_instead_of_rejecting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postgres_sink, "FIRST_BACKOFF_SECONDS", 0.001)
    calls: list[int] = []

    def write(values: Sequence[int]) -> int:
        calls.append(len(values))
        if len(calls) < 3:
            raise _wrapped(ProgrammingError, pg.UndefinedTable("no table yet"))
        return len(values)

    sink = PostgresSink(load_settings({}))
    outcome = asyncio.run(sink.write_batch("events", write, [1, 2, 3]))
    assert calls == [3, 3, 3] and outcome.rejected == [] and outcome.touched == 3


def test_rows_refused_while_the_database_is_unreachable_are_retried_not_rejected(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postgres_sink, "FIRST_BACKOFF_SECONDS", 0.001)
    answers = iter([False, False, True])  # the database is back at the third ping
    sink = PostgresSink(load_settings({}))
    sink.ping = lambda: next(answers)  # type: ignore[method-assign]
    table = FakeTable({4: NUL})
    outcome = asyncio.run(sink.write_batch("articles", table.write, list(range(6))))
    assert [(r.index, r.code) for r in outcome.rejected] == [(4, "db_data_error")]
    assert set(table.rows) == {0, 1, 2, 3, 5} and sink.backing_off == 0  # upserts: rewritten
    assert next(answers, None) is None  # refused twice while down: retried, not rejected
