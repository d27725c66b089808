from alphintra.common.v1 import bar_pb2 as _bar_pb2
from alphintra.common.v1 import parameter_pb2 as _parameter_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PriceField(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PRICE_FIELD_UNSPECIFIED: _ClassVar[PriceField]
    PRICE_FIELD_OPEN: _ClassVar[PriceField]
    PRICE_FIELD_HIGH: _ClassVar[PriceField]
    PRICE_FIELD_LOW: _ClassVar[PriceField]
    PRICE_FIELD_CLOSE: _ClassVar[PriceField]
    PRICE_FIELD_VOLUME: _ClassVar[PriceField]
    PRICE_FIELD_MEDIAN: _ClassVar[PriceField]
    PRICE_FIELD_TYPICAL: _ClassVar[PriceField]

class ComparisonOperator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPARISON_OPERATOR_UNSPECIFIED: _ClassVar[ComparisonOperator]
    COMPARISON_OPERATOR_GREATER_THAN: _ClassVar[ComparisonOperator]
    COMPARISON_OPERATOR_LESS_THAN: _ClassVar[ComparisonOperator]
    COMPARISON_OPERATOR_GREATER_THAN_OR_EQUAL: _ClassVar[ComparisonOperator]
    COMPARISON_OPERATOR_LESS_THAN_OR_EQUAL: _ClassVar[ComparisonOperator]
    COMPARISON_OPERATOR_CROSSES_ABOVE: _ClassVar[ComparisonOperator]
    COMPARISON_OPERATOR_CROSSES_BELOW: _ClassVar[ComparisonOperator]

class TrendDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TREND_DIRECTION_UNSPECIFIED: _ClassVar[TrendDirection]
    TREND_DIRECTION_RISING: _ClassVar[TrendDirection]
    TREND_DIRECTION_FALLING: _ClassVar[TrendDirection]

class LogicOperator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LOGIC_OPERATOR_UNSPECIFIED: _ClassVar[LogicOperator]
    LOGIC_OPERATOR_AND: _ClassVar[LogicOperator]
    LOGIC_OPERATOR_OR: _ClassVar[LogicOperator]
    LOGIC_OPERATOR_NOT: _ClassVar[LogicOperator]

class RuleAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RULE_ACTION_UNSPECIFIED: _ClassVar[RuleAction]
    RULE_ACTION_BUY: _ClassVar[RuleAction]
    RULE_ACTION_SELL: _ClassVar[RuleAction]
    RULE_ACTION_CLOSE: _ClassVar[RuleAction]
    RULE_ACTION_REVERSE: _ClassVar[RuleAction]
PRICE_FIELD_UNSPECIFIED: PriceField
PRICE_FIELD_OPEN: PriceField
PRICE_FIELD_HIGH: PriceField
PRICE_FIELD_LOW: PriceField
PRICE_FIELD_CLOSE: PriceField
PRICE_FIELD_VOLUME: PriceField
PRICE_FIELD_MEDIAN: PriceField
PRICE_FIELD_TYPICAL: PriceField
COMPARISON_OPERATOR_UNSPECIFIED: ComparisonOperator
COMPARISON_OPERATOR_GREATER_THAN: ComparisonOperator
COMPARISON_OPERATOR_LESS_THAN: ComparisonOperator
COMPARISON_OPERATOR_GREATER_THAN_OR_EQUAL: ComparisonOperator
COMPARISON_OPERATOR_LESS_THAN_OR_EQUAL: ComparisonOperator
COMPARISON_OPERATOR_CROSSES_ABOVE: ComparisonOperator
COMPARISON_OPERATOR_CROSSES_BELOW: ComparisonOperator
TREND_DIRECTION_UNSPECIFIED: TrendDirection
TREND_DIRECTION_RISING: TrendDirection
TREND_DIRECTION_FALLING: TrendDirection
LOGIC_OPERATOR_UNSPECIFIED: LogicOperator
LOGIC_OPERATOR_AND: LogicOperator
LOGIC_OPERATOR_OR: LogicOperator
LOGIC_OPERATOR_NOT: LogicOperator
RULE_ACTION_UNSPECIFIED: RuleAction
RULE_ACTION_BUY: RuleAction
RULE_ACTION_SELL: RuleAction
RULE_ACTION_CLOSE: RuleAction
RULE_ACTION_REVERSE: RuleAction

class StrategySpec(_message.Message):
    __slots__ = ("spec_version", "workflow_id", "workflow_version", "data_source", "indicators", "conditions", "rules", "risk", "tunable_parameters", "warmup_bars", "content_hash")
    SPEC_VERSION_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    DATA_SOURCE_FIELD_NUMBER: _ClassVar[int]
    INDICATORS_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    RISK_FIELD_NUMBER: _ClassVar[int]
    TUNABLE_PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    WARMUP_BARS_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    spec_version: str
    workflow_id: str
    workflow_version: int
    data_source: DataSource
    indicators: _containers.RepeatedCompositeFieldContainer[IndicatorNode]
    conditions: _containers.RepeatedCompositeFieldContainer[ConditionNode]
    rules: _containers.RepeatedCompositeFieldContainer[Rule]
    risk: RiskSettings
    tunable_parameters: _containers.RepeatedCompositeFieldContainer[TunableParameter]
    warmup_bars: int
    content_hash: str
    def __init__(self, spec_version: _Optional[str] = ..., workflow_id: _Optional[str] = ..., workflow_version: _Optional[int] = ..., data_source: _Optional[_Union[DataSource, _Mapping]] = ..., indicators: _Optional[_Iterable[_Union[IndicatorNode, _Mapping]]] = ..., conditions: _Optional[_Iterable[_Union[ConditionNode, _Mapping]]] = ..., rules: _Optional[_Iterable[_Union[Rule, _Mapping]]] = ..., risk: _Optional[_Union[RiskSettings, _Mapping]] = ..., tunable_parameters: _Optional[_Iterable[_Union[TunableParameter, _Mapping]]] = ..., warmup_bars: _Optional[int] = ..., content_hash: _Optional[str] = ...) -> None: ...

class DataSource(_message.Message):
    __slots__ = ("node_id", "symbol", "timeframe", "dataset_id")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TIMEFRAME_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    symbol: str
    timeframe: _bar_pb2.Timeframe
    dataset_id: str
    def __init__(self, node_id: _Optional[str] = ..., symbol: _Optional[str] = ..., timeframe: _Optional[_Union[_bar_pb2.Timeframe, str]] = ..., dataset_id: _Optional[str] = ...) -> None: ...

class SeriesRef(_message.Message):
    __slots__ = ("node_id", "port")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    port: str
    def __init__(self, node_id: _Optional[str] = ..., port: _Optional[str] = ...) -> None: ...

class Operand(_message.Message):
    __slots__ = ("series", "price", "constant", "offset_bars")
    SERIES_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    CONSTANT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_BARS_FIELD_NUMBER: _ClassVar[int]
    series: SeriesRef
    price: PriceField
    constant: float
    offset_bars: int
    def __init__(self, series: _Optional[_Union[SeriesRef, _Mapping]] = ..., price: _Optional[_Union[PriceField, str]] = ..., constant: _Optional[float] = ..., offset_bars: _Optional[int] = ...) -> None: ...

class IndicatorNode(_message.Message):
    __slots__ = ("node_id", "indicator", "parameters", "inputs", "outputs")
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _parameter_pb2.ParameterValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_parameter_pb2.ParameterValue, _Mapping]] = ...) -> None: ...
    class InputsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Operand
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Operand, _Mapping]] = ...) -> None: ...
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    indicator: str
    parameters: _containers.MessageMap[str, _parameter_pb2.ParameterValue]
    inputs: _containers.MessageMap[str, Operand]
    outputs: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, node_id: _Optional[str] = ..., indicator: _Optional[str] = ..., parameters: _Optional[_Mapping[str, _parameter_pb2.ParameterValue]] = ..., inputs: _Optional[_Mapping[str, Operand]] = ..., outputs: _Optional[_Iterable[str]] = ...) -> None: ...

