"""Getting signals to webhooks without ever holding up the bus.

Two tasks per bus process:
- the matcher reads the signal topic as a consumer group (like the history writer), matches each
  signal against the enabled webhooks of its owner and queues a delivery row per match; a
  delivery is idempotent per (webhook, signal), so a replayed batch queues nothing twice;
- the sender claims due deliveries (leased, so processes share them) and POSTs each on its own
  task, at most `concurrency` at once, each bounded by the send timeout. A failure schedules the
  next attempt after an exponential backoff with jitter (base × 2^(attempt−1), capped, times a
  random factor in [0.5, 1]); after max_attempts the delivery is dead-lettered.
A webhook that is down costs the sender one slot per attempt in flight, never the publishers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import asyncpg
import httpx
from google.protobuf import json_format

from alphintra.signalbus.v1 import signal_pb2
from services.core.signals.filters import SignalFilter
from services.core.signals.webhook_signature import DELIVERY_HEADER, SIGNATURE_HEADER, signature_header
from services.signal_bus.log import Log, LogRecord, LogUnavailable
from services.signal_bus.secret_box import SecretUnreadable
from services.signal_bus.signals import SIGNALS_TOPIC
from services.signal_bus.webhook_store import DueDelivery, NewDelivery, WebhookStore

log = logging.getLogger("alphintra.signal_bus.webhooks")

GROUP = "webhooks"
CONSUMER = "webhook-matcher"
WAIT_SECONDS = 2.0
RETRY_SECONDS = 1.0
STOP_SECONDS = 5.0
# after a short batch, let the next one gather (a read, a generation check and an acknowledgement
# per batch, not per signal, when signals trickle in); a delivery waits at most this much longer
LINGER_SECONDS = 0.05
SEND_TIMEOUT_SECONDS = 10.0
MAX_BACKOFF_SECONDS = 600.0
# a secret that does not open (its key not configured) is logged and retried, as a database error is
ERRORS = (LogUnavailable, OSError, asyncpg.PostgresError, asyncpg.InterfaceError, SecretUnreadable)


def signal_json(body: bytes) -> bytes:
    """The Signal's JSON mapping (camelCase field names), compact."""
    message = json_format.MessageToDict(signal_pb2.Signal.FromString(body))
    return json.dumps(message, separators=(",", ":"), sort_keys=True).encode()


def backoff_seconds(attempt: int, base: float, chooser: Callable[[], float] = random.random) -> float:
    """Delay before the attempt after `attempt` (1-based): exponential, capped, with jitter."""
    return min(MAX_BACKOFF_SECONDS, base * 2 ** (attempt - 1)) * (0.5 + chooser() / 2)


