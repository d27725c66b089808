"""Paper trading's parts, built on the bus runtime's log and fanouts, and its consumer started."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.signal_bus.paper.app import PaperApp
from services.signal_bus.paper.consumer import PaperConsumer
from services.signal_bus.paper.handlers import PaperTradingHandlers
from services.signal_bus.paper.store import PaperStore
from services.signal_bus.runtime import BusRuntime
from services.signal_bus.settings import SignalBusSettings


@dataclass(frozen=True, slots=True)
class PaperTrading:
    handlers: PaperTradingHandlers
    consumer: PaperConsumer

    async def close(self) -> None:
        await self.consumer.close()


def start_paper_trading(
    runtime: BusRuntime, database: asyncpg.Pool, settings: SignalBusSettings, clock: Callable[[], datetime]
) -> PaperTrading:
    store = PaperStore(database)
    consumer = PaperConsumer(
        runtime.log,
        store,
        runtime.signal_fanout,
        runtime.bar_fanouts,
        clock,
        namespace=settings.topic_prefix,
        batch_max=settings.paper_batch_max,
        poll_seconds=settings.paper_poll_seconds,
    )
    app = PaperApp(
        store,
        runtime.log,
        clock,
        namespace=settings.topic_prefix,
        timeframe=settings.paper_timeframe,
        quota=settings.paper_account_quota,
        on_change=consumer.wake,
    )
    consumer.start()
    return PaperTrading(PaperTradingHandlers(app), consumer)
