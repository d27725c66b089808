"""The bus's long-lived parts in one place, started after wiring and stopped before the pools close.

The log engine with its own connections, the writer tasks, one fanout per topic, the history
writer and the webhook matcher and sender. `close()` stops them in the order that loses nothing:
in-flight publishes have had their answer by the time the gRPC server has stopped, so the writers
can go, then the readers, then the connections. (What the history writer and the webhook matcher
had not committed is still pending in their consumer groups and is taken up on the next start.)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import asyncpg

from services.signal_bus.app import SignalTopicApp
from services.signal_bus.bars import BarTopicApp, FanoutRegistry
from services.signal_bus.fanout import Fanout
from services.signal_bus.history import HistoryApp, HistoryWriter
from services.signal_bus.history_store import HistoryStore
from services.signal_bus.log import KeyedEntry, Log, TimedEntry
from services.signal_bus.nats_log import NatsLog
from services.signal_bus.redis_log import RedisLog
from services.signal_bus.secret_box import webhook_secret_box
from services.signal_bus.settings import SignalBusSettings
from services.signal_bus.signals import SIGNALS_TOPIC, SignalEntry, signal_decoder
from services.signal_bus.webhook_dispatch import WebhookDispatcher
from services.signal_bus.webhook_store import WebhookStore
from services.signal_bus.webhooks import WebhookApp
from services.signal_bus.writer import BatchWriter


def open_log(settings: SignalBusSettings) -> Log:
    if settings.log_engine == "redis":
        if settings.redis_url is None:
            raise ConnectionError("the signal bus needs REDIS_URL for log_engine=redis")
        return RedisLog.from_url(
            settings.redis_url.get_secret_value(),
            prefix=settings.topic_prefix,
            retention_seconds=settings.retention_seconds,
            max_entries=settings.retention_max_entries,
        )
    if not settings.nats_urls.strip():
        raise ConnectionError("the signal bus needs nats_urls for log_engine=nats")
    return NatsLog.from_urls(
        settings.nats_urls,
        prefix=settings.topic_prefix,
        retention_seconds=settings.retention_seconds,
        max_entries=settings.retention_max_entries,
        replicas=settings.nats_replicas,
        ack_wait_seconds=settings.nats_ack_wait_seconds,
    )


class BusRuntime:
    def __init__(
        self, settings: SignalBusSettings, log: Log, database: asyncpg.Pool, clock: Callable[[], datetime]
    ) -> None:
        self.settings = settings
        self.log = log
        self.signal_writer: BatchWriter[KeyedEntry] = BatchWriter(log.append, settings.publish_batch_max)
        self.signal_fanout: Fanout[SignalEntry] = Fanout(
            log, SIGNALS_TOPIC, signal_decoder(log.offset_key), settings.fanout_capacity
        )
        self.signals = SignalTopicApp(
            log, self.signal_writer, self.signal_fanout, clock, settings.heartbeat_seconds
        )
        self.bar_writer: BatchWriter[TimedEntry] = BatchWriter(
            log.append_timed, settings.publish_batch_max, kind="bars"
        )
        self.bar_fanouts = FanoutRegistry(log, settings.fanout_capacity)
        self.bars = BarTopicApp(log, self.bar_writer, self.bar_fanouts, settings.heartbeat_seconds)
        history_store = HistoryStore(database)
        self.history_writer = HistoryWriter(log, history_store, settings.history_batch_max)
        self.history = HistoryApp(history_store)
        webhook_store = WebhookStore(database, webhook_secret_box(settings))
        self.webhooks = WebhookApp(
            webhook_store,
            clock,
            allow_private_urls=settings.webhook_allow_private_urls,
            quota=settings.webhook_quota,
        )
        self.webhook_dispatcher = WebhookDispatcher(
            log,
            webhook_store,
            clock,
            backoff_base_seconds=settings.webhook_backoff_base_seconds,
            concurrency=settings.webhook_concurrency,
            batch_max=settings.history_batch_max,
        )
        self._closed = False

    async def start(self) -> None:
        self.signal_writer.start()
        self.bar_writer.start()
        await self.signal_fanout.start()
        self.history_writer.start()
        self.webhook_dispatcher.start()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self.history_writer.close()
        await self.webhook_dispatcher.close()
        await self.signal_writer.close()
        await self.bar_writer.close()
        await self.signal_fanout.close()
        await self.bar_fanouts.close()
        await self.log.close()
