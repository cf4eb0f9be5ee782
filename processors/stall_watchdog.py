"""Safety net: re-read partitions whose committed offset is stuck behind a message nobody
processes.

``processors.faust_fixes`` keeps faust-streaming from committing over a message nobody
processed, but faust can still drop one without a trace: records fetched before a seek and
handed out after it move its read offset past the re-fetched ones, which it then discards.
The sign is a committed offset that stops while messages wait behind it. This
timer watches each assigned pipeline partition; when its committed offset has not moved for
``STALL_SECONDS``, none of its messages is in flight and the message at the committed offset
has not been acknowledged, it seeks the partition back to the committed offset and logs what
the consumer held (``marsad_stall_seeks_total`` counts it). Replays are harmless: every stage
is idempotent.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from marsad.topics import TOPICS
from processors import metrics
from processors.app import app, settings, sink

log = logging.getLogger("marsad.watchdog")

CHECK_INTERVAL_SECONDS = 3.0
STALL_SECONDS = 15.0
PIPELINE_TOPICS = frozenset(settings.topic(t.name) for t in TOPICS)


@dataclass
class Progress:
    """The committed offset of a partition and since when it has not moved."""

    committed: int
    since: float


def stalled(previous: Progress | None, committed: int | None, highwater: int | None,
            in_flight: bool, now: float, threshold: float = STALL_SECONDS
            ) -> tuple[Progress | None, bool]:
    """The partition's new progress record, and whether to seek it back to ``committed``."""
    if committed is None or highwater is None or committed >= highwater or in_flight:
        return None, False
    if previous is None or previous.committed != committed:
        return Progress(committed, now), False
    if now - previous.since >= threshold:
        return Progress(committed, now), True  # restart the clock after a seek
    return previous, False


_progress: dict[Any, Progress] = {}


@app.timer(interval=CHECK_INTERVAL_SECONDS, name="marsad.stall_watchdog")
async def reseek_stalled_partitions() -> None:
    """Seek stalled partitions back to their committed offsets (never raises)."""
    consumer = app.consumer
    try:
        # While a sink waits out a database outage, messages queue up unread by its stream:
        # they are not in flight as the consumer counts it, yet not skipped either.
        if app.rebalancing or app.tables.recovery.in_recovery or sink.backing_off:
            _progress.clear()
            return
        busy = {m.tp for m in list(consumer._unacked_messages) if not m.acked}
        acked = consumer._acked_index
        now = time.monotonic()
        for tp in consumer.assignment():
            if tp.topic not in PIPELINE_TOPICS:
                continue
            committed = consumer._committed_offset.get(tp)
            # A head already acknowledged waits for a commit, not for a re-read.
            waiting = tp in busy or (committed is not None and committed in acked.get(tp, ()))
            progress, seek = stalled(_progress.get(tp), committed, consumer.highwater(tp),
                                     waiting, now)
            if progress is None:
                _progress.pop(tp, None)
            else:
                _progress[tp] = progress
            if seek:
                acked_here = sorted(acked.get(tp, ()))
                log.warning("partition stalled behind skipped messages: seeking back",
                            extra={"topic": tp.topic, "partition": tp.partition,
                                   "offset": committed, "highwater": consumer.highwater(tp),
                                   "acked": acked_here[:5], "n_acked": len(acked_here),
                                   "read_offset": consumer._read_offset.get(tp),
                                   "unacked": sorted(m.offset for m in consumer._unacked_messages
                                                     if m.tp == tp)[:5]})
                metrics.STALL_SEEKS.labels(tp.topic).inc()
                await consumer.seek(tp, committed)
    except Exception as exc:  # consumer not started, or mid-rebalance
        log.debug("stall check skipped", extra={"error": repr(exc)})
