"""The path-dependent part of a backtest: one compiled pass over the bars, no Python per bar.

Each bar, in time order:
  1. at the open, fill the market orders decided on the previous close (NEXT_OPEN): first the
     close of the open trade, then the new entry, sized on the equity left after the close;
  2. check the open trade's stop (the tighter of stop-loss and trailing stop) against the low
     (the high, for shorts), then its take-profit against the high (the low); a stop is taken
     before a target touched in the same bar, and a gap through either fills at the open;
  3. mark equity to the close; a max-drawdown halt (or equity at or below zero) closes the
     trade and stops all further trading;
  4. read the intents on this close: fill them at once (THIS_CLOSE) or hold them for the next
     open (NEXT_OPEN).
After the last bar a trade still open is closed at the last close (END_OF_DATA) unless the
config keeps it open.

The cash accounting and the order of every floating-point operation follow backtesting.py's
broker, so that equal inputs give bit-equal trades: the balance is cash plus the cost basis of
the position (it moves only by realised profit and commissions), and equity is
balance + (close × position − position × entry price).

State lives in a small float array (slots below) so that the steps can be separate compiled
functions; on every bar the loop hands them only numbers (see `simulate`), and the ones that
take arrays run only when a fill, an exit or a halt happens.
"""

# numba compiles neither keyword-only parameters nor calls that name them, so the kernel's
# helpers take their (many) arguments by position.
# ruff: noqa: PLR0917

from __future__ import annotations

import math

import numpy as np
from numba import njit

from services.core.backtest.trades import (
    COMMISSION,
    ENTRY_BAR,
    ENTRY_PRICE,
    EXIT_BAR,
    EXIT_PRICE,
    PNL,
    REASON,
    RETURN,
    SIDE,
    SIZE,
    TRADE_FIELDS,
    ExitReason,
)

# -- parameter slots (a float array built by the engine from the config) ----------------------
(
    P_INITIAL_CASH,
    P_COMMISSION,
    P_SLIPPAGE,
    P_FILL_ON_CLOSE,
    P_ALLOW_SHORT,
    P_QUANTITY_STEP,
    P_SIZING_MODE,
    P_SIZING_VALUE,
    P_ATR_MULTIPLIER,
    P_MAX_EXPOSURE,
    P_STOP_LOSS,
    P_TAKE_PROFIT,
    P_TRAILING_STOP,
    P_MAX_DRAWDOWN_HALT,
    P_REVERSE,
    P_CLOSE_AT_END,
    P_WARMUP,
) = range(17)
PARAMETER_COUNT = 17

SIZING_FRACTION, SIZING_FIXED, SIZING_RISK = 0.0, 1.0, 2.0

# -- state slots -----------------------------------------------------------------------------
(
    S_BALANCE,
    S_POSITION,
    S_ENTRY_PRICE,
    S_ENTRY_BAR,
    S_STOP,
    S_TARGET,
    S_EXTREME,
    S_TRADE_COUNT,
    S_PENDING_CLOSE,
    S_PENDING_SIDE,
    S_PENDING_BAR,
    S_HALTED,
    S_EQUITY_PEAK,
    S_HALT_BAR,
) = range(14)
STATE_COUNT = 14

REASON_SIGNAL = float(ExitReason.SIGNAL)
REASON_STOP_LOSS = float(ExitReason.STOP_LOSS)
REASON_TAKE_PROFIT = float(ExitReason.TAKE_PROFIT)
REASON_TRAILING_STOP = float(ExitReason.TRAILING_STOP)
REASON_END_OF_DATA = float(ExitReason.END_OF_DATA)
REASON_DRAWDOWN_HALT = float(ExitReason.DRAWDOWN_HALT)


