"""Events are acknowledged only when the agent's loop body is done with them."""

from __future__ import annotations

import asyncio
import contextlib

from processors.delivery import held_events


class _Message:
    def __init__(self) -> None:
        self.refcount, self.acks = 1, 0  # one reference, as faust's conductor gives it

    def incref(self) -> None:
        self.refcount += 1

    def decref(self) -> None:
        self.refcount -= 1

    def ack(self) -> None:  # what faust's Stream does in a finally block
        self.refcount -= 1
        if self.refcount == 0:
            self.acks += 1


class _Event:
    def __init__(self) -> None:
        self.message = _Message()


class _Stream:
    def __init__(self, events: list[_Event]) -> None:
        self._events = events

    async def events(self):  # mimics faust: the ack sits in a finally, so it runs when interrupted
        for event in self._events:
            try:
                yield event
            finally:
                event.message.ack()


def test_finished_events_are_acknowledged_and_an_interrupted_one_is_not() -> None:
    events = [_Event(), _Event(), _Event()]

    async def agent() -> None:
        stream = held_events(_Stream(events))
        try:
            async for event in stream:
                if event is events[1]:
                    raise asyncio.CancelledError  # stopped while sending the second's output
        finally:
            await stream.aclose()

    with contextlib.suppress(asyncio.CancelledError):
        asyncio.run(agent())
    assert [e.message.acks for e in events] == [1, 0, 0]
    assert events[1].message.refcount == 1  # still held: read again after the restart
