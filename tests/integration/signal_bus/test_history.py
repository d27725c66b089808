"""The signal history in PostgreSQL: written off the hot path, queried with filters and paging."""

import grpc
import pytest

from alphintra.signalbus.v1 import signal_bus_service_pb2 as messages
from alphintra.signalbus.v1 import signal_pb2
from tests.helpers import assert_eventually
from tests.integration.signal_bus.conftest import ACME_ADMIN, BOB, EVE, As, make_signal

pytestmark = pytest.mark.integration

BASE = 1_750_000_000


def _signal(index: int, **fields) -> signal_pb2.Signal:
    signal = make_signal(f"h-{index}", **fields)
    signal.timestamp.FromSeconds(BASE + index)
    return signal


async def _list(stub, **fields) -> messages.ListSignalsResponse:
    return await stub.ListSignals(messages.ListSignalsRequest(**fields))


async def _publish_all(stub, signals) -> None:
    async def requests():
        for signal in signals:
            yield messages.PublishSignalsRequest(signal=signal)

    acks = [ack async for ack in stub.PublishSignals(requests())]
    assert all(ack.offset for ack in acks)


async def test_every_signal_lands_in_the_history_and_pages_newest_first(as_alice):
    await _publish_all(as_alice, [_signal(index) for index in range(25)])

    async def all_there():
        return len((await _list(as_alice, page_size=1000)).signals) == 25

    await assert_eventually(all_there, 10, message="the history writer did not catch up")
    seen, token = [], ""
    while True:
        page = await _list(as_alice, page_size=7, page_token=token)
        seen += [record.signal.signal_id for record in page.signals]
        assert all(record.offset for record in page.signals)
        token = page.next_page_token
        if not token:
            break
    assert seen == [f"h-{index}" for index in reversed(range(25))]


async def test_the_history_filters_by_time_symbol_strategy_and_action(stub, as_alice):
    signals = [
        _signal(0, symbol="AAPL"),
        _signal(1, strategy_id="macd"),
        _signal(2, action=signal_pb2.ACTION_SELL),
        _signal(3),
        _signal(4, symbol="AAPL", action=signal_pb2.ACTION_SELL),
    ]
    await _publish_all(as_alice, signals)
    await _publish_all(As(stub, BOB), [_signal(5)])
    await _publish_all(As(stub, EVE), [_signal(6)])

    async def all_there():
        return len((await _list(As(stub, ACME_ADMIN))).signals) == 6

    await assert_eventually(all_there, 10)

    async def ids(caller_stub, **fields):
        return [record.signal.signal_id for record in (await _list(caller_stub, **fields)).signals]

    assert await ids(as_alice, symbol="AAPL") == ["h-4", "h-0"]
    assert await ids(as_alice, strategy_id="macd") == ["h-1"]
    assert await ids(as_alice, action=signal_pb2.ACTION_SELL) == ["h-4", "h-2"]
    window = messages.ListSignalsRequest()
    window.start_time.FromSeconds(BASE + 1)
    window.end_time.FromSeconds(BASE + 3)
    assert [record.signal.signal_id for record in (await as_alice.ListSignals(window)).signals] == [
        "h-2",
        "h-1",
    ]
    assert await ids(As(stub, ACME_ADMIN)) == ["h-5", "h-4", "h-3", "h-2", "h-1", "h-0"]
    assert await ids(As(stub, EVE)) == ["h-6"]


async def test_a_bad_history_query_is_invalid(as_alice):
    request = messages.ListSignalsRequest()
    request.start_time.FromSeconds(BASE + 10)
    request.end_time.FromSeconds(BASE)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await as_alice.ListSignals(request)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _list(as_alice, page_token="garbage")
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
