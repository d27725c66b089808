"""A three-node JetStream cluster (replicas = 3) under publish load: kill -9 the stream's leader.

Every signal the bus acknowledged must still be there and be delivered, and a subscriber that
resumes from its last offset after its stream broke must get each signal exactly once.
"""

import asyncio
import shutil
import tempfile
from pathlib import Path

import grpc
import nats
import pytest

from alphintra.signalbus.v1 import signal_bus_service_pb2 as messages
from alphintra.signalbus.v1 import signal_bus_service_pb2_grpc
from services.mesh.devstack.nats import EmbeddedNats
from tests.integration.signal_bus.conftest import ALICE, As, make_signal, start_bus
from tests.integration.signal_bus.streaming import Received

pytestmark = pytest.mark.integration

TOTAL = 3_000
KILL_AFTER_ACKS = 1_000
MAX_UNACKNOWLEDGED = 300
SETTLE_SECONDS = 60
# how a stream may end while the cluster elects a new leader: the client tries again
RECOVERABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED}


@pytest.fixture
def nats_cluster():
    """Three nodes of this test's own: it kills one."""
    data_dir = Path(tempfile.mkdtemp(prefix="alphintra-nats-cluster-"))
    cluster = EmbeddedNats(data_dir, size=3)
    cluster.start()
    yield cluster
    cluster.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


async def _stream_leader(urls: list[str], stream: str) -> str:
    client = await nats.connect(servers=urls)
    try:
        info = await client.jetstream().stream_info(stream)
    finally:
        await client.close()
    assert info.cluster is not None
    assert len(info.cluster.replicas or []) == 2  # the leader and two more copies
    assert info.cluster.leader is not None
    return info.cluster.leader


async def _publish_all(stub: As, acked: list[str]) -> int:
    """Stream k-0 ... k-(TOTAL-1); when the stream breaks, republish the unacknowledged tail with the
    same ids on a new stream (as a publisher should). Returns how many streams broke."""
    broken = 0
    while len(acked) < TOTAL:
        start = len(acked)
        room = asyncio.Semaphore(MAX_UNACKNOWLEDGED)

        async def requests(start: int = start, room: asyncio.Semaphore = room):
            for index in range(start, TOTAL):
                await room.acquire()
                yield messages.PublishSignalsRequest(signal=make_signal(f"k-{index}"))

        call = stub.PublishSignals(requests())
        try:
            async for ack in call:
                if ack.HasField("error"):
                    break  # this one was not stored: republish from here
                assert ack.signal_id == f"k-{len(acked)}"
                acked.append(ack.signal_id)
                room.release()
        except grpc.aio.AioRpcError as error:
            if error.code() not in RECOVERABLE:
                raise
        finally:
            call.cancel()
        broken += len(acked) < TOTAL
    return broken


async def _follow(stub: As, received: Received, until: str) -> int:
    """Subscribe from the beginning; when the stream breaks, resume from the last resume offset."""
    broken = 0
    while until not in received.signal_ids[-1:]:
        call = stub.Subscribe(
            messages.SubscribeRequest(from_offset=received.resume_offset, max_batch_size=200)
        )
        try:
            async for response in call:
                received.signal_ids.extend(record.signal.signal_id for record in response.signals)
                received.resume_offset = response.resume_offset
                if until in received.signal_ids[-1:]:
                    break
        except grpc.aio.AioRpcError as error:
            if error.code() not in RECOVERABLE:
                raise
            broken += 1
            await asyncio.sleep(0.2)
        finally:
            call.cancel()
    return broken


async def test_killing_the_stream_leader_under_load_loses_no_acknowledged_signal(
    database_url, redis_url, namespace, nats_cluster
):
    running = await start_bus(
        database_url,
        redis_url,
        namespace,
        log_engine="nats",
        nats_urls=nats_cluster.url,
        nats_replicas=3,
    )
    acked: list[str] = []
    received = Received(resume_offset="0-0")
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = As(signal_bus_service_pb2_grpc.SignalBusServiceStub(channel), ALICE)
            publisher = asyncio.create_task(_publish_all(stub, acked))
            follower = asyncio.create_task(_follow(stub, received, f"k-{TOTAL - 1}"))
            while len(acked) < KILL_AFTER_ACKS:
                await asyncio.sleep(0.005)
                assert not publisher.done(), publisher
            leader = await _stream_leader(nats_cluster.urls, f"{namespace}_signals")
            nats_cluster.kill(leader)
            acked_at_kill = len(acked)
            await asyncio.wait_for(publisher, SETTLE_SECONDS)
            await asyncio.wait_for(follower, SETTLE_SECONDS)
            assert len(acked) > acked_at_kill, "publishing went on after the kill"
            # after the dust settles a fresh subscriber from the beginning finds each signal once
            again = Received(resume_offset="0-0")
            await asyncio.wait_for(_follow(stub, again, f"k-{TOTAL - 1}"), SETTLE_SECONDS)
    finally:
        await running.stop(0)
    expected = [f"k-{index}" for index in range(TOTAL)]
    assert acked == expected
    assert received.signal_ids == expected, "a signal was lost or delivered twice to the resumed subscriber"
    assert again.signal_ids == expected
