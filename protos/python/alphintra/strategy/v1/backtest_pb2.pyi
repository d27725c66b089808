import datetime

from alphintra.common.v1 import parameter_pb2 as _parameter_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FillTiming(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FILL_TIMING_UNSPECIFIED: _ClassVar[FillTiming]
    FILL_TIMING_NEXT_OPEN: _ClassVar[FillTiming]
    FILL_TIMING_THIS_CLOSE: _ClassVar[FillTiming]

class Methodology(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    METHODOLOGY_UNSPECIFIED: _ClassVar[Methodology]
    METHODOLOGY_STANDARD: _ClassVar[Methodology]
    METHODOLOGY_WALK_FORWARD: _ClassVar[Methodology]
    METHODOLOGY_MONTE_CARLO: _ClassVar[Methodology]

class WindowMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WINDOW_MODE_UNSPECIFIED: _ClassVar[WindowMode]
    WINDOW_MODE_ROLLING: _ClassVar[WindowMode]
    WINDOW_MODE_ANCHORED: _ClassVar[WindowMode]

class MonteCarloMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MONTE_CARLO_METHOD_UNSPECIFIED: _ClassVar[MonteCarloMethod]
    MONTE_CARLO_METHOD_RESHUFFLE: _ClassVar[MonteCarloMethod]
    MONTE_CARLO_METHOD_BOOTSTRAP: _ClassVar[MonteCarloMethod]

class TradeSide(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRADE_SIDE_UNSPECIFIED: _ClassVar[TradeSide]
    TRADE_SIDE_LONG: _ClassVar[TradeSide]
    TRADE_SIDE_SHORT: _ClassVar[TradeSide]

class ExitReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXIT_REASON_UNSPECIFIED: _ClassVar[ExitReason]
    EXIT_REASON_SIGNAL: _ClassVar[ExitReason]
    EXIT_REASON_STOP_LOSS: _ClassVar[ExitReason]
    EXIT_REASON_TAKE_PROFIT: _ClassVar[ExitReason]
    EXIT_REASON_TRAILING_STOP: _ClassVar[ExitReason]
    EXIT_REASON_END_OF_DATA: _ClassVar[ExitReason]
    EXIT_REASON_DRAWDOWN_HALT: _ClassVar[ExitReason]
FILL_TIMING_UNSPECIFIED: FillTiming
FILL_TIMING_NEXT_OPEN: FillTiming
FILL_TIMING_THIS_CLOSE: FillTiming
METHODOLOGY_UNSPECIFIED: Methodology
METHODOLOGY_STANDARD: Methodology
METHODOLOGY_WALK_FORWARD: Methodology
METHODOLOGY_MONTE_CARLO: Methodology
WINDOW_MODE_UNSPECIFIED: WindowMode
WINDOW_MODE_ROLLING: WindowMode
WINDOW_MODE_ANCHORED: WindowMode
MONTE_CARLO_METHOD_UNSPECIFIED: MonteCarloMethod
MONTE_CARLO_METHOD_RESHUFFLE: MonteCarloMethod
MONTE_CARLO_METHOD_BOOTSTRAP: MonteCarloMethod
TRADE_SIDE_UNSPECIFIED: TradeSide
TRADE_SIDE_LONG: TradeSide
TRADE_SIDE_SHORT: TradeSide
EXIT_REASON_UNSPECIFIED: ExitReason
EXIT_REASON_SIGNAL: ExitReason
EXIT_REASON_STOP_LOSS: ExitReason
EXIT_REASON_TAKE_PROFIT: ExitReason
EXIT_REASON_TRAILING_STOP: ExitReason
EXIT_REASON_END_OF_DATA: ExitReason
EXIT_REASON_DRAWDOWN_HALT: ExitReason

class WalkForwardSettings(_message.Message):
    __slots__ = ("window_mode", "in_sample_bars", "out_of_sample_bars", "max_windows")
    WINDOW_MODE_FIELD_NUMBER: _ClassVar[int]
    IN_SAMPLE_BARS_FIELD_NUMBER: _ClassVar[int]
    OUT_OF_SAMPLE_BARS_FIELD_NUMBER: _ClassVar[int]
    MAX_WINDOWS_FIELD_NUMBER: _ClassVar[int]
    window_mode: WindowMode
    in_sample_bars: int
    out_of_sample_bars: int
    max_windows: int
    def __init__(self, window_mode: _Optional[_Union[WindowMode, str]] = ..., in_sample_bars: _Optional[int] = ..., out_of_sample_bars: _Optional[int] = ..., max_windows: _Optional[int] = ...) -> None: ...

class MonteCarloSettings(_message.Message):
    __slots__ = ("simulations", "method", "seed", "ruin_drawdown_fraction")
    SIMULATIONS_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    RUIN_DRAWDOWN_FRACTION_FIELD_NUMBER: _ClassVar[int]
    simulations: int
    method: MonteCarloMethod
    seed: int
    ruin_drawdown_fraction: float
    def __init__(self, simulations: _Optional[int] = ..., method: _Optional[_Union[MonteCarloMethod, str]] = ..., seed: _Optional[int] = ..., ruin_drawdown_fraction: _Optional[float] = ...) -> None: ...

class BacktestConfig(_message.Message):
    __slots__ = ("initial_cash", "commission_fraction", "slippage_fraction", "fill_timing", "allow_short", "fractional_units", "start_time", "end_time", "methodology", "walk_forward", "monte_carlo", "risk_free_rate", "periods_per_year", "omit_trades", "max_equity_points")
    INITIAL_CASH_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_FRACTION_FIELD_NUMBER: _ClassVar[int]
    SLIPPAGE_FRACTION_FIELD_NUMBER: _ClassVar[int]
    FILL_TIMING_FIELD_NUMBER: _ClassVar[int]
    ALLOW_SHORT_FIELD_NUMBER: _ClassVar[int]
    FRACTIONAL_UNITS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    METHODOLOGY_FIELD_NUMBER: _ClassVar[int]
    WALK_FORWARD_FIELD_NUMBER: _ClassVar[int]
    MONTE_CARLO_FIELD_NUMBER: _ClassVar[int]
    RISK_FREE_RATE_FIELD_NUMBER: _ClassVar[int]
    PERIODS_PER_YEAR_FIELD_NUMBER: _ClassVar[int]
    OMIT_TRADES_FIELD_NUMBER: _ClassVar[int]
    MAX_EQUITY_POINTS_FIELD_NUMBER: _ClassVar[int]
    initial_cash: float
    commission_fraction: float
    slippage_fraction: float
    fill_timing: FillTiming
    allow_short: bool
    fractional_units: bool
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    methodology: Methodology
    walk_forward: WalkForwardSettings
    monte_carlo: MonteCarloSettings
    risk_free_rate: float
    periods_per_year: float
    omit_trades: bool
    max_equity_points: int
    def __init__(self, initial_cash: _Optional[float] = ..., commission_fraction: _Optional[float] = ..., slippage_fraction: _Optional[float] = ..., fill_timing: _Optional[_Union[FillTiming, str]] = ..., allow_short: _Optional[bool] = ..., fractional_units: _Optional[bool] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., methodology: _Optional[_Union[Methodology, str]] = ..., walk_forward: _Optional[_Union[WalkForwardSettings, _Mapping]] = ..., monte_carlo: _Optional[_Union[MonteCarloSettings, _Mapping]] = ..., risk_free_rate: _Optional[float] = ..., periods_per_year: _Optional[float] = ..., omit_trades: _Optional[bool] = ..., max_equity_points: _Optional[int] = ...) -> None: ...

class BacktestMetrics(_message.Message):
    __slots__ = ("start_time", "end_time", "bar_count", "start_equity", "end_equity", "peak_equity", "total_return", "buy_and_hold_return", "annualized_return", "cagr", "annualized_volatility", "sharpe_ratio", "sortino_ratio", "calmar_ratio", "max_drawdown", "max_drawdown_duration", "average_drawdown", "average_drawdown_duration", "exposure_time", "trade_count", "win_rate", "best_trade_return", "worst_trade_return", "average_trade_return", "max_trade_duration", "average_trade_duration", "profit_factor", "expectancy", "sqn", "kelly_criterion", "longest_winning_streak", "longest_losing_streak", "alpha", "beta", "correlation_to_benchmark", "commissions_paid")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    BAR_COUNT_FIELD_NUMBER: _ClassVar[int]
    START_EQUITY_FIELD_NUMBER: _ClassVar[int]
    END_EQUITY_FIELD_NUMBER: _ClassVar[int]
    PEAK_EQUITY_FIELD_NUMBER: _ClassVar[int]
    TOTAL_RETURN_FIELD_NUMBER: _ClassVar[int]
    BUY_AND_HOLD_RETURN_FIELD_NUMBER: _ClassVar[int]
    ANNUALIZED_RETURN_FIELD_NUMBER: _ClassVar[int]
    CAGR_FIELD_NUMBER: _ClassVar[int]
    ANNUALIZED_VOLATILITY_FIELD_NUMBER: _ClassVar[int]
    SHARPE_RATIO_FIELD_NUMBER: _ClassVar[int]
    SORTINO_RATIO_FIELD_NUMBER: _ClassVar[int]
    CALMAR_RATIO_FIELD_NUMBER: _ClassVar[int]
    MAX_DRAWDOWN_FIELD_NUMBER: _ClassVar[int]
    MAX_DRAWDOWN_DURATION_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_DRAWDOWN_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_DRAWDOWN_DURATION_FIELD_NUMBER: _ClassVar[int]
    EXPOSURE_TIME_FIELD_NUMBER: _ClassVar[int]
    TRADE_COUNT_FIELD_NUMBER: _ClassVar[int]
    WIN_RATE_FIELD_NUMBER: _ClassVar[int]
    BEST_TRADE_RETURN_FIELD_NUMBER: _ClassVar[int]
    WORST_TRADE_RETURN_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_TRADE_RETURN_FIELD_NUMBER: _ClassVar[int]
    MAX_TRADE_DURATION_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_TRADE_DURATION_FIELD_NUMBER: _ClassVar[int]
    PROFIT_FACTOR_FIELD_NUMBER: _ClassVar[int]
    EXPECTANCY_FIELD_NUMBER: _ClassVar[int]
    SQN_FIELD_NUMBER: _ClassVar[int]
    KELLY_CRITERION_FIELD_NUMBER: _ClassVar[int]
    LONGEST_WINNING_STREAK_FIELD_NUMBER: _ClassVar[int]
    LONGEST_LOSING_STREAK_FIELD_NUMBER: _ClassVar[int]
    ALPHA_FIELD_NUMBER: _ClassVar[int]
    BETA_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_TO_BENCHMARK_FIELD_NUMBER: _ClassVar[int]
    COMMISSIONS_PAID_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    bar_count: int
    start_equity: float
    end_equity: float
    peak_equity: float
    total_return: float
    buy_and_hold_return: float
    annualized_return: float
    cagr: float
    annualized_volatility: float
    sharpe_ratio: float
    sortino_ratio: float
    calmar_ratio: float
    max_drawdown: float
    max_drawdown_duration: _duration_pb2.Duration
    average_drawdown: float
    average_drawdown_duration: _duration_pb2.Duration
    exposure_time: float
    trade_count: int
    win_rate: float
    best_trade_return: float
    worst_trade_return: float
    average_trade_return: float
    max_trade_duration: _duration_pb2.Duration
    average_trade_duration: _duration_pb2.Duration
    profit_factor: float
    expectancy: float
    sqn: float
    kelly_criterion: float
    longest_winning_streak: int
    longest_losing_streak: int
    alpha: float
    beta: float
    correlation_to_benchmark: float
    commissions_paid: float
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., bar_count: _Optional[int] = ..., start_equity: _Optional[float] = ..., end_equity: _Optional[float] = ..., peak_equity: _Optional[float] = ..., total_return: _Optional[float] = ..., buy_and_hold_return: _Optional[float] = ..., annualized_return: _Optional[float] = ..., cagr: _Optional[float] = ..., annualized_volatility: _Optional[float] = ..., sharpe_ratio: _Optional[float] = ..., sortino_ratio: _Optional[float] = ..., calmar_ratio: _Optional[float] = ..., max_drawdown: _Optional[float] = ..., max_drawdown_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., average_drawdown: _Optional[float] = ..., average_drawdown_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., exposure_time: _Optional[float] = ..., trade_count: _Optional[int] = ..., win_rate: _Optional[float] = ..., best_trade_return: _Optional[float] = ..., worst_trade_return: _Optional[float] = ..., average_trade_return: _Optional[float] = ..., max_trade_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., average_trade_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., profit_factor: _Optional[float] = ..., expectancy: _Optional[float] = ..., sqn: _Optional[float] = ..., kelly_criterion: _Optional[float] = ..., longest_winning_streak: _Optional[int] = ..., longest_losing_streak: _Optional[int] = ..., alpha: _Optional[float] = ..., beta: _Optional[float] = ..., correlation_to_benchmark: _Optional[float] = ..., commissions_paid: _Optional[float] = ...) -> None: ...

class Trade(_message.Message):
    __slots__ = ("entry_bar_index", "exit_bar_index", "entry_time", "exit_time", "side", "size", "entry_price", "exit_price", "pnl", "return_fraction", "commission", "exit_reason", "entry_rule_node_id", "exit_rule_node_id", "symbol")
    ENTRY_BAR_INDEX_FIELD_NUMBER: _ClassVar[int]
    EXIT_BAR_INDEX_FIELD_NUMBER: _ClassVar[int]
    ENTRY_TIME_FIELD_NUMBER: _ClassVar[int]
    EXIT_TIME_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    ENTRY_PRICE_FIELD_NUMBER: _ClassVar[int]
    EXIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    PNL_FIELD_NUMBER: _ClassVar[int]
    RETURN_FRACTION_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_FIELD_NUMBER: _ClassVar[int]
    EXIT_REASON_FIELD_NUMBER: _ClassVar[int]
    ENTRY_RULE_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    EXIT_RULE_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    entry_bar_index: int
    exit_bar_index: int
    entry_time: _timestamp_pb2.Timestamp
    exit_time: _timestamp_pb2.Timestamp
    side: TradeSide
    size: float
    entry_price: float
    exit_price: float
    pnl: float
    return_fraction: float
    commission: float
    exit_reason: ExitReason
    entry_rule_node_id: str
    exit_rule_node_id: str
    symbol: str
    def __init__(self, entry_bar_index: _Optional[int] = ..., exit_bar_index: _Optional[int] = ..., entry_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., exit_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., side: _Optional[_Union[TradeSide, str]] = ..., size: _Optional[float] = ..., entry_price: _Optional[float] = ..., exit_price: _Optional[float] = ..., pnl: _Optional[float] = ..., return_fraction: _Optional[float] = ..., commission: _Optional[float] = ..., exit_reason: _Optional[_Union[ExitReason, str]] = ..., entry_rule_node_id: _Optional[str] = ..., exit_rule_node_id: _Optional[str] = ..., symbol: _Optional[str] = ...) -> None: ...

class EquityPoint(_message.Message):
    __slots__ = ("bar_index", "time", "equity", "drawdown")
    BAR_INDEX_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    EQUITY_FIELD_NUMBER: _ClassVar[int]
    DRAWDOWN_FIELD_NUMBER: _ClassVar[int]
    bar_index: int
    time: _timestamp_pb2.Timestamp
    equity: float
    drawdown: float
    def __init__(self, bar_index: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., equity: _Optional[float] = ..., drawdown: _Optional[float] = ...) -> None: ...

class WalkForwardWindow(_message.Message):
    __slots__ = ("index", "in_sample_start_time", "in_sample_end_time", "out_of_sample_start_time", "out_of_sample_end_time", "in_sample_metrics", "out_of_sample_metrics", "parameters")
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _parameter_pb2.ParameterValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_parameter_pb2.ParameterValue, _Mapping]] = ...) -> None: ...
    INDEX_FIELD_NUMBER: _ClassVar[int]
    IN_SAMPLE_START_TIME_FIELD_NUMBER: _ClassVar[int]
    IN_SAMPLE_END_TIME_FIELD_NUMBER: _ClassVar[int]
    OUT_OF_SAMPLE_START_TIME_FIELD_NUMBER: _ClassVar[int]
    OUT_OF_SAMPLE_END_TIME_FIELD_NUMBER: _ClassVar[int]
    IN_SAMPLE_METRICS_FIELD_NUMBER: _ClassVar[int]
    OUT_OF_SAMPLE_METRICS_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    index: int
    in_sample_start_time: _timestamp_pb2.Timestamp
    in_sample_end_time: _timestamp_pb2.Timestamp
    out_of_sample_start_time: _timestamp_pb2.Timestamp
    out_of_sample_end_time: _timestamp_pb2.Timestamp
    in_sample_metrics: BacktestMetrics
    out_of_sample_metrics: BacktestMetrics
    parameters: _containers.MessageMap[str, _parameter_pb2.ParameterValue]
    def __init__(self, index: _Optional[int] = ..., in_sample_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., in_sample_end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., out_of_sample_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., out_of_sample_end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., in_sample_metrics: _Optional[_Union[BacktestMetrics, _Mapping]] = ..., out_of_sample_metrics: _Optional[_Union[BacktestMetrics, _Mapping]] = ..., parameters: _Optional[_Mapping[str, _parameter_pb2.ParameterValue]] = ...) -> None: ...

