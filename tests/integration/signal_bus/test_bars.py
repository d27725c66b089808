"""Bar topics: acknowledged in order, duplicates and out-of-order bars, merged multi-symbol subscriptions."""

import asyncio

import grpc
import pytest

from alphintra.common.v1 import bar_pb2
from alphintra.signalbus.v1 import signal_bus_service_pb2 as messages
from tests.integration.signal_bus.conftest import BOTH_ENGINES, VIEWER, As

pytestmark = [pytest.mark.integration, BOTH_ENGINES]

MINUTE = bar_pb2.TIMEFRAME_1_MINUTE
START = 1_700_000_040  # a minute boundary


def _bar(symbol: str, minute: int, close: float = 100.0, timeframe: int = MINUTE) -> bar_pb2.Bar:
    bar = bar_pb2.Bar(
        symbol=symbol, timeframe=timeframe, open=close, high=close + 1, low=close - 1, close=close, volume=3
    )
    bar.time.FromSeconds(START + 60 * minute)
    return bar


async def _publish(stub, bars):
    async def requests():
        for bar in bars:
            yield messages.PublishBarsRequest(bar=bar)

    return [ack async for ack in stub.PublishBars(requests())]


async def _read_bars(call, count: int, timeout: float = 10) -> tuple[list[tuple[str, int]], list[str], str]:  # noqa: ASYNC109
    bars: list[tuple[str, int]] = []
    offsets: list[str] = []
    resume = ""

    async def read() -> None:
        nonlocal resume
        while (response := await call.read()) is not grpc.aio.EOF:
            for record in response.bars:
                bars.append((record.bar.symbol, (record.bar.time.seconds - START) // 60))
                offsets.append(record.offset)
            resume = response.resume_offset
            if len(bars) >= count:
                return

    try:
        await asyncio.wait_for(read(), timeout)
    finally:
        call.cancel()
    return bars, offsets, resume


async def test_bars_are_acknowledged_in_order_with_duplicates_and_late_bars_answered_in_place(as_alice):
    acks = await _publish(
        as_alice,
        [
            _bar("BTC-USD", 0),
            _bar("BTC-USD", 1),
            _bar("BTC-USD", 1, close=101),  # the same bar again: a duplicate
            _bar("BTC-USD", 0),  # the same time as an earlier bar: a duplicate too
            _bar("ETH-USD", 0),
            _bar("BTC-USD", 2, close=0),  # invalid
            _bar("BTC-USD", 3),
            _bar("ETH-USD", -1),  # older than ETH's latest: out of order
        ],
    )
    assert [bool(ack.offset) for ack in acks] == [True, True, True, True, True, False, True, False]
    assert [ack.duplicate for ack in acks] == [False, False, True, True, False, False, False, False]
    assert acks[2].offset == acks[1].offset
    assert acks[5].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert acks[7].error.code == grpc.StatusCode.FAILED_PRECONDITION.value[0]
    request = messages.SubscribeBarsRequest(symbols=["BTC-USD"], timeframe=MINUTE)
    request.from_time.FromSeconds(0)
    bars, _, _ = await _read_bars(as_alice.SubscribeBars(request), 3)
    assert bars == [("BTC-USD", 0), ("BTC-USD", 1), ("BTC-USD", 3)]


async def test_a_multi_symbol_subscription_merges_in_time_order_and_resumes_exactly_once(as_alice):
    await _publish(as_alice, [_bar("AAA", minute) for minute in range(0, 10, 2)])
    await _publish(as_alice, [_bar("BBB", minute) for minute in range(1, 10, 2)])
    await _publish(as_alice, [_bar("AAA", 5, timeframe=bar_pb2.TIMEFRAME_5_MINUTES)])  # another topic
    request = messages.SubscribeBarsRequest(symbols=["BBB", "AAA"], timeframe=MINUTE, max_batch_size=3)
    request.from_time.FromSeconds(0)
    first, offsets, _ = await _read_bars(as_alice.SubscribeBars(request), 4)
    assert first[:4] == [("AAA", 0), ("BBB", 1), ("AAA", 2), ("BBB", 3)]
    # resume from the fourth bar's offset, then a late bar for one symbol arrives meanwhile
    await _publish(as_alice, [_bar("AAA", 10), _bar("BBB", 11)])
    resumed = messages.SubscribeBarsRequest(symbols=["AAA", "BBB"], timeframe=MINUTE, from_offset=offsets[3])
    rest, _, _ = await _read_bars(as_alice.SubscribeBars(resumed), 8)
    assert rest == [
        ("AAA", 4),
        ("BBB", 5),
        ("AAA", 6),
        ("BBB", 7),
        ("AAA", 8),
        ("BBB", 9),
        ("AAA", 10),
        ("BBB", 11),
    ]


async def test_a_live_bar_subscription_gets_new_bars(as_alice):
    call = as_alice.SubscribeBars(
        messages.SubscribeBarsRequest(symbols=["LIVE"], timeframe=MINUTE, from_now=True)
    )
    await asyncio.wait_for(call.read(), 5)  # the first heartbeat: it is open
    await _publish(as_alice, [_bar("LIVE", 0), _bar("LIVE", 1)])
    bars, _, _ = await _read_bars(call, 2)
    assert bars == [("LIVE", 0), ("LIVE", 1)]


async def test_bar_subscriptions_and_publishes_are_checked(stub, as_alice):
    call = as_alice.SubscribeBars(messages.SubscribeBarsRequest(symbols=[], timeframe=0))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call.read()
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _publish(As(stub, VIEWER), [_bar("X", 0)])
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    bad_offset = messages.SubscribeBarsRequest(symbols=["X"], timeframe=MINUTE, from_offset="not-an-offset")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await as_alice.SubscribeBars(bad_offset).read()
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
