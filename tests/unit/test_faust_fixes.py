"""The offset-bookkeeping fixes to faust-streaming (pure parts, and the patched method)."""

from __future__ import annotations

from collections import defaultdict

from intervaltree import IntervalTree

from processors import faust_fixes
from processors.faust_fixes import head_is_missing


def test_a_single_dropped_message_at_the_head_blocks_the_commit() -> None:
    # committed = 10 is the next offset to read; 10 was dropped, 11 and 12 acknowledged
    assert head_is_missing(10, [11, 12], [])
    assert not head_is_missing(10, [10, 11, 12], [])
    assert not head_is_missing(10, [11, 12], [10])  # 10 is a known gap (compacted away)
    assert not head_is_missing(None, [11], [])
    assert not head_is_missing(10, [], [])


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
