from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ParameterKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PARAMETER_KIND_UNSPECIFIED: _ClassVar[ParameterKind]
    PARAMETER_KIND_NUMBER: _ClassVar[ParameterKind]
    PARAMETER_KIND_INTEGER: _ClassVar[ParameterKind]
    PARAMETER_KIND_TEXT: _ClassVar[ParameterKind]
    PARAMETER_KIND_FLAG: _ClassVar[ParameterKind]
    PARAMETER_KIND_CHOICE: _ClassVar[ParameterKind]
PARAMETER_KIND_UNSPECIFIED: ParameterKind
PARAMETER_KIND_NUMBER: ParameterKind
PARAMETER_KIND_INTEGER: ParameterKind
PARAMETER_KIND_TEXT: ParameterKind
PARAMETER_KIND_FLAG: ParameterKind
PARAMETER_KIND_CHOICE: ParameterKind

class ParameterValue(_message.Message):
    __slots__ = ("number", "integer", "text", "flag")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    INTEGER_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    FLAG_FIELD_NUMBER: _ClassVar[int]
    number: float
    integer: int
    text: str
    flag: bool
    def __init__(self, number: _Optional[float] = ..., integer: _Optional[int] = ..., text: _Optional[str] = ..., flag: _Optional[bool] = ...) -> None: ...

class ParameterRange(_message.Message):
    __slots__ = ("low", "high", "step", "log", "choices")
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    LOG_FIELD_NUMBER: _ClassVar[int]
    CHOICES_FIELD_NUMBER: _ClassVar[int]
    low: float
    high: float
    step: float
    log: bool
    choices: _containers.RepeatedCompositeFieldContainer[ParameterValue]
    def __init__(self, low: _Optional[float] = ..., high: _Optional[float] = ..., step: _Optional[float] = ..., log: _Optional[bool] = ..., choices: _Optional[_Iterable[_Union[ParameterValue, _Mapping]]] = ...) -> None: ...