class WebhookDispatcher:
    def __init__(
        self,
        log_: Log,
        store: WebhookStore,
        clock: Callable[[], datetime],
        *,
        backoff_base_seconds: float,
        concurrency: int,
        batch_max: int,
    ) -> None:
        self._log = log_
        self._store = store
        self._clock = clock
        self._backoff_base = backoff_base_seconds
        self._slots = asyncio.Semaphore(concurrency)
        self._concurrency = concurrency
        self._batch_max = batch_max
        self._due = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._sends: set[asyncio.Task[None]] = set()
        self._closing = False
        self._client = httpx.AsyncClient(timeout=SEND_TIMEOUT_SECONDS, follow_redirects=False)
        self._webhooks: dict[str, list[tuple[str, SignalFilter]]] = {}
        self._webhooks_generation: int | None = None

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._match_loop(), name="signal-bus-webhook-matcher"),
            asyncio.create_task(self._send_loop(), name="signal-bus-webhook-sender"),
        ]

    async def close(self) -> None:
        self._closing = True
        self._due.set()
        for task in [*self._tasks, *self._sends]:
            task.cancel()
        if self._tasks or self._sends:
            await asyncio.wait({*self._tasks, *self._sends}, timeout=STOP_SECONDS)
        self._tasks = []
        await self._client.aclose()

    # -- matching -----------------------------------------------------------------------------

    async def _match_loop(self) -> None:
        pending = True
        while not self._closing:
            try:
                records = await self._log.consume(
                    SIGNALS_TOPIC, GROUP, CONSUMER, self._batch_max, WAIT_SECONDS, pending=pending
                )
                if pending and not records:
                    pending = False
                    continue
                await self._match(records)
                if len(records) < self._batch_max:
                    await asyncio.sleep(LINGER_SECONDS)
            except ERRORS as error:
                log.warning("webhook matcher: %s; retrying", error)
                pending = True
                await asyncio.sleep(RETRY_SECONDS)

    async def _match(self, records: list[LogRecord]) -> None:
        webhooks = await self._enabled_webhooks()
        deliveries = []
        # no enabled webhook anywhere (the usual case on a bus without any): nothing to parse
        for record in records if webhooks else ():
            if not record.body:
                continue
            signal = signal_pb2.Signal.FromString(record.body)
            for webhook_id, signal_filter in webhooks.get(signal.owner_id, ()):
                if signal_filter.matches_signal(signal):
                    deliveries.append(
                        NewDelivery(
                            uuid.uuid4().hex, webhook_id, signal.signal_id, record.offset, record.body
                        )
                    )
        if deliveries:
            await self._store.add_deliveries(deliveries, self._clock())
            self._due.set()
        await self._log.acknowledge(SIGNALS_TOPIC, GROUP, [record.offset for record in records])

    async def _enabled_webhooks(self) -> dict[str, list[tuple[str, SignalFilter]]]:
        """The enabled webhooks by owner, current for every record already read from the log.

        A webhook created before a signal was appended must match it, even when another bus process
        created it a moment ago; so each batch reads the generation that every change to matching
        moves (one primary-key read) and reloads only when it moved. Read before the reload, so a
        change racing the reload at worst costs one more reload."""
        generation = await self._store.generation()
        if generation != self._webhooks_generation:
            by_owner: dict[str, list[tuple[str, SignalFilter]]] = {}
            for stored in await self._store.enabled():
                webhook = stored.webhook
                by_owner.setdefault(webhook.owner_id, []).append(
                    (webhook.id, SignalFilter.from_proto(webhook.filter))
                )
            self._webhooks = by_owner
            self._webhooks_generation = generation
        return self._webhooks

    # -- sending ------------------------------------------------------------------------------

    async def _send_loop(self) -> None:
        while not self._closing:
            try:
                free = self._concurrency - len(self._sends)
                due = []
                if free > 0:
                    now = self._clock()
                    lease = now + timedelta(seconds=SEND_TIMEOUT_SECONDS * 3)
                    due = await self._store.claim_due(now, lease, free)
                for delivery in due:
                    task = asyncio.create_task(self._send(delivery))
                    self._sends.add(task)
                    task.add_done_callback(self._sends.discard)
                if due and len(due) == free:
                    await asyncio.sleep(0)  # more may be due: claim again once a slot frees
                    continue
            except ERRORS as error:
                log.warning("webhook sender: %s; retrying", error)
            self._due.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._due.wait(), timeout=self._poll_seconds())

    def _poll_seconds(self) -> float:
        # retries come due with time, not with events: poll at the pace of the shortest backoff
        return max(0.05, min(1.0, self._backoff_base / 2))

    async def _send(self, delivery: DueDelivery) -> None:
        async with self._slots:
            body = signal_json(delivery.body)
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "alphintra-webhooks/1",
                SIGNATURE_HEADER: signature_header(delivery.secrets, int(time.time()), body),
                DELIVERY_HEADER: delivery.id,
            }
            status, error = 0, ""
            try:
                response = await self._client.post(delivery.url, content=body, headers=headers)
                status = response.status_code
                if not 200 <= status < 300:
                    error = f"HTTP {status}"
            except httpx.HTTPError as failure:
                error = f"{type(failure).__name__}: {failure}"[:500] or type(failure).__name__
            now = self._clock()
            attempt = delivery.attempts + 1
            next_attempt = None
            if error and attempt < delivery.max_attempts:
                next_attempt = now + timedelta(seconds=backoff_seconds(attempt, self._backoff_base))
            try:
                await self._store.record_attempt(
                    delivery,
                    succeeded=not error,
                    status_code=status,
                    error=error,
                    now=now,
                    next_attempt=next_attempt,
                )
            except ERRORS as failure:  # the lease runs out and the delivery is tried again
                log.warning("webhook delivery %s: cannot record the attempt: %s", delivery.id, failure)
            if next_attempt is not None:
                self._due.set()
