"""One reader per topic per bus process, sharing what it reads with every live subscriber.

The reader tails the log and appends each record, decoded once, to a window of recent records.
Subscribers do not get copies pushed to them: each holds an index into the window and takes what
is new when woken. A subscriber that stops reading (a slow client, a full HTTP/2 window) simply
keeps an old index; nobody waits for it. When the window moves past that index the subscriber
reads from the log itself until it is back within the window (see `subscription.py`).
"""

from __future__ import annotations

import asyncio
import bisect
import logging
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from services.signal_bus.log import Log, LogRecord, LogUnavailable, OffsetKey

log = logging.getLogger("alphintra.signal_bus.fanout")

TAIL_BATCH = 2_000
TAIL_WAIT_SECONDS = 2.0
RETRY_SECONDS = 0.5
STOP_SECONDS = 5.0


class Keyed(Protocol):
    key: OffsetKey
    offset: str


Decoded = TypeVar("Decoded", bound=Keyed)


class Fanout(Generic[Decoded]):
    def __init__(self, log_: Log, topic: str, decode: Callable[[LogRecord], Decoded], capacity: int) -> None:
        self._log = log_
        self.topic = topic
        self._decode = decode
        self._capacity = capacity
        self.records: list[Decoded] = []
        self._keys: list[OffsetKey] = []
        self.first_index = 0  # absolute index of records[0]
        self.window_start: OffsetKey = (0, 0)  # the key just before records[0]
        self.window_start_offset = ""  # ... and its offset
        self.position = ""  # offset of the last record read
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.healthy = asyncio.Event()

    async def start(self) -> None:
        """Start tailing from the log's current end."""
        self.position = await self._log.last_offset(self.topic)
        self.window_start = self._log.offset_key(self.position)
        self.window_start_offset = self.position
        self.healthy.set()
        self._task = asyncio.create_task(self._run(), name=f"signal-bus-fanout-{self.topic}")

    async def close(self) -> None:
        if self._task is not None:
            # the flag as well as the cancellation: a client library may swallow a cancel mid-call
            self._closing = True
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=STOP_SECONDS)
            self._task = None
        self._wake()

    @property
    def end_index(self) -> int:
        return self.first_index + len(self.records)

    def index_after(self, key: OffsetKey) -> int | None:
        """Absolute index of the first record after `key`; None when `key` is older than the window."""
        if key < self.window_start:
            return None
        return self.first_index + bisect.bisect_right(self._keys, key)

    def take(self, index: int, count: int) -> list[Decoded]:
        start = index - self.first_index
        return self.records[start : start + count]

    def changed(self) -> asyncio.Event:
        """An event set the next time records arrive (take it before checking for records)."""
        return self._changed

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _run(self) -> None:
        while not self._closing:
            try:
                records = await self._log.tail(self.topic, self.position, TAIL_BATCH, TAIL_WAIT_SECONDS)
            except LogUnavailable as error:
                if self.healthy.is_set():
                    log.warning("cannot tail %s: %s", self.topic, error)
                self.healthy.clear()
                await asyncio.sleep(RETRY_SECONDS)
                continue
            self.healthy.set()
            if records:
                self._add([self._decode(record) for record in records])
                self.position = records[-1].offset

    def _add(self, decoded: list[Decoded]) -> None:
        self.records.extend(decoded)
        self._keys.extend(item.key for item in decoded)
        overflow = len(self.records) - self._capacity
        if overflow > 0:
            # drop in chunks of half the window so that trimming is amortised
            drop = max(overflow, self._capacity // 2)
            self.window_start = self._keys[drop - 1]
            self.window_start_offset = self.records[drop - 1].offset
            del self.records[:drop]
            del self._keys[:drop]
            self.first_index += drop
        self._wake()
