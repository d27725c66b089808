"""The node catalog: every kind of node the editor may place, as `NodeType` messages.

The catalog is the contract between the editor, the validator and the compiler: a node's
parameters, their kinds, defaults and bounds, and its typed ports are read from here and nowhere
else. Risk and sizing amounts are in percent (what a person types); the compiler turns them into
the spec's fractions.

    dataSource ──bars──▶ technicalIndicator ──value──▶ condition ──result──▶ logic ──▶ action
        └──price / open / … / volume──────────────────────▲                 risk ──risk──▲
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from alphintra.workflow.v1.node_catalog_pb2 import NodeCategory, NodeParameter, NodeType, Port
from alphintra.workflow.v1.workflow_pb2 import Node
from services.core.errors import FieldViolation, InvalidArgument
from services.core.indicators import IndicatorSpec
from services.core.strategy import ports
from services.core.strategy.catalog_indicators import (
    INDICATOR_PARAMETER,
    INDICATORS,
    TECHNICAL_INDICATOR,
    indicator_node_type,
    indicator_parameters,
    output_ports,
)
from services.core.strategy.parameters import PythonValue, ValueProblem, check_value, to_python

DATA_SOURCE = "dataSource"
CONDITION = "condition"
LOGIC = "logic"
ACTION = "action"
RISK = "risk"

PRICE_FIELDS = ("open", "high", "low", "close", "volume", "median", "typical")
TIMEFRAMES = ("1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w")
COMPARISONS = (">", "<", ">=", "<=", "crosses_above", "crosses_below")
CONDITION_OPERATORS = (*COMPARISONS, "between", "rising", "falling")
LOGIC_OPERATORS = ("and", "or", "not")
ACTIONS = ("buy", "sell", "close", "reverse")
ACTION_SIZINGS = ("inherit", "fraction_of_equity", "fixed_quantity")
RISK_SIZINGS = ("fraction_of_equity", "fixed_quantity", "risk_per_trade")
# Parameters that read earlier bars: a negative value would read the future (LOOKAHEAD).
OFFSET_PARAMETERS = ("left_offset", "right_offset")


def _data_source() -> NodeType:
    return NodeType(
        type=DATA_SOURCE,
        category=NodeCategory.NODE_CATEGORY_DATA_SOURCE,
        display_name="Data source",
        description="The instrument's OHLCV bars, from a stored dataset (backtests) or a live bar topic.",
        parameters=[
            ports.choice("source_kind", ("dataset", "live_topic"), "dataset", "Where the bars come from."),
            ports.text("dataset_id", "Dataset to backtest on; another may be chosen at run time."),
            ports.text("topic", "Bar topic of the signal bus, for live deployments."),
            ports.text("symbol", "Instrument the strategy is designed for, e.g. BTC-USD."),
            ports.choice("timeframe", TIMEFRAMES, "1d", "Bar length."),
            ports.choice("price_field", PRICE_FIELDS, "close", "Which field the `price` output carries."),
        ],
        outputs=[
            ports.port("bars", ports.BARS, "Whole bars, for indicators."),
            ports.port("price", ports.NUMBERS, "The field chosen by `price_field`."),
            *(ports.port(field, ports.NUMBERS, f"The bar's {field}.") for field in PRICE_FIELDS[:5]),
        ],
    )


def _condition() -> NodeType:
    return NodeType(
        type=CONDITION,
        category=NodeCategory.NODE_CATEGORY_CONDITION,
        display_name="Condition",
        description=(
            "Compares series or a series with constants: left > right, crosses above, between lower and "
            "upper, rising or falling over n bars. Unconnected operands use the constant parameters. False "
            "while an operand has no value yet."
        ),
        parameters=[
            ports.choice("operator", CONDITION_OPERATORS, ">", "The comparison."),
            ports.number("threshold", 0.0, -1e12, 1e12, "Right operand when `right` is not connected."),
            ports.number("lower_bound", 0.0, -1e12, 1e12, "Lower bound for `between` without `lower`."),
            ports.number("upper_bound", 100.0, -1e12, 1e12, "Upper bound for `between` without `upper`."),
            ports.flag("exclusive", "For `between`: strictly inside the bounds."),
            ports.integer("bars", 1, 1, 500, "For rising/falling: consecutive bar-to-bar moves required."),
            ports.integer("left_offset", 0, 0, 500, "Read `left` this many bars back (0 = this bar)."),
            ports.integer("right_offset", 0, 0, 500, "Read `right` this many bars back (0 = this bar)."),
        ],
        inputs=[
            ports.port("left", ports.NUMBERS, "The series tested.", required=True),
            ports.port("right", ports.NUMBERS, "Compared with `left`; else `threshold`."),
            ports.port("lower", ports.NUMBERS, "Lower bound series for `between`."),
            ports.port("upper", ports.NUMBERS, "Upper bound series for `between`."),
        ],
        outputs=[ports.port("result", ports.FLAGS, "True on bars where the condition holds.")],
    )


def _logic() -> NodeType:
    return NodeType(
        type=LOGIC,
        category=NodeCategory.NODE_CATEGORY_LOGIC,
        display_name="Logic",
        description="Combines conditions: AND / OR of two or more, NOT of exactly one.",
        parameters=[ports.choice("operator", LOGIC_OPERATORS, "and", "How the inputs combine.")],
        inputs=[ports.port("inputs", ports.FLAGS, "The conditions combined.", required=True, multiple=True)],
        outputs=[ports.port("result", ports.FLAGS, "The combined condition.")],
    )


def _action() -> NodeType:
    return NodeType(
        type=ACTION,
        category=NodeCategory.NODE_CATEGORY_ACTION,
        display_name="Action",
        description=(
            "Trades when its signal is true: buy, sell, close or reverse. When several actions trigger on "
            "one bar, the lowest priority number acts and the others are suppressed."
        ),
        parameters=[
            ports.choice("action", ACTIONS, "buy", "What to do when the signal is true."),
            ports.integer("priority", 0, 0, 1000, "Lower acts first when actions trigger together.", unit=""),
            ports.choice(
                "sizing", ACTION_SIZINGS, "inherit", "Position size; `inherit` uses the risk node's."
            ),
            ports.number("equity_percent", 100.0, 0.01, 100.0, "Percent of equity per entry.", unit="%"),
            ports.number("quantity", 1.0, 1e-9, 1e12, "Units per entry, for fixed_quantity.", unit="units"),
        ],
        inputs=[
            ports.port("signal", ports.FLAGS, "When to act.", required=True),
            ports.port("risk", ports.RISK, "Risk settings (they apply strategy-wide).", multiple=True),
        ],
    )


def _risk() -> NodeType:
    return NodeType(
        type=RISK,
        category=NodeCategory.NODE_CATEGORY_RISK,
        display_name="Risk management",
        description=(
            "Stops, targets, position sizing, exposure cap and drawdown halt for the whole strategy. "
            "A 0 disables a control."
        ),
        parameters=[
            ports.number("stop_loss_percent", 0.0, 0.0, 99.0, "Exit this far against the entry.", unit="%"),
            ports.number("take_profit_percent", 0.0, 0.0, 10000.0, "Exit this far in favour.", unit="%"),
            ports.number(
                "trailing_stop_percent", 0.0, 0.0, 99.0, "Exit this far off the best price.", unit="%"
            ),
            ports.choice("sizing", RISK_SIZINGS, "fraction_of_equity", "How new positions are sized."),
            ports.number("equity_percent", 100.0, 0.01, 100.0, "For fraction_of_equity.", unit="%"),
            ports.number("quantity", 1.0, 1e-9, 1e12, "For fixed_quantity.", unit="units"),
            ports.number(
                "risk_percent", 1.0, 0.01, 100.0, "For risk_per_trade: equity lost at the stop.", unit="%"
            ),
            ports.integer("atr_period", 14, 1, 500, "For risk_per_trade: ATR look-back."),
            ports.number("atr_multiplier", 2.0, 0.1, 20.0, "For risk_per_trade: stop distance in ATRs."),
            ports.number(
                "max_exposure_percent", 0.0, 0.0, 100.0, "Cap of position value / equity.", unit="%"
            ),
            ports.number(
                "max_drawdown_halt_percent", 0.0, 0.0, 99.0, "Stop trading at this drawdown.", unit="%"
            ),
        ],
        outputs=[ports.port("risk", ports.RISK, "These settings, to attach to actions.")],
    )


NODE_TYPES: Mapping[str, NodeType] = MappingProxyType(
    {
        node_type.type: node_type
        for node_type in (_data_source(), indicator_node_type(), _condition(), _logic(), _action(), _risk())
    }
)


def list_node_types() -> list[NodeType]:
    """Every node type, as fresh messages the caller may keep or change."""
    copies = []
    for node_type in NODE_TYPES.values():
        copy = NodeType()
        copy.CopyFrom(node_type)
        copies.append(copy)
    return copies


def node_parameters(node: Node) -> dict[str, NodeParameter] | None:
    """The parameters `node` may carry, by name; None when its type (or chosen indicator) is unknown."""
    node_type = NODE_TYPES.get(node.type)
    if node_type is None:
        return None
    if node.type != TECHNICAL_INDICATOR:
        return {parameter.name: parameter for parameter in node_type.parameters}
    spec = chosen_indicator(node)
    if spec is None:
        return None
    return {INDICATOR_PARAMETER: node_type.parameters[0], **indicator_parameters(spec)}


def input_ports(node: Node) -> dict[str, Port]:
    node_type = NODE_TYPES.get(node.type)
    return {} if node_type is None else {item.name: item for item in node_type.inputs}


def output_ports_of(node: Node) -> dict[str, Port] | None:
    """The node's output ports by name; None when they cannot be known (unknown type or indicator)."""
    node_type = NODE_TYPES.get(node.type)
    if node_type is None:
        return None
    if node.type != TECHNICAL_INDICATOR:
        return {item.name: item for item in node_type.outputs}
    spec = chosen_indicator(node)
    return None if spec is None else {item.name: item for item in output_ports(spec)}


def chosen_indicator(node: Node) -> IndicatorSpec | None:
    """The registry spec of a technicalIndicator node's `indicator` choice (its default if unset)."""
    if INDICATOR_PARAMETER not in node.parameters:
        return INDICATORS[NODE_TYPES[TECHNICAL_INDICATOR].parameters[0].default_value.text]
    value = to_python(node.parameters[INDICATOR_PARAMETER])
    return INDICATORS.get(value) if isinstance(value, str) else None


def parameter_value(node: Node, name: str) -> PythonValue:
    """The node's value of parameter `name` (else its default), normalised to the parameter's kind.

    For nodes that passed validation; a bad value raises InvalidArgument naming it.
    """
    parameter = (node_parameters(node) or {}).get(name)
    if parameter is None:
        raise InvalidArgument(
            "invalid node", [FieldViolation(f"nodes[{node.id}].parameters.{name}", "unknown")]
        )
    given = node.parameters.get(name, parameter.default_value)
    checked = check_value(parameter, given)
    if isinstance(checked, ValueProblem):
        field = f"nodes[{node.id}].parameters.{name}"
        raise InvalidArgument("invalid node", [FieldViolation(field, checked.message)])
    return checked
