"""The log on NATS JetStream: one stream per topic family, a subject per entry, sequences as offsets.

Streams: topic "signals" lives in stream `<prefix>_signals`, every "bars:<timeframe>:<symbol>"
topic in `<prefix>_bars`, each with subjects `<prefix>.<family>.>` and `replicas` copies (3 in a
cluster, so that any one node may die). A topic's entries have subjects under
`<prefix>.<family>.<topic token>.`, one per entry: `.<key token>` for a keyed entry (signals),
`.<time ms>` for a timed one (bars). One subject per entry is what makes idempotency exact for
as long as the entry is retained, beyond JetStream's duplicate window:
- keyed: each entry is published with `Nats-Msg-Id` (JetStream's own de-duplication within its
  window) and `Nats-Expected-Last-Subject-Sequence: 0`, which JetStream refuses when the
  subject already holds an entry: that refusal is our check, and the entry it names is the first
  copy;
- timed: the topic's newest entry says whether a time is new; an older time is a duplicate when
  its subject holds an entry, else out of order.

Durability: JetStream acknowledges a publish once a quorum of the stream's replicas has stored it
(2 of 3), so an acknowledged entry survives the loss of any one node. A failed or unanswered
publish is retried with the same headers for a while (a leader election takes seconds); a retry
that finds its own earlier attempt stored reports it as stored, not as a duplicate.

Offsets are "<stream sequence>-0" for keyed entries, so "0-0" is before everything on both
engines, and "<entry time>-<stream sequence>" for timed ones, so that a subscription to several
bar topics merges them by bar time as on Redis (sequences are per stream: a bar topic's have gaps,
other symbols' bars, but still order its entries). A start from a time is the position "@<ms>",
resolved when read: by JetStream's store time for signals, by a binary search on bar time for bars.
Consumer groups are durable pull consumers with explicit acks; reads and tails use short-lived
ephemeral pull consumers (the tail's kept while it keeps up).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext, api

from services.signal_bus.log import (
    Appended,
    KeyedEntry,
    LogRecord,
    LogUnavailable,
    OffsetKey,
    OffsetTrimmed,
    TimedEntry,
)

log = logging.getLogger("alphintra.signal_bus.nats")

BEFORE_EVERYTHING = "0-0"
ORGANIZATION_HEADER = "Alphintra-Organization"
WRONG_LAST_SEQUENCE = 10071  # JetStream's error code for a failed Nats-Expected-Last-* check
STREAM_NAME_IN_USE = 10058  # a stream of that name exists with another configuration
DUPLICATE_WINDOW_SECONDS = 120.0
REQUEST_TIMEOUT_SECONDS = 5.0
RETRY_PAUSE_SECONDS = 0.2
READER_INACTIVE_SECONDS = 30.0
READER_REUSE_SECONDS = 20.0  # a kept reader idle longer may have expired on the server
MAX_KEPT_READERS = 256
GROUP_MAX_ACK_PENDING = 100_000

Result = TypeVar("Result")
TRANSIENT = (nats.errors.Error, asyncio.TimeoutError, OSError)


def token(text: str) -> str:
    """`text` as one subject token: URL-safe base64 has no '.', '*', '>' or whitespace."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=") or "_"


def _name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


def _offset(sequence: int, time_ms: int | None = None) -> str:
    """A keyed entry's offset is "<sequence>-0"; a timed entry's "<its time>-<sequence>"."""
    return f"{sequence}-0" if time_ms is None else f"{time_ms}-{sequence}"


@dataclass
class _Reader:
    """A pull consumer kept between calls: a tail that keeps up, or a consumer group's subscription."""

    consumer: str
    subscription: JetStreamContext.PullSubscription
    position: int  # sequence of the last entry taken
    pending: int = 0  # entries after it, when last known
    used: float = 0.0  # monotonic time of the last fetch


