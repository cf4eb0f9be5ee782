"""Consumer lag of this worker's partitions, sampled by a timer into Prometheus gauges.

Every ``LAG_INTERVAL_SECONDS`` the worker asks the broker for the end offset (highwater) of
each topic partition it holds and subtracts the offset it last committed (before its first
commit: its read position). The result is ``marsad_consumer_lag{topic,partition}``; gauges of
partitions the worker no longer holds (after a rebalance) are removed, so summing the gauge
over every worker gives the group's lag without double counts.

Importing this module registers the timer on the Faust app; it never raises into Faust (a
failing sample is logged and retried at the next tick).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from processors import metrics
from processors.app import app

log = logging.getLogger("marsad.lag")
LAG_INTERVAL_SECONDS = 5.0
REQUEST_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class PartitionSample:
    """Offsets of one assigned topic partition at one moment."""

    topic: str
    partition: int
    highwater: int | None
    committed: int | None  # committed offset (next to read), else the read position

    @property
    def lag(self) -> int | None:
        return partition_lag(self.highwater, self.committed)


def partition_lag(highwater: int | None, committed: int | None) -> int | None:
    """Messages not yet committed; None when the highwater is unknown.

    Nothing committed and no position yet means the whole partition is still ahead.
    """
    if highwater is None:
        return None
    return max(0, highwater - (committed or 0))


def publish(samples: Iterable[PartitionSample],
            previous: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Set the gauges of ``samples``, drop those of partitions no longer held.

    Returns the label pairs now published (pass them back as ``previous`` next time).
    """
    current: set[tuple[str, str]] = set()
    for sample in samples:
        labels = (sample.topic, str(sample.partition))
        current.add(labels)
        if sample.highwater is not None:
            metrics.CONSUMER_HIGHWATER.labels(*labels).set(sample.highwater)
        if sample.committed is not None:
            metrics.CONSUMER_COMMITTED.labels(*labels).set(sample.committed)
        lag = sample.lag
        if lag is not None:
            metrics.CONSUMER_LAG.labels(*labels).set(lag)
    for labels in previous - current:
        for gauge in (metrics.CONSUMER_LAG, metrics.CONSUMER_HIGHWATER,
                      metrics.CONSUMER_COMMITTED):
            with contextlib.suppress(KeyError):
                gauge.remove(*labels)
    metrics.ASSIGNED_PARTITIONS.set(len(current))
    return current


async def _highwaters(consumer: Any, tps: list[Any]) -> Mapping[Any, int | None]:
    """End offsets from the broker; the consumer's cached highwaters if that fails."""
    try:
        return dict(await asyncio.wait_for(consumer.highwaters(*tps),
                                           REQUEST_TIMEOUT_SECONDS))
    except Exception as exc:  # broker away or rebalancing: fall back to the fetch cache
        log.debug("highwater request failed", extra={"error": repr(exc)})
    cached: dict[Any, int | None] = {}
    for tp in tps:
        try:
            cached[tp] = consumer.highwater(tp)
        except Exception:
            cached[tp] = None
    return cached


async def _committed(consumer: Any, tp: Any) -> int | None:
    committed = getattr(consumer, "_committed_offset", {}).get(tp)
    if committed is not None:
        return int(committed)
    try:
        position = await asyncio.wait_for(consumer.position(tp), REQUEST_TIMEOUT_SECONDS)
    except Exception:
        return None
    return None if position is None else int(position)


async def sample(consumer: Any) -> list[PartitionSample]:
    """Offsets of every topic partition assigned to ``consumer``."""
    tps = sorted(consumer.assignment())
    if not tps:
        return []
    highwaters = await _highwaters(consumer, tps)
    return [PartitionSample(tp.topic, tp.partition, highwaters.get(tp),
                            await _committed(consumer, tp)) for tp in tps]


_published: set[tuple[str, str]] = set()


@app.timer(interval=LAG_INTERVAL_SECONDS, name="marsad.lag_monitor")
async def sample_consumer_lag() -> None:
    """Refresh the lag gauges of this worker (never raises)."""
    global _published
    try:
        samples = await sample(app.consumer)
    except Exception as exc:  # consumer not started or mid-rebalance
        log.debug("lag sample skipped", extra={"error": repr(exc)})
        return
    _published = publish(samples, _published)
    metrics.LAG_SAMPLED_AT.set(time.time())
