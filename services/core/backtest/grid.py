"""Parameter grids: many combinations of one strategy on the same bars, measured as one table.

The work that does not depend on a combination is done once: each distinct indicator (an SMA
of period 20 serves every combination that asks for it, via `IndicatorCache`), the calendar
of the bars, and the metrics, computed for all combinations together from a matrix of equity
curves. What remains per combination is building its intents from cached arrays and one call
of the compiled kernel.

    def sma_cross(indicators, parameters):
        fast = indicators.get("sma", period=parameters["fast"])
        slow = indicators.get("sma", period=parameters["slow"])
        up, down = crossover(fast, slow), crossover(slow, fast)
        return Intents(enter_long=up, enter_short=down, warmup_bars=warmup_of(fast, slow))

    table = run_grid(bars, {"fast": range(5, 55, 5), "slow": range(10, 110, 10)}, sma_cross,
                     config, constraint=lambda parameters: parameters["fast"] < parameters["slow"])
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from services.core.backtest.config import BacktestConfig
from services.core.backtest.drawdown import drawdown_curves
from services.core.backtest.engine import check_sizing_inputs, kernel_parameters, simulate
from services.core.backtest.inputs import Bars, Intents, KernelIntents, prepare_intents
from services.core.backtest.metrics import metric_frame, metric_table
from services.core.backtest.runs import Runs
from services.core.backtest.trades import TRADE_FIELDS, Trades
from services.core.errors import FieldViolation, InvalidArgument
from services.core.indicators import compute as compute_indicator

IndicatorFunction = Callable[..., Mapping[str, np.ndarray] | np.ndarray]
IntentBuilder = Callable[["IndicatorCache", Mapping[str, Any]], Intents]

# equity curves held at once while measuring a grid: 4M floats, 32 MB
CELLS_PER_CHUNK = 1 << 22


class IndicatorCache:
    """Indicator arrays over one set of bars, each distinct (name, parameters) computed once.

    `compute(name, bars, **parameters)` returns the indicator's outputs by name (or one
    array); by default it is the platform's registry, `services.core.indicators.compute`.
    """

    def __init__(self, bars: Bars, compute: IndicatorFunction | None = None) -> None:
        self._bars = bars
        self._compute = compute or compute_indicator
        self._values: dict[Hashable, Mapping[str, np.ndarray] | np.ndarray] = {}

    @property
    def computed(self) -> int:
        """How many distinct indicators were computed so far."""
        return len(self._values)

    def get(self, name: str, output: str | None = None, **parameters: Any) -> np.ndarray:
        """The indicator's `output` (optional when it has only one), computed at most once."""
        key = (name, tuple(sorted(parameters.items())))
        if key not in self._values:
            self._values[key] = self._compute(name, self._bars, **parameters)
        outputs = self._values[key]
        if isinstance(outputs, np.ndarray):
            return outputs
        if output is None and len(outputs) == 1:
            return next(iter(outputs.values()))
        if output not in outputs:
            raise InvalidArgument(
                f"indicator {name!r} has outputs {', '.join(outputs)}",
                [FieldViolation("output", f"must be one of {', '.join(outputs)}, got {output!r}")],
            )
        return outputs[output]


def run_grid(
    bars: Bars,
    parameters: Mapping[str, Sequence[Any]],
    build_intents: IntentBuilder,
    config: BacktestConfig | None = None,
    *,
    constraint: Callable[[Mapping[str, Any]], bool] | None = None,
    indicators: IndicatorCache | None = None,
) -> pd.DataFrame:
    """One row per admissible combination: its parameters, then every metric (METRIC_NAMES).

    Each row equals `run_backtest(bars, build_intents(indicators, combination), config).metrics`.
    """
    config = config or BacktestConfig()
    combinations = _combinations(parameters, constraint)
    indicators = indicators or IndicatorCache(bars)
    rows_per_chunk = max(1, CELLS_PER_CHUNK // len(bars))
    frames = []
    for first in range(0, len(combinations), rows_per_chunk):
        chunk = combinations[first : first + rows_per_chunk]
        intents = (
            prepare_intents(build_intents(indicators, combination), len(bars)) for combination in chunk
        )
        runs = _simulate_all(bars, intents, config, len(chunk))
        table = metric_table(runs, bars=bars, risk_free_rate=config.risk_free_rate)
        frames.append(metric_frame(table))
    metrics = pd.concat(frames, ignore_index=True)
    return pd.concat([pd.DataFrame(combinations), metrics], axis=1)


def _combinations(
    parameters: Mapping[str, Sequence[Any]], constraint: Callable[[Mapping[str, Any]], bool] | None
) -> list[dict[str, Any]]:
    names = list(parameters)
    empty = [FieldViolation(name, "has no values") for name in names if len(parameters[name]) == 0]
    if not names or empty:
        raise InvalidArgument("a grid needs at least one value per parameter", empty)
    candidates = (dict(zip(names, values, strict=True)) for values in itertools.product(*parameters.values()))
    combinations = [
        combination for combination in candidates if constraint is None or constraint(combination)
    ]
    if not combinations:
        raise InvalidArgument("no parameter combination satisfies the constraint")
    return combinations


def _simulate_all(bars: Bars, intents: Iterable[KernelIntents], config: BacktestConfig, count: int) -> Runs:
    """Run the kernel for each combination's intents, keeping only what the metrics need."""
    equity = np.empty((count, len(bars)))
    warmups = np.empty(count, dtype=np.int64)
    matrices = []
    for row, prepared in enumerate(intents):
        check_sizing_inputs(config, prepared)
        curve, _, _, trade_matrix, _ = simulate(bars, prepared, kernel_parameters(config, prepared))
        equity[row] = curve
        warmups[row] = prepared.warmup_bars
        matrices.append(trade_matrix)
    trade_counts = [matrix.shape[0] for matrix in matrices]
    all_trades = np.concatenate(matrices) if matrices else np.empty((0, TRADE_FIELDS))
    return Runs(
        equity=equity,
        drawdowns=drawdown_curves(equity),
        trades=Trades.from_matrix(all_trades, bars.timestamps),
        trade_run=np.repeat(np.arange(count), trade_counts),
        warmup_bars=warmups,
    )
