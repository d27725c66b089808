"""PostgreSQL LISTEN/NOTIFY as a doorbell: it says "look again", never what changed.

One dedicated connection listens on a few channels; waiters subscribe to a channel, or to one
payload on it (a job id), and get an `asyncio.Event` that is set when a matching notification
arrives. The tables stay the truth: a waiter always re-reads after waking and also wakes on its own
after a polling interval, so a lost connection (reconnected in the background; every waiter is woken
when it is back) or a missed notification costs latency, never correctness.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence

import asyncpg

log = logging.getLogger("alphintra.trainer.doorbell")

_RECONNECT_SECONDS = 1.0


class Doorbell:
    def __init__(self, dsn: str, channels: Sequence[str]) -> None:
        self._dsn = dsn
        self._channels = tuple(channels)
        self._connection: asyncpg.Connection | None = None
        self._waiters: dict[tuple[str, str | None], set[asyncio.Event]] = defaultdict(set)
        self._reconnecting: asyncio.Task[None] | None = None
        self._closed = False

    async def start(self) -> None:
        await self._connect()

    async def _connect(self) -> None:
        connection = await asyncpg.connect(self._dsn, timeout=10)
        for channel in self._channels:
            await connection.add_listener(channel, self._notified)
        connection.add_termination_listener(self._terminated)
        self._connection = connection

    def _notified(self, _connection: object, _pid: int, channel: str, payload: str) -> None:
        for key in ((channel, payload), (channel, None)):
            for event in self._waiters.get(key, ()):
                event.set()

    def _terminated(self, _connection: object) -> None:
        self._connection = None
        if not self._closed and self._reconnecting is None:
            self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        try:
            while not self._closed:
                try:
                    await self._connect()
                except (OSError, asyncpg.PostgresError) as error:
                    log.warning("doorbell: cannot reconnect (%s); waiters poll meanwhile", error)
                    await asyncio.sleep(_RECONNECT_SECONDS)
                    continue
                for waiters in self._waiters.values():
                    for event in waiters:
                        event.set()
                return
        finally:
            self._reconnecting = None

    @contextlib.contextmanager
    def subscription(self, channel: str, payload: str | None = None) -> Iterator[asyncio.Event]:
        """An event set by each matching notification, for the duration of the block."""
        event = asyncio.Event()
        key = (channel, payload)
        self._waiters[key].add(event)
        try:
            yield event
        finally:
            self._waiters[key].discard(event)
            if not self._waiters[key]:
                del self._waiters[key]

    async def close(self) -> None:
        self._closed = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnecting
        if self._connection is not None:
            connection, self._connection = self._connection, None
            connection.remove_termination_listener(self._terminated)
            await connection.close()


async def wait_for(event: asyncio.Event, seconds: float) -> bool:
    """Wait for `event` at most `seconds`; True when it was set. Clears it for the next wait."""
    try:
        await asyncio.wait_for(event.wait(), seconds)
    except TimeoutError:
        return False
    finally:
        event.clear()
    return True