class Percentile(_message.Message):
    __slots__ = ("percentile", "value")
    PERCENTILE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    percentile: float
    value: float
    def __init__(self, percentile: _Optional[float] = ..., value: _Optional[float] = ...) -> None: ...

class DistributionSummary(_message.Message):
    __slots__ = ("mean", "standard_deviation", "minimum", "maximum", "percentiles")
    MEAN_FIELD_NUMBER: _ClassVar[int]
    STANDARD_DEVIATION_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_FIELD_NUMBER: _ClassVar[int]
    PERCENTILES_FIELD_NUMBER: _ClassVar[int]
    mean: float
    standard_deviation: float
    minimum: float
    maximum: float
    percentiles: _containers.RepeatedCompositeFieldContainer[Percentile]
    def __init__(self, mean: _Optional[float] = ..., standard_deviation: _Optional[float] = ..., minimum: _Optional[float] = ..., maximum: _Optional[float] = ..., percentiles: _Optional[_Iterable[_Union[Percentile, _Mapping]]] = ...) -> None: ...

class MonteCarloSummary(_message.Message):
    __slots__ = ("simulations", "method", "seed", "end_equity", "total_return", "max_drawdown", "sharpe_ratio", "probability_of_ruin", "ruin_drawdown_fraction")
    SIMULATIONS_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    END_EQUITY_FIELD_NUMBER: _ClassVar[int]
    TOTAL_RETURN_FIELD_NUMBER: _ClassVar[int]
    MAX_DRAWDOWN_FIELD_NUMBER: _ClassVar[int]
    SHARPE_RATIO_FIELD_NUMBER: _ClassVar[int]
    PROBABILITY_OF_RUIN_FIELD_NUMBER: _ClassVar[int]
    RUIN_DRAWDOWN_FRACTION_FIELD_NUMBER: _ClassVar[int]
    simulations: int
    method: MonteCarloMethod
    seed: int
    end_equity: DistributionSummary
    total_return: DistributionSummary
    max_drawdown: DistributionSummary
    sharpe_ratio: DistributionSummary
    probability_of_ruin: float
    ruin_drawdown_fraction: float
    def __init__(self, simulations: _Optional[int] = ..., method: _Optional[_Union[MonteCarloMethod, str]] = ..., seed: _Optional[int] = ..., end_equity: _Optional[_Union[DistributionSummary, _Mapping]] = ..., total_return: _Optional[_Union[DistributionSummary, _Mapping]] = ..., max_drawdown: _Optional[_Union[DistributionSummary, _Mapping]] = ..., sharpe_ratio: _Optional[_Union[DistributionSummary, _Mapping]] = ..., probability_of_ruin: _Optional[float] = ..., ruin_drawdown_fraction: _Optional[float] = ...) -> None: ...

