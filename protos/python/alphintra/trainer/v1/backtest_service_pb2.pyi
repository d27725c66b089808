import datetime

from alphintra.common.v1 import bar_pb2 as _bar_pb2
from alphintra.strategy.v1 import backtest_pb2 as _backtest_pb2
from alphintra.strategy.v1 import strategy_spec_pb2 as _strategy_spec_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import httpbody_pb2 as _httpbody_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BacktestState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BACKTEST_STATE_UNSPECIFIED: _ClassVar[BacktestState]
    BACKTEST_STATE_QUEUED: _ClassVar[BacktestState]
    BACKTEST_STATE_RUNNING: _ClassVar[BacktestState]
    BACKTEST_STATE_SUCCEEDED: _ClassVar[BacktestState]
    BACKTEST_STATE_FAILED: _ClassVar[BacktestState]
    BACKTEST_STATE_CANCELLED: _ClassVar[BacktestState]
BACKTEST_STATE_UNSPECIFIED: BacktestState
BACKTEST_STATE_QUEUED: BacktestState
BACKTEST_STATE_RUNNING: BacktestState
BACKTEST_STATE_SUCCEEDED: BacktestState
BACKTEST_STATE_FAILED: BacktestState
BACKTEST_STATE_CANCELLED: BacktestState

