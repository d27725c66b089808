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

class Timeframe(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIMEFRAME_UNSPECIFIED: _ClassVar[Timeframe]
    TIMEFRAME_1_MINUTE: _ClassVar[Timeframe]
    TIMEFRAME_5_MINUTES: _ClassVar[Timeframe]
    TIMEFRAME_15_MINUTES: _ClassVar[Timeframe]
    TIMEFRAME_30_MINUTES: _ClassVar[Timeframe]
    TIMEFRAME_1_HOUR: _ClassVar[Timeframe]
    TIMEFRAME_4_HOURS: _ClassVar[Timeframe]
    TIMEFRAME_1_DAY: _ClassVar[Timeframe]
    TIMEFRAME_1_WEEK: _ClassVar[Timeframe]
TIMEFRAME_UNSPECIFIED: Timeframe
TIMEFRAME_1_MINUTE: Timeframe
TIMEFRAME_5_MINUTES: Timeframe
TIMEFRAME_15_MINUTES: Timeframe
TIMEFRAME_30_MINUTES: Timeframe
TIMEFRAME_1_HOUR: Timeframe
TIMEFRAME_4_HOURS: Timeframe
TIMEFRAME_1_DAY: Timeframe
TIMEFRAME_1_WEEK: Timeframe

class Bar(_message.Message):
    __slots__ = ("symbol", "timeframe", "time", "open", "high", "low", "close", "volume")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TIMEFRAME_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    OPEN_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    CLOSE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    timeframe: Timeframe
    time: _timestamp_pb2.Timestamp
    open: float
    high: float
    low: float
    close: float
    volume: float
    def __init__(self, symbol: _Optional[str] = ..., timeframe: _Optional[_Union[Timeframe, str]] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., open: _Optional[float] = ..., high: _Optional[float] = ..., low: _Optional[float] = ..., close: _Optional[float] = ..., volume: _Optional[float] = ...) -> None: ...

class BarSeries(_message.Message):
    __slots__ = ("bars",)
    BARS_FIELD_NUMBER: _ClassVar[int]
    bars: _containers.RepeatedCompositeFieldContainer[Bar]
    def __init__(self, bars: _Optional[_Iterable[_Union[Bar, _Mapping]]] = ...) -> None: ...
