"""The signal topic's transport-free facade: publish (one or a stream), subscribe.

Rules live here: who may publish (traders and admins), what a publishable signal is
(`services.core.signals.validation`), what the bus fills in (owner, a missing timestamp), what a
subscriber may see (their own signals; an admin their organisation's) and where a subscription
starts. The log, the writer and the fanout do the moving.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from google.protobuf import timestamp_pb2

from alphintra.signalbus.v1 import signal_pb2
from services.core.errors import FieldViolation, InvalidArgument, Unavailable
from services.core.ownership import Caller, Role, require_role
from services.core.signals.filters import Audience, SignalFilter
from services.core.signals.validation import signal_violations
from services.signal_bus.cursor import Cursor
from services.signal_bus.fanout import Fanout
from services.signal_bus.log import Appended, KeyedEntry, Log, LogUnavailable
from services.signal_bus.signals import (
    SIGNALS_TOPIC,
    SignalEntry,
    acceptor,
    entry_maker,
    signal_decoder,
    stored_entry,
)
from services.signal_bus.start import Start, batch_size
from services.signal_bus.subscription import signal_batches
from services.signal_bus.writer import BatchWriter


@dataclass(frozen=True, slots=True)
class SubmittedBatch:
    accepted: list[int]  # indexes in the batch of the signals queued
    refused: list[tuple[int, InvalidArgument]]
    pending: asyncio.Future[list[Appended]] | None  # their acknowledgements, in `accepted` order


@dataclass(frozen=True, slots=True)
class Published:
    offset: str
    duplicate: bool
    signal: signal_pb2.Signal


class SignalTopicApp:
    def __init__(
        self,
        log: Log,
        writer: BatchWriter[KeyedEntry],
        fanout: Fanout[SignalEntry],
        clock: Callable[[], datetime],
        heartbeat_seconds: float,
    ) -> None:
        self._log = log
        self._writer = writer
        self._fanout = fanout
        self._clock = clock
        self._heartbeat_seconds = heartbeat_seconds
        self._decode = signal_decoder(log.offset_key)

    def _now(self) -> timestamp_pb2.Timestamp:
        now = timestamp_pb2.Timestamp()
        now.FromDatetime(self._clock())
        return now

    @staticmethod
    def _fill(caller: Caller, signal: signal_pb2.Signal, now: timestamp_pb2.Timestamp) -> None:
        """Complete `signal` *in place* as it will be stored (its owner, `now` for a missing
        timestamp): callers hand over messages they own."""
        signal.owner_id = caller.user_id
        if not signal.HasField("timestamp"):
            signal.timestamp.CopyFrom(now)

    def submit(
        self, caller: Caller, signal: signal_pb2.Signal, field: str = "signal"
    ) -> tuple[signal_pb2.Signal, asyncio.Future[Appended]]:
        """Validate, complete and queue one signal; the future resolves when it is durable."""
        require_role(caller, Role.TRADER)
        violations = signal_violations(signal, field)
        if violations:
            raise _refusal(violations)
        self._fill(caller, signal, self._now())
        return signal, self._writer.submit(SIGNALS_TOPIC, stored_entry(caller, signal))

    def submit_batch(
        self, caller: Caller, signals: Sequence[signal_pb2.Signal], field: str = "signals"
    ) -> SubmittedBatch:
        """Validate, complete and queue a batch's publishable signals together (one clock reading,
        one writer item); a signal that cannot be published is refused alone, under `field[i]`."""
        require_role(caller, Role.TRADER)
        now = self._now()
        accepted: list[int] = []
        refused: list[tuple[int, InvalidArgument]] = []
        entries: list[KeyedEntry] = []
        entry = entry_maker(caller)
        fill = self._fill
        for index, signal in enumerate(signals):
            # checked without a field path first: building "signals[i]" for each valid signal of a
            # 1,000-signal batch costs more than checking the rare invalid one twice
            if signal_violations(signal, field):
                refused.append((index, _refusal(signal_violations(signal, f"{field}[{index}]"))))
                continue
            fill(caller, signal, now)
            accepted.append(index)
            entries.append(entry(signal))
        pending = self._writer.submit_many(SIGNALS_TOPIC, entries) if entries else None
        return SubmittedBatch(accepted, refused, pending)

    async def publish(self, caller: Caller, signal: signal_pb2.Signal) -> Published:
        stored, pending = self.submit(caller, signal)
        return published(stored, await pending)

    async def subscribe(
        self, caller: Caller, start: Start, signal_filter: signal_pb2.SignalFilter, max_batch_size: int
    ) -> AsyncIterator[bytes]:
        """SubscribeResponse messages, already encoded, from `start` on, until the caller leaves."""
        accept = acceptor(Audience.of(caller), SignalFilter.from_proto(signal_filter))
        size = batch_size(max_batch_size)
        try:
            after = await start.resolve(self._log, SIGNALS_TOPIC)
        except LogUnavailable as error:
            raise Unavailable(f"the log cannot be read right now ({error})") from None
        cursor = Cursor(self._log, self._fanout, self._decode, after=after, strict=start.kind != "time")
        return signal_batches(cursor, accept, size, self._heartbeat_seconds, subscriber=caller.user_id)


def _refusal(violations: list[FieldViolation]) -> InvalidArgument:
    return InvalidArgument("the signal cannot be published", violations)


def published(stored: signal_pb2.Signal, appended: Appended) -> Published:
    """The acknowledgement; for a duplicate, the first copy as it was stored (when still retained)."""
    if appended.duplicate and appended.stored_body:
        stored = signal_pb2.Signal.FromString(appended.stored_body)
    return Published(offset=appended.offset, duplicate=appended.duplicate, signal=stored)
