"""The catalog's words ("crosses_above", "close", "buy") ⇄ the strategy spec's enums.

The graph speaks the editor's language and the spec speaks protobuf enums; these tables are the
only place the two meet, in both directions (the compiler maps words to enums, the evaluator,
trace and code generator map enums back to the words the signal functions take).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from alphintra.common.v1.bar_pb2 import Timeframe
from alphintra.strategy.v1.strategy_spec_pb2 import (
    ComparisonOperator,
    LogicOperator,
    PriceField,
    RuleAction,
    TrendDirection,
)


def _both(pairs: dict[str, int]) -> tuple[Mapping[str, int], Mapping[int, str]]:
    return MappingProxyType(pairs), MappingProxyType({value: key for key, value in pairs.items()})


COMPARISON_ENUMS, COMPARISON_WORDS = _both(
    {
        ">": ComparisonOperator.COMPARISON_OPERATOR_GREATER_THAN,
        "<": ComparisonOperator.COMPARISON_OPERATOR_LESS_THAN,
        ">=": ComparisonOperator.COMPARISON_OPERATOR_GREATER_THAN_OR_EQUAL,
        "<=": ComparisonOperator.COMPARISON_OPERATOR_LESS_THAN_OR_EQUAL,
        "crosses_above": ComparisonOperator.COMPARISON_OPERATOR_CROSSES_ABOVE,
        "crosses_below": ComparisonOperator.COMPARISON_OPERATOR_CROSSES_BELOW,
    }
)
PRICE_ENUMS, PRICE_WORDS = _both(
    {
        "open": PriceField.PRICE_FIELD_OPEN,
        "high": PriceField.PRICE_FIELD_HIGH,
        "low": PriceField.PRICE_FIELD_LOW,
        "close": PriceField.PRICE_FIELD_CLOSE,
        "volume": PriceField.PRICE_FIELD_VOLUME,
        "median": PriceField.PRICE_FIELD_MEDIAN,
        "typical": PriceField.PRICE_FIELD_TYPICAL,
    }
)
LOGIC_ENUMS, LOGIC_WORDS = _both(
    {
        "and": LogicOperator.LOGIC_OPERATOR_AND,
        "or": LogicOperator.LOGIC_OPERATOR_OR,
        "not": LogicOperator.LOGIC_OPERATOR_NOT,
    }
)
ACTION_ENUMS, ACTION_WORDS = _both(
    {
        "buy": RuleAction.RULE_ACTION_BUY,
        "sell": RuleAction.RULE_ACTION_SELL,
        "close": RuleAction.RULE_ACTION_CLOSE,
        "reverse": RuleAction.RULE_ACTION_REVERSE,
    }
)
TREND_ENUMS, TREND_WORDS = _both(
    {"rising": TrendDirection.TREND_DIRECTION_RISING, "falling": TrendDirection.TREND_DIRECTION_FALLING}
)
TIMEFRAME_ENUMS, TIMEFRAME_WORDS = _both(
    {
        "1m": Timeframe.TIMEFRAME_1_MINUTE,
        "5m": Timeframe.TIMEFRAME_5_MINUTES,
        "15m": Timeframe.TIMEFRAME_15_MINUTES,
        "30m": Timeframe.TIMEFRAME_30_MINUTES,
        "1h": Timeframe.TIMEFRAME_1_HOUR,
        "4h": Timeframe.TIMEFRAME_4_HOURS,
        "1d": Timeframe.TIMEFRAME_1_DAY,
        "1w": Timeframe.TIMEFRAME_1_WEEK,
    }
)
