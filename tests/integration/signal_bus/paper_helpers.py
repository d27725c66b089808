"""Shared by the paper tests: publishing bars and signals, reading accounts, waiting for the consumer."""

from __future__ import annotations

import math

import grpc
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from alphintra.common.v1 import bar_pb2
from alphintra.signalbus.v1 import paper_trading_service_pb2 as paper
from alphintra.signalbus.v1 import signal_bus_service_pb2 as bus
from alphintra.signalbus.v1 import signal_pb2
from tests.helpers import assert_eventually

HOUR_SECONDS = 3600
START_SECONDS = 1_699_920_000  # 2023-11-14 00:00 UTC
PAPER_SETTINGS = {"paper_timeframe": "1_HOUR", "paper_poll_seconds": 0.2}


def hour(index: int) -> timestamp_pb2.Timestamp:
    return timestamp_pb2.Timestamp(seconds=START_SECONDS + HOUR_SECONDS * index)


def bar(symbol: str, index: int, open_: float, high: float, low: float, close: float) -> bar_pb2.Bar:
    return bar_pb2.Bar(
        symbol=symbol,
        timeframe=bar_pb2.TIMEFRAME_1_HOUR,
        time=hour(index),
        open=open_,
        high=high,
        low=low,
        close=close,
        volume=1,
    )


def signal(
    signal_id: str, strategy_id: str, symbol: str, action: int, at: int, **fields: object
) -> signal_pb2.Signal:
    """A signal decided at the open of hour `at` (the close of hour at − 1)."""
    message = signal_pb2.Signal(
        signal_id=signal_id, strategy_id=strategy_id, symbol=symbol, action=action, confidence=0.5, **fields
    )
    message.timestamp.CopyFrom(hour(at))
    return message


async def publish_bars(stub, bars: list[bar_pb2.Bar]) -> None:
    async def requests():
        for item in bars:
            yield bus.PublishBarsRequest(bar=item)

    acks = [ack async for ack in stub.PublishBars(requests())]
    assert len(acks) == len(bars)


async def publish_signal(stub, message: signal_pb2.Signal) -> None:
    await stub.PublishSignal(bus.PublishSignalRequest(signal=message))


def account(strategy_id: str, cash: float = 10_000.0, **fields: object) -> paper.PaperAccount:
    return paper.PaperAccount(display_name="test", initial_cash=cash, strategy_ids=[strategy_id], **fields)


async def create(stub, message: paper.PaperAccount, request_id: str = "") -> paper.PaperAccount:
    reply = await stub.CreateAccount(paper.CreateAccountRequest(account=message, request_id=request_id))
    return reply.account


async def orders(stub, account_id: str) -> list[paper.PaperOrder]:
    collected: list[paper.PaperOrder] = []
    token = ""
    while True:
        reply = await stub.ListOrders(paper.ListOrdersRequest(account_id=account_id, page_token=token))
        collected += reply.orders
        token = reply.next_page_token
        if not token:
            return collected[::-1]  # oldest first


async def trades(stub, account_id: str) -> list[paper.PaperTrade]:
    collected: list[paper.PaperTrade] = []
    token = ""
    while True:
        reply = await stub.ListTrades(paper.ListTradesRequest(account_id=account_id, page_token=token))
        collected += reply.trades
        token = reply.next_page_token
        if not token:
            return collected[::-1]


async def wait_for_orders(stub, account_id: str, count: int, timeout: float = 20.0) -> list[paper.PaperOrder]:  # noqa: ASYNC109
    found: list[paper.PaperOrder] = []

    async def enough() -> bool:
        nonlocal found
        found = await orders(stub, account_id)
        return len(found) >= count

    await assert_eventually(enough, timeout, interval=0.1, message=f"{count} orders")
    return found


async def wait_until_settled(stub, account_id: str, count: int, timeout: float = 20.0) -> None:  # noqa: ASYNC109
    """Until the account has `count` orders and none is pending (filled, refused or cancelled)."""

    async def settled() -> bool:
        found = await orders(stub, account_id)
        return len(found) >= count and all(order.state != paper.ORDER_STATE_PENDING for order in found)

    await assert_eventually(settled, timeout, interval=0.1, message="orders settled")


def field_violations(error: grpc.aio.AioRpcError) -> set[str]:
    status = rpc_status.from_call(error)
    fields: set[str] = set()
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            fields |= {violation.field for violation in bad_request.field_violations}
    return fields


def nan_to_none(value: float) -> float | None:
    return None if math.isnan(value) else value
