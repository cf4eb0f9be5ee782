"""At-least-once delivery inside an agent: an event's offset is released only once the
agent has finished with it (its output handed to the producer, whose buffer faust flushes
before every commit)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from faust.types import EventT


async def held_events(stream: Any) -> AsyncIterator[EventT]:
    """The stream's events, each acknowledged only once the loop body is done with it.

    faust acknowledges the current event when an agent's loop is left by an exception or a
    cancellation (a stop, a rebalance), though its output may never have been sent; its
    offset would then be committed and the message lost. An extra reference, dropped only
    when the body asks for the next event, keeps an interrupted event unacknowledged, so it
    is read again.
    """
    async for event in stream.events():
        event.message.incref()
        yield event
        event.message.decref()
