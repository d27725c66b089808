from alphintra.workflow.v1 import workflow_pb2 as _workflow_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Difficulty(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIFFICULTY_UNSPECIFIED: _ClassVar[Difficulty]
    DIFFICULTY_BEGINNER: _ClassVar[Difficulty]
    DIFFICULTY_INTERMEDIATE: _ClassVar[Difficulty]
    DIFFICULTY_ADVANCED: _ClassVar[Difficulty]
DIFFICULTY_UNSPECIFIED: Difficulty
DIFFICULTY_BEGINNER: Difficulty
DIFFICULTY_INTERMEDIATE: Difficulty
DIFFICULTY_ADVANCED: Difficulty

class Template(_message.Message):
    __slots__ = ("id", "display_name", "description", "difficulty", "tags", "graph")
    ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DIFFICULTY_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    GRAPH_FIELD_NUMBER: _ClassVar[int]
    id: str
    display_name: str
    description: str
    difficulty: Difficulty
    tags: _containers.RepeatedScalarFieldContainer[str]
    graph: _workflow_pb2.WorkflowGraph
    def __init__(self, id: _Optional[str] = ..., display_name: _Optional[str] = ..., description: _Optional[str] = ..., difficulty: _Optional[_Union[Difficulty, str]] = ..., tags: _Optional[_Iterable[str]] = ..., graph: _Optional[_Union[_workflow_pb2.WorkflowGraph, _Mapping]] = ...) -> None: ...