class ConditionNode(_message.Message):
    __slots__ = ("node_id", "condition")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    CONDITION_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    condition: Condition
    def __init__(self, node_id: _Optional[str] = ..., condition: _Optional[_Union[Condition, _Mapping]] = ...) -> None: ...

class Condition(_message.Message):
    __slots__ = ("comparison", "between", "trend", "logic", "condition_node_id")
    COMPARISON_FIELD_NUMBER: _ClassVar[int]
    BETWEEN_FIELD_NUMBER: _ClassVar[int]
    TREND_FIELD_NUMBER: _ClassVar[int]
    LOGIC_FIELD_NUMBER: _ClassVar[int]
    CONDITION_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    comparison: Comparison
    between: Between
    trend: Trend
    logic: Logic
    condition_node_id: str
    def __init__(self, comparison: _Optional[_Union[Comparison, _Mapping]] = ..., between: _Optional[_Union[Between, _Mapping]] = ..., trend: _Optional[_Union[Trend, _Mapping]] = ..., logic: _Optional[_Union[Logic, _Mapping]] = ..., condition_node_id: _Optional[str] = ...) -> None: ...

class Comparison(_message.Message):
    __slots__ = ("operator", "left", "right")
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    LEFT_FIELD_NUMBER: _ClassVar[int]
    RIGHT_FIELD_NUMBER: _ClassVar[int]
    operator: ComparisonOperator
    left: Operand
    right: Operand
    def __init__(self, operator: _Optional[_Union[ComparisonOperator, str]] = ..., left: _Optional[_Union[Operand, _Mapping]] = ..., right: _Optional[_Union[Operand, _Mapping]] = ...) -> None: ...

class Between(_message.Message):
    __slots__ = ("value", "lower", "upper", "exclusive")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    LOWER_FIELD_NUMBER: _ClassVar[int]
    UPPER_FIELD_NUMBER: _ClassVar[int]
    EXCLUSIVE_FIELD_NUMBER: _ClassVar[int]
    value: Operand
    lower: Operand
    upper: Operand
    exclusive: bool
    def __init__(self, value: _Optional[_Union[Operand, _Mapping]] = ..., lower: _Optional[_Union[Operand, _Mapping]] = ..., upper: _Optional[_Union[Operand, _Mapping]] = ..., exclusive: _Optional[bool] = ...) -> None: ...