class NatsLog:
    """Topics as subjects of JetStream streams; connects on first use."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        prefix: str,
        retention_seconds: int,
        max_entries: int,
        replicas: int,
        ack_wait_seconds: float = 30.0,
        retry_seconds: float = 15.0,
        timed_families: Sequence[str] = ("bars",),
    ) -> None:
        if not urls:
            raise ValueError("the NATS log needs at least one server URL")
        self._urls = list(urls)
        self._prefix = prefix
        self._retention_seconds = retention_seconds
        self._max_entries = max_entries
        self._replicas = replicas
        self._ack_wait_seconds = ack_wait_seconds
        self._retry_seconds = retry_seconds
        # families whose entries are timed (bars): offsets carry the entry's own time, so that
        # a subscription to several such topics merges them by time
        self._timed_families = frozenset(_name(family) for family in timed_families)
        self._client: NatsClient | None = None
        self._stream: JetStreamContext | None = None
        self._connecting = asyncio.Lock()
        self._streams_ready: set[str] = set()
        self._tails: dict[str, _Reader] = {}
        self._readers: dict[tuple[str, int], _Reader] = {}
        self._groups: dict[tuple[str, str], _Reader] = {}
        self._unacknowledged: dict[tuple[str, str], dict[str, Msg]] = {}

    @classmethod
    def from_urls(cls, urls: str, **options: object) -> NatsLog:
        """From the `nats_urls` setting: comma-separated nats:// URLs of the cluster's servers."""
        return cls([url.strip() for url in urls.split(",") if url.strip()], **options)  # type: ignore[arg-type]

    # -- names --------------------------------------------------------------------------------

    @staticmethod
    def family(topic: str) -> str:
        return topic.partition(":")[0]

    def _timed(self, topic: str) -> bool:
        return self.family(topic) in self._timed_families

    def stream_name(self, topic: str) -> str:
        return _name(f"{self._prefix}_{self.family(topic)}")

    def _root(self, topic: str) -> str:
        return f"{self._prefix}.{_name(self.family(topic))}.{token(topic)}"

    # -- offsets ------------------------------------------------------------------------------

    def offset_key(self, offset: str) -> OffsetKey:
        if offset.startswith("@") and offset[1:].isdigit():
            return (-1, int(offset[1:]))  # a time: before every entry, resolved when read
        first, separator, second = offset.partition("-")
        if not separator or not first.isdigit() or not second.isdigit() or len(first) + len(second) > 40:
            raise ValueError(f"{offset!r} is not an offset of this log")
        return (int(first), int(second))

    def offset_before_time(self, time_ms: int) -> str:
        return BEFORE_EVERYTHING if time_ms <= 0 else f"@{time_ms}"

    async def offset_at_time(self, topic: str, time_ms: int) -> str:
        """The offset just before the topic's first entry at or after `time_ms` (exact)."""
        if time_ms <= 0:
            return BEFORE_EVERYTHING
        if self._timed(topic):
            first = await self._retrying("read", lambda: self._first_at_entry_time(topic, time_ms))
            if first == 1:  # "<time>-0" would read as the keyed offset of sequence <time>
                return BEFORE_EVERYTHING
            # none yet: a start from the time itself, so that a bar arriving later with an earlier
            # time (still after the newest) is not read after it, as Redis's time-keyed ids skip it
            return _offset(first - 1, time_ms - 1) if first is not None else self.offset_before_time(time_ms)
        records = await self._retrying("read", lambda: self._fetch(topic, None, time_ms, 1))
        if records:
            return _offset(self._position(records[0].offset)[0] - 1)
        return await self.last_offset(topic)

    # -- connection and streams ----------------------------------------------------------------

    async def _context(self) -> JetStreamContext:
        if self._stream is None:
            async with self._connecting:
                if self._stream is None:
                    self._client = await nats.connect(
                        servers=self._urls,
                        name="alphintra-signal-bus",
                        connect_timeout=2,
                        reconnect_time_wait=0.2,
                        max_reconnect_attempts=-1,
                        error_cb=self._on_error,
                        disconnected_cb=self._on_disconnected,
                    )
                    self._stream = self._client.jetstream(timeout=REQUEST_TIMEOUT_SECONDS)
        return self._stream

    @staticmethod
    async def _on_error(error: Exception) -> None:
        log.warning("NATS connection: %r", error)

    @staticmethod
    async def _on_disconnected() -> None:
        log.warning("NATS connection lost; reconnecting")

    async def _ready(self, topic: str) -> tuple[JetStreamContext, str]:
        """The JetStream context and the topic's stream, created (or updated) on first use."""
        stream = await self._context()
        name = self.stream_name(topic)
        if name not in self._streams_ready:
            config = api.StreamConfig(
                name=name,
                subjects=[f"{self._prefix}.{_name(self.family(topic))}.>"],
                storage=api.StorageType.FILE,
                num_replicas=self._replicas,
                max_age=float(self._retention_seconds),
                max_msgs=self._max_entries,
                discard=api.DiscardPolicy.OLD,
                duplicate_window=min(DUPLICATE_WINDOW_SECONDS, float(self._retention_seconds)),
            )
            try:
                await stream.add_stream(config)
            except nats.js.errors.BadRequestError as error:
                if error.err_code != STREAM_NAME_IN_USE:
                    raise
                await stream.update_stream(config)  # retention settings changed since it was made
            self._streams_ready.add(name)
        return stream, name

    async def _retrying(self, what: str, operation: Callable[[], Awaitable[Result]]) -> Result:
        """`operation` again until it succeeds or `retry_seconds` pass (a node died, a leader moves)."""
        deadline = time.monotonic() + self._retry_seconds
        while True:
            try:
                return await operation()
            except TRANSIENT as error:
                if time.monotonic() + RETRY_PAUSE_SECONDS > deadline:
                    raise LogUnavailable(f"JetStream cannot {what} right now: {error!r}") from error
                await asyncio.sleep(RETRY_PAUSE_SECONDS)

    # -- appends ------------------------------------------------------------------------------

    async def append(self, topic: str, entries: Sequence[KeyedEntry]) -> list[Appended]:
        if not entries:
            return []
        stream, name = await self._retrying("store", lambda: self._ready(topic))
        root = self._root(topic)
        subjects = [f"{root}.{token(entry.key)}" for entry in entries]
        results: list[Appended | None] = [None] * len(entries)
        # an attempt that failed without an answer may have been stored: if a retry then finds
        # the entry there, it is this publish's own, not someone else's first copy
        uncertain = [False] * len(entries)
        waiting = list(range(len(entries)))
        deadline = time.monotonic() + self._retry_seconds
        while waiting:
            outcomes = await self._publish_all(
                stream, [(subjects[index], entries[index]) for index in waiting]
            )
            conflicts, failed = [], []
            for index, outcome in zip(waiting, outcomes, strict=True):
                if isinstance(outcome, api.PubAck):
                    first_copy = bool(outcome.duplicate) and not uncertain[index]
                    results[index] = Appended(offset=_offset(outcome.seq), duplicate=first_copy)
                elif isinstance(outcome, nats.js.errors.APIError) and outcome.err_code == WRONG_LAST_SEQUENCE:
                    conflicts.append(index)
                else:
                    uncertain[index] = True
                    failed.append((index, outcome))
            await self._resolve_duplicates(
                stream, name, subjects, results, uncertain=uncertain, conflicts=conflicts
            )
            waiting = [index for index, _ in failed]
            if failed and time.monotonic() + RETRY_PAUSE_SECONDS > deadline:
                raise LogUnavailable(f"JetStream did not store {len(failed)} entries: {failed[0][1]!r}")
            if failed:
                await asyncio.sleep(RETRY_PAUSE_SECONDS)
        return [result for result in results if result is not None]

    async def _publish_all(
        self, stream: JetStreamContext, items: list[tuple[str, KeyedEntry]]
    ) -> list[api.PubAck | BaseException]:
        """Publish every item without waiting for each answer; wait for all answers at once."""
        futures: list[asyncio.Future[api.PubAck]] = []
        try:
            for subject, entry in items:
                headers = {"Nats-Msg-Id": subject, "Nats-Expected-Last-Subject-Sequence": "0"}
                if entry.organization_id:
                    headers[ORGANIZATION_HEADER] = entry.organization_id
                futures.append(await stream.publish_async(subject, entry.body, headers=headers))
        except TRANSIENT as error:
            for future in futures:
                future.cancel()
            return [error] * len(items)
        done, _ = await asyncio.wait(futures, timeout=REQUEST_TIMEOUT_SECONDS) if futures else (set(), set())
        outcomes: list[api.PubAck | BaseException] = []
        for future in futures:
            if future not in done:
                future.cancel()
                outcomes.append(nats.errors.TimeoutError())
            elif future.exception() is not None:
                outcomes.append(future.exception())  # type: ignore[arg-type]
            else:
                outcomes.append(future.result())
        return outcomes

    async def _resolve_duplicates(
        self,
        stream: JetStreamContext,
        name: str,
        subjects: list[str],
        results: list[Appended | None],
        *,
        uncertain: list[bool],
        conflicts: list[int],
    ) -> None:
        """Fill in the first copy (offset and body) of every duplicate."""
        wanted = [
            index
            for index, result in enumerate(results)
            if result is not None and result.duplicate and result.stored_body is None
        ]

        async def first_copy(index: int) -> None:
            found = await self._retrying("read", lambda: stream.get_last_msg(name, subjects[index]))
            assert found.seq is not None
            if index in conflicts and uncertain[index]:
                results[index] = Appended(offset=_offset(found.seq))  # our own earlier attempt
            else:
                results[index] = Appended(
                    offset=_offset(found.seq), duplicate=True, stored_body=found.data or b""
                )

        await asyncio.gather(*(first_copy(index) for index in [*wanted, *conflicts]))

    async def append_timed(self, topic: str, entries: Sequence[TimedEntry]) -> list[Appended]:
        if not entries:
            return []
        stream, name = await self._retrying("store", lambda: self._ready(topic))
        root = self._root(topic)
        newest = await self._retrying("read", lambda: self._newest_time(stream, name, root))
        results: list[Appended] = []
        for entry in entries:
            subject = f"{root}.{entry.time_ms}"
            if entry.time_ms > newest:
                acknowledgement = await self._publish_timed(stream, name, subject, entry)
                results.append(acknowledgement)
                newest = entry.time_ms
                continue
            existing = await self._retrying(
                "read", lambda subject=subject: self._last_on(stream, name, subject)
            )
            if existing is None:
                results.append(Appended(offset="", out_of_order=True))
            else:
                results.append(Appended(offset=_offset(existing, entry.time_ms), duplicate=True))
        return results

    async def _publish_timed(
        self, stream: JetStreamContext, name: str, subject: str, entry: TimedEntry
    ) -> Appended:
        headers = {"Nats-Msg-Id": subject, "Nats-Expected-Last-Subject-Sequence": "0"}
        uncertain = False
        deadline = time.monotonic() + self._retry_seconds
        while True:
            try:
                acknowledgement = await stream.publish(subject, entry.body, headers=dict(headers))
                return Appended(
                    offset=_offset(acknowledgement.seq, entry.time_ms),
                    duplicate=bool(acknowledgement.duplicate) and not uncertain,
                )
            except nats.js.errors.APIError as error:
                if error.err_code != WRONG_LAST_SEQUENCE:
                    failure: BaseException = error
                else:
                    existing = await self._retrying("read", lambda: self._last_on(stream, name, subject))
                    return Appended(offset=_offset(existing or 0, entry.time_ms), duplicate=not uncertain)
            except TRANSIENT as error:
                failure = error
            uncertain = True
            if time.monotonic() + RETRY_PAUSE_SECONDS > deadline:
                raise LogUnavailable(f"JetStream did not store the entry: {failure!r}")
            await asyncio.sleep(RETRY_PAUSE_SECONDS)

    @staticmethod
    async def _last_on(stream: JetStreamContext, name: str, subject: str) -> int | None:
        try:
            found = await stream.get_last_msg(name, subject)
        except nats.js.errors.NotFoundError:
            return None
        return found.seq

    @staticmethod
    async def _newest_time(stream: JetStreamContext, name: str, root: str) -> int:
        try:
            found = await stream.get_last_msg(name, f"{root}.>")
        except nats.js.errors.NotFoundError:
            return -1
        return int((found.subject or "").rsplit(".", 1)[-1])

    # -- reads --------------------------------------------------------------------------------

    async def last_offset(self, topic: str) -> str:
        async def newest() -> str:
            stream, name = await self._ready(topic)
            last = (await stream.stream_info(name)).state.last_seq or 0
            if not self._timed(topic):
                return _offset(last)
            # after the newest entry's time, so that the topic's next entry sorts after it
            return _offset(last, max(0, await self._newest_time(stream, name, self._root(topic))))

        return await self._retrying("read", newest)

    async def read(self, topic: str, after: str, count: int, *, strict: bool = True) -> list[LogRecord]:
        sequence, at_time = self._position(after)
        if at_time is not None and self._timed(topic):
            first = await self._retrying("read", lambda: self._first_at_entry_time(topic, at_time))
            if first is None:
                return []
            sequence = first - 1
        elif at_time is not None:
            return await self._retrying("read", lambda: self._fetch(topic, None, at_time, count))
        elif strict:
            await self._retrying("read", lambda: self._check_retained(topic, sequence))
        return await self._retrying("read", lambda: self._read_after(topic, sequence, count))

    def _position(self, after: str) -> tuple[int, int | None]:
        """The stream sequence an offset is at, or (0, the time) for a start from a time."""
        first, second = self.offset_key(after)
        if first < 0:
            return (0, second)
        return (second, None) if second > 0 else (first, None)

    async def _first_at_entry_time(self, topic: str, time_ms: int) -> int | None:
        """The sequence of a timed topic's first entry at or after `time_ms`: a binary search over
        the stream, whose entries of one timed topic grow in time as in sequence."""
        stream, name = await self._ready(topic)
        state = (await stream.stream_info(name)).state
        low, high, found = state.first_seq or 1, state.last_seq or 0, None
        subjects = f"{self._root(topic)}.>"
        while low <= high:
            middle = (low + high) // 2
            try:
                entry = await stream.get_msg(name, seq=middle, subject=subjects, next=True)
            except nats.js.errors.NotFoundError:
                high = middle - 1  # nothing of the topic from here on
                continue
            assert entry.seq is not None
            if int((entry.subject or "").rsplit(".", 1)[-1]) >= time_ms:
                found, high = entry.seq, middle - 1
            else:
                low = entry.seq + 1
        return found

    async def _check_retained(self, topic: str, after: int) -> None:
        """Retention removes the oldest entries: if the entry after `after` is gone, so may be others."""
        stream, name = await self._ready(topic)
        state = (await stream.stream_info(name)).state
        if after + 1 < (state.first_seq or 0):
            raise OffsetTrimmed(f"entries after {_offset(after)} were removed by retention")

    async def _read_after(self, topic: str, after: int, count: int) -> list[LogRecord]:
        """Up to `count` entries after the sequence `after`, without waiting.

        A reader catching up asks for what follows what it was just given, again and again: the
        consumer that gave it is kept under its new position and carries on, instead of a new
        consumer per read. What a kept consumer still has is the last message's `num_pending`, a
        count from when that message was delivered: enough for a full read, but a read that would
        come back short asks the server again, so that a short read holds everything there is now
        (the contract the paper consumer relies on; the stale count cut its reads at what the
        previous read had left, and let signals overtake bars published meanwhile).
        """
        stream, name = await self._ready(topic)
        reader = self._readers.pop((topic, after), None)
        if reader is not None and time.monotonic() - reader.used > READER_REUSE_SECONDS:
            await self._close_reader(name, reader)
            reader = None
        if reader is None:
            consumer, pending = await self._ephemeral(stream, name, topic, after, None)
            subscription = await stream.pull_subscribe_bind(consumer=consumer, stream=name)
            reader = _Reader(consumer, subscription, after, pending)
        elif reader.pending < count:
            reader.pending = (await reader.subscription.consumer_info()).num_pending or 0
        try:
            messages = (
                await _fetch_all(reader.subscription, min(count, reader.pending)) if reader.pending else []
            )
        except BaseException:
            await self._close_reader(name, reader)
            raise
        if messages:
            reader.position = messages[-1].metadata.sequence.stream
            reader.pending = messages[-1].metadata.num_pending
        reader.used = time.monotonic()
        await self._keep_reader(topic, name, reader)
        return [self._record(message) for message in messages]

    async def _keep_reader(self, topic: str, name: str, reader: _Reader) -> None:
        displaced = self._readers.pop((topic, reader.position), None)
        self._readers[(topic, reader.position)] = reader
        if displaced is not None:
            await self._close_reader(name, displaced)
        while len(self._readers) > MAX_KEPT_READERS:
            (old_topic, old_position), oldest = next(iter(self._readers.items()))
            del self._readers[(old_topic, old_position)]
            await self._close_reader(self.stream_name(old_topic), oldest)

    async def _close_reader(self, name: str, reader: _Reader) -> None:
        with contextlib.suppress(*TRANSIENT, ValueError):
            await reader.subscription.unsubscribe()
        await self._forget_consumer(name, reader.consumer)

    async def _fetch(self, topic: str, after: int | None, at_ms: int | None, count: int) -> list[LogRecord]:
        """Up to `count` entries after the sequence `after` (or from the time `at_ms`), without waiting."""
        stream, name = await self._ready(topic)
        consumer, pending = await self._ephemeral(stream, name, topic, after, at_ms)
        if pending == 0:
            await self._forget_consumer(name, consumer)
            return []
        subscription = await stream.pull_subscribe_bind(consumer=consumer, stream=name)
        try:
            messages = await _fetch_all(subscription, min(count, pending))
            return [self._record(message) for message in messages]
        finally:
            await subscription.unsubscribe()
            await self._forget_consumer(name, consumer)

    async def _ephemeral(
        self, stream: JetStreamContext, name: str, topic: str, after: int | None, at_ms: int | None
    ) -> tuple[str, int]:
        """A pull consumer of the topic from a sequence or a time: its name and how many it has."""
        if at_ms is not None:
            start = {
                "deliver_policy": api.DeliverPolicy.BY_START_TIME,
                "opt_start_time": datetime.fromtimestamp(at_ms / 1000, UTC),
            }
        else:
            start = {"deliver_policy": api.DeliverPolicy.BY_START_SEQUENCE, "opt_start_seq": (after or 0) + 1}
        consumer = _name(f"read-{self._client_id()}-{time.monotonic_ns()}")
        config = api.ConsumerConfig(
            name=consumer,
            filter_subject=f"{self._root(topic)}.>",
            ack_policy=api.AckPolicy.NONE,
            inactive_threshold=READER_INACTIVE_SECONDS,
            mem_storage=True,
            num_replicas=1,
            **start,
        )
        info = await stream.add_consumer(name, config)
        return consumer, info.num_pending or 0

    def _client_id(self) -> str:
        return str(self._client.client_id) if self._client is not None else "x"

    async def _forget_consumer(self, name: str, consumer: str) -> None:
        """Delete a consumer without waiting for the answer (it would also expire when idle)."""
        if self._client is not None and self._client.is_connected:
            with contextlib.suppress(*TRANSIENT):
                await self._client.publish(f"$JS.API.CONSUMER.DELETE.{name}.{consumer}", b"")

    async def tail(self, topic: str, after: str, count: int, wait_seconds: float) -> list[LogRecord]:
        sequence, at_time = self._position(after)
        if at_time is not None:
            return await self.read(topic, after, count, strict=False)
        try:
            return await self._tail(topic, sequence, count, wait_seconds)
        except TRANSIENT as error:
            await self._drop_tail(topic)
            raise LogUnavailable(f"JetStream cannot be read right now: {error!r}") from error

    async def _tail(self, topic: str, after: int, count: int, wait_seconds: float) -> list[LogRecord]:
        reader = self._tails.get(topic)
        if reader is None or reader.position != after:
            await self._drop_tail(topic)
            stream, name = await self._ready(topic)
            consumer, _ = await self._ephemeral(stream, name, topic, after, None)
            subscription = await stream.pull_subscribe_bind(consumer=consumer, stream=name)
            reader = self._tails[topic] = _Reader(consumer, subscription, after)
        try:
            messages = await reader.subscription.fetch(count, timeout=max(wait_seconds, 0.05))
        except TimeoutError:
            # nothing new, or the consumer died with its node: ask, so that a lost one is replaced
            await reader.subscription.consumer_info()
            return []
        records = [self._record(message) for message in messages]
        if messages:
            reader.position = messages[-1].metadata.sequence.stream
        return records

    async def _drop_tail(self, topic: str) -> None:
        reader = self._tails.pop(topic, None)
        if reader is not None:
            with contextlib.suppress(*TRANSIENT, ValueError):
                await reader.subscription.unsubscribe()
            await self._forget_consumer(self.stream_name(topic), reader.consumer)

    # -- consumer groups ----------------------------------------------------------------------

    async def consume(
        self, topic: str, group: str, consumer: str, count: int, wait_seconds: float, *, pending: bool
    ) -> list[LogRecord]:
        unacknowledged = self._unacknowledged.setdefault((topic, group), {})
        if pending:
            # JetStream redelivers what no one acknowledged after ack_wait; what this process
            # holds it offers again at once, and tells JetStream it is still being worked on
            for message in unacknowledged.values():
                with contextlib.suppress(*TRANSIENT):
                    await message.in_progress()
            return [self._record(message) for message in unacknowledged.values()]
        try:
            reader = await self._group_reader(topic, group)
            try:
                messages = await reader.subscription.fetch(count, timeout=max(wait_seconds, 0.05))
            except TimeoutError:
                return []
        except TRANSIENT as error:
            self._groups.pop((topic, group), None)
            raise LogUnavailable(f"JetStream cannot be read right now: {error!r}") from error
        records = []
        for message in messages:
            record = self._record(message)
            unacknowledged[record.offset] = message
            records.append(record)
        return records

    async def _group_reader(self, topic: str, group: str) -> _Reader:
        reader = self._groups.get((topic, group))
        if reader is None:
            stream, name = await self._ready(topic)
            durable = _name(f"{group}-{token(topic)}")
            config = api.ConsumerConfig(
                name=durable,
                durable_name=durable,
                filter_subject=f"{self._root(topic)}.>",
                deliver_policy=api.DeliverPolicy.ALL,
                ack_policy=api.AckPolicy.EXPLICIT,
                ack_wait=self._ack_wait_seconds,
                max_ack_pending=GROUP_MAX_ACK_PENDING,
            )
            await stream.add_consumer(name, config)  # the same configuration again is no change
            subscription = await stream.pull_subscribe_bind(durable=durable, stream=name)
            reader = self._groups[(topic, group)] = _Reader(durable, subscription, 0)
        return reader

    async def acknowledge(self, topic: str, group: str, offsets: Sequence[str]) -> None:
        unacknowledged = self._unacknowledged.setdefault((topic, group), {})
        try:
            for offset in offsets:
                message = unacknowledged.pop(offset, None)
                if message is not None:
                    await message.ack()
        except TRANSIENT as error:
            raise LogUnavailable(f"JetStream cannot acknowledge right now: {error!r}") from error

    def _record(self, message: Msg) -> LogRecord:
        headers = message.headers or {}
        # <prefix>.<family>.<topic>.<key or time>
        _, family, _, leaf = message.subject.rsplit(".", 3)
        time_ms = int(leaf) if family in self._timed_families else None
        return LogRecord(
            offset=_offset(message.metadata.sequence.stream, time_ms),
            body=message.data,
            organization_id=headers.get(ORGANIZATION_HEADER, ""),
        )

    async def close(self) -> None:
        for topic in list(self._tails):
            await self._drop_tail(topic)
        for (topic, _), reader in list(self._readers.items()):
            await self._close_reader(self.stream_name(topic), reader)
        self._readers.clear()
        self._groups.clear()
        if self._client is not None:
            with contextlib.suppress(*TRANSIENT):
                await self._client.close()
            self._client = None
            self._stream = None


async def _fetch_all(subscription: Any, wanted: int) -> list[Any]:
    """`wanted` messages the consumer said it has: a pull may hand them over in several parts, and
    a reader (the paper consumer) takes a short read to mean "nothing more was there"."""
    messages: list[Any] = []
    while len(messages) < wanted:
        part = await subscription.fetch(wanted - len(messages), timeout=REQUEST_TIMEOUT_SECONDS)
        if not part:
            break
        messages.extend(part)
    return messages
