import datetime

from alphintra.common.v1 import parameter_pb2 as _parameter_pb2
from alphintra.strategy.v1 import backtest_pb2 as _backtest_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Sampler(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SAMPLER_UNSPECIFIED: _ClassVar[Sampler]
    SAMPLER_TPE: _ClassVar[Sampler]
    SAMPLER_GRID: _ClassVar[Sampler]
    SAMPLER_RANDOM: _ClassVar[Sampler]

class Objective(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OBJECTIVE_UNSPECIFIED: _ClassVar[Objective]
    OBJECTIVE_SHARPE: _ClassVar[Objective]
    OBJECTIVE_SORTINO: _ClassVar[Objective]
    OBJECTIVE_CALMAR: _ClassVar[Objective]
    OBJECTIVE_RETURN_WITH_DRAWDOWN_CAP: _ClassVar[Objective]

class TrialState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRIAL_STATE_UNSPECIFIED: _ClassVar[TrialState]
    TRIAL_STATE_COMPLETE: _ClassVar[TrialState]
    TRIAL_STATE_PRUNED: _ClassVar[TrialState]
    TRIAL_STATE_FAILED: _ClassVar[TrialState]
SAMPLER_UNSPECIFIED: Sampler
SAMPLER_TPE: Sampler
SAMPLER_GRID: Sampler
SAMPLER_RANDOM: Sampler
OBJECTIVE_UNSPECIFIED: Objective
OBJECTIVE_SHARPE: Objective
OBJECTIVE_SORTINO: Objective
OBJECTIVE_CALMAR: Objective
OBJECTIVE_RETURN_WITH_DRAWDOWN_CAP: Objective
TRIAL_STATE_UNSPECIFIED: TrialState
TRIAL_STATE_COMPLETE: TrialState
TRIAL_STATE_PRUNED: TrialState
TRIAL_STATE_FAILED: TrialState

class OptimizationConfig(_message.Message):
    __slots__ = ("sampler", "objective", "max_drawdown_cap", "trial_count", "seed", "walk_forward", "parameter_ranges", "min_trade_count", "time_budget")
    class ParameterRangesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _parameter_pb2.ParameterRange
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_parameter_pb2.ParameterRange, _Mapping]] = ...) -> None: ...
    SAMPLER_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVE_FIELD_NUMBER: _ClassVar[int]
    MAX_DRAWDOWN_CAP_FIELD_NUMBER: _ClassVar[int]
    TRIAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    WALK_FORWARD_FIELD_NUMBER: _ClassVar[int]
    PARAMETER_RANGES_FIELD_NUMBER: _ClassVar[int]
    MIN_TRADE_COUNT_FIELD_NUMBER: _ClassVar[int]
    TIME_BUDGET_FIELD_NUMBER: _ClassVar[int]
    sampler: Sampler
    objective: Objective
    max_drawdown_cap: float
    trial_count: int
    seed: int
    walk_forward: _backtest_pb2.WalkForwardSettings
    parameter_ranges: _containers.MessageMap[str, _parameter_pb2.ParameterRange]
    min_trade_count: int
    time_budget: _duration_pb2.Duration
    def __init__(self, sampler: _Optional[_Union[Sampler, str]] = ..., objective: _Optional[_Union[Objective, str]] = ..., max_drawdown_cap: _Optional[float] = ..., trial_count: _Optional[int] = ..., seed: _Optional[int] = ..., walk_forward: _Optional[_Union[_backtest_pb2.WalkForwardSettings, _Mapping]] = ..., parameter_ranges: _Optional[_Mapping[str, _parameter_pb2.ParameterRange]] = ..., min_trade_count: _Optional[int] = ..., time_budget: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class OptimizationTrial(_message.Message):
    __slots__ = ("number", "state", "parameters", "objective_value", "in_sample_metrics", "duration", "message")
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _parameter_pb2.ParameterValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_parameter_pb2.ParameterValue, _Mapping]] = ...) -> None: ...
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVE_VALUE_FIELD_NUMBER: _ClassVar[int]
    IN_SAMPLE_METRICS_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    number: int
    state: TrialState
    parameters: _containers.MessageMap[str, _parameter_pb2.ParameterValue]
    objective_value: float
    in_sample_metrics: _backtest_pb2.BacktestMetrics
    duration: _duration_pb2.Duration
    message: str
    def __init__(self, number: _Optional[int] = ..., state: _Optional[_Union[TrialState, str]] = ..., parameters: _Optional[_Mapping[str, _parameter_pb2.ParameterValue]] = ..., objective_value: _Optional[float] = ..., in_sample_metrics: _Optional[_Union[_backtest_pb2.BacktestMetrics, _Mapping]] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., message: _Optional[str] = ...) -> None: ...

class OptimizationResult(_message.Message):
    __slots__ = ("best_parameters", "best_objective_value", "best_trial_number", "trials", "in_sample_metrics", "out_of_sample_metrics", "overfitting_warning", "overfitting_reason", "new_workflow_version", "walk_forward_windows")
    class BestParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _parameter_pb2.ParameterValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_parameter_pb2.ParameterValue, _Mapping]] = ...) -> None: ...
    BEST_PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    BEST_OBJECTIVE_VALUE_FIELD_NUMBER: _ClassVar[int]
    BEST_TRIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TRIALS_FIELD_NUMBER: _ClassVar[int]
    IN_SAMPLE_METRICS_FIELD_NUMBER: _ClassVar[int]
    OUT_OF_SAMPLE_METRICS_FIELD_NUMBER: _ClassVar[int]
    OVERFITTING_WARNING_FIELD_NUMBER: _ClassVar[int]
    OVERFITTING_REASON_FIELD_NUMBER: _ClassVar[int]
    NEW_WORKFLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    WALK_FORWARD_WINDOWS_FIELD_NUMBER: _ClassVar[int]
    best_parameters: _containers.MessageMap[str, _parameter_pb2.ParameterValue]
    best_objective_value: float
    best_trial_number: int
    trials: _containers.RepeatedCompositeFieldContainer[OptimizationTrial]
    in_sample_metrics: _backtest_pb2.BacktestMetrics
    out_of_sample_metrics: _backtest_pb2.BacktestMetrics
    overfitting_warning: bool
    overfitting_reason: str
    new_workflow_version: int
    walk_forward_windows: _containers.RepeatedCompositeFieldContainer[_backtest_pb2.WalkForwardWindow]
    def __init__(self, best_parameters: _Optional[_Mapping[str, _parameter_pb2.ParameterValue]] = ..., best_objective_value: _Optional[float] = ..., best_trial_number: _Optional[int] = ..., trials: _Optional[_Iterable[_Union[OptimizationTrial, _Mapping]]] = ..., in_sample_metrics: _Optional[_Union[_backtest_pb2.BacktestMetrics, _Mapping]] = ..., out_of_sample_metrics: _Optional[_Union[_backtest_pb2.BacktestMetrics, _Mapping]] = ..., overfitting_warning: _Optional[bool] = ..., overfitting_reason: _Optional[str] = ..., new_workflow_version: _Optional[int] = ..., walk_forward_windows: _Optional[_Iterable[_Union[_backtest_pb2.WalkForwardWindow, _Mapping]]] = ...) -> None: ...
