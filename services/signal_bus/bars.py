"""Bar topics, one per symbol and timeframe: publishing in time order, subscribing to several.

A bar's place in its topic is its open time, so the same bar again is recognised as a duplicate
and an older one refused as out of order (the log does both in the same durable write). A
subscription to several symbols merges their topics in time order; its resume offset records the
position in each topic, so that a bar that arrives late for one symbol is neither lost nor
delivered twice after a reconnect.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import NamedTuple

from alphintra.common.v1 import bar_pb2
from services.core.errors import FailedPrecondition, FieldViolation, InvalidArgument, Unavailable
from services.core.ownership import Caller, Role, require_role
from services.core.signals.bars import bar_violations, timeframe_violations
from services.signal_bus import metrics
from services.signal_bus.cursor import Cursor
from services.signal_bus.fanout import Fanout
from services.signal_bus.log import Appended, Log, LogRecord, LogUnavailable, OffsetKey, TimedEntry
from services.signal_bus.start import Start, batch_size
from services.signal_bus.subscription import wait_for_any
from services.signal_bus.wire import encode_batch, encode_record
from services.signal_bus.writer import BatchWriter

MAX_SYMBOLS = 100
MAX_OFFSET_LENGTH = 16_384


def bar_topic(symbol: str, timeframe: int) -> str:
    return f"bars:{bar_pb2.Timeframe.Name(timeframe).removeprefix('TIMEFRAME_')}:{symbol}"


class BarEntry(NamedTuple):
    """Plain values only (see SignalEntry)."""

    key: OffsetKey
    offset: str
    body: bytes


def bar_decoder(offset_key: Callable[[str], OffsetKey]) -> Callable[[LogRecord], BarEntry]:
    def decode(record: LogRecord) -> BarEntry:
        return BarEntry(key=offset_key(record.offset), offset=record.offset, body=record.body)

    return decode


def encode_positions(positions: dict[str, str]) -> str:
    payload = json.dumps(positions, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_positions(offset: str) -> dict[str, str]:
    try:
        if len(offset) > MAX_OFFSET_LENGTH:
            raise ValueError("too long")
        decoded = json.loads(base64.urlsafe_b64decode(offset.encode() + b"=" * (-len(offset) % 4)))
        if not isinstance(decoded, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in decoded.items()
        ):
            raise ValueError("not a map of positions")
    except (ValueError, binascii.Error) as error:
        raise InvalidArgument(
            "from_offset is not an offset this bus gave out",
            [FieldViolation("from_offset", f"malformed ({error})")],
        ) from None
    return decoded


class FanoutRegistry:
    """One fanout per bar topic, started on its first subscriber and kept while the process runs."""

    def __init__(self, log: Log, capacity: int) -> None:
        self._log = log
        self._capacity = capacity
        self._decode = bar_decoder(log.offset_key)
        self._fanouts: dict[str, Fanout[BarEntry]] = {}
        self._lock = asyncio.Lock()

    async def get(self, topic: str) -> Fanout[BarEntry]:
        async with self._lock:
            fanout = self._fanouts.get(topic)
            if fanout is None:
                fanout = Fanout(self._log, topic, self._decode, self._capacity)
                await fanout.start()
                self._fanouts[topic] = fanout
            return fanout

    async def close(self) -> None:
        for fanout in self._fanouts.values():
            await fanout.close()
        self._fanouts.clear()


@dataclass(frozen=True, slots=True)
class PublishedBar:
    offset: str
    duplicate: bool


class BarTopicApp:
    def __init__(
        self, log: Log, writer: BatchWriter[TimedEntry], fanouts: FanoutRegistry, heartbeat_seconds: float
    ) -> None:
        self._log = log
        self._writer = writer
        self._fanouts = fanouts
        self._heartbeat_seconds = heartbeat_seconds
        self._decode = bar_decoder(log.offset_key)

    def require_publisher(self, caller: Caller) -> None:
        require_role(caller, Role.TRADER)

    def submit(self, bar: bar_pb2.Bar) -> asyncio.Future[Appended]:
        """Validate and queue one bar; the future resolves when it is durable."""
        violations = bar_violations(bar)
        if violations:
            raise InvalidArgument("the bar cannot be published", violations)
        time_ms = bar.time.seconds * 1000 + bar.time.nanos // 1_000_000
        entry = TimedEntry(time_ms=time_ms, body=bar.SerializeToString())
        return self._writer.submit(bar_topic(bar.symbol, bar.timeframe), entry)

    @staticmethod
    def acknowledgement(bar: bar_pb2.Bar, appended: Appended) -> PublishedBar:
        if appended.out_of_order:
            raise FailedPrecondition(
                f"bar {bar.symbol} at {bar.time.ToJsonString()} is older than the latest bar of its topic",
                [("OUT_OF_ORDER", bar_topic(bar.symbol, bar.timeframe), "bars are published in time order")],
            )
        # the same form as a subscription's offsets: a position in this symbol's topic
        return PublishedBar(
            offset=encode_positions({bar.symbol: appended.offset}), duplicate=appended.duplicate
        )

    async def subscribe(
        self, symbols: list[str], timeframe: int, start: Start, max_batch_size: int
    ) -> AsyncIterator[bytes]:
        violations = timeframe_violations(timeframe, "timeframe")
        unique = sorted(set(symbols))
        if not unique:
            violations.append(FieldViolation("symbols", "name at least one symbol"))
        elif len(unique) > MAX_SYMBOLS or any(not symbol.strip() or "/" in symbol for symbol in unique):
            violations.append(
                FieldViolation("symbols", f"at most {MAX_SYMBOLS} non-empty symbols without '/'")
            )
        if violations:
            raise InvalidArgument("the bar subscription is malformed", violations)
        size = batch_size(max_batch_size)
        cursors = await self._cursors(unique, timeframe, start)
        return self._batches(cursors, size)

    async def _cursors(self, symbols: list[str], timeframe: int, start: Start) -> dict[str, Cursor[BarEntry]]:
        resumed = decode_positions(start.offset) if start.kind == "offset" else {}
        cursors = {}
        try:
            for symbol in symbols:
                topic = bar_topic(symbol, timeframe)
                if symbol in resumed:
                    after = resumed[symbol]
                    try:
                        self._log.offset_key(after)
                    except ValueError as error:
                        raise InvalidArgument(
                            "from_offset is not an offset this bus gave out",
                            [FieldViolation("from_offset", str(error))],
                        ) from None
                else:
                    after = await Start(
                        start.kind if start.kind != "offset" else "now", time_ms=start.time_ms
                    ).resolve(self._log, topic)
                fanout = await self._fanouts.get(topic)
                cursors[symbol] = Cursor(
                    self._log, fanout, self._decode, after=after, strict=start.kind != "time", kind="bars"
                )
        except LogUnavailable as error:
            raise Unavailable(f"the log cannot be read right now ({error})") from None
        return cursors

    async def _batches(self, cursors: dict[str, Cursor[BarEntry]], max_batch: int) -> AsyncIterator[bytes]:
        """Merge the topics by bar time. What a cursor has read but the batch had no room for waits
        in that symbol's buffer; the resume offset counts only what was sent."""
        delivered = metrics.DELIVERED.labels("bars")
        positions = {symbol: cursor.position for symbol, cursor in cursors.items()}
        buffers: dict[str, deque[BarEntry]] = {symbol: deque() for symbol in cursors}
        last_sent = time.monotonic()
        caught_up = False  # the first time nothing is left to send, an empty batch says so at once
        while True:
            events = [cursor.changed() for cursor in cursors.values()]
            for symbol, cursor in cursors.items():
                if not buffers[symbol]:
                    buffers[symbol].extend(await cursor.poll(max_batch))
            records = []
            while len(records) < max_batch and (waiting := [symbol for symbol in buffers if buffers[symbol]]):
                symbol = min(waiting, key=lambda name: buffers[name][0].key)
                entry = buffers[symbol].popleft()
                positions[symbol] = entry.offset
                records.append(encode_record(encode_positions(positions), entry.body))
            if records:
                delivered.inc(len(records))
                last_sent = time.monotonic()
                yield encode_batch(records, encode_positions(positions))
                continue
            if not caught_up or time.monotonic() - last_sent >= self._heartbeat_seconds:
                caught_up = True
                last_sent = time.monotonic()
                yield encode_batch((), encode_positions(positions))
                continue
            await wait_for_any(events, self._heartbeat_seconds - (time.monotonic() - last_sent))