@njit(cache=True)
def simulate(
    open_, high, low, close, enter_long, exit_long, enter_short, exit_short,
    stop_prices, target_prices, stop_fractions, target_fractions, atr, params,
):  # fmt: skip
    """Run one backtest; returns (equity, cash, position, trades matrix, final state).

    The loop passes only numbers to the helpers it calls on every bar; the helpers that take
    arrays (fills, closes, halts) run only when something happens. (An array handed to a
    function that LLVM does not inline costs atomic reference-count updates per call: a
    helper reading one flag per bar tripled the loop's time.)
    """
    count = close.shape[0]
    enter_long = _all_flags(enter_long, count)
    exit_long = _all_flags(exit_long, count)
    enter_short = _all_flags(enter_short, count)
    exit_short = _all_flags(exit_short, count)
    equity = np.empty(count)
    cash = np.empty(count)
    position = np.empty(count)
    # every trade needs an entry and there is at most one entry per bar
    trades = np.empty((count, TRADE_FIELDS))
    state = np.zeros(STATE_COUNT)
    state[S_BALANCE] = params[P_INITIAL_CASH]
    state[S_EQUITY_PEAK] = params[P_INITIAL_CASH]
    state[S_PENDING_BAR] = -1.0
    state[S_HALT_BAR] = -1.0
    on_close = params[P_FILL_ON_CLOSE] != 0.0
    warmup = int(params[P_WARMUP])
    # what an entry reads on its decision bar, travelling together
    levels = (stop_prices, target_prices, stop_fractions, target_fractions, atr)
    trailing = params[P_TRAILING_STOP]
    halt_level = 1.0 - params[P_MAX_DRAWDOWN_HALT]  # NaN when unset: never reached
    for bar in range(count):
        if state[S_PENDING_BAR] >= 0.0:
            _fill_pending(state, trades, bar, open_[bar], levels, params)
        held = state[S_POSITION]
        if held != 0.0:
            hit, fill, reason = _exit_fill(
                held > 0.0,
                state[S_STOP],
                state[S_TARGET],
                state[S_EXTREME],
                trailing,
                open_[bar],
                high[bar],
                low[bar],
            )
            if hit:
                _close(state, trades, bar, fill, reason, reason != REASON_TAKE_PROFIT, params)
            else:
                state[S_EXTREME] = _follow(held > 0.0, state[S_EXTREME], high[bar], low[bar])
        price = close[bar]
        value = _equity(state[S_BALANCE], state[S_POSITION], state[S_ENTRY_PRICE], price)
        if state[S_HALTED] == 0.0:
            state[S_EQUITY_PEAK] = max(state[S_EQUITY_PEAK], value)
            if value <= 0.0 or value <= state[S_EQUITY_PEAK] * halt_level:
                _halt(state, trades, bar, count, price, on_close or value <= 0.0, params)
            elif bar >= warmup:
                close_now, side = _intent(
                    state[S_POSITION], enter_long[bar], exit_long[bar], enter_short[bar], exit_short[bar],
                    params[P_ALLOW_SHORT] != 0.0, params[P_REVERSE] != 0.0,
                )  # fmt: skip
                if close_now or side != 0.0:
                    _act(state, trades, bar, count, price, close_now, side, on_close, levels, params)
        held = state[S_POSITION]
        equity[bar] = _equity(state[S_BALANCE], held, state[S_ENTRY_PRICE], price)
        cash[bar] = state[S_BALANCE] - held * state[S_ENTRY_PRICE]
        position[bar] = held
    last = count - 1
    if params[P_CLOSE_AT_END] != 0.0 and state[S_POSITION] != 0.0:
        _close(state, trades, last, close[last], REASON_END_OF_DATA, True, params)
        equity[last] = state[S_BALANCE]
        cash[last] = state[S_BALANCE]
        position[last] = 0.0
    trade_count = int(state[S_TRADE_COUNT])
    return equity, cash, position, trades[:trade_count].copy(), state


@njit(cache=True)
def _all_flags(flags, count):
    """The flags, or all False when unset (empty): one read per bar, no test in the loop."""
    if flags.shape[0] == 0:
        return np.zeros(count, dtype=np.bool_)
    return flags


@njit(cache=True)
def _value(values, bar):
    if values.shape[0] == 0:
        return np.nan
    return values[bar]


@njit(cache=True)
def _equity(balance, held, entry_price, price):
    """Balance plus the open position marked to `price` (backtesting.py's order of operations)."""
    if held == 0.0:
        return balance
    return balance + (price * held - held * entry_price)


