from alphintra.common.v1 import bar_pb2 as _bar_pb2
from alphintra.strategy.v1 import strategy_spec_pb2 as _strategy_spec_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RuleOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RULE_OUTCOME_UNSPECIFIED: _ClassVar[RuleOutcome]
    RULE_OUTCOME_NOT_TRIGGERED: _ClassVar[RuleOutcome]
    RULE_OUTCOME_EXECUTED: _ClassVar[RuleOutcome]
    RULE_OUTCOME_SUPPRESSED: _ClassVar[RuleOutcome]
RULE_OUTCOME_UNSPECIFIED: RuleOutcome
RULE_OUTCOME_NOT_TRIGGERED: RuleOutcome
RULE_OUTCOME_EXECUTED: RuleOutcome
RULE_OUTCOME_SUPPRESSED: RuleOutcome

class NodeValue(_message.Message):
    __slots__ = ("node_id", "port", "number", "flag", "ready")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    FLAG_FIELD_NUMBER: _ClassVar[int]
    READY_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    port: str
    number: float
    flag: bool
    ready: bool
    def __init__(self, node_id: _Optional[str] = ..., port: _Optional[str] = ..., number: _Optional[float] = ..., flag: _Optional[bool] = ..., ready: _Optional[bool] = ...) -> None: ...

class RuleEvaluation(_message.Message):
    __slots__ = ("rule_node_id", "action", "outcome", "explanation")
    RULE_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    rule_node_id: str
    action: _strategy_spec_pb2.RuleAction
    outcome: RuleOutcome
    explanation: str
    def __init__(self, rule_node_id: _Optional[str] = ..., action: _Optional[_Union[_strategy_spec_pb2.RuleAction, str]] = ..., outcome: _Optional[_Union[RuleOutcome, str]] = ..., explanation: _Optional[str] = ...) -> None: ...

class TraceBar(_message.Message):
    __slots__ = ("bar_index", "bar", "values", "rules", "position_size", "equity")
    BAR_INDEX_FIELD_NUMBER: _ClassVar[int]
    BAR_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    POSITION_SIZE_FIELD_NUMBER: _ClassVar[int]
    EQUITY_FIELD_NUMBER: _ClassVar[int]
    bar_index: int
    bar: _bar_pb2.Bar
    values: _containers.RepeatedCompositeFieldContainer[NodeValue]
    rules: _containers.RepeatedCompositeFieldContainer[RuleEvaluation]
    position_size: float
    equity: float
    def __init__(self, bar_index: _Optional[int] = ..., bar: _Optional[_Union[_bar_pb2.Bar, _Mapping]] = ..., values: _Optional[_Iterable[_Union[NodeValue, _Mapping]]] = ..., rules: _Optional[_Iterable[_Union[RuleEvaluation, _Mapping]]] = ..., position_size: _Optional[float] = ..., equity: _Optional[float] = ...) -> None: ...
