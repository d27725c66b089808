"""The trade list: one row per closed trade, held as parallel arrays (no object per trade).

Arrays keep a million-bar backtest's thousands of trades cheap to build, to slice for metrics
and to hand to a report; `to_frame()` gives the table a person reads.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np
import pandas as pd


class ExitReason(enum.IntEnum):
    """Why a trade was closed; the values are what the kernel writes."""

    SIGNAL = 1  # an exit intent, or an entry in the other direction
    STOP_LOSS = 2
    TAKE_PROFIT = 3
    TRAILING_STOP = 4
    END_OF_DATA = 5  # still open at the last bar: closed at its close
    DRAWDOWN_HALT = 6  # max drawdown halt (or equity at or below zero): closed, trading stopped


class Side(enum.IntEnum):
    LONG = 1
    SHORT = -1


# Columns of the kernel's trade matrix, in order.
ENTRY_BAR, EXIT_BAR, SIDE, SIZE, ENTRY_PRICE, EXIT_PRICE, COMMISSION, PNL, RETURN, REASON = range(10)
TRADE_FIELDS = 10


@dataclass(frozen=True, slots=True, eq=False)
class Trades:
    """Closed trades in the order they closed; `size` is positive, `side` carries the direction.

    pnl = side × size × (exit − entry) − commission, commission being entry and exit together;
    returns = side × (exit / entry − 1) − commission / (size × entry), as backtesting.py's
    `Trade.pl_pct`. Prices include slippage.
    """

    entry_bar: np.ndarray
    exit_bar: np.ndarray
    entry_time: np.ndarray  # int64 ns
    exit_time: np.ndarray  # int64 ns
    side: np.ndarray  # int8, Side values
    size: np.ndarray
    entry_price: np.ndarray
    exit_price: np.ndarray
    pnl: np.ndarray
    returns: np.ndarray
    commission: np.ndarray
    exit_reason: np.ndarray  # int8, ExitReason values

    def __len__(self) -> int:
        return int(self.entry_bar.shape[0])

    @classmethod
    def from_matrix(cls, matrix: np.ndarray, timestamps: np.ndarray) -> Trades:
        """Trades from the kernel's float matrix (one row per trade, TRADE_FIELDS columns)."""
        entry_bar = matrix[:, ENTRY_BAR].astype(np.int64)
        exit_bar = matrix[:, EXIT_BAR].astype(np.int64)
        return cls(
            entry_bar=entry_bar,
            exit_bar=exit_bar,
            entry_time=timestamps[entry_bar],
            exit_time=timestamps[exit_bar],
            side=matrix[:, SIDE].astype(np.int8),
            size=np.ascontiguousarray(matrix[:, SIZE]),
            entry_price=np.ascontiguousarray(matrix[:, ENTRY_PRICE]),
            exit_price=np.ascontiguousarray(matrix[:, EXIT_PRICE]),
            pnl=np.ascontiguousarray(matrix[:, PNL]),
            returns=np.ascontiguousarray(matrix[:, RETURN]),
            commission=np.ascontiguousarray(matrix[:, COMMISSION]),
            exit_reason=matrix[:, REASON].astype(np.int8),
        )

    def to_frame(self) -> pd.DataFrame:
        """The trade list as a table, times as datetimes and side and reason as names."""
        return pd.DataFrame(
            {
                "entry_bar": self.entry_bar,
                "exit_bar": self.exit_bar,
                "entry_time": pd.to_datetime(self.entry_time, unit="ns"),
                "exit_time": pd.to_datetime(self.exit_time, unit="ns"),
                "side": [Side(value).name for value in self.side],
                "size": self.size,
                "entry_price": self.entry_price,
                "exit_price": self.exit_price,
                "pnl": self.pnl,
                "return": self.returns,
                "commission": self.commission,
                "exit_reason": [ExitReason(value).name for value in self.exit_reason],
            }
        )
