"""The `Log` contract (services/signal_bus/log.py) as both engines keep it, checked on the engines themselves.

What callers rely on beyond "entries come back in order": a read that returns fewer entries than
asked for returned everything the topic held after the offset at that moment (the paper consumer
takes such a read as complete), and `offset_at_time` / `last_offset` are offsets that a read after
them starts at the right entry, whichever entry of the engine's storage that is.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest

from services.signal_bus.log import KeyedEntry, Log, LogRecord, TimedEntry
from services.signal_bus.nats_log import NatsLog
from services.signal_bus.redis_log import RedisLog
from tests.integration.signal_bus.conftest import BOTH_ENGINES

pytestmark = [pytest.mark.integration, BOTH_ENGINES]

SIGNALS = "signals"
BARS = "bars:1_HOUR:AAA"
OTHER_BARS = "bars:1_HOUR:BBB"
HOUR_MS = 3_600_000
START_MS = 1_699_920_000_000


@pytest.fixture
async def log(request: pytest.FixtureRequest, log_engine: str, namespace: str) -> AsyncIterator[Log]:
    options = {"prefix": namespace, "retention_seconds": 3_600, "max_entries": 100_000}
    if log_engine == "redis":
        opened: Log = RedisLog.from_url(request.getfixturevalue("redis_url"), **options)
    else:
        server = request.getfixturevalue("nats_server")
        opened = NatsLog([server.url], replicas=1, **options)
    yield opened
    await opened.close()


class Topic:
    """One topic and what was appended to it, to compare reads with."""

    def __init__(self, log: Log, name: str) -> None:
        self.log = log
        self.name = name
        self.bodies: list[bytes] = []
        self.offsets: list[str] = []

    async def append(self, count: int) -> None:
        bodies = [f"{self.name} {len(self.bodies) + index}".encode() for index in range(count)]
        if self.name == SIGNALS:
            entries = [KeyedEntry(key=body.decode(), body=body, organization_id="") for body in bodies]
            appended = await self.log.append(self.name, entries)
        else:
            hours = range(len(self.bodies), len(self.bodies) + count)
            times = [START_MS + hour * HOUR_MS for hour in hours]
            timed = [TimedEntry(time_ms, body) for time_ms, body in zip(times, bodies, strict=True)]
            appended = await self.log.append_timed(self.name, timed)
        assert not any(result.duplicate or result.out_of_order for result in appended)
        self.bodies += bodies
        self.offsets += [result.offset for result in appended]

    def after(self, position: int, count: int) -> list[bytes]:
        """What a read after the `position`-th entry (0: before the first) must return."""
        return self.bodies[position : position + count]


def bodies(records: list[LogRecord]) -> list[bytes]:
    return [record.body for record in records]


@pytest.mark.parametrize("name", [SIGNALS, BARS])
async def test_a_read_returns_what_the_topic_holds_after_the_offset_however_reads_and_appends_interleave(
    log, name
):
    """Reads of a reader catching up (each after the last entry of the one before, with counts that
    cut some of them) between appends: each returns exactly the next `count` entries there are, so a
    read that returns fewer than asked for has returned everything."""
    topic = Topic(log, name)
    other = Topic(log, OTHER_BARS if name == BARS else BARS)  # bars: another topic's entries in between
    chooser = random.Random(3)  # the same choices on every run
    await topic.append(10)
    records = await log.read(name, "0-0", 3)
    await topic.append(10)  # the read after those 3 finds 17 now, not the 7 there were at the first
    assert bodies(await log.read(name, records[-1].offset, 100)) == topic.after(3, 100)
    position, offset = 0, "0-0"
    for _ in range(40):
        action = chooser.random()
        if action < 0.35:
            await topic.append(chooser.randint(1, 8))
        elif action < 0.45:
            await other.append(chooser.randint(1, 3))
        else:
            count = chooser.randint(1, 12)
            records = await log.read(name, offset, count)
            assert bodies(records) == topic.after(position, count)
            if records:
                position += len(records)
                offset = records[-1].offset
                assert offset == topic.offsets[position - 1]
    records = await log.read(name, offset, 1_000)
    assert bodies(records) == topic.after(position, 1_000)


async def test_keys_of_a_topic_grow_with_its_entries_and_after_its_last_offset(log):
    """Callers compare offsets of one topic by their keys (a cursor behind a fanout's position)."""
    for name in (SIGNALS, BARS, OTHER_BARS):
        topic = Topic(log, name)
        before = await log.last_offset(name)
        await topic.append(3)
        last = await log.last_offset(name)
        keys = [log.offset_key(offset) for offset in [before, *topic.offsets]]
        assert keys == sorted(set(keys))
        assert last == topic.offsets[-1]
        assert await log.read(name, last, 10) == []


async def test_a_read_after_offset_at_time_starts_at_the_first_entry_at_or_after_that_time(log):
    """Also when that entry is the first of the engine's storage (JetStream: sequence 1 of the stream)."""
    bars = Topic(log, BARS)
    await bars.append(4)
    for hour, expected in [(-1, 0), (0, 0), (1, 1), (3, 3), (4, 4)]:
        start = await log.offset_at_time(BARS, START_MS + hour * HOUR_MS)
        records = await log.read(BARS, start, 10)
        assert bodies(records) == bars.after(expected, 10), hour
        assert all(log.offset_key(start) < log.offset_key(record.offset) for record in records)
    start = await log.offset_at_time(BARS, START_MS + 4 * HOUR_MS)
    await Topic(log, OTHER_BARS).append(2)
    await bars.append(2)
    assert bodies(await log.read(BARS, start, 10)) == bars.after(4, 10)
    signals = Topic(log, SIGNALS)
    await signals.append(3)
    start = await log.offset_at_time(SIGNALS, 1)
    assert bodies(await log.read(SIGNALS, start, 10)) == signals.after(0, 10)


async def test_a_read_after_offset_at_a_time_beyond_the_newest_entry_skips_entries_that_arrive_before_it(log):
    """A paper order fills at the first bar at or after the signal's time, which may be later than the
    topic's newest bar: a bar that then arrives with a time in between must not be read after that
    offset (on either engine)."""
    bars = Topic(log, BARS)
    await bars.append(2)  # hours 0 and 1
    start = await log.offset_at_time(BARS, START_MS + 4 * HOUR_MS)
    late = [TimedEntry(START_MS + hour * HOUR_MS, f"hour {hour}".encode()) for hour in (2, 3)]
    await log.append_timed(BARS, late)
    assert await log.read(BARS, start, 10) == []
    due = [TimedEntry(START_MS + hour * HOUR_MS, f"hour {hour}".encode()) for hour in (4, 5)]
    await log.append_timed(BARS, due)
    assert bodies(await log.read(BARS, start, 10)) == [b"hour 4", b"hour 5"]
    assert bodies(await log.read(BARS, start, 1)) == [b"hour 4"]
