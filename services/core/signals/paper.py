"""A paper-trading account's book: orders from signals, fills at the next bar, positions, P&L.

The fills follow the backtest engine (`services.core.backtest`), through its own code where it
has it: sizing (`kernel.position_size`, from the account's config as a `BacktestConfig`), the
stop-loss / take-profit check against a bar's range with gaps filled at the open
(`kernel.exit_fill`), and
the same arithmetic, in the same order, for slippage, commission, balance and equity. So an
account fed the bars and signals a backtest was fed ends with the same trades and equity.

Rules
- A signal becomes an order for its symbol, filled at the open of that symbol's next bar whose
  open time is at or after the order's time (slippage against the trader); a later signal for
  the symbol before that bar replaces it.
- BUY / SELL with a quantity trade that many units: toward flat, then (if more) beyond it; adding
  to a position averages its entry price. Quantity 0 means "all in", as the backtest's default
  sizing: on the opposite side it reverses (closes, then opens the other way with the equity
  left); on the side already held it does nothing (no pyramiding). SELL opens or extends a short
  only when the account allows shorts; otherwise it only closes a long. CLOSE closes the
  position; HOLD does nothing.
- A stop-loss / take-profit on the signal applies to the position the order opens; both are
  checked on every bar from the fill bar on, the stop first when a bar touches both.
- Risk limits, checked when the order is created against the latest marks: the position's value
  after the order (max_position_fraction of equity), the sum over symbols (max_exposure_fraction),
  and the day's loss (max_daily_loss_fraction of the UTC day's starting equity: until the next
  day, orders that open or add are refused). A refused order is kept with its reason. "All in"
  orders are sized within the position and exposure limits instead of refused. A symbol without
  a mark yet is valued at the order's reference price (the signal's price target); without one
  the check waits for the fill bar and values the symbol at its open.
- Equity is marked to each bar's close; daily P&L is per UTC day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from services.core.backtest import kernel
from services.core.backtest.config import BacktestConfig
from services.core.backtest.engine import kernel_parameters
from services.core.backtest.inputs import Intents, prepare_intents
from services.core.errors import FieldViolation, InvalidArgument

NANOSECONDS_PER_DAY = 86_400 * 10**9


class Side(IntEnum):
    BUY = 1
    SELL = -1


class OrderIntent(IntEnum):
    BUY = 1
    SELL = 2
    CLOSE = 4


class OrderState(IntEnum):  # the values of the contract's OrderState
    PENDING = 1
    FILLED = 2
    REFUSED = 3
    EXPIRED = 4
    CANCELLED = 5


class FillReason(IntEnum):
    ORDER = 0
    STOP_LOSS = 2
    TAKE_PROFIT = 3


@dataclass(frozen=True, slots=True)
class AccountConfig:
    initial_cash: float
    commission: float = 0.0
    slippage: float = 0.0
    allow_short: bool = False
    quantity_step: float = 0.0  # 0: any fraction; 1: whole units
    max_position_fraction: float = 0.0  # 0 disables a limit
    max_exposure_fraction: float = 0.0
    max_daily_loss_fraction: float = 0.0

    def __post_init__(self) -> None:
        violations = [
            FieldViolation(name, "must be a finite number ≥ 0")
            for name in (
                "commission",
                "slippage",
                "quantity_step",
                "max_position_fraction",
                "max_exposure_fraction",
                "max_daily_loss_fraction",
            )
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) >= 0)
        ]
        if not (math.isfinite(self.initial_cash) and self.initial_cash > 0):
            violations.append(FieldViolation("initial_cash", "must be a finite number > 0"))
        for name in ("commission", "slippage", "max_daily_loss_fraction"):
            if getattr(self, name) >= 1:
                violations.append(FieldViolation(name, "must be < 1"))
        if violations:
            raise InvalidArgument("invalid paper account settings", violations)


@dataclass(slots=True)
class Order:
    id: str
    signal_id: str
    strategy_id: str
    symbol: str
    intent: OrderIntent
    quantity: float  # 0: all in (BUY/SELL), or the whole position (CLOSE)
    stop_loss: float  # price, NaN: none
    take_profit: float
    create_time: int  # ns
    reference_price: float = math.nan  # values an unmarked symbol for the limit checks
    state: OrderState = OrderState.PENDING
    limits_deferred: bool = False  # no price to check the limits with before the fill bar
    refusal_reason: str = ""
    fill_price: float = math.nan
    fill_time: int = 0


@dataclass(frozen=True, slots=True)
class Fill:
    order_id: str  # '' for a stop-loss / take-profit exit
    signal_id: str
    symbol: str
    side: Side
    quantity: float
    price: float  # slippage included
    commission: float
    slippage_cost: float
    realized_pnl: float  # net of this fill's commission and the entry commission of what it closed
    time: int  # ns
    reason: FillReason
    closing: bool  # reduces or closes a position (else it opens or adds)
    entry_price: float = math.nan  # closing fills: the average entry price of what they closed
    entry_time: int = 0  # closing fills: when that position was opened


@dataclass(slots=True)
class Holding:
    quantity: float  # signed
    entry_price: float  # volume-weighted, slippage included
    open_time: int
    stop: float = math.nan
    target: float = math.nan
    realized_pnl: float = 0.0
    signal_id: str = ""


@dataclass(frozen=True, slots=True)
class PaperBar:
    symbol: str
    time: int  # ns, the bar's open time
    open: float
    high: float
    low: float
    close: float


@dataclass(frozen=True, slots=True)
class EquityPoint:
    time: int
    equity: float
    symbol: str = ""  # the bar that marked it
    close: float = math.nan


@dataclass
class PaperBook:
    config: AccountConfig
    balance: float = field(init=False)  # cash plus the cost basis of open positions
    holdings: dict[str, Holding] = field(default_factory=dict)
    pending: dict[str, Order] = field(default_factory=dict)
    marks: dict[str, float] = field(default_factory=dict)  # latest close per symbol
    marked_at: dict[str, int] = field(default_factory=dict)  # that close's bar time
    fills: list[Fill] = field(default_factory=list)
    equity_curve: list[EquityPoint] = field(default_factory=list)
    day: int = -1
    day_start_equity: float = field(init=False)
    halted: bool = False

    def __post_init__(self) -> None:
        self.balance = self.config.initial_cash
        self.day_start_equity = self.config.initial_cash
        backtest = BacktestConfig(
            initial_cash=self.config.initial_cash,
            commission=self.config.commission,
            slippage=self.config.slippage,
            allow_short=self.config.allow_short,
            quantity_step=self.config.quantity_step,
            close_at_end=False,
        )
        self._parameters = kernel_parameters(backtest, prepare_intents(Intents(), 2))

    # -- what the account is worth ------------------------------------------------------------

    def equity(self) -> float:
        value = self.balance
        for symbol, holding in self.holdings.items():
            price = self.marks.get(symbol, holding.entry_price)
            value = value + (price * holding.quantity - holding.quantity * holding.entry_price)
        return value

    def position_value(self, symbol: str, quantity: float) -> float:
        return abs(quantity) * self.marks.get(symbol, 0.0)

    # -- orders -------------------------------------------------------------------------------

    def submit(self, order: Order) -> Order:
        """Check an order against the limits; pending (replacing the symbol's pending one) or refused."""
        reason = self._refusal(order)
        if reason:
            order.state, order.refusal_reason = OrderState.REFUSED, reason
            return order
        replaced = self.pending.get(order.symbol)
        if replaced is not None:
            replaced.state = OrderState.CANCELLED
        self.pending[order.symbol] = order
        return order

    def _refusal(self, order: Order) -> str:
        held = self.holdings[order.symbol].quantity if order.symbol in self.holdings else 0.0
        if order.intent is OrderIntent.CLOSE:
            return ""
        side = 1.0 if order.intent is OrderIntent.BUY else -1.0
        if side < 0 and not self.config.allow_short and held <= 0:
            return "short positions are not allowed on this account"
        if order.quantity == 0:
            return ""
        after = held + side * order.quantity
        if not self.config.allow_short and after < 0:
            after = 0.0
        if abs(after) <= abs(held):  # reduces or closes: always allowed
            return ""
        price = self.marks.get(order.symbol, order.reference_price)
        if math.isnan(price) and not (self.halted and self.config.max_daily_loss_fraction):
            order.limits_deferred = True
            return ""
        return self._limit_refusal(order.symbol, after, price)

    def _limit_refusal(self, symbol: str, after: float, price: float) -> str:
        """Why a position of `after` units in `symbol` at `price` would break a limit ('' if none)."""
        if self.halted and self.config.max_daily_loss_fraction:  # the limit may have been lifted since
            loss = self.config.max_daily_loss_fraction
            return f"max daily loss {loss:.2f} of the day's starting equity reached; trading resumes tomorrow"
        equity = self.equity()
        limit = self.config.max_position_fraction
        value = abs(after) * price
        if limit and value > limit * equity:
            return f"max position {limit:.2f} of equity would be exceeded ({value / equity:.2f})"
        limit = self.config.max_exposure_fraction
        exposure = value + sum(
            self.position_value(name, holding.quantity)
            for name, holding in self.holdings.items()
            if name != symbol
        )
        if limit and exposure > limit * equity:
            return f"max exposure {limit:.2f} of equity would be exceeded ({exposure / equity:.2f})"
        return ""

    # -- bars ---------------------------------------------------------------------------------

    def on_bar(self, bar: PaperBar) -> list[Fill]:
        """One bar of its symbol: fill the pending order at the open, check stops, mark to the close."""
        time = bar.time
        self._roll_day(time)
        fills: list[Fill] = []
        order = self.pending.get(bar.symbol)
        if order is not None and time >= order.create_time:
            del self.pending[bar.symbol]
            if not self._refused_at_fill(order, bar.open):
                fills += self._execute(order, time, bar.open)
        if bar.symbol in self.holdings:
            fills += self._check_exits(bar)
        self.marks[bar.symbol] = bar.close
        self.marked_at[bar.symbol] = time
        equity = self.equity()
        self.equity_curve.append(EquityPoint(time, equity, bar.symbol, bar.close))
        limit = self.config.max_daily_loss_fraction
        if limit and equity <= self.day_start_equity * (1 - limit):
            self.halted = True
        self.fills += fills
        return fills

    def _refused_at_fill(self, order: Order, open_: float) -> bool:
        """The limit check an order created without a price waited for, at the fill bar's open."""
        if not order.limits_deferred:
            return False
        held = self.holdings[order.symbol].quantity if order.symbol in self.holdings else 0.0
        side = 1.0 if order.intent is OrderIntent.BUY else -1.0
        after = held + side * order.quantity
        if not self.config.allow_short and after < 0:
            after = 0.0
        reason = self._limit_refusal(order.symbol, after, open_) if order.quantity else ""
        if reason:
            order.state, order.refusal_reason = OrderState.REFUSED, reason
        return bool(reason)

    def _roll_day(self, time: int) -> None:
        day = time // NANOSECONDS_PER_DAY
        if day != self.day:
            self.day = day
            self.day_start_equity = self.equity()
            self.halted = False

    def _execute(self, order: Order, time: int, open_: float) -> list[Fill]:
        held = self.holdings[order.symbol].quantity if order.symbol in self.holdings else 0.0
        fills: list[Fill] = []
        if order.intent is OrderIntent.CLOSE:
            if held:
                fills.append(
                    self._close(
                        order.symbol,
                        abs(held),
                        open_,
                        time,
                        order=order,
                        reason=FillReason.ORDER,
                        slipped=True,
                    )
                )
            return self._filled(order, fills, time)
        side = 1.0 if order.intent is OrderIntent.BUY else -1.0
        if order.quantity == 0:
            if held * side > 0:  # already on this side: no pyramiding
                return self._filled(order, fills, time)
            if held:
                fills.append(
                    self._close(
                        order.symbol,
                        abs(held),
                        open_,
                        time,
                        order=order,
                        reason=FillReason.ORDER,
                        slipped=True,
                    )
                )
            if side > 0 or self.config.allow_short:
                fills += self._open(order, side, None, open_, time)
            return self._filled(order, fills, time)
        remaining = order.quantity
        if held * side < 0:  # toward flat first
            closing = min(abs(held), remaining)
            fills.append(
                self._close(
                    order.symbol, closing, open_, time, order=order, reason=FillReason.ORDER, slipped=True
                )
            )
            remaining -= closing
        if remaining > 0 and (side > 0 or self.config.allow_short):
            fills += self._open(order, side, remaining, open_, time)
        return self._filled(order, fills, time)

    @staticmethod
    def _filled(order: Order, fills: list[Fill], time: int) -> list[Fill]:
        order.state = OrderState.FILLED
        order.fill_time = time
        if fills:
            order.fill_price = fills[-1].price
        return fills

    def _open(self, order: Order, side: float, quantity: float | None, price: float, time: int) -> list[Fill]:
        fill = price * (1.0 + side * self.config.slippage)
        if quantity is None:
            budget = self._all_in_budget(order.symbol)
            quantity = float(kernel.position_size(budget, fill, math.nan, self._parameters))
        if not quantity > 0.0:
            return []
        commission = quantity * fill * self.config.commission
        self.balance -= commission
        holding = self.holdings.get(order.symbol)
        if holding is None:
            holding = Holding(
                quantity=side * quantity, entry_price=fill, open_time=time, signal_id=order.signal_id
            )
            self.holdings[order.symbol] = holding
        else:
            total = abs(holding.quantity) + quantity
            holding.entry_price = (abs(holding.quantity) * holding.entry_price + quantity * fill) / total
            holding.quantity = side * total
        if not math.isnan(order.stop_loss):
            holding.stop = order.stop_loss
        if not math.isnan(order.take_profit):
            holding.target = order.take_profit
        slippage_cost = quantity * abs(fill - price)
        fill_record = Fill(
            order_id=order.id,
            signal_id=order.signal_id,
            symbol=order.symbol,
            side=Side(int(side)),
            quantity=quantity,
            price=fill,
            commission=commission,
            slippage_cost=slippage_cost,
            realized_pnl=0.0,
            time=time,
            reason=FillReason.ORDER,
            closing=False,
            entry_price=fill,
            entry_time=time,
        )
        return [fill_record]

    def _all_in_budget(self, symbol: str) -> float:
        """What an "all in" order may spend: the balance (the backtest's sizing base), within the limits."""
        budget = self.balance
        equity = self.equity()
        if self.config.max_position_fraction:
            budget = min(budget, self.config.max_position_fraction * equity)
        if self.config.max_exposure_fraction:
            others = sum(
                self.position_value(name, held.quantity)
                for name, held in self.holdings.items()
                if name != symbol
            )
            budget = min(budget, max(0.0, self.config.max_exposure_fraction * equity - others))
        return budget

    def _close(
        self,
        symbol: str,
        quantity: float,
        price: float,
        time: int,
        *,
        order: Order | None,
        reason: FillReason,
        slipped: bool,
    ) -> Fill:
        holding = self.holdings[symbol]
        side = 1.0 if holding.quantity > 0 else -1.0
        fill = price * (1.0 - side * self.config.slippage) if slipped else price
        entry = holding.entry_price
        rate = self.config.commission
        part = side * quantity
        gross = part * (fill - entry)
        exit_commission = quantity * fill * rate
        self.balance += gross - exit_commission
        realized = gross - (exit_commission + quantity * entry * rate)
        holding.realized_pnl += realized
        remaining = holding.quantity - part
        if abs(remaining) <= 1e-12 * max(1.0, abs(holding.quantity)):
            del self.holdings[symbol]
        else:
            holding.quantity = remaining
        return Fill(
            order.id if order is not None else "",
            order.signal_id if order is not None else holding.signal_id,
            symbol,
            Side(int(-side)),
            quantity,
            fill,
            exit_commission,
            quantity * abs(fill - price),
            realized,
            time,
            reason,
            closing=True,
            entry_price=entry,
            entry_time=holding.open_time,
        )

    def _check_exits(self, bar: PaperBar) -> list[Fill]:
        holding = self.holdings[bar.symbol]
        if math.isnan(holding.stop) and math.isnan(holding.target):
            return []
        hit, price, reason = kernel.exit_fill(
            holding.quantity > 0,
            holding.stop,
            holding.target,
            holding.entry_price,
            0.0,
            bar.open,
            bar.high,
            bar.low,
        )
        if not hit:
            return []
        take_profit = reason == kernel.REASON_TAKE_PROFIT
        kind = FillReason.TAKE_PROFIT if take_profit else FillReason.STOP_LOSS
        # a take-profit is a limit order: no slippage (as the backtest)
        return [
            self._close(
                bar.symbol,
                abs(holding.quantity),
                price,
                bar.time,
                order=None,
                reason=kind,
                slipped=not take_profit,
            )
        ]

    # -- reports ------------------------------------------------------------------------------

    def daily_pnl(self) -> list[tuple[int, float, float, float]]:
        return daily_pnl(self.equity_curve, self.config.initial_cash)

    def equity_array(self) -> tuple[np.ndarray, np.ndarray]:
        times = np.array([point.time for point in self.equity_curve], dtype=np.int64)
        values = np.array([point.equity for point in self.equity_curve], dtype=np.float64)
        return times, values


def daily_pnl(points: list[EquityPoint], initial_cash: float) -> list[tuple[int, float, float, float]]:
    """(UTC day number, P&L, return on the day's starting equity, end equity), oldest first.

    A day starts with the equity the previous day ended with (the initial cash for the first).
    """
    days: list[tuple[int, float, float, float]] = []
    start = initial_cash
    current_day, last_equity = None, start
    for point in points:
        day = point.time // NANOSECONDS_PER_DAY
        if current_day is not None and day != current_day:
            days.append((current_day, last_equity - start, (last_equity - start) / start, last_equity))
            start = last_equity
        current_day, last_equity = day, point.equity
    if current_day is not None:
        days.append((current_day, last_equity - start, (last_equity - start) / start, last_equity))
    return days
