"""Which signals a paper account takes, and the order each one becomes.

An account takes a signal of its owner whose strategy it follows: `strategy_id` is one of the
account's strategy ids, or the signal comes from one of its deployments (a deployment publishes
with strategy id "deployments/{id}" unless told otherwise, and may name itself in the
signal's metadata "deployment_id").

A BUY / SELL / CLOSE signal becomes a market order (HOLD becomes nothing); its quantity, stop
loss and take profit carry over (0 means unset), its price target values an unmarked symbol
for the risk limits, and its time is the signal's timestamp (the decision), so it fills at the
first bar opening at or after the decision. Limit and stop orders are refused with the reason:
a paper account fills market orders only.

The bar topic an order watches is its symbol at the timeframe named by the signal's metadata
"timeframe" (a `Timeframe` name: "1_HOUR" or "TIMEFRAME_1_HOUR"), else the account's default.
"""

from __future__ import annotations

import math
from collections.abc import Collection

from alphintra.common.v1 import bar_pb2
from alphintra.signalbus.v1 import signal_pb2
from services.core.signals.paper import Order, OrderIntent, OrderState

INTENTS = {
    signal_pb2.ACTION_BUY: OrderIntent.BUY,
    signal_pb2.ACTION_SELL: OrderIntent.SELL,
    signal_pb2.ACTION_CLOSE: OrderIntent.CLOSE,
}
MARKET_TYPES = (signal_pb2.ORDER_TYPE_UNSPECIFIED, signal_pb2.ORDER_TYPE_MARKET)
DEPLOYMENT_PREFIX = "deployments/"
TIMEFRAME_NAMES = frozenset(bar_pb2.Timeframe.keys()) - {"TIMEFRAME_UNSPECIFIED"}


def takes(
    signal: signal_pb2.Signal, owner_id: str, strategy_ids: Collection[str], deployment_ids: Collection[str]
) -> bool:
    if signal.owner_id != owner_id:
        return False
    if signal.strategy_id in strategy_ids:
        return True
    named = {signal.metadata.get("deployment_id", "")}
    if signal.strategy_id.startswith(DEPLOYMENT_PREFIX):
        named.add(signal.strategy_id.removeprefix(DEPLOYMENT_PREFIX))
    return any(deployment in deployment_ids for deployment in named if deployment)


def _unset_as_nan(value: float) -> float:
    return value if value else math.nan


def order_for(signal: signal_pb2.Signal, order_id: str) -> Order | None:
    """The order a signal asks for (refused already when it is not a market order); None for HOLD."""
    intent = INTENTS.get(signal.action)
    if intent is None:
        return None
    order = Order(
        id=order_id,
        signal_id=signal.signal_id,
        strategy_id=signal.strategy_id,
        symbol=signal.symbol,
        intent=intent,
        quantity=0.0 if intent is OrderIntent.CLOSE else signal.quantity,
        stop_loss=_unset_as_nan(signal.stop_loss),
        take_profit=_unset_as_nan(signal.take_profit),
        create_time=signal.timestamp.ToNanoseconds(),
        reference_price=_unset_as_nan(signal.price_target),
    )
    order_type = signal.execution_params.order_type
    if order_type not in MARKET_TYPES:
        order.state = OrderState.REFUSED
        name = signal_pb2.OrderType.Name(order_type).removeprefix("ORDER_TYPE_")
        order.refusal_reason = f"paper accounts fill market orders only (the signal asks for {name})"
    return order


def timeframe_of(signal: signal_pb2.Signal, default: int) -> int | None:
    """The bar timeframe the signal names in its metadata, else `default`; None for an unknown name."""
    named = signal.metadata.get("timeframe", "").strip().upper()
    if not named:
        return default
    name = named if named.startswith("TIMEFRAME_") else f"TIMEFRAME_{named}"
    if name not in TIMEFRAME_NAMES:
        return None
    return bar_pb2.Timeframe.Value(name)