@njit(cache=True)
def _intent(held, long_signal, long_exit, short_signal, short_exit, allow_short, reverse):
    """(close the open trade?, side to open: +1, -1 or 0) from this bar's intents.

    Entries in both directions on one bar cancel out; an entry is not taken on a bar whose
    exit for the same side is set; an entry on the side already held is ignored (no pyramiding).
    """
    if long_signal and short_signal:
        long_signal = False
        short_signal = False
    long_opens = long_signal and not long_exit
    short_opens = short_signal and not short_exit and allow_short
    if held > 0.0:
        close_now = long_exit or short_signal
        return close_now, -1.0 if (close_now and reverse and short_opens) else 0.0
    if held < 0.0:
        close_now = short_exit or long_signal
        return close_now, 1.0 if (close_now and reverse and long_opens) else 0.0
    if long_opens:
        return False, 1.0
    return False, -1.0 if short_opens else 0.0


@njit(cache=True)
def _act(state, trades, bar, count, price, close_now, side, on_close, levels, params):
    """Carry out an intent: fill it at this close (THIS_CLOSE) or hold it for the next open."""
    if on_close:
        if close_now:
            _close(state, trades, bar, price, REASON_SIGNAL, True, params)
        if side != 0.0 and bar < count - 1:
            _open(state, bar, bar, side, price, levels, params)
    elif bar < count - 1:
        state[S_PENDING_CLOSE] = REASON_SIGNAL if close_now else 0.0
        state[S_PENDING_SIDE] = side
        state[S_PENDING_BAR] = bar


@njit(cache=True)
def _fill_pending(state, trades, bar, price, levels, params):
    """Fill at this open what the previous close decided: the close first, then the entry."""
    if state[S_PENDING_CLOSE] != 0.0 and state[S_POSITION] != 0.0:
        _close(state, trades, bar, price, state[S_PENDING_CLOSE], True, params)
    side = state[S_PENDING_SIDE]
    if side != 0.0 and state[S_POSITION] == 0.0:
        _open(state, bar, int(state[S_PENDING_BAR]), side, price, levels, params)
    state[S_PENDING_CLOSE] = 0.0
    state[S_PENDING_SIDE] = 0.0
    state[S_PENDING_BAR] = -1.0


@njit(cache=True)
def _open(state, bar, signal_bar, side, price, levels, params):
    """Enter `side` at `price` (slippage added against us) if the sizing allows at least one step."""
    stop_prices, target_prices, stop_fractions, target_fractions, atr = levels
    fill = price * (1.0 + side * params[P_SLIPPAGE])
    size = _size(state[S_BALANCE], fill, _value(atr, signal_bar), params)
    if not size > 0.0:
        return
    state[S_BALANCE] -= size * fill * params[P_COMMISSION]
    state[S_POSITION] = side * size
    state[S_ENTRY_PRICE] = fill
    state[S_ENTRY_BAR] = bar
    state[S_EXTREME] = fill
    state[S_STOP] = _level(
        fill, -side, _value(stop_prices, signal_bar), _value(stop_fractions, signal_bar), params[P_STOP_LOSS]
    )
    state[S_TARGET] = _level(
        fill,
        side,
        _value(target_prices, signal_bar),
        _value(target_fractions, signal_bar),
        params[P_TAKE_PROFIT],
    )


@njit(cache=True)
def _level(fill, direction, price, fraction, default_fraction):
    """A stop or target: the given price, else `fill` moved by a fraction in `direction`."""
    if not math.isnan(price):
        return price
    if not math.isnan(fraction):
        return fill * (1.0 + direction * fraction)
    if not math.isnan(default_fraction):
        return fill * (1.0 + direction * default_fraction)
    return np.nan


