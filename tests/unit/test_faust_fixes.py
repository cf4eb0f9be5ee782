"""The offset-bookkeeping fixes to faust-streaming (pure parts, and the patched method)."""

from __future__ import annotations

from collections import defaultdict

from faust.types import TP
from intervaltree import IntervalTree

from processors import faust_fixes
from processors.faust_fixes import head_is_missing


def test_a_single_dropped_message_at_the_head_blocks_the_commit() -> None:
    # committed = 10 is the next offset to read; 10 was dropped, 11 and 12 acknowledged
    assert head_is_missing(10, [11, 12])
    assert not head_is_missing(10, [10, 11, 12])
    assert not head_is_missing(None, [11])
    assert not head_is_missing(10, [])


class _FakeConsumer:
    def __init__(self, committed: int | None, acked: list[int]) -> None:
        self._committed_offset = defaultdict(lambda: None, {"tp": committed})
        self._acked = defaultdict(list, {"tp": list(acked)})
        self._acked_index = defaultdict(set, {"tp": set(acked)})
        self._gap = defaultdict(IntervalTree)


def test_patched_new_offset_never_commits_past_a_dropped_head() -> None:
    faust_fixes.apply()
    from faust.transport.consumer import Consumer

    assert Consumer._new_offset(_FakeConsumer(10, [11, 12]), "tp") is None
    assert Consumer._new_offset(_FakeConsumer(10, [10, 11, 12]), "tp") == 13
    faust_fixes.apply()  # idempotent: still one layer of patching
    assert Consumer._new_offset(_FakeConsumer(10, [11, 12]), "tp") is None


def test_only_current_generation_acks_with_the_flow_running_count() -> None:
    assert faust_fixes.counts_as_ack(5, 5, flow_active=True)
    assert not faust_fixes.counts_as_ack(4, 5, flow_active=True)  # fetched before a rebalance
    assert not faust_fixes.counts_as_ack(5, 5, flow_active=False)  # skipped mid-rebalance
    assert not faust_fixes.counts_as_ack(None, 5, flow_active=True)


class _Flow:
    def __init__(self, active: bool) -> None:
        self.active = active

    def is_active(self) -> bool:
        return self.active


class _App:
    def __init__(self, generation: int, flow_active: bool) -> None:
        self.consumer_generation_id = generation
        self.flow_control = _Flow(flow_active)
        self.topics = self

    def acks_enabled_for(self, topic: str) -> bool:
        return True


class _Message:
    def __init__(self, offset: int, generation: int) -> None:
        self.topic, self.partition, self.tp, self.offset = "raw", 0, "tp", offset
        self.generation_id, self.acked = generation, False


def _acking_consumer(generation: int, flow_active: bool, committed: int) -> object:
    consumer = _FakeConsumer(committed, [])
    consumer.app = _App(generation, flow_active)
    consumer._unacked_messages = set()
    consumer._waiting_for_ack = None
    consumer._n_acked = 0
    return consumer


def test_patched_ack_ignores_stale_messages_so_nothing_is_committed_over_them() -> None:
    faust_fixes.apply()
    from faust.transport.consumer import Consumer

    consumer = _acking_consumer(generation=7, flow_active=True, committed=10)
    stale = _Message(12, generation=6)  # skipped by a Stream after the rebalance
    consumer._unacked_messages.add(stale)
    assert Consumer.ack(consumer, stale) is False
    assert stale.acked and stale not in consumer._unacked_messages  # nobody waits for it
    assert consumer._acked["tp"] == [] and 12 not in consumer._acked_index["tp"]
    for offset in (10, 11):
        assert Consumer.ack(consumer, _Message(offset, generation=7)) is True
    assert Consumer._new_offset(consumer, "tp") == 12  # 12 itself must be read again

    paused = _acking_consumer(generation=7, flow_active=False, committed=10)
    assert Consumer.ack(paused, _Message(10, generation=7)) is False
    assert paused._acked["tp"] == []


A, B = TP("raw", 0), TP("raw", 1)


class _SeekingConsumer(_FakeConsumer):
    """Partition A has a commit at 7; B has none; both were read further before."""

    def __init__(self) -> None:
        super().__init__(None, [])
        self._committed_offset = defaultdict(lambda: None)
        self._read_offset = defaultdict(lambda: None)
        self._acked = defaultdict(list, {A: [9, 10], B: [4]})
        self._acked_index = defaultdict(set, {A: {9, 10}, B: {4}})
        self.seeks: dict[TP, int] = {}

    def assignment(self) -> set[TP]:
        return {A, B}

    async def seek_to_committed(self) -> dict[TP, int | None]:
        return {A: 7, B: None}  # aiokafka moves A only

    async def earliest_offsets(self, *tps: TP) -> dict[TP, int]:
        return {tp: 2 for tp in tps}

    async def seek(self, tp: TP, offset: int) -> None:
        self.seeks[tp] = offset


def test_patched_perform_seek_rereads_every_partition_from_a_clean_slate() -> None:
    import asyncio

    faust_fixes.apply()
    from faust.transport.consumer import Consumer

    consumer = _SeekingConsumer()
    asyncio.run(Consumer.perform_seek(consumer))
    assert consumer._committed_offset[A] == 7 and consumer._committed_offset[B] == 2
    assert consumer.seeks == {B: 2}  # B has no commit yet: read from the earliest offset again
    assert not consumer._acked.get(A) and not consumer._acked_index.get(B)


def test_no_offset_range_is_ever_taken_as_done_without_an_ack() -> None:
    import asyncio

    faust_fixes.apply()
    from faust.transport.consumer import Consumer

    consumer = _FakeConsumer(5, [5])
    asyncio.run(Consumer._add_gap(consumer, A, 6, 40))  # a record at 41 arrived after a seek
    consumer._acked[A] = [5, 41]
    consumer._acked_index[A] = {5, 41}
    consumer._committed_offset[A] = 5
    assert Consumer._new_offset(consumer, A) == 6  # not 42: 6..40 were never processed
