import datetime

from alphintra.common.v1 import bar_pb2 as _bar_pb2
from alphintra.strategy.v1 import strategy_spec_pb2 as _strategy_spec_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DeploymentState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEPLOYMENT_STATE_UNSPECIFIED: _ClassVar[DeploymentState]
    DEPLOYMENT_STATE_STARTING: _ClassVar[DeploymentState]
    DEPLOYMENT_STATE_RUNNING: _ClassVar[DeploymentState]
    DEPLOYMENT_STATE_STOPPING: _ClassVar[DeploymentState]
    DEPLOYMENT_STATE_STOPPED: _ClassVar[DeploymentState]
    DEPLOYMENT_STATE_FAILED: _ClassVar[DeploymentState]

class Combiner(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMBINER_UNSPECIFIED: _ClassVar[Combiner]
    COMBINER_WEIGHTED_AVERAGE: _ClassVar[Combiner]
    COMBINER_MAJORITY_VOTE: _ClassVar[Combiner]
DEPLOYMENT_STATE_UNSPECIFIED: DeploymentState
DEPLOYMENT_STATE_STARTING: DeploymentState
DEPLOYMENT_STATE_RUNNING: DeploymentState
DEPLOYMENT_STATE_STOPPING: DeploymentState
DEPLOYMENT_STATE_STOPPED: DeploymentState
DEPLOYMENT_STATE_FAILED: DeploymentState
COMBINER_UNSPECIFIED: Combiner
COMBINER_WEIGHTED_AVERAGE: Combiner
COMBINER_MAJORITY_VOTE: Combiner

class ModelReference(_message.Message):
    __slots__ = ("model_name", "version", "alias")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    version: int
    alias: str
    def __init__(self, model_name: _Optional[str] = ..., version: _Optional[int] = ..., alias: _Optional[str] = ...) -> None: ...

class EnsembleMember(_message.Message):
    __slots__ = ("model", "weight")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    model: ModelReference
    weight: float
    def __init__(self, model: _Optional[_Union[ModelReference, _Mapping]] = ..., weight: _Optional[float] = ...) -> None: ...

class Ensemble(_message.Message):
    __slots__ = ("members", "combiner")
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    COMBINER_FIELD_NUMBER: _ClassVar[int]
    members: _containers.RepeatedCompositeFieldContainer[EnsembleMember]
    combiner: Combiner
    def __init__(self, members: _Optional[_Iterable[_Union[EnsembleMember, _Mapping]]] = ..., combiner: _Optional[_Union[Combiner, str]] = ...) -> None: ...

class SignalThresholds(_message.Message):
    __slots__ = ("buy_threshold", "sell_threshold", "publish_hold", "suppress_repeats")
    BUY_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    SELL_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_HOLD_FIELD_NUMBER: _ClassVar[int]
    SUPPRESS_REPEATS_FIELD_NUMBER: _ClassVar[int]
    buy_threshold: float
    sell_threshold: float
    publish_hold: bool
    suppress_repeats: bool
    def __init__(self, buy_threshold: _Optional[float] = ..., sell_threshold: _Optional[float] = ..., publish_hold: _Optional[bool] = ..., suppress_repeats: _Optional[bool] = ...) -> None: ...

class DeploymentRisk(_message.Message):
    __slots__ = ("quantity", "stop_loss_fraction", "take_profit_fraction", "cooldown_bars")
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    STOP_LOSS_FRACTION_FIELD_NUMBER: _ClassVar[int]
    TAKE_PROFIT_FRACTION_FIELD_NUMBER: _ClassVar[int]
    COOLDOWN_BARS_FIELD_NUMBER: _ClassVar[int]
    quantity: float
    stop_loss_fraction: float
    take_profit_fraction: float
    cooldown_bars: int
    def __init__(self, quantity: _Optional[float] = ..., stop_loss_fraction: _Optional[float] = ..., take_profit_fraction: _Optional[float] = ..., cooldown_bars: _Optional[int] = ...) -> None: ...

class DeploymentStatistics(_message.Message):
    __slots__ = ("bars_processed", "signals_published", "last_bar_time", "last_signal_time", "bars_failed", "latency_p95_milliseconds", "symbol_last_bar_times")
    class SymbolLastBarTimesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _timestamp_pb2.Timestamp
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
    BARS_PROCESSED_FIELD_NUMBER: _ClassVar[int]
    SIGNALS_PUBLISHED_FIELD_NUMBER: _ClassVar[int]
    LAST_BAR_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_SIGNAL_TIME_FIELD_NUMBER: _ClassVar[int]
    BARS_FAILED_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P95_MILLISECONDS_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_LAST_BAR_TIMES_FIELD_NUMBER: _ClassVar[int]
    bars_processed: int
    signals_published: int
    last_bar_time: _timestamp_pb2.Timestamp
    last_signal_time: _timestamp_pb2.Timestamp
    bars_failed: int
    latency_p95_milliseconds: float
    symbol_last_bar_times: _containers.MessageMap[str, _timestamp_pb2.Timestamp]
    def __init__(self, bars_processed: _Optional[int] = ..., signals_published: _Optional[int] = ..., last_bar_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_signal_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., bars_failed: _Optional[int] = ..., latency_p95_milliseconds: _Optional[float] = ..., symbol_last_bar_times: _Optional[_Mapping[str, _timestamp_pb2.Timestamp]] = ...) -> None: ...

class Deployment(_message.Message):
    __slots__ = ("name", "id", "owner_id", "display_name", "state", "model", "ensemble", "strategy", "symbols", "timeframe", "thresholds", "risk", "strategy_id", "statistics", "error", "create_time", "update_time", "stop_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    ENSEMBLE_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    TIMEFRAME_FIELD_NUMBER: _ClassVar[int]
    THRESHOLDS_FIELD_NUMBER: _ClassVar[int]
    RISK_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_ID_FIELD_NUMBER: _ClassVar[int]
    STATISTICS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    STOP_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    id: str
    owner_id: str
    display_name: str
    state: DeploymentState
    model: ModelReference
    ensemble: Ensemble
    strategy: _strategy_spec_pb2.StrategySpec
    symbols: _containers.RepeatedScalarFieldContainer[str]
    timeframe: _bar_pb2.Timeframe
    thresholds: SignalThresholds
    risk: DeploymentRisk
    strategy_id: str
    statistics: DeploymentStatistics
    error: _status_pb2.Status
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    stop_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., id: _Optional[str] = ..., owner_id: _Optional[str] = ..., display_name: _Optional[str] = ..., state: _Optional[_Union[DeploymentState, str]] = ..., model: _Optional[_Union[ModelReference, _Mapping]] = ..., ensemble: _Optional[_Union[Ensemble, _Mapping]] = ..., strategy: _Optional[_Union[_strategy_spec_pb2.StrategySpec, _Mapping]] = ..., symbols: _Optional[_Iterable[str]] = ..., timeframe: _Optional[_Union[_bar_pb2.Timeframe, str]] = ..., thresholds: _Optional[_Union[SignalThresholds, _Mapping]] = ..., risk: _Optional[_Union[DeploymentRisk, _Mapping]] = ..., strategy_id: _Optional[str] = ..., statistics: _Optional[_Union[DeploymentStatistics, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., stop_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateDeploymentRequest(_message.Message):
    __slots__ = ("deployment", "request_id")
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    deployment: Deployment
    request_id: str
    def __init__(self, deployment: _Optional[_Union[Deployment, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateDeploymentResponse(_message.Message):
    __slots__ = ("deployment",)
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    deployment: Deployment
    def __init__(self, deployment: _Optional[_Union[Deployment, _Mapping]] = ...) -> None: ...

class StopDeploymentRequest(_message.Message):
    __slots__ = ("deployment_id", "reason")
    DEPLOYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    deployment_id: str
    reason: str
    def __init__(self, deployment_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class StopDeploymentResponse(_message.Message):
    __slots__ = ("deployment",)
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    deployment: Deployment
    def __init__(self, deployment: _Optional[_Union[Deployment, _Mapping]] = ...) -> None: ...

class GetDeploymentRequest(_message.Message):
    __slots__ = ("deployment_id",)
    DEPLOYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    deployment_id: str
    def __init__(self, deployment_id: _Optional[str] = ...) -> None: ...

class GetDeploymentResponse(_message.Message):
    __slots__ = ("deployment",)
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    deployment: Deployment
    def __init__(self, deployment: _Optional[_Union[Deployment, _Mapping]] = ...) -> None: ...

class ListDeploymentsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "state")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    state: DeploymentState
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[DeploymentState, str]] = ...) -> None: ...

class ListDeploymentsResponse(_message.Message):
    __slots__ = ("deployments", "next_page_token")
    DEPLOYMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    deployments: _containers.RepeatedCompositeFieldContainer[Deployment]
    next_page_token: str
    def __init__(self, deployments: _Optional[_Iterable[_Union[Deployment, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetLatestFeaturesRequest(_message.Message):
    __slots__ = ("deployment_id", "symbol")
    DEPLOYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    deployment_id: str
    symbol: str
    def __init__(self, deployment_id: _Optional[str] = ..., symbol: _Optional[str] = ...) -> None: ...

class SymbolFeatures(_message.Message):
    __slots__ = ("symbol", "bar_time", "feature_names", "values", "ready")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    BAR_TIME_FIELD_NUMBER: _ClassVar[int]
    FEATURE_NAMES_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    READY_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    bar_time: _timestamp_pb2.Timestamp
    feature_names: _containers.RepeatedScalarFieldContainer[str]
    values: _containers.RepeatedScalarFieldContainer[float]
    ready: bool
    def __init__(self, symbol: _Optional[str] = ..., bar_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., feature_names: _Optional[_Iterable[str]] = ..., values: _Optional[_Iterable[float]] = ..., ready: _Optional[bool] = ...) -> None: ...

class GetLatestFeaturesResponse(_message.Message):
    __slots__ = ("symbols",)
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedCompositeFieldContainer[SymbolFeatures]
    def __init__(self, symbols: _Optional[_Iterable[_Union[SymbolFeatures, _Mapping]]] = ...) -> None: ...
