from alphintra.common.v1 import parameter_pb2 as _parameter_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NodeCategory(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NODE_CATEGORY_UNSPECIFIED: _ClassVar[NodeCategory]
    NODE_CATEGORY_DATA_SOURCE: _ClassVar[NodeCategory]
    NODE_CATEGORY_TECHNICAL_INDICATOR: _ClassVar[NodeCategory]
    NODE_CATEGORY_CONDITION: _ClassVar[NodeCategory]
    NODE_CATEGORY_LOGIC: _ClassVar[NodeCategory]
    NODE_CATEGORY_ACTION: _ClassVar[NodeCategory]
    NODE_CATEGORY_RISK: _ClassVar[NodeCategory]

class PortDataType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PORT_DATA_TYPE_UNSPECIFIED: _ClassVar[PortDataType]
    PORT_DATA_TYPE_BARS: _ClassVar[PortDataType]
    PORT_DATA_TYPE_NUMBER_SERIES: _ClassVar[PortDataType]
    PORT_DATA_TYPE_BOOLEAN_SERIES: _ClassVar[PortDataType]
    PORT_DATA_TYPE_RISK: _ClassVar[PortDataType]
NODE_CATEGORY_UNSPECIFIED: NodeCategory
NODE_CATEGORY_DATA_SOURCE: NodeCategory
NODE_CATEGORY_TECHNICAL_INDICATOR: NodeCategory
NODE_CATEGORY_CONDITION: NodeCategory
NODE_CATEGORY_LOGIC: NodeCategory
NODE_CATEGORY_ACTION: NodeCategory
NODE_CATEGORY_RISK: NodeCategory
PORT_DATA_TYPE_UNSPECIFIED: PortDataType
PORT_DATA_TYPE_BARS: PortDataType
PORT_DATA_TYPE_NUMBER_SERIES: PortDataType
PORT_DATA_TYPE_BOOLEAN_SERIES: PortDataType
PORT_DATA_TYPE_RISK: PortDataType

class Port(_message.Message):
    __slots__ = ("name", "data_type", "description", "required", "multiple")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DATA_TYPE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    MULTIPLE_FIELD_NUMBER: _ClassVar[int]
    name: str
    data_type: PortDataType
    description: str
    required: bool
    multiple: bool
    def __init__(self, name: _Optional[str] = ..., data_type: _Optional[_Union[PortDataType, str]] = ..., description: _Optional[str] = ..., required: _Optional[bool] = ..., multiple: _Optional[bool] = ...) -> None: ...

class NodeParameter(_message.Message):
    __slots__ = ("name", "kind", "default_value", "minimum", "maximum", "choices", "description", "unit", "required", "optimizable", "suggested_range")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_VALUE_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_FIELD_NUMBER: _ClassVar[int]
    CHOICES_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    OPTIMIZABLE_FIELD_NUMBER: _ClassVar[int]
    SUGGESTED_RANGE_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: _parameter_pb2.ParameterKind
    default_value: _parameter_pb2.ParameterValue
    minimum: float
    maximum: float
    choices: _containers.RepeatedCompositeFieldContainer[_parameter_pb2.ParameterValue]
    description: str
    unit: str
    required: bool
    optimizable: bool
    suggested_range: _parameter_pb2.ParameterRange
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[_parameter_pb2.ParameterKind, str]] = ..., default_value: _Optional[_Union[_parameter_pb2.ParameterValue, _Mapping]] = ..., minimum: _Optional[float] = ..., maximum: _Optional[float] = ..., choices: _Optional[_Iterable[_Union[_parameter_pb2.ParameterValue, _Mapping]]] = ..., description: _Optional[str] = ..., unit: _Optional[str] = ..., required: _Optional[bool] = ..., optimizable: _Optional[bool] = ..., suggested_range: _Optional[_Union[_parameter_pb2.ParameterRange, _Mapping]] = ...) -> None: ...

class NodeType(_message.Message):
    __slots__ = ("type", "category", "display_name", "description", "parameters", "inputs", "outputs", "outputs_by_choice")
    class OutputsByChoiceEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: PortList
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[PortList, _Mapping]] = ...) -> None: ...
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_BY_CHOICE_FIELD_NUMBER: _ClassVar[int]
    type: str
    category: NodeCategory
    display_name: str
    description: str
    parameters: _containers.RepeatedCompositeFieldContainer[NodeParameter]
    inputs: _containers.RepeatedCompositeFieldContainer[Port]
    outputs: _containers.RepeatedCompositeFieldContainer[Port]
    outputs_by_choice: _containers.MessageMap[str, PortList]
    def __init__(self, type: _Optional[str] = ..., category: _Optional[_Union[NodeCategory, str]] = ..., display_name: _Optional[str] = ..., description: _Optional[str] = ..., parameters: _Optional[_Iterable[_Union[NodeParameter, _Mapping]]] = ..., inputs: _Optional[_Iterable[_Union[Port, _Mapping]]] = ..., outputs: _Optional[_Iterable[_Union[Port, _Mapping]]] = ..., outputs_by_choice: _Optional[_Mapping[str, PortList]] = ...) -> None: ...

class PortList(_message.Message):
    __slots__ = ("ports",)
    PORTS_FIELD_NUMBER: _ClassVar[int]
    ports: _containers.RepeatedCompositeFieldContainer[Port]
    def __init__(self, ports: _Optional[_Iterable[_Union[Port, _Mapping]]] = ...) -> None: ...
