"""Filters against a reference, resume after a disconnect exactly once, retention, slow subscribers."""

import asyncio
import random

import grpc
import pytest

from alphintra.signalbus.v1 import signal_bus_service_pb2 as messages
from alphintra.signalbus.v1 import signal_bus_service_pb2_grpc, signal_pb2
from services.signal_bus import metrics
from tests.integration.signal_bus.conftest import ACME_ADMIN, ALICE, BOB, BOTH_ENGINES, EVE, As, make_signal
from tests.integration.signal_bus.streaming import Received, collect, collect_until

pytestmark = [pytest.mark.integration, BOTH_ENGINES]

SYMBOLS = ["BTC-USD", "ETH-USD", "AAPL", "MSFT"]
STRATEGIES = ["rsi", "macd", "model-7"]
ACTIONS = [signal_pb2.ACTION_BUY, signal_pb2.ACTION_SELL, signal_pb2.ACTION_HOLD, signal_pb2.ACTION_CLOSE]
CALLERS = {"alice": ALICE, "bob": BOB, "eve": EVE}
ORGANIZATION = {"alice": "acme", "bob": "acme", "eve": "globex"}


def _reference(
    signal: signal_pb2.Signal,
    owner: str,
    request_filter: signal_pb2.SignalFilter,
    viewer: str,
    admin_org: str,
) -> bool:
    visible = owner == viewer or (admin_org != "" and ORGANIZATION[owner] == admin_org)
    return (
        visible
        and (not request_filter.symbols or signal.symbol in request_filter.symbols)
        and (not request_filter.strategy_ids or signal.strategy_id in request_filter.strategy_ids)
        and (not request_filter.actions or signal.action in request_filter.actions)
        and signal.confidence >= request_filter.min_confidence
    )


def _random_filter(chooser: random.Random) -> signal_pb2.SignalFilter:
    return signal_pb2.SignalFilter(
        symbols=chooser.sample(SYMBOLS, chooser.randint(0, 2)),
        strategy_ids=chooser.sample(STRATEGIES, chooser.randint(0, 2)),
        actions=chooser.sample(ACTIONS, chooser.randint(0, 2)),
        min_confidence=chooser.choice([0.0, 0.0, 0.3, 0.5, 0.8]),
    )


async def test_every_subscription_gets_exactly_what_a_reference_filter_selects(stub):
    chooser = random.Random(20261122)
    published: list[tuple[signal_pb2.Signal, str]] = []
    last_offset = ""
    for index in range(150):
        owner = chooser.choice(list(CALLERS))
        action = chooser.choice(ACTIONS)
        signal = make_signal(
            f"p-{index}",
            symbol=chooser.choice(SYMBOLS),
            strategy_id=chooser.choice(STRATEGIES),
            action=action,
            confidence=chooser.choice([0.0, 0.3, 0.31, 0.5, 0.79, 0.8, 1.0]),
        )
        reply = await As(stub, CALLERS[owner]).PublishSignal(messages.PublishSignalRequest(signal=signal))
        published.append((signal, owner))
        last_offset = reply.offset
    for _ in range(30):
        request_filter = _random_filter(chooser)
        viewer, caller, admin_org = chooser.choice(
            [("alice", ALICE, ""), ("eve", EVE, ""), ("root", ACME_ADMIN, "acme")]
        )
        call = As(stub, caller).Subscribe(
            messages.SubscribeRequest(
                from_offset="0-0", filter=request_filter, max_batch_size=chooser.choice([1, 7, 0])
            )
        )
        received = await collect_until(call, last_offset)
        expected = [
            signal.signal_id
            for signal, owner in published
            if _reference(signal, owner, request_filter, viewer, admin_org)
        ]
        assert received.signal_ids == expected, (viewer, request_filter)


