"""The backtest engine: a strategy's per-bar intents simulated on bars, with trades and metrics.

Equal to backtesting.py 0.6 on the same data and semantics (a differential test proves it on
its GOOG data), and compiled with numba so that a million bars take milliseconds.

Inputs
    `Bars`: open, high, low, close, volume (float64) and timestamps (int64 ns or datetime64).
    `Intents`, computed by a strategy on each bar's close: enter long, exit long, enter short,
    exit short (booleans per bar); optionally per-bar stop-loss / take-profit prices or
    fractions for the trade an entry on that bar opens, an ATR array for risk sizing, and the
    warm-up (bars before the strategy's indicators have values; intents there are ignored).
    `BacktestConfig` (frozen): initial cash, commission, slippage, fill timing, shorts allowed,
    quantity step, sizing, stop-loss / take-profit / trailing stop fractions, max exposure, max
    drawdown halt, reverse or exit only on an opposite signal, close at end, risk-free rate.

Semantics
    - Intents are read on a bar's close. Market orders fill at the next bar's open (NEXT_OPEN,
      the default) or at that same close (THIS_CLOSE, backtesting.py's trade_on_close=True).
      Intents on the last bar cannot fill at a next open and are dropped; with THIS_CLOSE an
      exit there fills, an entry does not (it would be closed at once by the end of data).
    - One position at a time, long or short. An entry on the side already held is ignored (no
      pyramiding); entries in both directions on one bar cancel out; an entry is not taken on
      a bar whose exit for the same side is set.
    - On an opposite entry signal, REVERSE closes the open trade and opens the opposite one
      (backtesting.py's `position.close(); buy()` / `sell()`), both at the same fill; EXIT_ONLY
      only closes it. With allow_short=False a short entry signal only closes a long.
    - Sizing happens at the fill, on the equity after any close there: FractionOfEquity
      spends fraction × equity on units at price + commission (as backtesting.py, whose
      default fraction is 1 − 2⁻⁵², `Strategy._FULL_EQUITY`); FixedQuantity trades a fixed
      number of units; RiskPerTrade trades risk × equity / (ATR × multiplier) units, the ATR
      read on the decision bar. No entry may be worth more than max_exposure × equity. Sizes
      are rounded down to multiples of quantity_step (1: whole units, as backtesting.py; 1e-8:
      satoshis, as its FractionalBacktest; 0: any fraction). An entry smaller than one step is
      not taken.
    - Commission is a fraction of the traded value (size × fill price), charged at entry and
      at exit; a trade's pnl and return are after both. Slippage moves every market and stop
      fill against the trader by a fraction of the price (buys higher, sells lower); a
      take-profit is a limit order and fills without slippage. (backtesting.py's `spread` is
      applied to entries only; parity is tested without either.)
    - Stop-loss, take-profit and trailing stops are checked against each bar's low and high,
      from the entry bar itself when filled at its open (backtesting.py does the same), from the
      next bar when filled at a close. When the stop and the target are both touched in one bar
      the stop is assumed first. A stop fills at its price, or at the open if the bar opened
      beyond it (a gap); a target likewise at its price or the better open. The trailing stop
      follows the best high (low, for shorts) up to the previous bar, starting at the entry
      price, so no assumption is made about the order of a bar's high and low; of the
      stop-loss and the trailing stop the tighter one applies.
    - On each close, equity is marked to the close. If it is max_drawdown_halt below its
      running peak, the open trade is closed like a market order (next open, or this close)
      with reason DRAWDOWN_HALT and no further intent is taken. Equity at or below zero halts
      the same way, closing at that close (backtesting.py stops there too).
    - End of data: a trade still open after the last bar is closed at the last close (reason
      END_OF_DATA; commission and slippage apply) and counts in every metric. With
      close_at_end=False it stays open instead, as in backtesting.py's default
      (finalize_trades=False): equity marks it to the last close, it is reported as
      `open_position`, and trade metrics leave it out. backtesting.py's finalize_trades=True
      closes such a trade at the last bar's *open* (it replays the last bar's orders), which
      equals ours when that open equals the last close; the parity tests show both.
    - Equity, cash and position are recorded after everything a bar does, fills at its close
      included. (backtesting.py books a fill at the close in the next bar's equity instead, so
      with THIS_CLOSE its equity curve lags ours by that fill's commission for one bar.)

Results (`BacktestResult`)
    The trade list (`Trades`: entry/exit bar and time, side, size, prices, pnl, return,
    commission, exit reason SIGNAL / STOP_LOSS / TAKE_PROFIT / TRAILING_STOP / END_OF_DATA /
    DRAWDOWN_HALT), the equity, drawdown, cash and position per bar, and `Metrics`; every
    metric is defined in `services.core.backtest.metrics`.

Speed
    The simulation is one numba-compiled pass (`kernel.py`, cache=True); results and metrics
    are built from its arrays with numpy. `run_grid` evaluates parameter combinations: each
    distinct indicator once (`IndicatorCache`), the kernel once per combination, the metrics
    for all combinations at once, returned as one table.
"""

from services.core.backtest.config import (
    BacktestConfig,
    FillTiming,
    FixedQuantity,
    FractionOfEquity,
    OppositeSignal,
    RiskPerTrade,
    Sizing,
)
from services.core.backtest.engine import BacktestResult, OpenPosition, run_backtest
from services.core.backtest.grid import IndicatorCache, run_grid
from services.core.backtest.inputs import Bars, Intents, warmup_of
from services.core.backtest.metrics import METRIC_NAMES, Metrics
from services.core.backtest.trades import ExitReason, Side, Trades

__all__ = [
    "METRIC_NAMES",
    "BacktestConfig",
    "BacktestResult",
    "Bars",
    "ExitReason",
    "FillTiming",
    "FixedQuantity",
    "FractionOfEquity",
    "IndicatorCache",
    "Intents",
    "Metrics",
    "OpenPosition",
    "OppositeSignal",
    "RiskPerTrade",
    "Side",
    "Sizing",
    "Trades",
    "run_backtest",
    "run_grid",
    "warmup_of",
]
