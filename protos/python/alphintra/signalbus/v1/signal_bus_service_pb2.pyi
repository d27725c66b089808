import datetime

from alphintra.common.v1 import bar_pb2 as _bar_pb2
from alphintra.signalbus.v1 import signal_pb2 as _signal_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SignalRecord(_message.Message):
    __slots__ = ("offset", "signal")
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_FIELD_NUMBER: _ClassVar[int]
    offset: str
    signal: _signal_pb2.Signal
    def __init__(self, offset: _Optional[str] = ..., signal: _Optional[_Union[_signal_pb2.Signal, _Mapping]] = ...) -> None: ...

class BarRecord(_message.Message):
    __slots__ = ("offset", "bar")
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    BAR_FIELD_NUMBER: _ClassVar[int]
    offset: str
    bar: _bar_pb2.Bar
    def __init__(self, offset: _Optional[str] = ..., bar: _Optional[_Union[_bar_pb2.Bar, _Mapping]] = ...) -> None: ...

class PublishSignalRequest(_message.Message):
    __slots__ = ("signal",)
    SIGNAL_FIELD_NUMBER: _ClassVar[int]
    signal: _signal_pb2.Signal
    def __init__(self, signal: _Optional[_Union[_signal_pb2.Signal, _Mapping]] = ...) -> None: ...

class PublishSignalResponse(_message.Message):
    __slots__ = ("offset", "duplicate", "signal")
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_FIELD_NUMBER: _ClassVar[int]
    offset: str
    duplicate: bool
    signal: _signal_pb2.Signal
    def __init__(self, offset: _Optional[str] = ..., duplicate: _Optional[bool] = ..., signal: _Optional[_Union[_signal_pb2.Signal, _Mapping]] = ...) -> None: ...

class PublishSignalsRequest(_message.Message):
    __slots__ = ("signal", "signals")
    SIGNAL_FIELD_NUMBER: _ClassVar[int]
    SIGNALS_FIELD_NUMBER: _ClassVar[int]
    signal: _signal_pb2.Signal
    signals: _containers.RepeatedCompositeFieldContainer[_signal_pb2.Signal]
    def __init__(self, signal: _Optional[_Union[_signal_pb2.Signal, _Mapping]] = ..., signals: _Optional[_Iterable[_Union[_signal_pb2.Signal, _Mapping]]] = ...) -> None: ...

class SignalAck(_message.Message):
    __slots__ = ("signal_id", "offset", "duplicate", "error")
    SIGNAL_ID_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    signal_id: str
    offset: str
    duplicate: bool
    error: _status_pb2.Status
    def __init__(self, signal_id: _Optional[str] = ..., offset: _Optional[str] = ..., duplicate: _Optional[bool] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class PublishSignalsResponse(_message.Message):
    __slots__ = ("signal_id", "offset", "duplicate", "error", "acks")
    SIGNAL_ID_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ACKS_FIELD_NUMBER: _ClassVar[int]
    signal_id: str
    offset: str
    duplicate: bool
    error: _status_pb2.Status
    acks: _containers.RepeatedCompositeFieldContainer[SignalAck]
    def __init__(self, signal_id: _Optional[str] = ..., offset: _Optional[str] = ..., duplicate: _Optional[bool] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ..., acks: _Optional[_Iterable[_Union[SignalAck, _Mapping]]] = ...) -> None: ...

class SubscribeRequest(_message.Message):
    __slots__ = ("from_now", "from_offset", "from_time", "filter", "max_batch_size")
    FROM_NOW_FIELD_NUMBER: _ClassVar[int]
    FROM_OFFSET_FIELD_NUMBER: _ClassVar[int]
    FROM_TIME_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    MAX_BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    from_now: bool
    from_offset: str
    from_time: _timestamp_pb2.Timestamp
    filter: _signal_pb2.SignalFilter
    max_batch_size: int
    def __init__(self, from_now: _Optional[bool] = ..., from_offset: _Optional[str] = ..., from_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., filter: _Optional[_Union[_signal_pb2.SignalFilter, _Mapping]] = ..., max_batch_size: _Optional[int] = ...) -> None: ...

class SubscribeResponse(_message.Message):
    __slots__ = ("signals", "resume_offset")
    SIGNALS_FIELD_NUMBER: _ClassVar[int]
    RESUME_OFFSET_FIELD_NUMBER: _ClassVar[int]
    signals: _containers.RepeatedCompositeFieldContainer[SignalRecord]
    resume_offset: str
    def __init__(self, signals: _Optional[_Iterable[_Union[SignalRecord, _Mapping]]] = ..., resume_offset: _Optional[str] = ...) -> None: ...

class ListSignalsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "start_time", "end_time", "symbol", "strategy_id", "action")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    symbol: str
    strategy_id: str
    action: _signal_pb2.Action
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., symbol: _Optional[str] = ..., strategy_id: _Optional[str] = ..., action: _Optional[_Union[_signal_pb2.Action, str]] = ...) -> None: ...

class ListSignalsResponse(_message.Message):
    __slots__ = ("signals", "next_page_token")
    SIGNALS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    signals: _containers.RepeatedCompositeFieldContainer[SignalRecord]
    next_page_token: str
    def __init__(self, signals: _Optional[_Iterable[_Union[SignalRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PublishBarsRequest(_message.Message):
    __slots__ = ("bar",)
    BAR_FIELD_NUMBER: _ClassVar[int]
    bar: _bar_pb2.Bar
    def __init__(self, bar: _Optional[_Union[_bar_pb2.Bar, _Mapping]] = ...) -> None: ...

class PublishBarsResponse(_message.Message):
    __slots__ = ("offset", "duplicate", "error")
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    offset: str
    duplicate: bool
    error: _status_pb2.Status
    def __init__(self, offset: _Optional[str] = ..., duplicate: _Optional[bool] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class SubscribeBarsRequest(_message.Message):
    __slots__ = ("symbols", "timeframe", "from_now", "from_offset", "from_time", "max_batch_size")
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    TIMEFRAME_FIELD_NUMBER: _ClassVar[int]
    FROM_NOW_FIELD_NUMBER: _ClassVar[int]
    FROM_OFFSET_FIELD_NUMBER: _ClassVar[int]
    FROM_TIME_FIELD_NUMBER: _ClassVar[int]
    MAX_BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedScalarFieldContainer[str]
    timeframe: _bar_pb2.Timeframe
    from_now: bool
    from_offset: str
    from_time: _timestamp_pb2.Timestamp
    max_batch_size: int
    def __init__(self, symbols: _Optional[_Iterable[str]] = ..., timeframe: _Optional[_Union[_bar_pb2.Timeframe, str]] = ..., from_now: _Optional[bool] = ..., from_offset: _Optional[str] = ..., from_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_batch_size: _Optional[int] = ...) -> None: ...

class SubscribeBarsResponse(_message.Message):
    __slots__ = ("bars", "resume_offset")
    BARS_FIELD_NUMBER: _ClassVar[int]
    RESUME_OFFSET_FIELD_NUMBER: _ClassVar[int]
    bars: _containers.RepeatedCompositeFieldContainer[BarRecord]
    resume_offset: str
    def __init__(self, bars: _Optional[_Iterable[_Union[BarRecord, _Mapping]]] = ..., resume_offset: _Optional[str] = ...) -> None: ...
