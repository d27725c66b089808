"""Durability drills: kill -9 of the bus under publish load, and of Redis (appendfsync always).

Every acknowledged signal must be stored and delivered, and a subscriber that resumes from its
last offset must get each signal exactly once.
"""

import asyncio
import shutil
import tempfile
from pathlib import Path

import grpc
import pytest

from alphintra.signalbus.v1 import signal_bus_service_pb2 as messages
from alphintra.signalbus.v1 import signal_bus_service_pb2_grpc
from services.mesh.devstack import EmbeddedRedis
from tests.helpers import assert_eventually, free_port
from tests.integration.signal_bus.bus_process import BusProcess
from tests.integration.signal_bus.conftest import ALICE, As, make_signal, start_bus
from tests.integration.signal_bus.streaming import Received

pytestmark = pytest.mark.integration

KILL_AFTER_ACKS = 1_500
MAX_UNACKNOWLEDGED = 500
# how a client sees its stream end when the server process dies under it
BROKEN = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.CANCELLED,
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.INTERNAL,
}


@pytest.fixture
def durable_redis():
    """A Redis of this test's own with appendfsync always: the bus's durability setting."""
    data_dir = Path(tempfile.mkdtemp(prefix="alphintra-bus-redis-"))
    server = EmbeddedRedis(data_dir, appendfsync="always")
    server.start()
    yield server
    server.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


async def _publish_until_broken(
    stub: As, sent: list[str], acked: list[str], start: int, stop_at: int
) -> None:
    """Stream signals start, start+1, ... until the stream breaks or `stop_at` acknowledgements."""
    room = asyncio.Semaphore(MAX_UNACKNOWLEDGED)

    async def requests():
        index = start
        while True:
            await room.acquire()  # a publisher's own bound on what is in flight
            signal_id = f"k-{index}"
            sent.append(signal_id)
            yield messages.PublishSignalsRequest(signal=make_signal(signal_id))
            index += 1
            if index % 100 == 0:
                await asyncio.sleep(0)

    call = stub.PublishSignals(requests())
    try:
        async for ack in call:
            assert not ack.HasField("error"), ack
            acked.append(ack.signal_id)
            room.release()
            if len(acked) >= stop_at:
                return grpc.StatusCode.OK
    except grpc.aio.AioRpcError as error:
        return error.code()
    finally:
        call.cancel()
    return grpc.StatusCode.OK


async def _subscribe_until_broken(stub: As, resume: str, received: Received) -> grpc.StatusCode:
    call = stub.Subscribe(messages.SubscribeRequest(from_offset=resume, max_batch_size=200))
    try:
        async for response in call:
            received.signal_ids.extend(record.signal.signal_id for record in response.signals)
            received.resume_offset = response.resume_offset
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def _read_until(stub: As, resume: str, received: Received, last_id: str, timeout: float = 20) -> None:  # noqa: ASYNC109
    call = stub.Subscribe(messages.SubscribeRequest(from_offset=resume, max_batch_size=500))

    async def read() -> None:
        async for response in call:
            received.signal_ids.extend(record.signal.signal_id for record in response.signals)
            received.resume_offset = response.resume_offset
            if last_id in received.signal_ids[-len(response.signals) :]:
                return

    try:
        await asyncio.wait_for(read(), timeout)
    finally:
        call.cancel()


async def test_kill_9_of_the_bus_under_load_loses_no_acknowledged_signal_and_duplicates_none(
    tmp_path, database_url, durable_redis, namespace
):
    bus = BusProcess.of(free_port(), tmp_path / "bus.log", database_url, durable_redis.url, namespace)
    await bus.start()
    sent: list[str] = []
    acked: list[str] = []
    received = Received(resume_offset="0-0")
    try:
        async with grpc.aio.insecure_channel(bus.address) as channel:
            stub = As(signal_bus_service_pb2_grpc.SignalBusServiceStub(channel), ALICE)
            subscriber = asyncio.create_task(_subscribe_until_broken(stub, "0-0", received))
            publisher = asyncio.create_task(_publish_until_broken(stub, sent, acked, 0, 10**9))
            while len(acked) < KILL_AFTER_ACKS:
                await asyncio.sleep(0.005)
                assert not publisher.done(), "the publisher stopped before the kill"
            bus.kill()
            endings = await asyncio.wait_for(asyncio.gather(publisher, subscriber), 10)
        assert set(endings) <= BROKEN, endings
        assert len(sent) > len(acked), "the kill should catch signals in flight"
        await bus.start()
        async with grpc.aio.insecure_channel(bus.address) as channel:
            stub = As(signal_bus_service_pb2_grpc.SignalBusServiceStub(channel), ALICE)
            # the publisher republishes its unacknowledged tail with the same ids
            acknowledged = set(acked)
            retry = [signal_id for signal_id in sent if signal_id not in acknowledged]

            async def republish():
                for signal_id in retry:
                    yield messages.PublishSignalsRequest(signal=make_signal(signal_id))

            again = [ack async for ack in stub.PublishSignals(republish())]
            assert [ack.signal_id for ack in again] == retry
            # the subscriber resumes from the last offset it was given
            await _read_until(stub, received.resume_offset, received, sent[-1])

            # the history writer replays what it had not committed: every signal, once
            async def history_complete() -> bool:
                page = await stub.ListSignals(messages.ListSignalsRequest(page_size=1000))
                listed = [record.signal.signal_id for record in page.signals]
                while page.next_page_token:
                    page = await stub.ListSignals(
                        messages.ListSignalsRequest(page_size=1000, page_token=page.next_page_token)
                    )
                    listed += [record.signal.signal_id for record in page.signals]
                return sorted(listed) == sorted(sent)

            await assert_eventually(history_complete, 15, interval=0.3, message="history incomplete")
    finally:
        bus.stop()
    assert set(acked) <= set(received.signal_ids)
    assert len(received.signal_ids) == len(set(received.signal_ids)), "a signal was delivered twice"
    assert received.signal_ids == sent  # every signal once, in publish order


async def test_kill_9_of_redis_keeps_every_acknowledged_signal(database_url, durable_redis, namespace):
    running = await start_bus(database_url, durable_redis.url, namespace)
    acked: list[str] = []
    sent: list[str] = []
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = As(signal_bus_service_pb2_grpc.SignalBusServiceStub(channel), ALICE)
            assert await _publish_until_broken(stub, sent, acked, 0, 2_000) == grpc.StatusCode.OK
    finally:
        await running.stop(0)
    durable_redis.kill()
    durable_redis.start()  # same directory and port: it replays its append-only file
    running = await start_bus(database_url, durable_redis.url, namespace)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = As(signal_bus_service_pb2_grpc.SignalBusServiceStub(channel), ALICE)
            received = Received()
            await _read_until(stub, "0-0", received, acked[-1])
    finally:
        await running.stop(0)
    assert received.signal_ids[: len(acked)] == acked
