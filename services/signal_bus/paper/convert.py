"""Paper accounts and their reports as the contract's messages."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from google.protobuf import timestamp_pb2

from alphintra.signalbus.v1 import paper_trading_service_pb2 as messages
from services.core.signals.paper import NANOSECONDS_PER_DAY, Fill, Side
from services.core.signals.paper_state import book_from_data
from services.signal_bus.paper.store import OrderRecord, StoredAccount

TRADE_SIDES = {Side.BUY: messages.ORDER_SIDE_BUY, Side.SELL: messages.ORDER_SIDE_SELL}


def timestamp(nanoseconds: int) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromNanoseconds(int(nanoseconds))
    return stamp


def _set_time(target: timestamp_pb2.Timestamp, value: datetime | None) -> None:
    if value is not None:
        target.FromDatetime(value)


def account_message(account: StoredAccount) -> messages.PaperAccount:
    book = book_from_data(account.config, account.book)
    config = account.config
    cost_basis = sum(holding.quantity * holding.entry_price for holding in book.holdings.values())
    message = messages.PaperAccount(
        name=f"paperAccounts/{account.id}",
        id=account.id,
        owner_id=account.ownership.owner_id,
        display_name=account.display_name,
        initial_cash=config.initial_cash,
        cash=book.balance - cost_basis,
        equity=book.equity(),
        commission_fraction=config.commission,
        slippage_fraction=config.slippage,
        strategy_ids=account.strategy_ids,
        deployment_ids=account.deployment_ids,
        risk_limits=messages.RiskLimits(
            max_position_fraction=config.max_position_fraction,
            max_exposure_fraction=config.max_exposure_fraction,
            max_daily_loss_fraction=config.max_daily_loss_fraction,
        ),
        allow_short=config.allow_short,
        reset_count=account.reset_count,
        trading_halted=book.halted and bool(config.max_daily_loss_fraction),
        etag=account.etag,
    )
    _set_time(message.create_time, account.create_time)
    _set_time(message.update_time, account.update_time)
    _set_time(message.last_reset_time, account.last_reset_time)
    return message


def positions_message(account: StoredAccount) -> list[messages.Position]:
    book = book_from_data(account.config, account.book)
    positions = []
    for symbol in sorted(book.holdings):
        holding = book.holdings[symbol]
        price = book.marks.get(symbol, holding.entry_price)
        position = messages.Position(
            symbol=symbol,
            quantity=holding.quantity,
            average_price=holding.entry_price,
            market_price=price,
            market_value=holding.quantity * price,
            unrealized_pnl=holding.quantity * (price - holding.entry_price),
            realized_pnl=holding.realized_pnl,
            open_time=timestamp(holding.open_time),
        )
        if symbol in book.marked_at:
            position.update_time.CopyFrom(timestamp(book.marked_at[symbol]))
        positions.append(position)
    return positions


def order_message(record: OrderRecord) -> messages.PaperOrder:
    order = record.order
    message = messages.PaperOrder(
        id=order.id,
        signal_id=order.signal_id,
        strategy_id=order.strategy_id,
        symbol=order.symbol,
        side=record.side,
        quantity=order.quantity,
        order_type=record.order_type,
        time_in_force=record.time_in_force,
        limit_price=record.limit_price,
        stop_price=record.stop_price,
        state=int(order.state),
        refusal_reason=order.refusal_reason,
        create_time=timestamp(order.create_time),
    )
    if not math.isnan(order.fill_price):
        message.fill_price = order.fill_price
    if order.fill_time:
        message.fill_time.CopyFrom(timestamp(order.fill_time))
    return message


def trade_message(trade_id: str, fill: Fill) -> messages.PaperTrade:
    return messages.PaperTrade(
        id=trade_id,
        order_id=fill.order_id,
        signal_id=fill.signal_id,
        symbol=fill.symbol,
        side=TRADE_SIDES[fill.side],
        quantity=fill.quantity,
        price=fill.price,
        commission=fill.commission,
        slippage_cost=fill.slippage_cost,
        realized_pnl=fill.realized_pnl if fill.closing else 0.0,
        time=timestamp(fill.time),
    )


def daily_pnl_message(day: int, pnl: float, fraction: float, end_equity: float) -> messages.DailyPnl:
    date = datetime.fromtimestamp(day * NANOSECONDS_PER_DAY / 10**9, tz=UTC).date().isoformat()
    return messages.DailyPnl(date=date, pnl=pnl, return_fraction=fraction, end_equity=end_equity)
