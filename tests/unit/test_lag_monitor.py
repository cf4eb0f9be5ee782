"""Per-partition consumer lag gauges, without a broker (a fake consumer and a stub app)."""

from __future__ import annotations

import asyncio
import importlib
import sys
import types
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest

from processors import metrics


class TP(NamedTuple):
    topic: str
    partition: int


class FakeConsumer:
    def __init__(self, assigned: dict[TP, tuple[int | None, int | None, int | None]],
                 broker_up: bool = True) -> None:
        self.assigned = assigned  # tp -> (highwater, committed, position)
        self.broker_up = broker_up
        self._committed_offset = {tp: c for tp, (_, c, _) in assigned.items()}

    def assignment(self) -> set[TP]:
        return set(self.assigned)

    async def highwaters(self, *tps: TP) -> dict[TP, int | None]:
        if not self.broker_up:
            raise ConnectionError("broker away")
        return {tp: self.assigned[tp][0] for tp in tps}

    def highwater(self, tp: TP) -> int | None:
        return self.assigned[tp][0] - 1 if self.assigned[tp][0] else None  # stale cache

    async def position(self, tp: TP) -> int | None:
        return self.assigned[tp][2]


@pytest.fixture
def lag_monitor() -> Iterator[Any]:
    """Import ``processors.lag_monitor`` against a stub app (no Faust worker is built)."""
    timers: list[Any] = []
    stub_app = types.SimpleNamespace(
        timer=lambda **kw: (lambda fun: timers.append((kw, fun)) or fun), consumer=None)
    saved = {name: sys.modules.get(name) for name in ("processors.app", "processors.lag_monitor")}
    sys.modules["processors.app"] = types.SimpleNamespace(app=stub_app)  # type: ignore[assignment]
    sys.modules.pop("processors.lag_monitor", None)
    try:
        module = importlib.import_module("processors.lag_monitor")
        module.registered_timers = timers
        module.stub_app = stub_app
        yield module
    finally:
        for name, old in saved.items():
            if old is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = old


def _value(gauge: Any, *labels: str) -> float | None:
    for family in gauge.collect():
        for sample in family.samples:
            if tuple(sample.labels.values()) == labels:
                return sample.value
    return None


def test_partition_lag(lag_monitor: Any) -> None:
    assert lag_monitor.partition_lag(120, 100) == 20
    assert lag_monitor.partition_lag(120, None) == 120
    assert lag_monitor.partition_lag(None, 5) is None
    assert lag_monitor.partition_lag(100, 101) == 0


def test_timer_is_registered(lag_monitor: Any) -> None:
    ((options, fun),) = lag_monitor.registered_timers
    assert options["interval"] == lag_monitor.LAG_INTERVAL_SECONDS
    assert fun is lag_monitor.sample_consumer_lag


def test_gauges_follow_the_assignment(lag_monitor: Any) -> None:
    consumer = FakeConsumer({TP("t.raw", 0): (50, 40, None), TP("t.raw", 1): (10, None, 7),
                             TP("t.events", 3): (0, None, None)})
    lag_monitor.stub_app.consumer = consumer
    asyncio.run(lag_monitor.sample_consumer_lag())
    assert _value(metrics.CONSUMER_LAG, "t.raw", "0") == 10
    assert _value(metrics.CONSUMER_LAG, "t.raw", "1") == 3  # position before the first commit
    assert _value(metrics.CONSUMER_LAG, "t.events", "3") == 0
    assert _value(metrics.CONSUMER_HIGHWATER, "t.raw", "0") == 50
    assert _value(metrics.CONSUMER_COMMITTED, "t.raw", "0") == 40
    assert _value(metrics.ASSIGNED_PARTITIONS) == 3
    # after a rebalance the worker keeps only partition 1: the others' gauges disappear
    lag_monitor.stub_app.consumer = FakeConsumer({TP("t.raw", 1): (12, 12, None)})
    asyncio.run(lag_monitor.sample_consumer_lag())
    assert _value(metrics.CONSUMER_LAG, "t.raw", "0") is None
    assert _value(metrics.CONSUMER_LAG, "t.events", "3") is None
    assert _value(metrics.CONSUMER_LAG, "t.raw", "1") == 0
    assert _value(metrics.ASSIGNED_PARTITIONS) == 1
    lag_monitor.stub_app.consumer = FakeConsumer({})
    asyncio.run(lag_monitor.sample_consumer_lag())
    assert _value(metrics.CONSUMER_LAG, "t.raw", "1") is None


def test_broker_away_falls_back_to_cached_highwater(lag_monitor: Any) -> None:
    lag_monitor.stub_app.consumer = FakeConsumer({TP("t.raw", 2): (30, 20, None)},
                                                 broker_up=False)
    asyncio.run(lag_monitor.sample_consumer_lag())
    assert _value(metrics.CONSUMER_LAG, "t.raw", "2") == 9
    lag_monitor.stub_app.consumer = FakeConsumer({})
    asyncio.run(lag_monitor.sample_consumer_lag())


def test_a_failing_consumer_never_raises(lag_monitor: Any) -> None:
    class Broken:
        def assignment(self) -> set[TP]:
            raise RuntimeError("consumer not started")

    lag_monitor.stub_app.consumer = Broken()
    asyncio.run(lag_monitor.sample_consumer_lag())  # logged, not raised
