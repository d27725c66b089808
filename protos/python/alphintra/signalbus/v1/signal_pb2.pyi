import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StrategySource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STRATEGY_SOURCE_UNSPECIFIED: _ClassVar[StrategySource]
    STRATEGY_SOURCE_NO_CODE: _ClassVar[StrategySource]
    STRATEGY_SOURCE_MODEL: _ClassVar[StrategySource]
    STRATEGY_SOURCE_CODE: _ClassVar[StrategySource]

class Action(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTION_UNSPECIFIED: _ClassVar[Action]
    ACTION_BUY: _ClassVar[Action]
    ACTION_SELL: _ClassVar[Action]
    ACTION_HOLD: _ClassVar[Action]
    ACTION_CLOSE: _ClassVar[Action]

class OrderType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_TYPE_UNSPECIFIED: _ClassVar[OrderType]
    ORDER_TYPE_MARKET: _ClassVar[OrderType]
    ORDER_TYPE_LIMIT: _ClassVar[OrderType]
    ORDER_TYPE_STOP: _ClassVar[OrderType]
    ORDER_TYPE_STOP_LIMIT: _ClassVar[OrderType]

class TimeInForce(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIME_IN_FORCE_UNSPECIFIED: _ClassVar[TimeInForce]
    TIME_IN_FORCE_GTC: _ClassVar[TimeInForce]
    TIME_IN_FORCE_IOC: _ClassVar[TimeInForce]
    TIME_IN_FORCE_FOK: _ClassVar[TimeInForce]
    TIME_IN_FORCE_DAY: _ClassVar[TimeInForce]
STRATEGY_SOURCE_UNSPECIFIED: StrategySource
STRATEGY_SOURCE_NO_CODE: StrategySource
STRATEGY_SOURCE_MODEL: StrategySource
STRATEGY_SOURCE_CODE: StrategySource
ACTION_UNSPECIFIED: Action
ACTION_BUY: Action
ACTION_SELL: Action
ACTION_HOLD: Action
ACTION_CLOSE: Action
ORDER_TYPE_UNSPECIFIED: OrderType
ORDER_TYPE_MARKET: OrderType
ORDER_TYPE_LIMIT: OrderType
ORDER_TYPE_STOP: OrderType
ORDER_TYPE_STOP_LIMIT: OrderType
TIME_IN_FORCE_UNSPECIFIED: TimeInForce
TIME_IN_FORCE_GTC: TimeInForce
TIME_IN_FORCE_IOC: TimeInForce
TIME_IN_FORCE_FOK: TimeInForce
TIME_IN_FORCE_DAY: TimeInForce

class ExecutionParams(_message.Message):
    __slots__ = ("order_type", "time_in_force", "max_slippage")
    ORDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    TIME_IN_FORCE_FIELD_NUMBER: _ClassVar[int]
    MAX_SLIPPAGE_FIELD_NUMBER: _ClassVar[int]
    order_type: OrderType
    time_in_force: TimeInForce
    max_slippage: float
    def __init__(self, order_type: _Optional[_Union[OrderType, str]] = ..., time_in_force: _Optional[_Union[TimeInForce, str]] = ..., max_slippage: _Optional[float] = ...) -> None: ...

class Signal(_message.Message):
    __slots__ = ("signal_id", "timestamp", "strategy_id", "strategy_source", "symbol", "action", "confidence", "quantity", "price_target", "stop_loss", "take_profit", "risk_score", "metadata", "execution_params", "owner_id")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SIGNAL_ID_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_ID_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_SOURCE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PRICE_TARGET_FIELD_NUMBER: _ClassVar[int]
    STOP_LOSS_FIELD_NUMBER: _ClassVar[int]
    TAKE_PROFIT_FIELD_NUMBER: _ClassVar[int]
    RISK_SCORE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_PARAMS_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    signal_id: str
    timestamp: _timestamp_pb2.Timestamp
    strategy_id: str
    strategy_source: StrategySource
    symbol: str
    action: Action
    confidence: float
    quantity: float
    price_target: float
    stop_loss: float
    take_profit: float
    risk_score: float
    metadata: _containers.ScalarMap[str, str]
    execution_params: ExecutionParams
    owner_id: str
    def __init__(self, signal_id: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., strategy_id: _Optional[str] = ..., strategy_source: _Optional[_Union[StrategySource, str]] = ..., symbol: _Optional[str] = ..., action: _Optional[_Union[Action, str]] = ..., confidence: _Optional[float] = ..., quantity: _Optional[float] = ..., price_target: _Optional[float] = ..., stop_loss: _Optional[float] = ..., take_profit: _Optional[float] = ..., risk_score: _Optional[float] = ..., metadata: _Optional[_Mapping[str, str]] = ..., execution_params: _Optional[_Union[ExecutionParams, _Mapping]] = ..., owner_id: _Optional[str] = ...) -> None: ...

class SignalFilter(_message.Message):
    __slots__ = ("symbols", "strategy_ids", "actions", "min_confidence")
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_IDS_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    MIN_CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedScalarFieldContainer[str]
    strategy_ids: _containers.RepeatedScalarFieldContainer[str]
    actions: _containers.RepeatedScalarFieldContainer[Action]
    min_confidence: float
    def __init__(self, symbols: _Optional[_Iterable[str]] = ..., strategy_ids: _Optional[_Iterable[str]] = ..., actions: _Optional[_Iterable[_Union[Action, str]]] = ..., min_confidence: _Optional[float] = ...) -> None: ...
