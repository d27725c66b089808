"""The batch writer: concurrent publishes in few appends, each answered with its own result."""

from __future__ import annotations

import asyncio

import pytest

from services.core.errors import Unavailable
from services.signal_bus.log import Appended, LogUnavailable
from services.signal_bus.writer import BatchWriter


class RecordingLog:
    """An in-memory append: offsets count up per topic; entries named `dup-*` are duplicates."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []
        self.fail: BaseException | None = None

    async def append(self, topic: str, entries: list[str]) -> list[Appended]:
        self.calls.append((topic, list(entries)))
        await asyncio.sleep(0)
        if self.fail is not None:
            raise self.fail
        base = sum(len(batch) for name, batch in self.calls[:-1] if name == topic)
        return [
            Appended(offset=f"{topic}-{base + index}", duplicate=entry.startswith("dup-"))
            for index, entry in enumerate(entries)
        ]


@pytest.fixture
async def log_and_writer():
    log = RecordingLog()
    writer: BatchWriter[str] = BatchWriter(log.append, max_batch=5)
    writer.start()
    yield log, writer
    await writer.close()


async def test_single_and_batched_publishes_share_appends_and_each_gets_its_own_results(log_and_writer):
    log, writer = log_and_writer
    one = writer.submit("signals", "a")
    many = writer.submit_many("signals", ["b", "dup-c", "d"])
    other_topic = writer.submit("bars", "x")
    last = writer.submit("signals", "e")
    assert (await one).offset == "signals-0"
    assert [(item.offset, item.duplicate) for item in await many] == [
        ("signals-1", False),
        ("signals-2", True),
        ("signals-3", False),
    ]
    assert (await other_topic).offset == "bars-0"
    assert (await last).offset == "signals-4"
    # one round takes at most 5 entries (a, the batch, x), grouped by topic; e waits for the next
    assert log.calls == [("signals", ["a", "b", "dup-c", "d"]), ("bars", ["x"]), ("signals", ["e"])]


async def test_a_round_never_splits_a_batch_and_stays_within_the_maximum_when_it_can(log_and_writer):
    log, writer = log_and_writer
    first = writer.submit_many("signals", ["a1", "a2", "a3"])
    second = writer.submit_many("signals", ["b1", "b2", "b3"])  # would exceed 5 with the first
    oversized = writer.submit_many("signals", [f"c{index}" for index in range(7)])  # alone, whole
    await asyncio.gather(first, second, oversized)
    assert [entries for _, entries in log.calls] == [
        ["a1", "a2", "a3"],
        ["b1", "b2", "b3"],
        [f"c{index}" for index in range(7)],
    ]
    assert [item.offset for item in await oversized] == [f"signals-{6 + index}" for index in range(7)]


async def test_a_failed_append_fails_every_publish_in_it_as_unavailable(log_and_writer):
    log, writer = log_and_writer
    log.fail = LogUnavailable("fsync failed")
    one = writer.submit("signals", "a")
    many = writer.submit_many("signals", ["b", "c"])
    for pending in (one, many):
        with pytest.raises(Unavailable, match="cannot store durably"):
            await pending


async def test_a_closed_writer_refuses_and_fails_what_it_still_held():
    log = RecordingLog()
    writer: BatchWriter[str] = BatchWriter(log.append, max_batch=5)
    with pytest.raises(Unavailable):
        writer.submit_many("signals", ["a"])
    writer.start()
    await writer.close()
    with pytest.raises(Unavailable):
        writer.submit("signals", "a")
