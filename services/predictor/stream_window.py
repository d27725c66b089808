"""Answering a bidirectional stream in request order with a bounded number of requests in flight.

A reader task takes requests off the stream and starts each one (synchronously: routing and
enqueueing into the batcher), then puts it in a bounded queue; the handler awaits the queue's
items in order and yields their answers. When the queue is full the reader stops reading, the
HTTP/2 flow-control window fills, and a fast client is slowed down instead of making the
server buffer without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from typing import TypeVar

Request = TypeVar("Request")
Response = TypeVar("Response")

_END = object()


async def ordered_answers(
    requests: AsyncIterable[Request],
    start: Callable[[Request], Awaitable[Response]],
    window: int,
) -> AsyncIterator[Response]:
    """Yield `await start(request)` for every request, in order, with at most `window` pending.

    `start` runs in the reader, so it must only begin the work (return a future or a
    coroutine's awaitable that is cheap to create) and must not raise: per-item errors
    are the awaitable's answer.
    """
    pending: asyncio.Queue[object] = asyncio.Queue(maxsize=window)

    async def read() -> None:
        failure: Exception | None = None
        try:
            async for request in requests:
                item = start(request)
                try:
                    await pending.put(item)
                except asyncio.CancelledError:
                    _discard(item)
                    raise
        except Exception as error:  # the request stream broke: answer what was read, then fail
            failure = error
        # not reached on cancellation: then nobody is left to read the end marker
        await pending.put(_END)
        if failure is not None:
            raise failure

    reader = asyncio.get_running_loop().create_task(read())
    try:
        while True:
            item = await pending.get()
            if item is _END:
                break
            yield await item  # type: ignore[misc]
        await reader  # re-raise a failure of the request stream itself
    finally:
        if not reader.done():
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        while not pending.empty():
            _discard(pending.get_nowait())


def _discard(item: object) -> None:
    """Close an answer that will never be awaited (the call ended first)."""
    if asyncio.iscoroutine(item):
        item.close()
    elif isinstance(item, asyncio.Future):
        item.cancel()