class Trend(_message.Message):
    __slots__ = ("direction", "value", "bars")
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    BARS_FIELD_NUMBER: _ClassVar[int]
    direction: TrendDirection
    value: Operand
    bars: int
    def __init__(self, direction: _Optional[_Union[TrendDirection, str]] = ..., value: _Optional[_Union[Operand, _Mapping]] = ..., bars: _Optional[int] = ...) -> None: ...

class Logic(_message.Message):
    __slots__ = ("operator", "operands")
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    OPERANDS_FIELD_NUMBER: _ClassVar[int]
    operator: LogicOperator
    operands: _containers.RepeatedCompositeFieldContainer[Condition]
    def __init__(self, operator: _Optional[_Union[LogicOperator, str]] = ..., operands: _Optional[_Iterable[_Union[Condition, _Mapping]]] = ...) -> None: ...

class Rule(_message.Message):
    __slots__ = ("node_id", "condition_node_id", "action", "sizing", "priority")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    CONDITION_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    SIZING_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    condition_node_id: str
    action: RuleAction
    sizing: PositionSizing
    priority: int
    def __init__(self, node_id: _Optional[str] = ..., condition_node_id: _Optional[str] = ..., action: _Optional[_Union[RuleAction, str]] = ..., sizing: _Optional[_Union[PositionSizing, _Mapping]] = ..., priority: _Optional[int] = ...) -> None: ...

class PositionSizing(_message.Message):
    __slots__ = ("fraction_of_equity", "fixed_quantity", "risk_per_trade")
    FRACTION_OF_EQUITY_FIELD_NUMBER: _ClassVar[int]
    FIXED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    RISK_PER_TRADE_FIELD_NUMBER: _ClassVar[int]
    fraction_of_equity: float
    fixed_quantity: float
    risk_per_trade: RiskPerTrade
    def __init__(self, fraction_of_equity: _Optional[float] = ..., fixed_quantity: _Optional[float] = ..., risk_per_trade: _Optional[_Union[RiskPerTrade, _Mapping]] = ...) -> None: ...

class RiskPerTrade(_message.Message):
    __slots__ = ("risk_fraction", "atr_period", "atr_multiplier")
    RISK_FRACTION_FIELD_NUMBER: _ClassVar[int]
    ATR_PERIOD_FIELD_NUMBER: _ClassVar[int]
    ATR_MULTIPLIER_FIELD_NUMBER: _ClassVar[int]
    risk_fraction: float
    atr_period: int
    atr_multiplier: float
    def __init__(self, risk_fraction: _Optional[float] = ..., atr_period: _Optional[int] = ..., atr_multiplier: _Optional[float] = ...) -> None: ...

class RiskSettings(_message.Message):
    __slots__ = ("stop_loss_fraction", "take_profit_fraction", "trailing_stop_fraction", "position_sizing", "max_exposure_fraction", "max_drawdown_halt_fraction", "node_ids")
    STOP_LOSS_FRACTION_FIELD_NUMBER: _ClassVar[int]
    TAKE_PROFIT_FRACTION_FIELD_NUMBER: _ClassVar[int]
    TRAILING_STOP_FRACTION_FIELD_NUMBER: _ClassVar[int]
    POSITION_SIZING_FIELD_NUMBER: _ClassVar[int]
    MAX_EXPOSURE_FRACTION_FIELD_NUMBER: _ClassVar[int]
    MAX_DRAWDOWN_HALT_FRACTION_FIELD_NUMBER: _ClassVar[int]
    NODE_IDS_FIELD_NUMBER: _ClassVar[int]
    stop_loss_fraction: float
    take_profit_fraction: float
    trailing_stop_fraction: float
    position_sizing: PositionSizing
    max_exposure_fraction: float
    max_drawdown_halt_fraction: float
    node_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, stop_loss_fraction: _Optional[float] = ..., take_profit_fraction: _Optional[float] = ..., trailing_stop_fraction: _Optional[float] = ..., position_sizing: _Optional[_Union[PositionSizing, _Mapping]] = ..., max_exposure_fraction: _Optional[float] = ..., max_drawdown_halt_fraction: _Optional[float] = ..., node_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class TunableParameter(_message.Message):
    __slots__ = ("name", "node_id", "parameter", "kind", "current_value", "range")
    NAME_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    PARAMETER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CURRENT_VALUE_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    name: str
    node_id: str
    parameter: str
    kind: _parameter_pb2.ParameterKind
    current_value: _parameter_pb2.ParameterValue
    range: _parameter_pb2.ParameterRange
    def __init__(self, name: _Optional[str] = ..., node_id: _Optional[str] = ..., parameter: _Optional[str] = ..., kind: _Optional[_Union[_parameter_pb2.ParameterKind, str]] = ..., current_value: _Optional[_Union[_parameter_pb2.ParameterValue, _Mapping]] = ..., range: _Optional[_Union[_parameter_pb2.ParameterRange, _Mapping]] = ...) -> None: ...
