"""One writer task per process that turns concurrent publishes into few durable log writes.

Publishers hand their entries over and wait; the writer takes everything queued (greedy, no
timer: an idle bus writes a lone signal at once, a busy one writes thousands per round trip) and
appends it in one call per topic. The log answers only once the batch is durable, so each waiting
publisher is acknowledged after its own entry is safe, and one fsync covers the whole batch.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from services.core.errors import Unavailable
from services.signal_bus import metrics
from services.signal_bus.log import Appended, LogUnavailable

log = logging.getLogger("alphintra.signal_bus.writer")

Entry = TypeVar("Entry")
STOP_SECONDS = 5.0
AppendFunction = Callable[[str, Sequence[Entry]], Awaitable[list[Appended]]]


class BatchWriter(Generic[Entry]):
    def __init__(self, append: AppendFunction, max_batch: int, kind: str = "signals") -> None:
        self._append = append
        self._stored = metrics.PUBLISHED.labels(kind, "stored")
        self._duplicates = metrics.PUBLISHED.labels(kind, "duplicate")
        self._max_batch = max_batch
        self._queue: deque[tuple[str, Entry, asyncio.Future[Appended]]] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="signal-bus-writer")

    async def close(self) -> None:
        if self._task is not None:
            # the flag as well as the cancellation: a client library may swallow a cancel mid-call
            self._closing = True
            self._wake.set()
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=STOP_SECONDS)
            self._task = None
        for _, _, future in self._queue:
            if not future.done():
                future.set_exception(Unavailable("the bus is shutting down; publish again"))
        self._queue.clear()

    def submit(self, topic: str, entry: Entry) -> asyncio.Future[Appended]:
        """Queue `entry`; the future resolves once it is durable (or fails with Unavailable)."""
        if self._task is None:
            raise Unavailable("the bus is not accepting publishes right now")
        future: asyncio.Future[Appended] = asyncio.get_running_loop().create_future()
        self._queue.append((topic, entry, future))
        self._wake.set()
        return future

    async def _run(self) -> None:
        while not self._closing:
            await self._wake.wait()
            self._wake.clear()
            while self._queue and not self._closing:
                batch = [self._queue.popleft() for _ in range(min(self._max_batch, len(self._queue)))]
                await self._write(batch)

    async def _write(self, batch: list[tuple[str, Entry, asyncio.Future[Appended]]]) -> None:
        by_topic: dict[str, list[tuple[Entry, asyncio.Future[Appended]]]] = {}
        for topic, entry, future in batch:
            by_topic.setdefault(topic, []).append((entry, future))
        for topic, items in by_topic.items():
            try:
                results: list[Appended] | BaseException = await self._append(
                    topic, [entry for entry, _ in items]
                )
            except LogUnavailable as error:
                log.warning("log write failed (%d entries): %s", len(items), error)
                results = Unavailable(f"the log cannot store durably right now ({error}); publish again")
            except Exception as error:
                log.exception("log write failed (%d entries)", len(items))
                results = error
            if not isinstance(results, BaseException):
                duplicates = sum(1 for result in results if result.duplicate)
                self._duplicates.inc(duplicates)
                self._stored.inc(len(results) - duplicates)
            for index, (_, future) in enumerate(items):
                if future.done():  # the publisher went away; its entry is stored all the same
                    continue
                if isinstance(results, BaseException):
                    future.set_exception(results)
                else:
                    future.set_result(results[index])
