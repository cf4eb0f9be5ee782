"""Fixes to faust-streaming 0.15.3's offset bookkeeping, which otherwise loses messages.

Faust commits the offset below the first hole in its list of acknowledged offsets. Several
things put offsets in that list that nobody processed: a ``Stream`` *acknowledges* the
messages it skips (stale generation, or flow stopped during a rebalance), and a revoked
partition's bookkeeping is emptied before those skips happen, so they land in the next
assignment's list; a jump in fetched offsets (records fetched before a seek handed out after
it) is recorded as a "gap" and counted as done. Its guard against a hole at the head is off
by one (``committed`` is the *next* offset to read), and ``perform_seek`` turns a committed
offset of 0 into ``None``, which disables the guard. A worker killed, or a message dropped,
in such a window was lost for good (``tests/integration/test_dedup_cluster.py``,
``tests/integration/test_faults.py``).

``apply()`` (called when the app is created) makes the bookkeeping exact:
- an acknowledgement counts only for a message fetched under the current consumer generation
  while the flow runs; any other message is re-read after the rebalance's seek anyway;
- a seek to the committed offsets starts every assigned partition's bookkeeping afresh, and
  really seeks every one of them: to its committed offset, else to its earliest offset
  (aiokafka does not move a partition that has no commit yet);
- no offset range is taken as missing (a "gap"): Marsad's pipeline topics are neither
  compacted nor transactional, so their offsets are contiguous;
- nothing is committed while the lowest acknowledged offset lies beyond the committed one.
  ``processors.stall_watchdog`` seeks such a partition back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from faust.transport.consumer import Consumer
from faust.types.tuples import ack_lock
from mode.utils.futures import notify

from processors import metrics

_PATCHED = "_marsad_offset_fixes"
log = logging.getLogger("marsad.faust_fixes")


def head_is_missing(committed: int | None, acked: Iterable[int]) -> bool:
    """Whether the message at the committed offset (the next to read) is not acknowledged
    while later ones are, so nothing may be committed yet."""
    lowest = min(acked, default=None)
    return committed is not None and lowest is not None and lowest > committed


def counts_as_ack(message_generation: int | None, current_generation: int,
                  flow_active: bool) -> bool:
    """Whether acknowledging a message may move the committed offset: only a message fetched
    under the current consumer generation, while the flow is not stopped for a rebalance."""
    return flow_active and message_generation == current_generation


def _current_ack(original: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def ack(self: Any, message: Any) -> bool:
        app = self.app
        if counts_as_ack(message.generation_id, app.consumer_generation_id,
                         app.flow_control.is_active()):
            return original(self, message)
        metrics.STALE_ACKS.labels(message.topic).inc()
        log.info("stale acknowledgement ignored", extra={
            "topic": message.topic, "partition": message.partition, "offset": message.offset,
            "message_generation": message.generation_id,
            "generation": app.consumer_generation_id,
            "flow_active": app.flow_control.is_active()})
        with ack_lock:  # done with, for whoever waits for in-flight messages; never committed
            message.acked = True
            self._unacked_messages.discard(message)
            notify(self._waiting_for_ack)
        return False

    return ack


def _guarded_new_offset(original: Callable[[Any, Any], int | None]
                        ) -> Callable[[Any, Any], int | None]:
    def _new_offset(self: Any, tp: Any) -> int | None:
        if head_is_missing(self._committed_offset[tp], self._acked[tp]):
            return None
        return original(self, tp)

    return _new_offset


def _baselined_perform_seek(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    async def perform_seek(self: Any) -> None:
        await original(self)
        for tp in self.assignment():  # re-read from the committed offsets: forget earlier acks
            for bookkeeping in (self._acked, self._acked_index):
                bookkeeping.pop(tp, None)
        unknown = [tp for tp in self.assignment() if self._committed_offset.get(tp) is None]
        if not unknown:
            return
        # Nothing committed, or 0 (which faust stores as None). aiokafka's seek_to_committed
        # then leaves the position where it was, past any message skipped in a rebalance:
        # seek those partitions to their earliest offset, as a first start would read them.
        earliest = await self.earliest_offsets(*unknown)
        for tp in unknown:
            baseline = earliest.get(tp)
            if baseline is not None and baseline >= 0:
                self._committed_offset[tp] = baseline
                await self.seek(tp, baseline)

    return perform_seek


async def _no_gap(self: Any, tp: Any, offset_from: int, offset_to: int) -> None:
    """Record no gap: on Marsad's contiguous topics a jump only means records fetched before
    a seek came after it; faust counted the range as done and committed over messages it
    then dropped below its read offset (a story of the SIGKILL test was lost so)."""


def apply() -> None:
    """Patch faust's Consumer once per process."""
    if getattr(Consumer, _PATCHED, False):
        return
    Consumer.ack = _current_ack(Consumer.ack)  # type: ignore[method-assign]
    Consumer._add_gap = _no_gap  # type: ignore[method-assign]
    Consumer._new_offset = _guarded_new_offset(Consumer._new_offset)  # type: ignore[method-assign]
    Consumer.perform_seek = _baselined_perform_seek(Consumer.perform_seek)  # type: ignore[method-assign]
    setattr(Consumer, _PATCHED, True)