async def test_a_resumed_subscriber_gets_every_signal_exactly_once_across_disconnects(as_alice):
    total = 400
    published: list[str] = []

    async def publish() -> None:
        for index in range(total):
            reply = await as_alice.PublishSignal(
                messages.PublishSignalRequest(signal=make_signal(f"r-{index}"))
            )
            published.append(reply.offset)
            if index % 50 == 0:
                await asyncio.sleep(0.01)

    publisher = asyncio.create_task(publish())
    received = Received()
    resume = "0-0"
    while len(received.signal_ids) < total:
        # read a random handful, drop the connection, resume from the last resume offset
        part = await collect(
            as_alice.Subscribe(messages.SubscribeRequest(from_offset=resume, max_batch_size=13)),
            min(total, len(received.signal_ids) + random.randint(1, 60)),
            received=received,
        )
        resume = part.resume_offset
    await publisher
    assert received.signal_ids[:total] == [f"r-{index}" for index in range(total)]
    assert received.offsets[:total] == published
    assert len(received.signal_ids) == len(set(received.signal_ids))


# the window of recent records each bus process keeps is small too, so that the oldest offset is
# served from the log, where retention has removed what followed it
@pytest.mark.parametrize("bus_settings", [{"retention_max_entries": 100, "fanout_capacity": 100}])
async def test_an_offset_older_than_retention_is_out_of_range(as_alice, bus_settings):
    async def requests():
        for index in range(1000):
            yield messages.PublishSignalsRequest(signal=make_signal(f"old-{index}"))

    acks = [ack async for ack in as_alice.PublishSignals(requests())]
    call = as_alice.Subscribe(messages.SubscribeRequest(from_offset=acks[0].offset))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await asyncio.wait_for(call.read(), 10)
    assert caught.value.code() == grpc.StatusCode.OUT_OF_RANGE
    # the newest ones are still there, and a subscription from a retained offset works
    received = await collect(as_alice.Subscribe(messages.SubscribeRequest(from_offset=acks[-3].offset)), 2)
    assert received.signal_ids == ["old-998", "old-999"]


def _catch_up_reads() -> float:
    return metrics.CATCH_UP_READS.labels("signals")._value.get()


@pytest.mark.parametrize("bus_settings", [{"fanout_capacity": 100}])
async def test_a_slow_subscriber_does_not_hold_up_the_others_and_catches_up_from_the_log(
    bus, as_alice, bus_settings
):
    total = 2000
    # the slow client's own connection, without window growth: its unread messages soon fill the
    # HTTP/2 window and the bus can send it nothing more until it reads
    async with grpc.aio.insecure_channel(
        f"127.0.0.1:{bus.port}", options=[("grpc.http2.bdp_probe", 0)]
    ) as slow:
        slow_stub = As(signal_bus_service_pb2_grpc.SignalBusServiceStub(slow), ALICE)
        slow_call = slow_stub.Subscribe(messages.SubscribeRequest(from_now=True, max_batch_size=1))
        first = await slow_call.read()  # open: its first heartbeat has come; now it stops reading
        assert list(first.signals) == []
        fast = asyncio.create_task(
            collect(as_alice.Subscribe(messages.SubscribeRequest(from_offset=first.resume_offset)), total, 30)
        )
        reads_before = _catch_up_reads()

        async def requests():
            for index in range(total):
                padded = make_signal(f"slow-{index}", metadata={"pad": "x" * 1000})
                yield messages.PublishSignalsRequest(signal=padded)

        acks = [ack async for ack in as_alice.PublishSignals(requests())]
        assert all(ack.offset for ack in acks)
        fast_received = await fast
        # the fast subscriber has everything while the slow one has not read a thing since it opened
        assert fast_received.signal_ids == [f"slow-{index}" for index in range(total)]
        slow_received = await collect(slow_call, total, timeout=30)
    assert slow_received.signal_ids == [f"slow-{index}" for index in range(total)]
    assert _catch_up_reads() > reads_before  # it fell out of the shared window and read the log
