"""The paper-trading consumer: applies the signal topic and the followed bar topics to accounts.

Each account has its own cursors (the last signal-topic entry and, per followed symbol, the last
bar it took into account), stored in its row. A batch locks the account (a PostgreSQL advisory
lock, so two bus processes never work on one account at once), reads after its cursors, applies
(`batch.py`) and commits the new book, orders, trades, equity points and cursors in one
transaction. A crash before the commit loses the batch and the next run does it again from the
same cursors; after it, nothing is done twice: no signal is applied twice or skipped.

It relies on one property of `Log.read`: a read that returns fewer entries than asked for
returned everything the topic held after the cursor at that moment (Redis XRANGE does; the
JetStream engine asks the server for its count before a short read). The merge in `batch.py`
takes a short read as complete; an engine that may return a partial batch early would let a
later signal overtake a bar it has not read yet. The bars are read before the signals, and a
symbol whose bars end before the latest signal read is read once more after it (one entry), so
that a bar published between the two reads holds back the signals after it.

The loop wakes when the bus's signal fanout or a followed bar topic's fanout reads something new,
when an account is created or reset here, and every `poll_seconds` (accounts created or moved on
by other bus processes); it processes only the accounts whose topics have moved past their
cursors.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import datetime

import asyncpg

from services.signal_bus.bars import FanoutRegistry
from services.signal_bus.fanout import Fanout
from services.signal_bus.log import Log, LogRecord, LogUnavailable, OffsetTrimmed
from services.signal_bus.paper.batch import BatchInput, apply_batch, symbols_to_read_again
from services.signal_bus.paper.store import BarCursor, PaperStore, StoredAccount
from services.signal_bus.signals import SIGNALS_TOPIC
from services.signal_bus.subscription import wait_for_any

log = logging.getLogger("alphintra.signal_bus.paper")

RETRY_SECONDS = 1.0
# how long the consumer lets new log entries gather before a round (bounds its rounds per second)
COALESCE_SECONDS = 0.05
STOP_SECONDS = 5.0


class PaperConsumer:
    def __init__(
        self,
        log_: Log,
        store: PaperStore,
        signal_fanout: Fanout,
        bar_fanouts: FanoutRegistry,
        clock: Callable[[], datetime],
        *,
        namespace: str,
        batch_max: int,
        poll_seconds: float,
    ) -> None:
        self._log = log_
        self._store = store
        self._signal_fanout = signal_fanout
        self._bar_fanouts = bar_fanouts
        self._clock = clock
        self._namespace = namespace
        self._batch_max = batch_max
        self._poll_seconds = poll_seconds
        self._woken = asyncio.Event()
        self._watched: list[Fanout] = []
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.batches = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="signal-bus-paper")

    def wake(self) -> None:
        """Look at the accounts now (one was created or reset)."""
        self._woken.set()

    async def close(self) -> None:
        if self._task is not None:
            self._closing = True
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=STOP_SECONDS)
            self._task = None

    async def _run(self) -> None:
        while not self._closing:
            # take the events before looking, so that an arrival during the round wakes the wait
            events = [
                self._woken,
                self._signal_fanout.changed(),
                *(fanout.changed() for fanout in self._watched),
            ]
            self._woken.clear()
            try:
                more = await self._round()
            except (LogUnavailable, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("paper consumer: %s; retrying", error)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            if not more:
                await wait_for_any(events, self._poll_seconds)
                if not self._woken.is_set():
                    # woken by the log: let a burst of publishes land first, so that a busy bus
                    # costs the consumer a few rounds a second, not one database query per write
                    await asyncio.sleep(COALESCE_SECONDS)

    async def _round(self) -> bool:
        accounts = await self._store.cursors(self._namespace)
        watched: dict[str, Fanout] = {}
        more = False
        for account in accounts:
            for cursor in account.bar_cursors.values():
                if cursor.topic not in watched:
                    watched[cursor.topic] = await self._bar_fanouts.get(cursor.topic)
            if self._has_news(account, watched):
                more |= await self._process(account.id)
        self._watched = list(watched.values())
        return more

    def _has_news(self, account: StoredAccount, fanouts: dict[str, Fanout]) -> bool:
        key = self._log.offset_key
        if key(self._signal_fanout.position) > key(account.signal_offset):
            return True
        return any(
            key(fanouts[cursor.topic].position) > key(cursor.offset)
            for cursor in account.bar_cursors.values()
        )

    async def _process(self, account_id: str) -> bool:
        """One batch for one account; whether it left entries for another batch."""
        async with self._store.session(account_id) as session:
            if session is None:  # another process has it (or it was deleted)
                return False
            account = session.account
            bars: dict[str, list[LogRecord]] = {}
            cut: set[str] = set()
            for symbol, cursor in account.bar_cursors.items():
                bars[symbol] = await self._log.read(
                    cursor.topic, cursor.offset, self._batch_max, strict=False
                )
                if len(bars[symbol]) >= self._batch_max:
                    cut.add(symbol)
            signals = await self._read_signals(account)
            since: dict[str, list[LogRecord]] = {}
            for symbol in symbols_to_read_again(signals, bars, frozenset(cut)):
                cursor = account.bar_cursors[symbol]
                after = bars[symbol][-1].offset if bars[symbol] else cursor.offset
                since[symbol] = await self._log.read(cursor.topic, after, 1, strict=False)
            inputs = BatchInput(
                signals=signals,
                signals_complete=len(signals) < self._batch_max,
                bars=bars,
                bars_incomplete=frozenset(cut),
                bars_since=since,
            )
            result = apply_batch(account, inputs)
            cursors = result.progress.bar_cursors
            for symbol, time_ms in result.followed_from.items():
                topic = cursors[symbol].topic
                cursors[symbol] = BarCursor(topic, await self._log.offset_at_time(topic, time_ms))
            await session.save(result.progress, self._clock(), lambda: uuid.uuid4().hex)
        self.batches += 1
        return result.more

    async def _read_signals(self, account: StoredAccount) -> list[LogRecord]:
        try:
            return await self._log.read(SIGNALS_TOPIC, account.signal_offset, self._batch_max)
        except OffsetTrimmed:
            # the bus was down longer than the retention: what was trimmed is gone for everyone
            log.warning(
                "paper account %s: signals after %s were trimmed by retention; continuing at the oldest",
                account.id,
                account.signal_offset,
            )
            return await self._log.read(SIGNALS_TOPIC, account.signal_offset, self._batch_max, strict=False)
