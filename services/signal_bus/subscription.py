"""One signal subscriber's stream: batches of what its filter accepts, in log order, then live.

Each round sends at most one message: everything new after the cursor (up to the batch size)
that the subscriber may see and wants. A slow subscriber gets bigger batches, down to one per
round trip; one that falls out of the shared window reads the log on its own (`cursor.py`). The
first time a stream has nothing more to send it sends an empty batch at once, so that a client
replaying history knows it has caught up and is live; after that an idle stream sends an empty
batch every heartbeat so that its resume offset keeps moving past signals it filtered out.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

from services.signal_bus import metrics
from services.signal_bus.cursor import Cursor
from services.signal_bus.signals import SignalEntry
from services.signal_bus.wire import encode_batch


async def wait_for_any(events: list[asyncio.Event], timeout: float) -> None:  # noqa: ASYNC109
    """Until one of `events` is set or `timeout` seconds pass."""
    if timeout <= 0:
        return
    if len(events) == 1:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(events[0].wait(), timeout)
        return
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def signal_batches(
    cursor: Cursor[SignalEntry],
    accept: Callable[[SignalEntry], bool],
    max_batch: int,
    heartbeat_seconds: float,
    subscriber: str = "",
) -> AsyncIterator[bytes]:
    """Encoded SubscribeResponse messages, forever (until the caller stops iterating)."""
    delivered = metrics.DELIVERED.labels("signals")
    lag = metrics.SUBSCRIBER_LAG.labels("signals", subscriber)
    last_sent = time.monotonic()
    caught_up = False
    while True:
        changed = cursor.changed()
        batch = await cursor.poll(max_batch)
        lag.set(cursor.lag())
        if batch:
            chosen = [entry.encoded for entry in batch if accept(entry)]
            if chosen:
                delivered.inc(len(chosen))
                last_sent = time.monotonic()
                yield encode_batch(chosen, cursor.position)
                continue
        just_caught_up = not batch and not caught_up
        if just_caught_up or time.monotonic() - last_sent >= heartbeat_seconds:
            caught_up = caught_up or just_caught_up
            last_sent = time.monotonic()
            yield encode_batch((), cursor.position)
            continue
        if not batch:
            await wait_for_any([changed], heartbeat_seconds - (time.monotonic() - last_sent))
