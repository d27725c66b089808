"""The signal history: a writer that copies the log into PostgreSQL, and the ListSignals query.

The writer reads the signal topic as a consumer group, so it is off the hot path (a publish is
acknowledged when the log has it, not when PostgreSQL does), several bus processes share the
work, and an entry is acknowledged to the group only after its batch is committed: a crash
replays the unacknowledged batch, which the idempotent insert absorbs.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import asyncpg
from google.protobuf import timestamp_pb2

from alphintra.signalbus.v1 import signal_pb2
from services.core.errors import FieldViolation, InvalidArgument
from services.core.ownership import Caller
from services.core.paging import next_page_token, page_request
from services.core.signals.filters import Audience
from services.core.signals.validation import KNOWN_ACTIONS
from services.mesh.conversions import datetime_from_proto
from services.signal_bus.history_store import HistoryQuery, HistoryRow, HistoryStore
from services.signal_bus.log import Log, LogRecord, LogUnavailable
from services.signal_bus.signals import SIGNALS_TOPIC

log = logging.getLogger("alphintra.signal_bus.history")

GROUP = "history"
CONSUMER = "history-writer"  # one name for every process: pending entries of a dead one get replayed
WAIT_SECONDS = 2.0
RETRY_SECONDS = 1.0
STOP_SECONDS = 5.0
# after a short batch, let the next one gather: at a trickle of signals the writer would otherwise
# cost a read, an insert and an acknowledgement per signal, on the bus process publishers share
LINGER_SECONDS = 0.05


class HistoryWriter:
    def __init__(self, log_: Log, store: HistoryStore, batch_max: int) -> None:
        self._log = log_
        self._store = store
        self._batch_max = batch_max
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.written = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="signal-bus-history")

    async def close(self) -> None:
        if self._task is not None:
            self._closing = True
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=STOP_SECONDS)
            self._task = None

    async def _run(self) -> None:
        pending = True  # first what an earlier run (or a failed write) left unacknowledged
        while not self._closing:
            try:
                records = await self._log.consume(
                    SIGNALS_TOPIC, GROUP, CONSUMER, self._batch_max, WAIT_SECONDS, pending=pending
                )
                if pending and not records:
                    pending = False
                    continue
                await self._write(records)
                if len(records) < self._batch_max:
                    await asyncio.sleep(LINGER_SECONDS)
            except (LogUnavailable, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("history writer: %s; retrying", error)
                pending = True
                await asyncio.sleep(RETRY_SECONDS)

    async def _write(self, records: list[LogRecord]) -> None:
        rows = [
            HistoryRow(
                signal_pb2.Signal.FromString(record.body), record.organization_id, record.offset, record.body
            )
            for record in records
            if record.body
        ]
        if rows:
            await self._store.insert(rows)
            self.written += len(rows)
        await self._log.acknowledge(SIGNALS_TOPIC, GROUP, [record.offset for record in records])


@dataclass(frozen=True, slots=True)
class HistoryPage:
    rows: list[HistoryRow]
    next_page_token: str


class HistoryApp:
    def __init__(self, store: HistoryStore) -> None:
        self._store = store

    async def list_signals(
        self,
        caller: Caller,
        *,
        page_size: int,
        page_token: str,
        start_time: timestamp_pb2.Timestamp | None,
        end_time: timestamp_pb2.Timestamp | None,
        symbol: str,
        strategy_id: str,
        action: int,
    ) -> HistoryPage:
        start = datetime_from_proto(start_time, "start_time") if start_time is not None else None
        end = datetime_from_proto(end_time, "end_time") if end_time is not None else None
        violations = []
        if start is not None and end is not None and end < start:
            violations.append(FieldViolation("end_time", "must not be before start_time"))
        if action and action not in KNOWN_ACTIONS:
            violations.append(FieldViolation("action", f"unknown value {action}"))
        if violations:
            raise InvalidArgument("the history query is malformed", violations)
        filters = {"start": start, "end": end, "symbol": symbol, "strategy_id": strategy_id, "action": action}
        page = page_request(page_size, page_token, filters, default=100, maximum=1000)
        audience = Audience.of(caller)
        query = HistoryQuery(
            visible_to_user=audience.owner_id,
            visible_to_organization=audience.organization_id,
            start_time=start,
            end_time=end,
            symbol=symbol,
            strategy_id=strategy_id,
            action=action,
        )
        rows, last_key = await self._store.list(query, page)
        return HistoryPage(rows, next_page_token(last_key, filters))
