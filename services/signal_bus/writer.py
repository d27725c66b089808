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
        # (topic, entries, future, one): a publish of one entry resolves to its Appended, a batch to
        # the list of them; queued as one item either way, so a 500-signal message costs one future
        self._queue: deque[tuple[str, Sequence[Entry], asyncio.Future, bool]] = deque()
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
        for _, _, future, _ in self._queue:
            if not future.done():
                future.set_exception(Unavailable("the bus is shutting down; publish again"))
        self._queue.clear()

    def submit(self, topic: str, entry: Entry) -> asyncio.Future[Appended]:
        """Queue `entry`; the future resolves once it is durable (or fails with Unavailable)."""
        return self._enqueue(topic, (entry,), one=True)

    def submit_many(self, topic: str, entries: Sequence[Entry]) -> asyncio.Future[list[Appended]]:
        """Queue `entries` together; the future resolves to their Appended, in order, once all are
        durable (or fails with Unavailable). They may share a durable write with other publishes."""
        return self._enqueue(topic, entries, one=False)

    def _enqueue(self, topic: str, entries: Sequence[Entry], *, one: bool) -> asyncio.Future:
        if self._task is None:
            raise Unavailable("the bus is not accepting publishes right now")
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._queue.append((topic, entries, future, one))
        self._wake.set()
        return future

    async def _run(self) -> None:
        while not self._closing:
            await self._wake.wait()
            self._wake.clear()
            while self._queue and not self._closing:
                batch = [self._queue.popleft()]
                size = len(batch[0][1])
                while self._queue and size + len(self._queue[0][1]) <= self._max_batch:
                    batch.append(self._queue.popleft())
                    size += len(batch[-1][1])
                await self._write(batch)

    async def _write(self, batch: list[tuple[str, Sequence[Entry], asyncio.Future, bool]]) -> None:
        by_topic: dict[str, list[tuple[Sequence[Entry], asyncio.Future, bool]]] = {}
        for topic, entries, future, one in batch:
            by_topic.setdefault(topic, []).append((entries, future, one))
        for topic, items in by_topic.items():
            entries = [entry for item_entries, _, _ in items for entry in item_entries]
            try:
                results: list[Appended] | BaseException = await self._append(topic, entries)
            except LogUnavailable as error:
                log.warning("log write failed (%d entries): %s", len(entries), error)
                results = Unavailable(f"the log cannot store durably right now ({error}); publish again")
            except Exception as error:
                log.exception("log write failed (%d entries)", len(entries))
                results = error
            if not isinstance(results, BaseException):
                duplicates = sum(1 for result in results if result.duplicate)
                self._duplicates.inc(duplicates)
                self._stored.inc(len(results) - duplicates)
            start = 0
            for item_entries, future, one in items:
                end = start + len(item_entries)
                if future.done():  # the publisher went away; its entries are stored all the same
                    pass
                elif isinstance(results, BaseException):
                    future.set_exception(results)
                else:
                    future.set_result(results[start] if one else results[start:end])
                start = end