class BacktestResult(_message.Message):
    __slots__ = ("metrics", "equity_curve", "trades", "trade_count", "walk_forward_windows", "monte_carlo", "config")
    METRICS_FIELD_NUMBER: _ClassVar[int]
    EQUITY_CURVE_FIELD_NUMBER: _ClassVar[int]
    TRADES_FIELD_NUMBER: _ClassVar[int]
    TRADE_COUNT_FIELD_NUMBER: _ClassVar[int]
    WALK_FORWARD_WINDOWS_FIELD_NUMBER: _ClassVar[int]
    MONTE_CARLO_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    metrics: BacktestMetrics
    equity_curve: _containers.RepeatedCompositeFieldContainer[EquityPoint]
    trades: _containers.RepeatedCompositeFieldContainer[Trade]
    trade_count: int
    walk_forward_windows: _containers.RepeatedCompositeFieldContainer[WalkForwardWindow]
    monte_carlo: MonteCarloSummary
    config: BacktestConfig
    def __init__(self, metrics: _Optional[_Union[BacktestMetrics, _Mapping]] = ..., equity_curve: _Optional[_Iterable[_Union[EquityPoint, _Mapping]]] = ..., trades: _Optional[_Iterable[_Union[Trade, _Mapping]]] = ..., trade_count: _Optional[int] = ..., walk_forward_windows: _Optional[_Iterable[_Union[WalkForwardWindow, _Mapping]]] = ..., monte_carlo: _Optional[_Union[MonteCarloSummary, _Mapping]] = ..., config: _Optional[_Union[BacktestConfig, _Mapping]] = ...) -> None: ...