class Backtest(_message.Message):
    __slots__ = ("name", "id", "owner_id", "display_name", "state", "spec", "workflow_id", "workflow_version", "dataset_id", "dataset_content_hash", "config", "result", "error", "job_id", "create_time", "start_time", "end_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    id: str
    owner_id: str
    display_name: str
    state: BacktestState
    spec: _strategy_spec_pb2.StrategySpec
    workflow_id: str
    workflow_version: int
    dataset_id: str
    dataset_content_hash: str
    config: _backtest_pb2.BacktestConfig
    result: _backtest_pb2.BacktestResult
    error: _status_pb2.Status
    job_id: str
    create_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., id: _Optional[str] = ..., owner_id: _Optional[str] = ..., display_name: _Optional[str] = ..., state: _Optional[_Union[BacktestState, str]] = ..., spec: _Optional[_Union[_strategy_spec_pb2.StrategySpec, _Mapping]] = ..., workflow_id: _Optional[str] = ..., workflow_version: _Optional[int] = ..., dataset_id: _Optional[str] = ..., dataset_content_hash: _Optional[str] = ..., config: _Optional[_Union[_backtest_pb2.BacktestConfig, _Mapping]] = ..., result: _Optional[_Union[_backtest_pb2.BacktestResult, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ..., job_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RunBacktestRequest(_message.Message):
    __slots__ = ("spec", "dataset_id", "bars", "config")
    SPEC_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    BARS_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    spec: _strategy_spec_pb2.StrategySpec
    dataset_id: str
    bars: _bar_pb2.BarSeries
    config: _backtest_pb2.BacktestConfig
    def __init__(self, spec: _Optional[_Union[_strategy_spec_pb2.StrategySpec, _Mapping]] = ..., dataset_id: _Optional[str] = ..., bars: _Optional[_Union[_bar_pb2.BarSeries, _Mapping]] = ..., config: _Optional[_Union[_backtest_pb2.BacktestConfig, _Mapping]] = ...) -> None: ...

class RunBacktestResponse(_message.Message):
    __slots__ = ("result", "data_content_hash")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    DATA_CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    result: _backtest_pb2.BacktestResult
    data_content_hash: str
    def __init__(self, result: _Optional[_Union[_backtest_pb2.BacktestResult, _Mapping]] = ..., data_content_hash: _Optional[str] = ...) -> None: ...

class CreateBacktestRequest(_message.Message):
    __slots__ = ("spec", "dataset_id", "config", "display_name", "request_id")
    SPEC_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    spec: _strategy_spec_pb2.StrategySpec
    dataset_id: str
    config: _backtest_pb2.BacktestConfig
    display_name: str
    request_id: str
    def __init__(self, spec: _Optional[_Union[_strategy_spec_pb2.StrategySpec, _Mapping]] = ..., dataset_id: _Optional[str] = ..., config: _Optional[_Union[_backtest_pb2.BacktestConfig, _Mapping]] = ..., display_name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateBacktestResponse(_message.Message):
    __slots__ = ("backtest",)
    BACKTEST_FIELD_NUMBER: _ClassVar[int]
    backtest: Backtest
    def __init__(self, backtest: _Optional[_Union[Backtest, _Mapping]] = ...) -> None: ...

class GetBacktestRequest(_message.Message):
    __slots__ = ("backtest_id",)
    BACKTEST_ID_FIELD_NUMBER: _ClassVar[int]
    backtest_id: str
    def __init__(self, backtest_id: _Optional[str] = ...) -> None: ...

class GetBacktestResponse(_message.Message):
    __slots__ = ("backtest",)
    BACKTEST_FIELD_NUMBER: _ClassVar[int]
    backtest: Backtest
    def __init__(self, backtest: _Optional[_Union[Backtest, _Mapping]] = ...) -> None: ...

class ListBacktestsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "workflow_id", "dataset_id", "state")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    workflow_id: str
    dataset_id: str
    state: BacktestState
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., workflow_id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., state: _Optional[_Union[BacktestState, str]] = ...) -> None: ...

class ListBacktestsResponse(_message.Message):
    __slots__ = ("backtests", "next_page_token")
    BACKTESTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    backtests: _containers.RepeatedCompositeFieldContainer[Backtest]
    next_page_token: str
    def __init__(self, backtests: _Optional[_Iterable[_Union[Backtest, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListBacktestTradesRequest(_message.Message):
    __slots__ = ("backtest_id", "page_size", "page_token")
    BACKTEST_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    backtest_id: str
    page_size: int
    page_token: str
    def __init__(self, backtest_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListBacktestTradesResponse(_message.Message):
    __slots__ = ("trades", "next_page_token", "total_trade_count")
    TRADES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TRADE_COUNT_FIELD_NUMBER: _ClassVar[int]
    trades: _containers.RepeatedCompositeFieldContainer[_backtest_pb2.Trade]
    next_page_token: str
    total_trade_count: int
    def __init__(self, trades: _Optional[_Iterable[_Union[_backtest_pb2.Trade, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_trade_count: _Optional[int] = ...) -> None: ...

class GetBacktestReportRequest(_message.Message):
    __slots__ = ("backtest_id",)
    BACKTEST_ID_FIELD_NUMBER: _ClassVar[int]
    backtest_id: str
    def __init__(self, backtest_id: _Optional[str] = ...) -> None: ...

class CompareBacktestsRequest(_message.Message):
    __slots__ = ("backtest_ids", "max_equity_points")
    BACKTEST_IDS_FIELD_NUMBER: _ClassVar[int]
    MAX_EQUITY_POINTS_FIELD_NUMBER: _ClassVar[int]
    backtest_ids: _containers.RepeatedScalarFieldContainer[str]
    max_equity_points: int
    def __init__(self, backtest_ids: _Optional[_Iterable[str]] = ..., max_equity_points: _Optional[int] = ...) -> None: ...

class ComparedBacktest(_message.Message):
    __slots__ = ("backtest_id", "display_name", "metrics", "normalized_equity_curve")
    BACKTEST_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    NORMALIZED_EQUITY_CURVE_FIELD_NUMBER: _ClassVar[int]
    backtest_id: str
    display_name: str
    metrics: _backtest_pb2.BacktestMetrics
    normalized_equity_curve: _containers.RepeatedCompositeFieldContainer[_backtest_pb2.EquityPoint]
    def __init__(self, backtest_id: _Optional[str] = ..., display_name: _Optional[str] = ..., metrics: _Optional[_Union[_backtest_pb2.BacktestMetrics, _Mapping]] = ..., normalized_equity_curve: _Optional[_Iterable[_Union[_backtest_pb2.EquityPoint, _Mapping]]] = ...) -> None: ...

class CompareBacktestsResponse(_message.Message):
    __slots__ = ("backtests", "best_by_metric")
    class BestByMetricEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    BACKTESTS_FIELD_NUMBER: _ClassVar[int]
    BEST_BY_METRIC_FIELD_NUMBER: _ClassVar[int]
    backtests: _containers.RepeatedCompositeFieldContainer[ComparedBacktest]
    best_by_metric: _containers.ScalarMap[str, str]
    def __init__(self, backtests: _Optional[_Iterable[_Union[ComparedBacktest, _Mapping]]] = ..., best_by_metric: _Optional[_Mapping[str, str]] = ...) -> None: ...
