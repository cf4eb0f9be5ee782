"""The stalled-partition rule (no Kafka: the decision is a plain function)."""

from __future__ import annotations

from processors.stall_watchdog import Progress, stalled


def test_a_partition_stuck_behind_waiting_messages_is_sought_back_after_the_threshold() -> None:
    progress, seek = stalled(None, committed=10, highwater=15, in_flight=False, now=0.0,
                             threshold=20)
    assert progress == Progress(10, 0.0) and not seek
    progress, seek = stalled(progress, 10, 15, False, now=19.0, threshold=20)
    assert not seek
    progress, seek = stalled(progress, 10, 15, False, now=20.0, threshold=20)
    assert seek and progress == Progress(10, 20.0)  # the clock restarts after a seek


def test_progress_caught_up_or_busy_partitions_are_left_alone() -> None:
    start = Progress(10, 0.0)
    assert stalled(start, 11, 15, False, now=100.0, threshold=20) == (Progress(11, 100.0), False)
    assert stalled(start, 15, 15, False, now=100.0) == (None, False)  # nothing waits
    assert stalled(start, 10, 15, True, now=100.0) == (None, False)  # a message in flight
    assert stalled(start, None, 15, False, now=100.0) == (None, False)

