import datetime

from alphintra.common.v1 import parameter_pb2 as _parameter_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Workflow(_message.Message):
    __slots__ = ("name", "id", "owner_id", "display_name", "description", "version", "graph", "create_time", "update_time", "template_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    GRAPH_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    id: str
    owner_id: str
    display_name: str
    description: str
    version: int
    graph: WorkflowGraph
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    template_id: str
    def __init__(self, name: _Optional[str] = ..., id: _Optional[str] = ..., owner_id: _Optional[str] = ..., display_name: _Optional[str] = ..., description: _Optional[str] = ..., version: _Optional[int] = ..., graph: _Optional[_Union[WorkflowGraph, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., template_id: _Optional[str] = ...) -> None: ...

class WorkflowGraph(_message.Message):
    __slots__ = ("nodes", "edges")
    NODES_FIELD_NUMBER: _ClassVar[int]
    EDGES_FIELD_NUMBER: _ClassVar[int]
    nodes: _containers.RepeatedCompositeFieldContainer[Node]
    edges: _containers.RepeatedCompositeFieldContainer[Edge]
    def __init__(self, nodes: _Optional[_Iterable[_Union[Node, _Mapping]]] = ..., edges: _Optional[_Iterable[_Union[Edge, _Mapping]]] = ...) -> None: ...

class NodePosition(_message.Message):
    __slots__ = ("x", "y")
    X_FIELD_NUMBER: _ClassVar[int]
    Y_FIELD_NUMBER: _ClassVar[int]
    x: float
    y: float
    def __init__(self, x: _Optional[float] = ..., y: _Optional[float] = ...) -> None: ...

class Node(_message.Message):
    __slots__ = ("id", "type", "label", "position", "parameters", "optimization_ranges")
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _parameter_pb2.ParameterValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_parameter_pb2.ParameterValue, _Mapping]] = ...) -> None: ...
    class OptimizationRangesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _parameter_pb2.ParameterRange
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_parameter_pb2.ParameterRange, _Mapping]] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    OPTIMIZATION_RANGES_FIELD_NUMBER: _ClassVar[int]
    id: str
    type: str
    label: str
    position: NodePosition
    parameters: _containers.MessageMap[str, _parameter_pb2.ParameterValue]
    optimization_ranges: _containers.MessageMap[str, _parameter_pb2.ParameterRange]
    def __init__(self, id: _Optional[str] = ..., type: _Optional[str] = ..., label: _Optional[str] = ..., position: _Optional[_Union[NodePosition, _Mapping]] = ..., parameters: _Optional[_Mapping[str, _parameter_pb2.ParameterValue]] = ..., optimization_ranges: _Optional[_Mapping[str, _parameter_pb2.ParameterRange]] = ...) -> None: ...

class Edge(_message.Message):
    __slots__ = ("id", "source_node", "source_port", "target_node", "target_port")
    ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_NODE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_PORT_FIELD_NUMBER: _ClassVar[int]
    TARGET_NODE_FIELD_NUMBER: _ClassVar[int]
    TARGET_PORT_FIELD_NUMBER: _ClassVar[int]
    id: str
    source_node: str
    source_port: str
    target_node: str
    target_port: str
    def __init__(self, id: _Optional[str] = ..., source_node: _Optional[str] = ..., source_port: _Optional[str] = ..., target_node: _Optional[str] = ..., target_port: _Optional[str] = ...) -> None: ...

class WorkflowVersion(_message.Message):
    __slots__ = ("workflow_id", "version", "display_name", "description", "graph", "author_id", "change_summary", "source_job_id", "create_time")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    GRAPH_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGE_SUMMARY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    version: int
    display_name: str
    description: str
    graph: WorkflowGraph
    author_id: str
    change_summary: str
    source_job_id: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, workflow_id: _Optional[str] = ..., version: _Optional[int] = ..., display_name: _Optional[str] = ..., description: _Optional[str] = ..., graph: _Optional[_Union[WorkflowGraph, _Mapping]] = ..., author_id: _Optional[str] = ..., change_summary: _Optional[str] = ..., source_job_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
