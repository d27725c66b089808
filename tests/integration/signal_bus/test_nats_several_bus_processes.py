"""Several bus processes in front of one log (Redis or NATS): publish to one, subscribe on another.

A bus process keeps nothing a subscriber depends on: offsets are the log's, so a subscriber may
read from any process, live or from an offset, and resume on a third.
"""

import asyncio
from collections.abc import AsyncIterator

import grpc
import pytest

from alphintra.signalbus.v1 import signal_bus_service_pb2 as messages
from alphintra.signalbus.v1 import signal_bus_service_pb2_grpc
from services.mesh.server import RunningService
from tests.integration.signal_bus.conftest import ALICE, BOTH_ENGINES, As, make_signal, start_bus
from tests.integration.signal_bus.streaming import collect

pytestmark = [pytest.mark.integration, BOTH_ENGINES]


@pytest.fixture
async def second_bus(database_url, redis_url, namespace, engine_settings) -> AsyncIterator[RunningService]:
    running = await start_bus(database_url, redis_url, namespace, **engine_settings)
    yield running
    await running.stop(0)


@pytest.fixture
async def as_alice_on_second(second_bus) -> AsyncIterator[As]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{second_bus.port}") as channel:
        yield As(signal_bus_service_pb2_grpc.SignalBusServiceStub(channel), ALICE)


async def test_a_signal_published_to_one_process_reaches_subscribers_of_another(as_alice, as_alice_on_second):
    live = as_alice_on_second.Subscribe(messages.SubscribeRequest(from_now=True))
    first = await asyncio.wait_for(live.read(), 5)  # open: its first heartbeat came
    assert list(first.signals) == []
    reading = asyncio.create_task(collect(live, 3))

    async def requests():
        for index in range(3):
            yield messages.PublishSignalsRequest(signal=make_signal(f"x-{index}"))

    acks = [ack async for ack in as_alice.PublishSignals(requests())]
    received = await reading
    assert received.signal_ids == ["x-0", "x-1", "x-2"]
    assert received.offsets == [ack.offset for ack in acks]
    # from an offset given out by the first process, on the second
    resumed = await collect(
        as_alice_on_second.Subscribe(messages.SubscribeRequest(from_offset=acks[0].offset)), 2
    )
    assert resumed.signal_ids == ["x-1", "x-2"]


async def test_an_id_published_to_both_processes_is_stored_once(as_alice, as_alice_on_second):
    first = await as_alice.PublishSignal(messages.PublishSignalRequest(signal=make_signal("twice")))
    again = await as_alice_on_second.PublishSignal(messages.PublishSignalRequest(signal=make_signal("twice")))
    assert again.duplicate
    assert again.offset == first.offset
    received = await collect(as_alice_on_second.Subscribe(messages.SubscribeRequest(from_offset="0-0")), 1)
    assert received.signal_ids == ["twice"]


async def test_a_subscriber_resumes_on_the_other_process_exactly_once(as_alice, as_alice_on_second):
    async def requests():
        for index in range(300):
            yield messages.PublishSignalsRequest(signal=make_signal(f"r-{index}"))

    [ack async for ack in as_alice.PublishSignals(requests())]
    part = await collect(
        as_alice.Subscribe(messages.SubscribeRequest(from_offset="0-0", max_batch_size=50)), 120
    )
    rest = await collect(
        as_alice_on_second.Subscribe(messages.SubscribeRequest(from_offset=part.resume_offset)),
        300 - len(part.signal_ids),
    )
    assert part.signal_ids + rest.signal_ids == [f"r-{index}" for index in range(300)]