@njit(cache=True)
def _size(equity, fill, atr_value, params):
    """Units to buy or sell, flat, with `equity` to spend: a multiple of the quantity step.

    A unit costs its price plus the entry commission on it. The fraction-of-equity rounding
    is backtesting.py's: budget // unit cost.
    """
    unit_cost = fill + fill * params[P_COMMISSION]
    step = params[P_QUANTITY_STEP]
    mode = params[P_SIZING_MODE]
    exposure = params[P_MAX_EXPOSURE]
    if mode == SIZING_FRACTION:
        budget = equity * min(params[P_SIZING_VALUE], exposure)
        if step > 0.0:
            return (budget // (unit_cost * step)) * step
        return budget / unit_cost
    if mode == SIZING_FIXED:
        wanted = params[P_SIZING_VALUE]
    else:
        distance = atr_value * params[P_ATR_MULTIPLIER]
        if not distance > 0.0:
            return 0.0
        wanted = equity * params[P_SIZING_VALUE] / distance
    allowed = equity * exposure / unit_cost
    if step > 0.0:
        # a hair of tolerance so that a fixed 0.3 with step 0.1 stays 0.3
        return min(math.floor(wanted / step + 1e-9), math.floor(allowed / step)) * step
    return min(wanted, allowed)


@njit(cache=True)
def _close(state, trades, bar, price, reason, slipped, params):
    """Close the whole position at `price` (less slippage if `slipped`) and record the trade."""
    held = state[S_POSITION]
    side = 1.0 if held > 0.0 else -1.0
    size = abs(held)
    fill = price * (1.0 - side * params[P_SLIPPAGE]) if slipped else price
    entry = state[S_ENTRY_PRICE]
    rate = params[P_COMMISSION]
    gross = held * (fill - entry)
    exit_commission = size * fill * rate
    state[S_BALANCE] += gross - exit_commission
    commission = exit_commission + size * entry * rate
    row = int(state[S_TRADE_COUNT])
    trades[row, ENTRY_BAR] = state[S_ENTRY_BAR]
    trades[row, EXIT_BAR] = bar
    trades[row, SIDE] = side
    trades[row, SIZE] = size
    trades[row, ENTRY_PRICE] = entry
    trades[row, EXIT_PRICE] = fill
    trades[row, COMMISSION] = commission
    trades[row, PNL] = gross - commission
    trades[row, RETURN] = side * (fill / entry - 1.0) - commission / (size * entry)
    trades[row, REASON] = reason
    state[S_TRADE_COUNT] = row + 1
    state[S_POSITION] = 0.0
    state[S_ENTRY_PRICE] = 0.0
    state[S_STOP] = np.nan
    state[S_TARGET] = np.nan
    state[S_EXTREME] = np.nan


@njit(cache=True)
def _follow(long, extreme, high, low):
    """The best price so far, for the trailing stop, once a bar has passed without an exit."""
    return max(extreme, high) if long else min(extreme, low)


@njit(cache=True)
def _exit_fill(long, stop, target, extreme, trailing, open_price, high, low):
    """(hit?, fill price, reason) of the stop or the target on one bar; the stop is tried first.

    The stop is the tighter of the stop-loss and the trailing stop, which trails the best
    price up to the previous bar (the entry price on the entry bar), so no bar's high is
    assumed to come before its low. A bar opening beyond a level fills at the open.
    """
    reason = REASON_STOP_LOSS
    if trailing > 0.0:
        trail = extreme * (1.0 - trailing) if long else extreme * (1.0 + trailing)
        if math.isnan(stop) or ((trail > stop) if long else (trail < stop)):
            stop = trail
            reason = REASON_TRAILING_STOP
    if long:
        if low <= stop:
            return True, min(open_price, stop), reason
        if high >= target:
            return True, max(open_price, target), REASON_TAKE_PROFIT
    else:
        if high >= stop:
            return True, max(open_price, stop), reason
        if low <= target:
            return True, min(open_price, target), REASON_TAKE_PROFIT
    return False, 0.0, 0.0


@njit(cache=True)
def _halt(state, trades, bar, count, price, at_close, params):
    """Stop trading for good: close the open trade at this close, or at the next open."""
    state[S_HALTED] = 1.0
    state[S_HALT_BAR] = bar
    if state[S_POSITION] == 0.0:
        return
    if at_close:
        _close(state, trades, bar, price, REASON_DRAWDOWN_HALT, True, params)
    elif bar < count - 1:
        state[S_PENDING_CLOSE] = REASON_DRAWDOWN_HALT
        state[S_PENDING_SIDE] = 0.0
        state[S_PENDING_BAR] = bar


# Public names for the rules other simulators share (the paper-trading book sizes its "all in"
# orders and checks stops and targets with these very functions, so that it fills as a backtest).
# The underscored names stay: the kernel's compiled functions call them.
position_size = _size
exit_fill = _exit_fill
