"""A subscription says at once when it has caught up with the log: one empty batch after the history.

The heartbeat here is a minute, so an empty batch within the test's few seconds can only be the
caught-up marker, never a heartbeat. A client replaying history (a deployment warming up on old
bars) knows from it that it is live, instead of waiting for the first heartbeat.
"""

import asyncio

import grpc
import pytest

from alphintra.common.v1 import bar_pb2
from alphintra.signalbus.v1 import signal_bus_service_pb2 as messages
from tests.integration.signal_bus.conftest import BOTH_ENGINES, make_signal

pytestmark = [pytest.mark.integration, BOTH_ENGINES]

MINUTE = bar_pb2.TIMEFRAME_1_MINUTE
SOON = 5.0  # seconds; the heartbeat is 60


@pytest.fixture
def bus_settings() -> dict[str, object]:
    return {"heartbeat_seconds": 60}


async def _batches_until_empty(call, timeout: float = SOON) -> list[list[str]]:  # noqa: ASYNC109
    """The batches' ids (signal ids or bar minutes) up to and including the first empty batch."""
    seen: list[list[str]] = []

    async def read() -> None:
        while (response := await call.read()) is not grpc.aio.EOF:
            if isinstance(response, messages.SubscribeResponse):
                seen.append([record.signal.signal_id for record in response.signals])
            else:
                seen.append([str(record.bar.time.seconds // 60) for record in response.bars])
            if not seen[-1]:
                return

    try:
        await asyncio.wait_for(read(), timeout)
    finally:
        call.cancel()
    return seen


async def test_a_signal_subscription_from_the_start_sends_the_history_then_an_empty_batch(as_alice):
    for signal_id in ("one", "two", "three"):
        await as_alice.PublishSignal(messages.PublishSignalRequest(signal=make_signal(signal_id)))
    call = as_alice.Subscribe(messages.SubscribeRequest(from_offset="0-0", max_batch_size=2))
    batches = await _batches_until_empty(call)
    assert [signal_id for batch in batches for signal_id in batch] == ["one", "two", "three"]
    assert batches[-1] == []


async def test_a_live_signal_subscription_says_so_at_once_and_then_delivers(as_alice):
    call = as_alice.Subscribe(messages.SubscribeRequest(from_now=True))
    first = await asyncio.wait_for(call.read(), SOON)
    assert list(first.signals) == []
    await as_alice.PublishSignal(messages.PublishSignalRequest(signal=make_signal("after")))
    second = await asyncio.wait_for(call.read(), SOON)
    call.cancel()
    assert [record.signal.signal_id for record in second.signals] == ["after"]


async def test_a_bar_subscription_from_the_start_sends_the_history_then_an_empty_batch(as_alice):
    async def requests():
        for minute in range(3):
            bar = bar_pb2.Bar(symbol="HIST", timeframe=MINUTE, open=1, high=2, low=0.5, close=1.5, volume=1)
            bar.time.FromSeconds(60 * (28_333_334 + minute))
            yield messages.PublishBarsRequest(bar=bar)

    acks = [ack async for ack in as_alice.PublishBars(requests())]
    assert not any(ack.HasField("error") for ack in acks)
    request = messages.SubscribeBarsRequest(symbols=["HIST"], timeframe=MINUTE, max_batch_size=2)
    request.from_time.FromSeconds(0)
    batches = await _batches_until_empty(as_alice.SubscribeBars(request))
    assert [minute for batch in batches for minute in batch] == [str(28_333_334 + m) for m in range(3)]
    assert batches[-1] == []
