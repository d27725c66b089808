"""A paper book as plain data and back: what is stored between two bars.

The snapshot holds what the next event needs (balance, holdings, pending orders, marks, the
day's start and the halt); fills and equity points are not in it: they are appended to their
own tables as they happen, so a restored book starts with both lists empty and they hold only
what happened since. Floats survive exactly (JSON writes the shortest repr that reads back to
the same double); NaN, which JSON cannot hold, is stored as null.
"""

from __future__ import annotations

import math
from typing import Any

from services.core.signals.paper import AccountConfig, Holding, Order, OrderIntent, OrderState, PaperBook

Snapshot = dict[str, Any]


def _number(value: float) -> float | None:
    return None if math.isnan(value) else value


def _float(value: float | None) -> float:
    return math.nan if value is None else float(value)


def order_to_data(order: Order) -> Snapshot:
    return {
        "id": order.id,
        "signal_id": order.signal_id,
        "strategy_id": order.strategy_id,
        "symbol": order.symbol,
        "intent": int(order.intent),
        "quantity": order.quantity,
        "stop_loss": _number(order.stop_loss),
        "take_profit": _number(order.take_profit),
        "create_time": order.create_time,
        "reference_price": _number(order.reference_price),
        "limits_deferred": order.limits_deferred,
    }


def order_from_data(data: Snapshot) -> Order:
    return Order(
        id=data["id"],
        signal_id=data["signal_id"],
        strategy_id=data["strategy_id"],
        symbol=data["symbol"],
        intent=OrderIntent(data["intent"]),
        quantity=float(data["quantity"]),
        stop_loss=_float(data["stop_loss"]),
        take_profit=_float(data["take_profit"]),
        create_time=int(data["create_time"]),
        reference_price=_float(data["reference_price"]),
        state=OrderState.PENDING,
        limits_deferred=bool(data["limits_deferred"]),
    )


def book_to_data(book: PaperBook) -> Snapshot:
    return {
        "balance": book.balance,
        "holdings": {
            symbol: {
                "quantity": holding.quantity,
                "entry_price": holding.entry_price,
                "open_time": holding.open_time,
                "stop": _number(holding.stop),
                "target": _number(holding.target),
                "realized_pnl": holding.realized_pnl,
                "signal_id": holding.signal_id,
            }
            for symbol, holding in book.holdings.items()
        },
        "pending": [order_to_data(order) for order in book.pending.values()],
        "marks": dict(book.marks),
        "marked_at": dict(book.marked_at),
        "day": book.day,
        "day_start_equity": book.day_start_equity,
        "halted": book.halted,
    }


def book_from_data(config: AccountConfig, data: Snapshot | None) -> PaperBook:
    """The book as it was stored; a fresh one (all cash) for None."""
    book = PaperBook(config)
    if not data:
        return book
    book.balance = float(data["balance"])
    book.holdings = {
        symbol: Holding(
            quantity=float(held["quantity"]),
            entry_price=float(held["entry_price"]),
            open_time=int(held["open_time"]),
            stop=_float(held["stop"]),
            target=_float(held["target"]),
            realized_pnl=float(held["realized_pnl"]),
            signal_id=held["signal_id"],
        )
        for symbol, held in data["holdings"].items()
    }
    book.pending = {order["symbol"]: order_from_data(order) for order in data["pending"]}
    book.marks = {symbol: float(price) for symbol, price in data["marks"].items()}
    book.marked_at = {symbol: int(time) for symbol, time in data["marked_at"].items()}
    book.day = int(data["day"])
    book.day_start_equity = float(data["day_start_equity"])
    book.halted = bool(data["halted"])
    return book
